/**
 * Flow control over NATS (mailbox/flow.ts FC-6; channel/nats/tx.ts NX-10, rx.ts NS-9,
 * inbound.ts NFC-1..6; mailbox/senders/server.ts SR-3, dial.ts DM-4), against a real
 * `nats-server`: a NatsTx's pending messages are a gate that mutes the actors over it; a session
 * delivering into an actor over its bound is neither taken from nor acked; so a producer over
 * NATS to a slow consumer is muted, what is queued between them stays bounded, and nothing is
 * lost or reordered. A muted producer goes free when its link closes or fails, and what was
 * queued comes back to it as undeliverable.
 *
 * The consumers are slow by construction (an item handler awaits a macrotask, or never returns),
 * not by a timing threshold; bounds are counts of queued messages.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ActorId, Proc, SimulatedClock, type ActorRef, type Context, type DirectProcOptions, type Undeliverable } from '../src/index.js';
import { decodePayload } from '../src/transport.js';
import { ChannelAddr } from '../src/addr.js';
import { serve } from '../src/channel/serve.js';
import type { NatsRx } from '../src/channel/nats/rx.js';
import { NatsTx } from '../src/channel/nats/tx.js';
import { deferred } from './fixtures/actors.js';
import { Peer, type PeerMsg, type PeerOptions } from './fixtures/flow-actors.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';
import { waitFor } from './fixtures/net-helpers.js';

const T = { timeout: 60_000, skip: natsServerMissing };
const HIGH = 64;
const LOW = 16;
const CHUNK = 8;
/** FC-5 out of the way: no stall release within a test. */
const limits = { flowHighWatermark: HIGH, flowLowWatermark: LOW, flowStallMs: 3_600_000 };
/** Frequent acks, so an ack's lag alone never puts the NatsTx's pending over HIGH. */
const fastAcks = { messageAckEveryNMessages: 4, messageAckTimeIntervalMs: 5 };
const quiet = pino({ level: 'silent' });

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type Num = { readonly n: number };

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

