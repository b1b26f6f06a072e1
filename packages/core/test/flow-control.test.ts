/**
 * Flow control inside one proc (mailbox/flow.ts FC-1..FC-8, actor/flow.ts): a sender whose send
 * put an actor's work queue over the high watermark is muted until the queue is at or under the
 * low one; never by its own queue; no deadlock for mutual floods, cycles, or a reply awaited from a
 * muted path; clients wait with `cx.ready()`. Across workers: test/flow-control.test.ts.
 *
 * The consumers are slow by construction (each item handler awaits a macrotask while the
 * producer's handlers are synchronous), not by a timing threshold; bounds are counts of queued
 * messages.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_PORT, ATTR, PortRef, Proc, SimulatedClock, introspectAttrs, type ActorId, type Instance, type IntrospectMessage, type IntrospectResult } from '../src/index.js';
import type { ActorHandle } from '../src/actor/instance.js';
import { deferred, TestActor, type Deferred } from './fixtures/actors.js';
import { Peer, type PeerMsg, type PeerOptions } from './fixtures/flow-actors.js';

const T = { timeout: 30_000 };
const HIGH = 64;
const LOW = 16;
const CHUNK = 8;
const limits = { flowHighWatermark: HIGH, flowLowWatermark: LOW };
/** FC-3 alone: no stall release (FC-5) within the test's time. */
const noStall = { ...limits, flowStallMs: 3_600_000 };

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 100_000 && !condition(); i++) await macrotask();
  assert.ok(condition(), `timed out waiting for ${what}`);
}

async function query(cx: Instance<never>, id: ActorId): Promise<Record<string, unknown>> {
  const [reply, answer] = cx.openOncePort<IntrospectResult>();
  PortRef.attest<IntrospectMessage>(id.portId(ACTOR_PORT.INTROSPECT)).send(cx, { type: 'query', view: 'actor', reply: reply.bind() });
  return introspectAttrs(await answer.recv());
}

function spawnPeer(proc: Proc, name: string, options: PeerOptions = {}): [ActorHandle<PeerMsg>, Peer] {
  const peer = new Peer(name, options);
  return [proc.spawn(name, peer), peer];
}

/** `producer` floods a slow `consumer` with `total` items by handle (or ref) sends. */
async function flood(config: Record<string, number | boolean>, total: number, byRef: boolean): Promise<Peer> {
  const proc = Proc.local({ config });
  const [client] = proc.instance('client');
  const done = deferred();
  const [consumer, sink] = spawnPeer(proc, 'consumer', { expect: total, done: done.resolve, slow: true });
  const [producer] = spawnPeer(proc, 'producer');
  producer.send(client, { type: 'flood', to: byRef ? consumer.bind() : consumer, total, chunk: CHUNK });
  await done.promise;
  return sink;
}

