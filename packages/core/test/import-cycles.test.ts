/**
 * No import cycles in `packages/*\/src` (DESIGN: "No import cycles (a test checks it)"):
 * runs scripts/import-cycles.mjs on the repository and fails listing every cycle it prints.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root, from packages/core/dist/test/import-cycles.test.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

describe('import graph', () => {
  it('has no cycles in packages/*/src (type-only imports included)', { timeout: 30_000 }, () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts/import-cycles.mjs'), ROOT], { encoding: 'utf8' });
    assert.equal(run.error, undefined, String(run.error));
    assert.equal(run.status, 0, `import cycles:\n${run.stdout}${run.stderr}`);
  });
});
