/**
 * Flow control over sockets (mailbox/flow.ts FC-6; channel/net/tx.ts NT-12, rx.ts NR-9,
 * hold.ts; mailbox/senders/server.ts SR-3, dial.ts DM-4): a NetTx's queue is a gate that mutes
 * the actors over it; a session delivering into an actor over its bound stops being read; so a
 * producer over tcp to a slow consumer is muted, what is queued between them stays bounded, and
 * nothing is lost or reordered. A muted producer goes free when its link closes or fails, and
 * what was queued comes back to it as undeliverable.
 *
 * The consumers are slow by construction (an item handler awaits a macrotask, or never returns),
 * not by a timing threshold; bounds are counts of queued messages.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ActorId, Proc, SimulatedClock, type ActorRef, type Context, type DirectProcOptions, type Undeliverable } from '../src/index.js';
import { decodePayload } from '../src/transport.js';
import { dialNet, serveNet } from '../src/channel/net/index.js';
import { SessionHold } from '../src/channel/net/hold.js';
import { ChannelAddr } from '../src/addr.js';
import { deferred } from './fixtures/actors.js';
import { Peer, type PeerMsg, type PeerOptions } from './fixtures/flow-actors.js';

const T = { timeout: 30_000 };
const HIGH = 64;
const LOW = 16;
const CHUNK = 8;
/** FC-5 out of the way: no stall release within a test. */
const limits = { flowHighWatermark: HIGH, flowLowWatermark: LOW, flowStallMs: 3_600_000 };
/** Frequent acks, so an ack's lag alone never puts the NetTx queue over HIGH (both ends: NT-13 counts one ack batch). */
const ACK_EVERY = 4;
const fastAcks = { messageAckEveryNMessages: ACK_EVERY, messageAckTimeIntervalMs: 5 };
const quiet = pino({ level: 'silent' });
const procs: Proc[] = [];

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200_000 && !condition(); i++) await macrotask();
  assert.ok(condition(), `timed out waiting for ${what}`);
}

async function direct(name: string, options: DirectProcOptions = {}): Promise<Proc> {
  const proc = await Proc.direct('tcp:127.0.0.1:0', name, {
    logger: quiet,
    config: limits,
    ...options,
    serve: { logger: quiet, ...fastAcks, ...options.serve },
    dial: { logger: quiet, ...fastAcks, ...options.dial },
  });
  procs.push(proc);
  return proc;
}

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stopServing('test over')));
});

/** A producer that records what comes back to it (the seqs of its returned items, in order). */
class ReturningPeer extends Peer {
  readonly returned: number[] = [];
  handleUndeliverableMessage(_cx: Context<PeerMsg>, undeliverable: Undeliverable): void {
    const msg = decodePayload(undeliverable.envelope.data) as PeerMsg;
    if (msg.type === 'item') this.returned.push(msg.seq);
  }
}

/** A consumer whose first item handler never returns: everything later stays queued. */
function stuckConsumer(): PeerOptions {
  const never = deferred();
  return { onItem: () => never.promise };
}

/** Producer proc and consumer proc over tcp; the producer floods the consumer by ActorRef. */
async function floodOverTcp(
  total: number,
  consumerOptions: PeerOptions,
  producerOptions: DirectProcOptions = {},
): Promise<{ producerProc: Proc; consumerProc: Proc; producer: ReturningPeer; producerId: ActorId; consumer: Peer; consumerId: ActorId }> {
  const consumerProc = await direct('consumer');
  const producerProc = await direct('producer', producerOptions);
  const consumer = new Peer('consumer', consumerOptions);
  const consumerRef = consumerProc.spawn('consumer', consumer).bind() as ActorRef<PeerMsg>;
  const producer = new ReturningPeer('producer');
  const producerHandle = producerProc.spawn('producer', producer);
  producerHandle.bind(); // binds its Undeliverable port, where returns come
  const [client] = producerProc.instance('client');
  producerHandle.send(client, { type: 'flood', to: consumerRef, total, chunk: CHUNK });
  return { producerProc, consumerProc, producer, producerId: producerHandle.actorId, consumer, consumerId: consumerRef.actorId };
}

