/**
 * Ask across worker procs (actor/ask.ts, issue 12), with real workers: the main thread's client
 * asks actors in workers, and an actor in one worker asks one in another (ASK-4). One test per
 * outcome that crosses a link: reply, timeout, undeliverable request (no such actor; a proc
 * destroyed), target stopped (at its closed mailbox, MB-2; queued at its stop, RT-1; failing in
 * its handler, RT-2). The asker stopping first is local (packages/core/test/ask.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcHost } from '@procmesh/worker-host';
import { ActorId, ActorRef, AskError } from '@procmesh/core';
import { AskKv, AskRelay, type AskKvMsg } from './fixtures/ask-actors.js';

const modules = [new URL('./fixtures/ask-actors.js', import.meta.url)];
const T = { timeout: 60_000 };

async function withHost(procs: number, body: (host: ProcHost) => Promise<void>): Promise<void> {
  const host = await ProcHost.start({ procs, modules, teardownTimeoutMs: 500 });
  host.supervisor.on('failure', () => undefined);
  try {
    await body(host);
  } finally {
    await host.shutdown(500);
  }
}

function code(expected: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof AskError, `not an AskError: ${String(err)}`);
    assert.equal(err.code, expected, err.message);
    return true;
  };
}

describe('ask across worker procs (issue 12)', () => {
  it('the reply of an actor in a worker resolves the main thread\'s ask', T, async () => {
    await withHost(1, async (host) => {
      const kv = await host.spawn(1, AskKv, 'kv', undefined);
      assert.equal(await kv.ask(host.client, { type: 'name' }, { timeoutMs: 20_000 }), 'local:1,proc_1,kv[0]');
    });
  });

  it('an actor in one worker asks one in another: reply, then timeout', T, async () => {
    await withHost(2, async (host) => {
      const kv = await host.spawn(2, AskKv, 'kv', undefined);
      const relay = await host.spawn(1, AskRelay, 'relay', undefined);
      assert.equal(await relay.ask(host.client, { type: 'relay', to: kv, ask: 'name', timeoutMs: 20_000 }), 'reply: local:2,proc_2,kv[0]');
      assert.equal(await relay.ask(host.client, { type: 'relay', to: kv, ask: 'ignore', timeoutMs: 200 }), 'ask-timeout');
    });
  });

  it('ask-timeout: a worker actor that never answers', T, async () => {
    await withHost(1, async (host) => {
      const kv = await host.spawn(1, AskKv, 'kv', undefined);
      await assert.rejects(kv.ask(host.client, { type: 'ignore' }, { timeoutMs: 200 }), code('ask-timeout'));
    });
  });

  it('ask-undeliverable: no such actor in the worker, and a proc destroyed', T, async () => {
    await withHost(2, async (host) => {
      const proc1 = host.procIds().get(1);
      assert.ok(proc1 !== undefined);
      const nobody = ActorRef.attest<AskKvMsg>(ActorId.root(proc1, 'nobody'));
      await assert.rejects(nobody.ask(host.client, { type: 'name' }, { timeoutMs: 20_000 }), code('ask-undeliverable'));
      const kv = await host.spawn(2, AskKv, 'kv', undefined);
      await host.destroyProc(2);
      await assert.rejects(kv.ask(host.client, { type: 'name' }, { timeoutMs: 20_000 }), (err: unknown) => err instanceof AskError && (err.code === 'ask-undeliverable' || err.code === 'ask-target-stopped'));
    });
  });

  it('ask-target-stopped: at the stopped actor\'s closed mailbox (MB-2), and queued at its stop (RT-1)', T, async () => {
    await withHost(1, async (host) => {
      const kv = await host.spawn(1, AskKv, 'kv', undefined);
      kv.send(host.client, { type: 'stop-when-queued', reason: 'worker kv stops' });
      const queued = kv.ask(host.client, { type: 'name' }, { timeoutMs: 20_000 });
      await assert.rejects(queued, (err: unknown) => code('ask-target-stopped')(err) && /worker kv stops/.test((err as Error).message));
      await assert.rejects(kv.ask(host.client, { type: 'name' }, { timeoutMs: 20_000 }), code('ask-target-stopped'));
    });
  });

  it('ask-target-stopped: the worker actor fails while handling the request (RT-2)', T, async () => {
    await withHost(1, async (host) => {
      const kv = await host.spawn(1, AskKv, 'kv', undefined);
      await assert.rejects(kv.ask(host.client, { type: 'boom' }, { timeoutMs: 20_000 }), (err: unknown) => code('ask-target-stopped')(err) && /AskKv cannot do that/.test((err as Error).message));
    });
  });
});
