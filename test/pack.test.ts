/**
 * The packages as a user installs them (issue 13, item 6): `pnpm pack` both packages into a
 * temporary folder outside the workspace, `npm install` the two tarballs into a fresh app
 * there (the registry serves their dependencies), type-check the app under `strict` and
 * `NodeNext` with the workspace's TypeScript (declarations included: `skipLibCheck` off), and
 * run a two-worker request/reply with an actor module registered by `registerActor`. Also:
 * each tarball carries its README and LICENSE, and every source map points at a shipped file;
 * the installed `procmesh` bin (`npx procmesh top`, issue 14) reads a live host.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ProcHost } from '@procmesh/worker-host';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

function sh(command: string, args: readonly string[], cwd: string, timeoutMs = 240_000): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(command, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, npm_config_loglevel: 'error' } }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${command} ${args.join(' ')} failed in ${cwd}: ${err.message}\n${stdout}\n${stderr}`));
      else resolvePromise({ stdout, stderr });
    });
  });
}

const APP_ACTORS = `
import { registerActor } from '@procmesh/worker-host';
import type { Actor, Context, OncePortRef } from '@procmesh/core';

export type CountMsg = { type: 'count'; text: string; reply: OncePortRef<{ words: number; from: string }> };

class WordCounter implements Actor<CountMsg> {
  handle(cx: Context<CountMsg>, msg: CountMsg): void {
    msg.reply.send(cx, { words: msg.text.split(/\\s+/).filter((w) => w.length > 0).length, from: String(cx.selfId.proc) });
  }
}

registerActor('WordCounter', () => new WordCounter());
`;

const APP_MAIN = `
import { ProcHost } from '@procmesh/worker-host';
import type { CountMsg } from './actors.js';

const host = await ProcHost.start({ procs: 2, modules: [new URL('./actors.js', import.meta.url)] });
host.supervisor.on('failure', (f) => console.error(\`failure on \${f.procId}: \${f.event}\`));
const results: { words: number; from: string }[] = [];
for (const index of [1, 2]) {
  const counter = await host.spawn<CountMsg>(index, 'WordCounter', 'counter');
  const [reply, answer] = host.client.openOncePort<{ words: number; from: string }>();
  counter.send(host.client, { type: 'count', text: 'the quick brown fox', reply: reply.bind() });
  results.push(await answer.recv());
}
await host.shutdown();
console.log(JSON.stringify(results));
`;

const APP_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'dist',
    rootDir: 'src',
  },
  include: ['src'],
};

describe('the packed packages in a fresh app (issue 13)', { timeout: 400_000 }, () => {
  let root = '';
  let packs = '';
  let app = '';
  let tarballs: string[] = [];

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'procmesh-pack-'));
    packs = join(root, 'packs');
    app = join(root, 'app');
    mkdirSync(packs);
    mkdirSync(join(app, 'src'), { recursive: true });
    for (const pkg of ['core', 'worker-host']) await sh('pnpm', ['pack', '--pack-destination', packs], join(repo, 'packages', pkg));
    tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz')).sort();
  }, { timeout: 240_000 });

  after(() => {
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('each tarball carries its README and LICENSE, and its maps point only at shipped files', { timeout: 60_000 }, async () => {
    assert.deepEqual(tarballs, ['procmesh-core-0.1.0.tgz', 'procmesh-worker-host-0.1.0.tgz']);
    for (const tarball of tarballs) {
      const { stdout } = await sh('tar', ['tzf', join(packs, tarball)], root);
      const files = new Set(stdout.split('\n').filter((f) => f.length > 0));
      assert.ok(files.has('package/README.md'), `${tarball} has README.md`);
      assert.ok(files.has('package/LICENSE'), `${tarball} has LICENSE`);
      const out = join(root, tarball.replace('.tgz', ''));
      mkdirSync(out);
      await sh('tar', ['xzf', join(packs, tarball), '-C', out], root);
      for (const file of files) {
        if (!file.endsWith('.map')) continue;
        const map = JSON.parse(readFileSync(join(out, file), 'utf8')) as { sources: string[] };
        for (const source of map.sources) {
          const target = join(dirname(join(out, file)), source);
          assert.ok(existsSync(target), `${file} points at ${source}, which is shipped`);
        }
      }
    }
  });

  it('installs into a fresh app, type-checks under strict NodeNext and runs a two-worker request/reply', { timeout: 360_000 }, async () => {
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'first-day-app', private: true, type: 'module' }, null, 2));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(APP_TSCONFIG, null, 2));
    writeFileSync(join(app, 'src/actors.ts'), APP_ACTORS);
    writeFileSync(join(app, 'src/main.ts'), APP_MAIN);
    await sh('npm', ['install', '--no-audit', '--no-fund', ...tarballs.map((t) => join(packs, t)), '@types/node@^20.19.0'], app, 300_000);
    await sh(process.execPath, [tsc, '-p', 'tsconfig.json'], app, 120_000);
    const { stdout } = await sh(process.execPath, ['dist/main.js'], app, 60_000);
    assert.deepEqual(JSON.parse(stdout.trim()), [
      { words: 4, from: 'local:1,proc_1' },
      { words: 4, from: 'local:2,proc_2' },
    ]);
  });

  it('the installed bin: npx procmesh top answers a live host, and the TUI\'s ink and react resolve (after the install above)', { timeout: 120_000 }, async () => {
    const host = await ProcHost.start({ procs: 1, admin: 'tcp:127.0.0.1:0' });
    try {
      const { stdout } = await sh('npx', ['--no-install', 'procmesh', 'top', String(host.admin?.addr), '--diagnose'], app, 60_000);
      assert.match(stdout, /all 2 procs answered within 2000 ms/);
    } finally {
      await host.shutdown();
    }
    const installed = join(app, 'node_modules/@procmesh/worker-host');
    await sh(process.execPath, ['--input-type=module', '-e', "await import('ink'); await import('react');"], installed, 30_000);
  });
});