describe('flow control over tcp (NT-12, NR-9, SR-3, DM-4)', () => {
  it('FC-6/NR-9: a producer over tcp to a slow consumer is muted, the queue between them stays bounded, every item arrives in order', T, async () => {
    const total = 6_000;
    const done = deferred();
    const { producerProc, producer, producerId, consumer } = await floodOverTcp(total, { expect: total, done: done.resolve, slow: true });
    let mutedSeen = false;
    let maxInFlight = 0;
    let finished = false;
    void done.promise.then(() => (finished = true));
    while (!finished) {
      if (producerProc.getInstance(producerId)?.muted === true) mutedSeen = true;
      maxInFlight = Math.max(maxInFlight, producer.sentCount - consumer.receivedTotal);
      await macrotask();
    }
    assert.deepEqual(consumer.orderErrors, []);
    assert.equal(consumer.received.get('producer'), total);
    assert.equal(mutedSeen, true, 'the producer was muted');
    // The NetTx queue (unacked + unwritten) is at most HIGH + ACK_EVERY + CHUNK (NT-12, NT-13, FC-1);
    // what the consumer proc read before it stopped reading is at most that again, plus its own HIGH + CHUNK.
    const bound = 3 * (HIGH + CHUNK) + 2 * ACK_EVERY;
    assert.ok(maxInFlight <= bound, `at most ${bound} sent and not handled (saw ${maxInFlight} of ${total})`);
    assert.deepEqual(producer.returned, []);
  });

  it('FC-8: with flow control off the same flood queues far past that bound (the bound above is flow control)', T, async () => {
    const total = 6_000;
    const done = deferred();
    const off = { config: { ...limits, flowControl: false } };
    const consumerProc = await direct('consumer', off);
    const producerProc = await direct('producer', off);
    const consumer = new Peer('consumer', { expect: total, done: done.resolve, slow: true });
    const consumerRef = consumerProc.spawn('consumer', consumer).bind() as ActorRef<PeerMsg>;
    const producer = new Peer('producer');
    const [client] = producerProc.instance('client');
    producerProc.spawn('producer', producer).send(client, { type: 'flood', to: consumerRef, total, chunk: CHUNK });
    let maxInFlight = 0;
    let finished = false;
    void done.promise.then(() => (finished = true));
    while (!finished) {
      maxInFlight = Math.max(maxInFlight, producer.sentCount - consumer.receivedTotal);
      await macrotask();
    }
    assert.deepEqual(consumer.orderErrors, []);
    assert.ok(maxInFlight > 3 * (HIGH + CHUNK), `more than ${3 * (HIGH + CHUNK)} in flight (saw ${maxInFlight})`);
  });

  it('NT-12/NR-9: a producer muted over tcp by a stuck consumer goes free when the link closes; what was queued comes back in order', T, async () => {
    const total = 2_000;
    const { producerProc, consumerProc, producer, producerId, consumer, consumerId } = await floodOverTcp(total, stuckConsumer());
    // the consumer proc stopped reading (its actor over HIGH, NR-9) and the producer is muted (NT-12)
    await until(() => (consumerProc.getInstance(consumerId)?.queueDepth ?? 0) > HIGH, 'the consumer over high');
    await until(() => producerProc.getInstance(producerId)?.muted === true, 'the producer muted');
    const sentWhenMuted = producer.sentCount;
    assert.ok(sentWhenMuted < total, `muted after ${sentWhenMuted} of ${total}`);
    // the link closes: the consumer proc stops serving (the server's Closed ends the producer's Tx, NT-5)
    await consumerProc.stopServing('consumer gone');
    await until(() => producer.sentCount === total && producer.returned.length > 0 && producer.returned.at(-1) === total - 1, 'every later item sent and returned');
    await until(() => producerProc.getInstance(producerId)?.muted === false, 'the producer free');
    const first = producer.returned[0] as number;
    assert.deepEqual(producer.returned, Array.from({ length: total - first }, (_, i) => first + i), 'returns contiguous, in order');
    // everything before the first return reached the consumer proc: one handled (stuck), the rest queued there
    assert.equal(consumer.receivedTotal, 1);
    assert.equal(consumerProc.getInstance(consumerId)?.queueDepth, first - 1);
  });

  it('NT-12/NT-4: a producer muted over tcp goes free when its link fails (delivery timeout, simulated clock); what was queued comes back', T, async () => {
    const clock = new SimulatedClock();
    const total = 2_000;
    const { producerProc, consumerProc, producer, producerId, consumerId } = await floodOverTcp(total, stuckConsumer(), { clock, dial: { messageDeliveryTimeoutMs: 10_000 } });
    await until(() => (consumerProc.getInstance(consumerId)?.queueDepth ?? 0) > HIGH, 'the consumer over high');
    await until(() => producerProc.getInstance(producerId)?.muted === true, 'the producer muted');
    clock.advance(10_001);
    await until(() => producerProc.getInstance(producerId)?.muted === false, 'the producer free');
    await until(() => producer.sentCount === total && producer.returned.at(-1) === total - 1, 'every later item sent and returned');
    const first = producer.returned[0] as number;
    assert.deepEqual(producer.returned, Array.from({ length: total - first }, (_, i) => first + i), 'returns contiguous, in order');
  });
});

