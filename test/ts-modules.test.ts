/**
 * TypeScript actor modules without a build step (issue 12): a worker imports a `.ts` source file
 * listed in `ProcHostOptions.modules` (test/ts-fixtures/greeter.ts, never compiled for it), with
 * tsx's loader on Node 20 (Node's own type stripping on Node >= 22.6 where it is on).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcHost } from '@procmesh/worker-host';
import { actorType } from '@procmesh/core';
import type { GreeterMsg } from './ts-fixtures/greeter.js';

// test/dist/ts-modules.test.js -> test/ts-fixtures/greeter.ts (the source, not dist/)
const SOURCE = new URL('../ts-fixtures/greeter.ts', import.meta.url);
const Greeter = actorType<GreeterMsg, { greeting: string }>('Greeter');

describe('TypeScript actor modules without a build (issue 12)', () => {
  it('a worker loads a .ts module and spawns the actor type it registers', { timeout: 60_000 }, async () => {
    const host = await ProcHost.start({ procs: 2, modules: [SOURCE] });
    try {
      const greeter = await host.spawn(2, Greeter, 'greeter', { greeting: 'hello' });
      const [reply, answer] = host.client.openOncePort<string>();
      greeter.send(host.client, { type: 'greet', name: 'ts', reply: reply.bind() });
      assert.match(await answer.recv(), /^hello, ts \(from local:2,proc_2, a \.ts module via (tsx|node)\)$/);
    } finally {
      await host.shutdown(500);
    }
  });
});