describe('flow control over nats (NX-10, NS-9, SR-3, DM-4)', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let n = 0;
  const procs: Proc[] = [];

  before(async () => {
    server = await NatsServer.start();
  });
  after(async () => {
    await server.dispose();
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stopServing('test over')));
  });

  async function direct(name: string, options: DirectProcOptions = {}): Promise<Proc> {
    const proc = await Proc.direct(`nats://${server.hostPort}/f${n}`, name, {
      logger: quiet,
      config: limits,
      onCrash: () => {},
      ...options,
      serve: { logger: quiet, ...fastAcks, ...options.serve },
      dial: { logger: quiet, ...options.dial },
    });
    procs.push(proc);
    return proc;
  }

  /** Producer proc and consumer proc on NATS; the producer floods the consumer by ActorRef. */
  async function flood(
    total: number,
    consumerOptions: PeerOptions,
    producerOptions: DirectProcOptions = {},
    consumerProcOptions: DirectProcOptions = {},
  ): Promise<{ producerProc: Proc; consumerProc: Proc; producer: ReturningPeer; producerId: ActorId; consumer: Peer; consumerId: ActorId }> {
    n++;
    const consumerProc = await direct('consumer', consumerProcOptions);
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

  it('FC-6/NS-9: a producer over nats to a slow consumer is muted, the queue between them stays bounded, every item arrives in order', T, async () => {
    const total = 6_000;
    const done = deferred();
    const { producerProc, producer, producerId, consumer } = await flood(total, { expect: total, done: done.resolve, slow: true });
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
    // The NatsTx's pending (unacked) is at most HIGH + CHUNK (NX-10, FC-1); what the consumer
    // proc took in before its session was held is at most that again, plus its own HIGH + CHUNK.
    const bound = 3 * (HIGH + CHUNK);
    assert.ok(maxInFlight <= bound, `at most ${bound} sent and not handled (saw ${maxInFlight} of ${total})`);
    assert.deepEqual(producer.returned, []);
  });

  it('FC-8: with flow control off the same flood queues far past that bound (the bound above is flow control)', T, async () => {
    const total = 6_000;
    const done = deferred();
    const off = { config: { ...limits, flowControl: false } };
    const { producer, consumer } = await flood(total, { expect: total, done: done.resolve, slow: true }, off, off);
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

  it('NX-10/NS-9: a producer muted over nats by a stuck consumer goes free when the link closes; what was queued comes back in order', T, async () => {
    const total = 2_000;
    const { producerProc, consumerProc, producer, producerId, consumer, consumerId } = await flood(total, stuckConsumer());
    await waitFor(() => (consumerProc.getInstance(consumerId)?.queueDepth ?? 0) >= HIGH, 'the consumer over high', 30_000);
    await waitFor(() => producerProc.getInstance(producerId)?.muted === true, 'the producer muted', 30_000);
    const sentWhenMuted = producer.sentCount;
    assert.ok(sentWhenMuted < total, `muted after ${sentWhenMuted} of ${total}`);
    // the link closes: the consumer proc stops serving (its CLOSED ends the producer's Tx, NX-6)
    await consumerProc.stopServing('consumer gone');
    await waitFor(() => producer.sentCount === total && producer.returned.at(-1) === total - 1, 'every later item sent and returned', 30_000);
    await waitFor(() => producerProc.getInstance(producerId)?.muted === false, 'the producer free', 30_000);
    const first = producer.returned[0] as number;
    assert.deepEqual(producer.returned, Array.from({ length: total - first }, (_, i) => first + i), 'returns contiguous, in order');
    // everything before the first return reached the consumer: one handled (stuck), the rest queued there
    assert.equal(consumer.receivedTotal, 1);
    assert.equal(consumerProc.getInstance(consumerId)?.queueDepth, first - 1);
  });

  it('NX-10/NX-5: a producer muted over nats goes free when its link fails (delivery timeout, simulated clock); what was queued comes back', T, async () => {
    const clock = new SimulatedClock();
    const total = 2_000;
    const { producerProc, consumerProc, producer, producerId, consumerId } = await flood(total, stuckConsumer(), { clock, dial: { messageDeliveryTimeoutMs: 10_000 } });
    await waitFor(() => (consumerProc.getInstance(consumerId)?.queueDepth ?? 0) >= HIGH, 'the consumer over high', 30_000);
    await waitFor(() => producerProc.getInstance(producerId)?.muted === true, 'the producer muted', 30_000);
    clock.advance(10_001);
    await waitFor(() => producerProc.getInstance(producerId)?.muted === false, 'the producer free', 30_000);
    await waitFor(() => producer.sentCount === total && producer.returned.at(-1) === total - 1, 'every later item sent and returned', 30_000);
    const first = producer.returned[0] as number;
    assert.deepEqual(producer.returned, Array.from({ length: total - first }, (_, i) => first + i), 'returns contiguous, in order');
  });

  it('NX-10: over() while more than high are pending, under() once acks bring it to low; the order is kept', T, async () => {
    const events: string[] = [];
    const [addr, rx] = await serve<Num>(`nats://${server.hostPort}/w.marks`, { logger: quiet, ...fastAcks });
    const tx = new NatsTx<Num>(addr, { logger: quiet, watermarks: { high: 32, low: 8, over: () => events.push('over'), under: () => events.push('under') } });
    try {
      for (let i = 0; i < 100; i++) tx.post({ n: i });
      assert.equal(events.filter((e) => e === 'over').length, 100 - 32, 'over() on each post past high');
      assert.ok(!events.includes('under'));
      const got: number[] = [];
      for (let i = 0; i < 100; i++) got.push((await rx.recv()).n);
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
      await waitFor(() => events.includes('under'), 'under()', 30_000);
      assert.equal(events.at(-1), 'under');
    } finally {
      tx.close();
      rx.close();
    }
  });

  it('NX-10: a Tx that closes over high calls under() (its senders go free) and returns what it queued', T, async () => {
    const events: string[] = [];
    const tx = new NatsTx<Num>(ChannelAddr.parse(`nats://${server.hostPort}/w.nobody`), { logger: quiet, watermarks: { high: 4, low: 1, over: () => events.push('over'), under: () => events.push('under') } });
    const returned: number[] = [];
    for (let i = 0; i < 10; i++) tx.post({ n: i }, (e) => returned.push(e.value.n));
    tx.close('test');
    assert.equal(events.at(-1), 'under');
    assert.deepEqual(returned, Array.from({ length: 10 }, (_, i) => i));
  });

  it('NS-9/NFC-2: a held session is neither taken from nor acked while another session goes on; released, it is acked and taken in order', T, async () => {
    const [addr, served] = await serve<Num>(`nats://${server.hostPort}/w.hold`, { logger: quiet, ...fastAcks });
    const rx = served as NatsRx<Num>;
    const a = new NatsTx<Num>(addr, { logger: quiet });
    const b = new NatsTx<Num>(addr, { logger: quiet });
    try {
      a.post({ n: 0 });
      assert.deepEqual(await rx.recv(), { n: 0 });
      const hold = rx.lastSender;
      assert.ok(hold !== undefined);
      hold.flowHold(); // as a gate would, during the delivery of a's message 0
      await a.flush(); // message 0 was acked before the hold
      for (let i = 1; i <= 50; i++) a.post({ n: i });
      b.post({ n: 1000 });
      assert.deepEqual(await rx.recv(), { n: 1000 }, 'b is taken past held a');
      await b.flush();
      await waitFor(() => rx.buffered === 50, "a's 50 arrive and wait", 30_000);
      assert.equal(rx.heldSessions, 1);
      assert.equal(a.pending, 50, "a's messages stay unacked while held");
      assert.equal(rx.poll(), undefined, 'nothing of a is taken while held');
      hold.flowRelease();
      const got: number[] = [];
      for (let i = 1; i <= 50; i++) got.push((await rx.recv()).n);
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i + 1));
      await a.flush();
      assert.equal(a.pending, 0, 'acked once released');
    } finally {
      a.close();
      b.close();
      rx.close();
    }
  });

  it('NFC-3/NS-8: a held session takes at most half the buffer, the rest is dropped and resent after the release; the other session is not starved', T, async () => {
    const rxBufferSize = 16;
    const [addr, served] = await serve<Num>(`nats://${server.hostPort}/w.room`, { logger: quiet, rxBufferSize, ...fastAcks });
    const rx = served as NatsRx<Num>;
    const a = new NatsTx<Num>(addr, { logger: quiet });
    const b = new NatsTx<Num>(addr, { logger: quiet });
    try {
      a.post({ n: 0 });
      assert.deepEqual(await rx.recv(), { n: 0 });
      const hold = rx.lastSender;
      assert.ok(hold !== undefined);
      hold.flowHold();
      for (let i = 1; i <= 40; i++) a.post({ n: i });
      await waitFor(() => rx.buffered === rxBufferSize >> 1 && rx.starvedSessions === 1, 'a fills its half and starves', 30_000);
      for (let i = 0; i < 4; i++) b.post({ n: 1000 + i });
      const fromB: number[] = [];
      for (let i = 0; i < 4; i++) fromB.push((await rx.recv()).n);
      assert.deepEqual(fromB, [1000, 1001, 1002, 1003], 'b is taken while a is held');
      hold.flowRelease();
      const got: number[] = [];
      for (let i = 1; i <= 40; i++) got.push((await rx.recv()).n);
      assert.deepEqual(got, Array.from({ length: 40 }, (_, i) => i + 1), 'every item of a once, in order');
      await a.flush();
      assert.equal(a.pending, 0);
      assert.ok(a.resentCount > 0, 'what was dropped was resent');
    } finally {
      a.close();
      b.close();
      rx.close();
    }
  });
});
