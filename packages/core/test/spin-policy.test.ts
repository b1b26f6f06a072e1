/**
 * The inbound ring's spin policy (channel/ring/spin-policy.ts, SPIN-1..SPIN-5): the budget as a
 * function of the idle gaps, a hop chain between two simulated threads on a `SimulatedClock`
 * (the bimodal slow state of issue 16 and its fix), and the parked wait of `RingConsumer.park`
 * with the burst publishes that leave it be (ring.ts RING-16).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SimulatedClock } from '../src/clock.js';
import { RingBuffer, RingConsumer, RingProducer } from '../src/channel/ring/index.js';
import { CONSUMER_ASLEEP, CONSUMER_PARKED, CONSUMER_SLEEPING_INDEX } from '../src/channel/ring/ring.js';
import { LONG_GAPS_TO_STOP, MIN_SPIN_MICROS, SpinPolicy } from '../src/channel/ring/spin-policy.js';
import { startRingWorker } from './fixtures/ring-harness.js';

const T = { timeout: 30_000 };

describe('spin budget (SPIN-1..SPIN-4)', () => {
  it('SPIN-1: a gap within the band raises the budget to twice the gap', () => {
    const policy = new SpinPolicy(2000);
    for (let i = 0; i < LONG_GAPS_TO_STOP; i++) policy.observeGap(1_000_000);
    assert.equal(policy.budget, 0);
    policy.observeGap(450); // a peer's wake-up: longer than the old 200 µs cap
    assert.equal(policy.budget, 900);
  });

  it('SPIN-1: a gap near the top of the band raises the budget to the band', () => {
    const policy = new SpinPolicy(2000);
    for (let i = 0; i < LONG_GAPS_TO_STOP; i++) policy.observeGap(1_000_000);
    policy.observeGap(1500);
    assert.equal(policy.budget, 2000);
  });

  it('SPIN-2: no sequence of gaps takes the budget past the band or below 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5000 }), fc.array(fc.double({ min: -1e6, max: 1e7, noNaN: true }), { maxLength: 200 }), (max, gaps) => {
        const policy = new SpinPolicy(max);
        for (const gap of gaps) {
          policy.observeGap(gap);
          if (policy.budget < 0 || policy.budget > max) return false;
        }
        return true;
      }),
    );
  });

  it('SPIN-3: fewer consecutive long gaps than the limit keep the budget', () => {
    const policy = new SpinPolicy(2000);
    policy.observeGap(300);
    for (let i = 0; i < LONG_GAPS_TO_STOP - 1; i++) policy.observeGap(50_000);
    assert.equal(policy.budget, 2000);
  });

  it('SPIN-3: the limit of consecutive long gaps stops the spin', () => {
    const policy = new SpinPolicy(2000);
    for (let i = 0; i < LONG_GAPS_TO_STOP; i++) policy.observeGap(50_000);
    assert.equal(policy.budget, 0);
  });

  it('SPIN-3: a gap within the band resets the count of long gaps', () => {
    const policy = new SpinPolicy(2000);
    for (let i = 0; i < LONG_GAPS_TO_STOP - 1; i++) policy.observeGap(50_000);
    policy.observeGap(10);
    for (let i = 0; i < LONG_GAPS_TO_STOP - 1; i++) policy.observeGap(50_000);
    assert.ok(policy.budget >= MIN_SPIN_MICROS);
  });

  it('SPIN-3: a negative gap (a stale notify time) changes nothing', () => {
    const policy = new SpinPolicy(2000);
    for (let i = 0; i < 10; i++) policy.observeGap(-5);
    assert.equal(policy.budget, 2000);
  });

  it('SPIN-4: a band of 0 never spins', () => {
    const policy = new SpinPolicy(0);
    policy.observeGap(1);
    assert.equal(policy.budget, 0);
  });
});

/**
 * A chain of hops between two threads, each with a `SpinPolicy`, as a discrete-event model on a
 * `SimulatedClock` (µs as ms / 1000): a thread that receives while it spins takes the record at
 * once; one that slept wakes `wakeMicros` later and feeds the policy the gap the waker saw
 * (publish time minus the time its ring went empty, as rx.ts does). Each side handles for
 * `handleMicros`, publishes to the other, then spins for its budget and sleeps. Returns how many
 * of the last `hops / 2` hops found their receiver asleep.
 */
function sleepsAtSteadyState(maxMicros: number, wakeMicros: number, hops: number): number {
  const clock = new SimulatedClock(0);
  const handleMicros = 2;
  const us = (): number => clock.monotonic() * 1000;
  const sides = [0, 1].map(() => ({ policy: new SpinPolicy(maxMicros), idleSince: 0, spinUntil: -1 }));
  // both start asleep with a cold budget, the state the earlier policy could not leave
  for (const side of sides) for (let i = 0; i < LONG_GAPS_TO_STOP; i++) side.policy.observeGap(1e9);
  let hop = 0;
  let lateSleeps = 0;
  const publish = (to: number): void => {
    const side = sides[to]!;
    const at = us();
    const asleep = at > side.spinUntil;
    if (asleep && hop >= hops / 2) lateSleeps++;
    if (asleep) side.policy.observeGap(at - side.idleSince);
    clock.setTimeout(() => receive(to), ((asleep ? wakeMicros : 0) + handleMicros) / 1000);
  };
  const receive = (at: number): void => {
    if (++hop >= hops) return;
    const side = sides[at]!;
    side.idleSince = us();
    side.spinUntil = side.idleSince + side.policy.budget;
    publish(1 - at);
  };
  publish(1);
  clock.runAll(hops * 2);
  assert.equal(hop, hops, 'the model ran every hop');
  return lateSleeps;
}

