/**
 * `procmesh top --json` and `--diagnose` (issue 14) against a live host in a child process
 * (test/fixtures/top-host.ts): the snapshot holds the tree with the stats of core's ST-4 and
 * the admin endpoint's nodes (TP-3); `--diagnose` exits 0 while every proc answers within the
 * bound, 1 with the failing proc listed once a worker's thread is blocked (TP-5), 2 when the
 * endpoint cannot be reached; bad arguments exit 64; `npx procmesh` finds the bin in the workspace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCli, startHost, waitFor, type LiveHost } from './fixtures/top-harness.js';

const T = { timeout: 60_000 };

/** What these tests read of `--json`'s snapshot (admin/top/snapshot.ts). */
interface ActorJson {
  readonly name: string;
  readonly actor?: { readonly actor_type: string; readonly messages_processed: number; readonly attrs: Record<string, unknown> };
  readonly children: readonly ActorJson[];
}
interface Snapshot {
  readonly procs: ReadonlyArray<{ readonly ref: string; readonly proc?: { readonly state: string }; readonly actors: readonly ActorJson[] }>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

describe('procmesh top --json and --diagnose', () => {
  let host: LiveHost;
  before(async () => {
    host = await startHost();
  });
  after(async () => host.stop());

  it('--json prints one snapshot: every proc, each actor with its stats (TP-3)', T, async () => {
    // the ticker is sent a tick every 20 ms: wait until a snapshot shows it handled some
    const snapshot = await waitFor('a snapshot in which the ticker handled messages', async () => {
      const ran = await runCli(['top', host.addr, '--json']);
      assert.equal(ran.code, 0, ran.stderr);
      const s = JSON.parse(ran.stdout) as Snapshot;
      const ticker = s.procs[2]?.actors.find((a) => a.name === 'ticker[0]');
      return (ticker?.actor?.messages_processed ?? 0) > 0 ? s : undefined;
    });
    assert.deepEqual(snapshot.procs.map((p) => p.ref), ['local:0,main', 'local:1,proc_1', 'local:2,proc_2']);
    assert.ok(snapshot.procs.every((p) => p.proc?.state === 'ready'));
    const guardian = snapshot.procs[1]?.actors.find((a) => a.name === 'guardian[0]');
    assert.equal(guardian?.actor?.actor_type, 'Guardian');
    assert.deepEqual(guardian?.children.map((c) => c.name), ['worker[1]']);
    const ticker = snapshot.procs[2]?.actors.find((a) => a.name === 'ticker[0]');
    assert.equal(typeof ticker?.actor?.attrs['queue_depth'], 'number');
    assert.ok(Number(ticker?.actor?.attrs['max_handler_time_us']) > 0);
    assert.equal(typeof ticker?.actor?.attrs['last_handled_at'], 'string');
  });

  it('--diagnose exits 0 while every proc answers within the bound (TP-5)', T, async () => {
    const ran = await runCli(['top', host.addr, '--diagnose', '--timeout', '5000']);
    assert.equal(ran.code, 0, ran.stderr);
    assert.match(ran.stdout, /all 3 procs answered within 5000 ms/);
  });

  it('--diagnose exits 1 and lists the proc whose thread is blocked (TP-5)', T, async () => {
    host.command('wedge');
    const ran = await waitFor('--diagnose to fail', async () => {
      const r = await runCli(['top', host.addr, '--diagnose', '--timeout', '1000']);
      return r.code === 0 ? undefined : r;
    });
    assert.equal(ran.code, 1, ran.stderr);
    assert.match(ran.stderr, /^FAIL local:2,proc_2 .*(timeout|gateway_timeout)/m);
    assert.match(ran.stderr, /^ok {3}local:1,proc_1/m);
    assert.match(ran.stderr, /1 of 3 procs failing: local:2,proc_2/);
  });

  it('--diagnose exits 2 when nothing listens at the address', T, async () => {
    const ran = await runCli(['top', `tcp:127.0.0.1:${await freePort()}`, '--diagnose', '--timeout', '1000']);
    assert.equal(ran.code, 2);
    assert.match(ran.stderr, /endpoint not readable: unreachable/);
  });

  it('npx procmesh top runs the bin from the workspace root', T, async () => {
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const child = spawn('npx', ['--no-install', 'procmesh', 'top', host.addr, '--json', '--timeout', '5000'], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 50_000);
    const [code] = (await once(child, 'exit')) as [number | null];
    clearTimeout(timer);
    assert.equal(code, 0, out);
    assert.deepEqual((JSON.parse(out) as Snapshot).procs.map((p) => p.ref), ['local:0,main', 'local:1,proc_1', 'local:2,proc_2']);
  });

  it('a bad address or option exits 64 with the usage', T, async () => {
    const badAddr = await runCli(['top', 'tcp:nowhere', '--json']);
    assert.equal(badAddr.code, 64, badAddr.stderr);
    assert.match(badAddr.stderr, /bad_address/);
    const badTimeout = await runCli(['top', host.addr, '--diagnose', '--timeout', 'soon']);
    assert.equal(badTimeout.code, 64);
    assert.match(badTimeout.stderr, /--timeout must be a positive integer/);
  });
});
