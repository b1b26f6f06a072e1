/**
 * A new user's first day (issue 13): a bounced message on the host's main proc reaches the
 * supervisor instead of ending the process (SV-3); logs go to stderr, expected conditions at
 * debug; `stopActor`/`introspect` take typed refs; workers get `execArgv` and `env`. The
 * process-level behaviours run in child processes (fixtures/main-proc-bounce.ts,
 * fixtures/log-streams.ts), the only honest way to observe `process.exit` and the streams.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ProcHost } from '@procmesh/worker-host';
import type { ActorRef } from '@procmesh/core';
import type { EchoMsg, EnvMsg } from './fixtures/actors.js';

const modules = [new URL('./fixtures/actors.js', import.meta.url)];

function run(fixture: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PROCMESH_LOG: 'warn', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The JSON log lines of a stream (pino's), ignoring anything else. */
function logLines(text: string): { level: number; msg: string }[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { level: number; msg: string });
}

describe("a new user's first day (issue 13)", () => {
  it('an actor on the main proc that fails on a bounced message reaches the failure listener; the process goes on (SV-3)', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await run('main-proc-bounce.js', ['listen']);
    assert.equal(code, 0, `stdout: ${stdout}\nstderr: ${stderr}`);
    assert.match(stdout, /^failure: local:0,main local:0,main,sender\[0\]$/m);
    assert.match(stdout, /no crash/);
    assert.doesNotMatch(stderr, /coordinator port is not set/);
  });

  it('with no failure listener, a main-proc failure exits with code 1 through the supervisor (SV-1)', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await run('main-proc-bounce.js');
    assert.equal(code, 1, `stdout: ${stdout}\nstderr: ${stderr}`);
    assert.match(stderr, /procmesh: unhandled supervision failure on local:0,main: /);
    assert.doesNotMatch(stdout, /no crash/);
  });

  it('logs go to stderr, main thread and workers; stdout holds only the application output', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await run('log-streams.js');
    assert.equal(code, 0, `stderr: ${stderr}`);
    assert.equal(stdout, 'app output\n');
    const lines = logLines(stderr);
    assert.ok(lines.some((l) => l.msg === 'main-thread log line'), stderr);
    assert.ok(lines.some((l) => l.msg.startsWith('no actor local:1,proc_1,echo[0]')), `the worker's line is on stderr: ${stderr}`);
  });

  it('a second stopActor of a stopped actor is logged at debug, nothing at error', { timeout: 60_000 }, async () => {
    const { stderr } = await run('log-streams.js');
    const lines = logLines(stderr);
    const second = lines.find((l) => l.msg.startsWith('no actor local:1,proc_1,echo[0]'));
    assert.equal(second?.level, 20, stderr);
    assert.deepEqual(lines.filter((l) => l.level >= 50), []);
  });

  it('stopActor and introspect take typed refs, no casts', { timeout: 30_000 }, async () => {
    const host = await ProcHost.start({ procs: 1, modules, teardownTimeoutMs: 500 });
    try {
      const echo: ActorRef<EchoMsg> = await host.spawn<EchoMsg>(1, 'Echo', 'echo');
      const seen = await host.introspect(echo);
      assert.equal(seen?.identity, String(echo.actorId));
      assert.equal(await host.stopActor(echo), true);
    } finally {
      await host.shutdown(500);
    }
  });

  it('workers start with ProcHostOptions.execArgv and env', { timeout: 30_000 }, async () => {
    const host = await ProcHost.start({ procs: 1, modules, teardownTimeoutMs: 500, execArgv: ['--no-warnings'], env: { ...process.env, PROCMESH_FIRST_DAY: 'yes' } });
    try {
      const reporter = await host.spawn<EnvMsg>(1, 'EnvReporter', 'env');
      const [reply, answer] = host.client.openOncePort<{ value: string | undefined; execArgv: string[] }>();
      reporter.send(host.client, { type: 'env', name: 'PROCMESH_FIRST_DAY', reply: reply.bind() });
      const got = await answer.recv();
      assert.equal(got.value, 'yes');
      assert.deepEqual(got.execArgv, ['--no-warnings']);
    } finally {
      await host.shutdown(500);
    }
  });
});