describe('flow control in one proc (mailbox/flow.ts)', () => {
  it('FC-1, IP-3: a producer flooding a slow consumer by handle sends keeps its queue within high + one chunk, every item in order', T, async () => {
    const sink = await flood(limits, 3_000, false);
    assert.deepEqual(sink.orderErrors, []);
    assert.equal(sink.received.get('producer'), 3_000);
    assert.ok(sink.maxDepth <= HIGH + CHUNK, `max queue depth ${sink.maxDepth} <= ${HIGH + CHUNK}`);
  });

  it('FC-1: the same by ref sends (serialized, routed in the proc)', T, async () => {
    const sink = await flood(limits, 3_000, true);
    assert.deepEqual(sink.orderErrors, []);
    assert.equal(sink.received.get('producer'), 3_000);
    assert.ok(sink.maxDepth <= HIGH + CHUNK, `max queue depth ${sink.maxDepth} <= ${HIGH + CHUNK}`);
  });

  it('FC-8: with flowControl off the same flood queues past the bound (the bound above is flow control)', T, async () => {
    const sink = await flood({ ...limits, flowControl: false }, 3_000, false);
    assert.equal(sink.received.get('producer'), 3_000);
    assert.ok(sink.maxDepth > HIGH + CHUNK, `max queue depth ${sink.maxDepth} > ${HIGH + CHUNK}`);
  });

  it('introspection shows the queue depth of the consumer and that the producer is muted, then not', T, async () => {
    const proc = Proc.local({ config: limits });
    const [client] = proc.instance('client');
    const done = deferred();
    const [consumer] = spawnPeer(proc, 'consumer', { expect: 2_000, done: done.resolve, slow: true });
    const [producer] = spawnPeer(proc, 'producer');
    producer.send(client, { type: 'flood', to: consumer, total: 2_000, chunk: CHUNK });
    await until(() => proc.getInstance(producer.actorId)?.muted === true, 'the producer muted');
    const [producerAttrs, consumerAttrs] = [await query(client, producer.actorId), await query(client, consumer.actorId)];
    assert.equal(ATTR.MUTED, 'procmesh::introspect::muted');
    assert.equal(producerAttrs[ATTR.MUTED], true);
    assert.equal(consumerAttrs[ATTR.MUTED], false);
    assert.ok(typeof consumerAttrs[ATTR.QUEUE_DEPTH] === 'number' && (consumerAttrs[ATTR.QUEUE_DEPTH] as number) > LOW, JSON.stringify(consumerAttrs));
    await done.promise;
    await until(() => proc.getInstance(producer.actorId)?.muted === false, 'the producer free');
    assert.equal((await query(client, producer.actorId))[ATTR.MUTED], false);
    assert.equal((await query(client, consumer.actorId))[ATTR.QUEUE_DEPTH], 0);
  });

  it('FC-2: an actor is never muted by its own queue (a flood to itself completes, the queue far over high)', T, async () => {
    const proc = Proc.local({ config: noStall });
    const [client] = proc.instance('client');
    const done = deferred();
    const [self, peer] = spawnPeer(proc, 'self', { expect: 2_000, done: done.resolve, slow: true });
    self.send(client, { type: 'flood', to: self, total: 2_000, chunk: HIGH * 4 });
    await done.promise;
    assert.deepEqual(peer.orderErrors, []);
    assert.ok(peer.maxDepth > HIGH, `its queue went over high (${peer.maxDepth})`);
    assert.equal(peer.sawItselfMuted, false);
  });

  it('FC-3: two actors flooding each other both complete, in order', T, async () => {
    const proc = Proc.local({ config: noStall });
    const [client] = proc.instance('client');
    const [aDone, bDone] = [deferred(), deferred()];
    const [a, pa] = spawnPeer(proc, 'a', { expect: 3_000, done: aDone.resolve, slow: true });
    const [b, pb] = spawnPeer(proc, 'b', { expect: 3_000, done: bDone.resolve, slow: true });
    // chunks over high: each first chunk overloads the other at once, so each holds the other
    a.send(client, { type: 'flood', to: b, total: 3_000, chunk: 2 * HIGH });
    b.send(client, { type: 'flood', to: a, total: 3_000, chunk: 2 * HIGH });
    await Promise.all([aDone.promise, bDone.promise]);
    assert.deepEqual([pa.orderErrors, pb.orderErrors], [[], []]);
    assert.deepEqual([pa.received.get('b'), pb.received.get('a')], [3_000, 3_000]);
  });

  it('FC-3: a cycle of three floods (a -> b -> c -> a) completes, in order', T, async () => {
    const proc = Proc.local({ config: noStall });
    const [client] = proc.instance('client');
    const names = ['a', 'b', 'c'];
    const dones = names.map(() => deferred());
    const peers = names.map((name, i) => spawnPeer(proc, name, { expect: 2_000, done: (dones[i] as Deferred<void>).resolve, slow: true }));
    peers.forEach(([handle], i) => handle.send(client, { type: 'flood', to: (peers[(i + 1) % 3] as [ActorHandle<PeerMsg>, Peer])[0], total: 2_000, chunk: 2 * HIGH }));
    await Promise.all(dones.map((d) => d.promise));
    peers.forEach(([, peer], i) => {
      assert.deepEqual(peer.orderErrors, []);
      assert.equal(peer.received.get(names[(i + 2) % 3] as string), 2_000);
    });
  });

  it('FC-3: an actor awaiting a reply from a muted actor gets it (the actor holding it keeps draining)', T, async () => {
    const proc = Proc.local({ config: noStall });
    const [client] = proc.instance('client');
    const [consumer] = spawnPeer(proc, 'consumer', { slow: true });
    const [producer] = spawnPeer(proc, 'producer');
    producer.send(client, { type: 'flood', to: consumer, total: 5_000, chunk: CHUNK });
    await until(() => proc.getInstance(producer.actorId)?.muted === true, 'the producer muted');
    const asker = proc.spawn('asker', new TestActor());
    const answered = deferred<string>();
    asker.send(client, {
      type: 'call',
      fn: async (cx) => answered.resolve(await new Promise<string>((answer) => producer.send(cx, { type: 'ask', answer }))),
    });
    assert.match(await answered.promise, /^producer sent \d+$/);
  });

  it('FC-5: a consumer awaiting a reply from the producer it mutes frees it after flowStallMs without progress', T, async () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock, config: { ...limits, flowStallMs: 1_000 } });
    const [client] = proc.instance('client');
    const done = deferred();
    let producer: ActorHandle<PeerMsg> | undefined;
    let asked = false;
    let answer: string | undefined;
    const [consumer] = spawnPeer(proc, 'consumer', {
      expect: 1_000,
      done: done.resolve,
      slow: true,
      onItem: async (cx, index) => {
        if (index !== 3 * HIGH) return;
        asked = true;
        answer = await new Promise<string>((resolve) => (producer as ActorHandle<PeerMsg>).send(cx, { type: 'ask', answer: resolve }));
      },
    });
    [producer] = spawnPeer(proc, 'producer');
    producer.send(client, { type: 'flood', to: consumer, total: 1_000, chunk: CHUNK });
    await until(() => asked && proc.getInstance((producer as ActorHandle<PeerMsg>).actorId)?.muted === true, 'the consumer asking its muted producer');
    let finished = false;
    void done.promise.then(() => (finished = true));
    for (let i = 0; i < 100 && !finished; i++) {
      clock.advance(1_000); // a window with progress re-arms, one without releases (FC-5)
      await until(() => finished || answer !== undefined || proc.getInstance((producer as ActorHandle<PeerMsg>).actorId)?.muted === true, 'a step');
      await macrotask();
    }
    await done.promise;
    assert.match(String(answer), /^producer sent \d+$/);
  });

  it('FC-7: a client awaiting cx.ready() between sends keeps the consumer within high + 1', T, async () => {
    const proc = Proc.local({ config: limits });
    const [client] = proc.instance('client');
    const done = deferred();
    const [consumer, sink] = spawnPeer(proc, 'consumer', { expect: 2_000, done: done.resolve, slow: true });
    let mutedSeen = false;
    for (let seq = 0; seq < 2_000; seq++) {
      consumer.send(client, { type: 'item', from: 'client', seq });
      if (client.cell.muted) mutedSeen = true;
      await client.ready();
    }
    await done.promise;
    assert.ok(mutedSeen, 'the client was muted at some send');
    assert.deepEqual(sink.orderErrors, []);
    assert.ok(sink.maxDepth <= HIGH + 1, `max queue depth ${sink.maxDepth} <= ${HIGH + 1}`);
  });
});