describe('flow control over tcp with watermarks under the ack batch (NT-13)', () => {
  it('NT-13: high 4 and low 1 under an ack every 8 messages: a muted producer still gets all its items through with no interval ack (simulated clock, never advanced)', T, async () => {
    const clock = new SimulatedClock();
    const acks = { messageAckEveryNMessages: 8, messageAckTimeIntervalMs: 60_000 };
    const options: DirectProcOptions = { clock, config: { flowHighWatermark: 4, flowLowWatermark: 1, flowStallMs: 3_600_000 }, serve: acks, dial: acks };
    const consumerProc = await direct('consumer', options);
    const producerProc = await direct('producer', options);
    const total = 400;
    const done = deferred();
    let finished = false;
    void done.promise.then(() => (finished = true));
    const consumer = new Peer('consumer', { expect: total, done: done.resolve });
    const consumerRef = consumerProc.spawn('consumer', consumer).bind() as ActorRef<PeerMsg>;
    const producer = new ReturningPeer('producer');
    const producerHandle = producerProc.spawn('producer', producer);
    producerHandle.bind();
    const [client] = producerProc.instance('client');
    producerHandle.send(client, { type: 'flood', to: consumerRef, total, chunk: 2 });
    let mutedSeen = false;
    // without NT-13 the NetTx mutes at 5 queued and the receiver acks at 8: muted until the interval, which never comes
    for (let i = 0; i < 200_000 && !finished; i++) {
      if (producerProc.getInstance(producerHandle.actorId)?.muted === true) mutedSeen = true;
      await macrotask();
    }
    assert.equal(finished, true, `all ${total} items handled (got ${consumer.receivedTotal})`);
    assert.deepEqual(consumer.orderErrors, []);
    assert.equal(mutedSeen, true, 'the producer was muted');
    assert.equal(clock.monotonic(), 0, 'no simulated time passed: no interval ack');
    assert.deepEqual(producer.returned, []);
  });
});

describe('NetTx watermarks (NT-12) and SessionHold (NR-9) on a real socket', () => {
  it('NT-12: over() while more than high (+ one ack batch, NT-13) are unacked and unread, under() once acks bring it to low; the order is kept', T, async () => {
    const events: string[] = [];
    const [addr, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { logger: quiet, rxBufferSize: 8, ...fastAcks });
    const tx = dialNet<number>(addr, { logger: quiet, ...fastAcks, watermarks: { high: 32, low: 8, over: () => events.push('over'), under: () => events.push('under') } });
    try {
      for (let i = 0; i < 100; i++) tx.post(i);
      assert.equal(events.filter((e) => e === 'over').length, 100 - 32 - ACK_EVERY, 'over() on each post past high + ackEveryN');
      assert.ok(!events.includes('under'));
      const got: number[] = [];
      for (let i = 0; i < 100; i++) got.push(await rx.recv());
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
      await until(() => events.includes('under'), 'under()');
      assert.equal(events.at(-1), 'under');
      assert.ok(tx.pending <= 8 + ACK_EVERY, `at most low + ackEveryN pending at under() (${tx.pending})`);
    } finally {
      tx.close();
      rx.close();
    }
  });

  it('NT-12: a Tx that closes over high calls under() (its senders go free) and returns what it queued', T, async () => {
    const events: string[] = [];
    const tx = dialNet<number>(ChannelAddr.parse('tcp:127.0.0.1:1'), { logger: quiet, ...fastAcks, watermarks: { high: 4, low: 1, over: () => events.push('over'), under: () => events.push('under') } });
    const returned: number[] = [];
    for (let i = 0; i < 10; i++) tx.post(i, (e) => returned.push(e.value));
    tx.close('test');
    assert.equal(events.at(-1), 'under');
    assert.deepEqual(returned, Array.from({ length: 10 }, (_, i) => i));
  });

  it('NR-9: a held session pauses its socket, a release resumes it, a reconnect while held starts paused', T, async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const accepted: net.Socket[] = [];
    server.on('connection', (s) => {
      s.on('data', () => {});
      accepted.push(s);
    });
    const clients = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    try {
      await until(() => accepted.length === 2, 'two connections');
      const [first, second] = accepted as [net.Socket, net.Socket];
      let elsewhere = false;
      const hold = new SessionHold(() => elsewhere);
      hold.attach(first);
      assert.equal(first.isPaused(), false);
      hold.flowHold();
      hold.flowHold(); // a second gate
      assert.equal(first.isPaused(), true);
      hold.flowRelease();
      assert.equal(first.isPaused(), true, 'still held by the second gate');
      hold.attach(second); // a reconnect while held
      assert.equal(second.isPaused(), true);
      elsewhere = true; // NR-5 paused it too
      hold.flowRelease();
      assert.equal(hold.held, false);
      assert.equal(second.isPaused(), true, 'NR-5 still pauses it');
      hold.flowHold();
      elsewhere = false;
      hold.flowRelease();
      assert.equal(second.isPaused(), false);
    } finally {
      for (const c of clients) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const s of accepted) s.destroy();
    }
  });
});