describe('a hop chain between two threads (SPIN-1, issue 16)', () => {
  it('with a 200 µs band, peers whose wake-up takes 300 µs sleep on every hop', () => {
    assert.equal(sleepsAtSteadyState(200, 300, 1000), 500);
  });

  it('with the default 2 ms band, the same peers stop sleeping', () => {
    assert.equal(sleepsAtSteadyState(2000, 300, 1000), 0);
  });

  it('peers whose wake-up takes longer than the band keep sleeping (SPIN-2 bounds the spin)', () => {
    assert.equal(sleepsAtSteadyState(2000, 5000, 1000), 500);
  });
});

describe('parked wait (SPIN-5)', () => {
  function pair(): { ring: RingBuffer; producer: RingProducer; consumer: RingConsumer } {
    const ring = RingBuffer.create({ capacity: 256 });
    return { ring, producer: new RingProducer(ring), consumer: new RingConsumer(ring) };
  }

  it('a record published before the park returns at once, with the flag down', () => {
    const { producer, consumer } = pair();
    producer.tryWrite(new Uint8Array([1]));
    assert.equal(consumer.park(60_000_000), true);
    assert.equal(Atomics.load(consumer.ring.i32, CONSUMER_SLEEPING_INDEX), 0);
  });

  it('a park that times out reports no record and lowers the flag', () => {
    const { consumer } = pair();
    assert.equal(consumer.park(1), false);
    assert.equal(Atomics.load(consumer.ring.i32, CONSUMER_SLEEPING_INDEX), 0);
  });

  it('a publish from another thread wakes a parked consumer', T, async () => {
    const ring = RingBuffer.create({ capacity: 256 });
    const consumer = new RingConsumer(ring); // the worker attaches the producer (RING-2)
    const worker = startRingWorker({ role: 'publish-when-parked', ring: ring.buffer });
    await new Promise((resolve) => worker.worker.once('online', resolve));
    // the worker publishes only once it sees this thread's flag up (C1): only P3's notify ends the
    // wait before its 20 s timeout
    assert.equal(consumer.park(20_000_000), true);
    assert.deepEqual(consumer.tryRead()?.bytes, new Uint8Array([7]));
    assert.equal((await worker.report).count, 1);
    await worker.exit;
  });
});

describe('burst publishes and parked consumers (RING-16)', () => {
  function pair(): { ring: RingBuffer; producer: RingProducer; consumer: RingConsumer } {
    const ring = RingBuffer.create({ capacity: 256 });
    return { ring, producer: new RingProducer(ring), consumer: new RingConsumer(ring) };
  }
  const flag = (ring: RingBuffer): number => Atomics.load(ring.i32, CONSUMER_SLEEPING_INDEX);

  it('a burst publish leaves a parked consumer\'s flag up', () => {
    const { ring, producer, consumer } = pair();
    assert.equal(consumer.prepareSleep(CONSUMER_PARKED), true);
    producer.write(new Uint8Array([1]));
    producer.publish(false);
    assert.equal(flag(ring), CONSUMER_PARKED);
  });

  it('a burst publish still wakes a consumer asleep on waitAsync', () => {
    const { ring, producer, consumer } = pair();
    assert.equal(consumer.prepareSleep(), true);
    assert.equal(flag(ring), CONSUMER_ASLEEP);
    producer.write(new Uint8Array([1]));
    producer.publish(false);
    assert.equal(flag(ring), 0);
  });

  it('any other publish wakes a parked consumer', () => {
    const { ring, producer, consumer } = pair();
    assert.equal(consumer.prepareSleep(CONSUMER_PARKED), true);
    producer.write(new Uint8Array([1]));
    producer.publish();
    assert.equal(flag(ring), 0);
  });

  it('a park sees the records of a burst publish it was not woken for', T, async () => {
    const ring = RingBuffer.create({ capacity: 256 });
    const consumer = new RingConsumer(ring);
    const worker = startRingWorker({ role: 'burst-when-parked', ring: ring.buffer });
    await new Promise((resolve) => worker.worker.once('online', resolve));
    // the worker publishes record 1 without a wake once this thread parked, then record 2 with one
    assert.equal(consumer.park(20_000_000), true);
    const seen: number[] = [];
    while (consumer.poll((bytes, start) => void seen.push(bytes[start] as number)) > 0);
    assert.deepEqual(seen, [1, 2]);
    const report = await worker.report;
    assert.equal(report.flag, CONSUMER_PARKED, 'the burst publish did not lower the flag');
    await worker.exit;
  });
});
