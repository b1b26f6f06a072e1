/**
 * Ask (actor/ask.ts, issue 12) inside one proc: each of its outcomes (reply, timeout on a
 * simulated clock, undeliverable request, target stopped: at a closed mailbox, queued at the stop
 * (RT-1), failing in its handler (RT-2), and the asker stopping first), the typed reply (RF-5),
 * and that a settled ask leaves nothing behind (ASK-1). Across workers and sockets:
 * test/ask-remote.test.ts and ask-net.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ActorId, ActorRef, AskError, Proc, Signal, type ActorHandle, type Context, type Instance } from '../src/index.js';
import { SimulatedClock } from '../src/clock.js';
import { Kv, type KvMsg } from './fixtures/ask-actors.js';

const T = { timeout: 10_000 };
const quiet = pino({ level: 'silent' });

function rejectsWith(code: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof AskError, `not an AskError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return true;
  };
}

/** Sizes an ask must leave as it found them (ASK-1). */
function footprint(client: Instance<never>): { receivers: number; asks: number } {
  const receivers = (client.mailbox as unknown as { receivers: Set<unknown> }).receivers.size;
  const asks = (client as unknown as { asks?: { size: number } }).asks?.size ?? 0;
  return { receivers, asks };
}

function setup(clock?: SimulatedClock): { proc: Proc; client: Instance<never>; kv: ActorRef<KvMsg>; actor: Kv; handle: ActorHandle<KvMsg>; stop: (reason: string) => Promise<void> } {
  const proc = Proc.local({ logger: quiet, ...(clock === undefined ? {} : { clock }) });
  const [client] = proc.instance('client');
  const actor = new Kv();
  const handle = proc.spawn('kv', actor);
  return {
    proc,
    client,
    kv: handle.bind(),
    actor,
    handle,
    stop: async (reason) => {
      handle.drainAndStop(reason);
      await handle.join();
    },
  };
}

describe('ask (issue 12, ASK-1..4)', () => {
  it('RF-5: the reply resolves, typed from the request arm, in both forms', T, async () => {
    const { client, kv } = setup();
    kv.send(client, { type: 'set', key: 'a', value: 7 });
    const n: number = await kv.ask(client, { type: 'get', key: 'a' }, { timeoutMs: 5_000 });
    const s: string = await kv.ask(client, { type: 'name' });
    const m: number = await kv.ask<number>(client, (reply) => ({ type: 'get', key: 'b', reply }));
    assert.deepEqual([n, s, m], [7, String(kv.actorId), -1]);
    // @ts-expect-error 'set' has no reply port: not an ask
    void (() => kv.ask(client, { type: 'set', key: 'a', value: 1 }));
    // @ts-expect-error a 'get' replies with a number
    void (async (): Promise<string> => kv.ask(client, { type: 'get', key: 'a' }));
  });

  it('ASK-1: 1,000 asks leave no receiver, table entry or timer behind', T, async () => {
    const clock = new SimulatedClock();
    const { client, kv } = setup(clock);
    await kv.ask(client, { type: 'name' }); // the first ask binds the client's return port
    const before = footprint(client);
    for (let i = 0; i < 1_000; i++) assert.equal(await kv.ask(client, { type: 'get', key: 'x' }), -1);
    assert.deepEqual(footprint(client), before);
    assert.equal(clock.pending, 0, 'every ask timer was cancelled');
  });

  it('ask-timeout: no reply within timeoutMs on the proc clock; a late reply fails nobody (ASK-2)', T, async () => {
    const clock = new SimulatedClock();
    const { client, kv, actor } = setup(clock);
    const asked = kv.ask(client, { type: 'ignore' }, { timeoutMs: 1_000 });
    const settled = assert.rejects(asked, rejectsWith('ask-timeout'));
    while (actor.late === undefined) await new Promise((resolve) => setImmediate(resolve));
    const before = footprint(client);
    clock.advance(999);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(footprint(client).asks, before.asks, 'still pending at 999 ms');
    clock.advance(1);
    await settled;
    assert.deepEqual(footprint(client), { receivers: before.receivers - 1, asks: before.asks - 1 });
    // the late reply: dropped at the asker (MS-3), the replier keeps running
    actor.late.send(client, 5);
    assert.equal(await kv.ask(client, { type: 'get', key: 'z' }), -1);
  });

  it('ask-undeliverable: a request to an actor that never existed comes back', T, async () => {
    const { proc, client } = setup();
    const nobody = ActorRef.attest<KvMsg>(ActorId.root(proc.procId, 'nobody'));
    await assert.rejects(nobody.ask(client, { type: 'name' }), (err: unknown) => rejectsWith('ask-undeliverable')(err) && /nobody/.test((err as AskError).target));
    assert.equal(footprint(client).asks, 0);
  });

  it('ask-target-stopped: a request to a stopped actor comes back from its closed mailbox (MB-2)', T, async () => {
    const { client, kv, stop } = setup();
    await stop('done for today');
    await assert.rejects(kv.ask(client, { type: 'name' }), (err: unknown) => rejectsWith('ask-target-stopped')(err) && /done for today/.test((err as Error).message));
  });

  it('ask-target-stopped: a request queued when its target stops is returned, not dropped (RT-1)', T, async () => {
    const { client, kv, handle } = setup();
    let release = (): void => undefined;
    handle.send(client, { type: 'hold', until: new Promise<void>((resolve) => (release = resolve)) });
    const asked = kv.ask(client, { type: 'name' });
    // Stop (not DrainAndStop, which would answer it) is taken once the handler in flight returns
    handle.instance.signal(Signal.stop('stop now'));
    release();
    await assert.rejects(asked, (err: unknown) => rejectsWith('ask-target-stopped')(err) && /stop now/.test((err as Error).message));
  });

  it('ask-target-stopped: the target fails while handling the request (RT-2)', T, async () => {
    const proc = Proc.local({ logger: quiet, onCrash: () => undefined });
    const [client] = proc.instance('client');
    const kv = proc.spawn('kv', new Kv()).bind();
    await assert.rejects(kv.ask(client, { type: 'boom' }), (err: unknown) => rejectsWith('ask-target-stopped')(err) && /kv cannot do that/.test((err as Error).message));
  });

  it('ask-abandoned: the asker stops before the reply arrives', T, async () => {
    const { proc, kv } = setup();
    let outcome: Promise<unknown> | undefined;
    type AskerMsg = { type: 'go' };
    const asker = proc.spawn<AskerMsg>('asker', {
      handle(cx: Context<AskerMsg>): void {
        // not awaited: the asker goes on, then stops with the ask pending
        outcome = kv.ask(cx, { type: 'ignore' }).then(
          () => 'resolved',
          (err: unknown) => err,
        );
      },
    });
    const [client] = proc.instance('starter');
    asker.send(client, { type: 'go' });
    while (outcome === undefined) await new Promise((resolve) => setImmediate(resolve));
    asker.drainAndStop('asker done');
    await asker.join();
    rejectsWith('ask-abandoned')(await outcome);
  });
});
