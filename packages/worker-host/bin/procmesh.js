#!/usr/bin/env node
// The `procmesh` command (`procmesh top <addr>`): runs the compiled CLI, dist/src/admin/cli.js.
// A plain file in the package, not the compiled one, so that `pnpm install` in a fresh clone
// links the bin before anything is built (pnpm links no bin whose file is missing).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/src/admin/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('procmesh: @procmesh/worker-host is not built (run `pnpm build` in the workspace)\n');
  process.exit(70);
}
await import(cli.href);
