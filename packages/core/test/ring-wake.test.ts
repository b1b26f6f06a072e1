/**
 * Wake-ups: the sleep protocol C1-C3 / P1-P3 and the space protocol Q1-Q3 / R1-R3 of ring.ts,
 * step by step on one thread (every interleaving of a publish with the consumer's steps), and
 * raced for real between threads (RING-4, RING-5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer, RingConsumer, RingProducer } from '../src/channel/ring/index.js';
import { CONSUMER_SLEEPING_INDEX } from '../src/channel/ring/ring.js';
import { startRingWorker } from './fixtures/ring-harness.js';

function pair(capacity = 256): { ring: RingBuffer; producer: RingProducer; consumer: RingConsumer } {
  const ring = RingBuffer.create({ capacity });
  return { ring, producer: new RingProducer(ring), consumer: new RingConsumer(ring) };
}

/** Settles `promise` against one macrotask turn: true if it resolved by then. */
async function settledWithinATurn(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

const record = new Uint8Array([1, 2, 3]);

describe('consumer sleep protocol (RING-4)', () => {
  it('a publish before C1 makes prepareSleep refuse to sleep', () => {
    const { producer, consumer } = pair();
    producer.tryWrite(record);
    assert.equal(consumer.prepareSleep(), false);
    assert.equal(Atomics.load(consumer.ring.i32, CONSUMER_SLEEPING_INDEX), 0, 'the flag is lowered again');
  });

  it('a publish between C2 and C3 clears the flag, so the wait returns at once', () => {
    const { producer, consumer } = pair();
    assert.equal(consumer.prepareSleep(), true);
    producer.tryWrite(record); // P1-P3 while the consumer is between its re-check and its wait
    assert.equal(Atomics.load(consumer.ring.i32, CONSUMER_SLEEPING_INDEX), 0);
    assert.equal(consumer.sleep(), undefined, 'waitAsync sees the flag already down: not-equal');
    consumer.awake();
    assert.equal(consumer.poll(() => {}), 1);
  });

  it('a publish after C3 wakes the sleeping consumer', { timeout: 10_000 }, async () => {
    const { producer, consumer } = pair();
    assert.equal(consumer.prepareSleep(), true);
    const woken = consumer.sleep();
    assert.ok(woken !== undefined);
    assert.equal(await settledWithinATurn(woken), false, 'nothing published: still asleep');
    producer.tryWrite(record);
    await woken;
    consumer.awake();
    assert.equal(consumer.poll(() => {}), 1);
  });

  it('a producer that finds the consumer awake does not touch the sleep flag (no notify on the busy path)', () => {
    const { ring, producer } = pair();
    for (let i = 0; i < 10; i++) producer.tryWrite(record);
    assert.equal(Atomics.load(ring.i32, CONSUMER_SLEEPING_INDEX), 0);
  });

  it('a close from another side wakes the sleeping consumer (RING-9)', { timeout: 10_000 }, async () => {
    const { ring, consumer } = pair();
    assert.equal(consumer.prepareSleep(), true);
    const woken = consumer.sleep();
    assert.ok(woken !== undefined);
    RingBuffer.attach(ring.buffer).markProducerDied(9);
    await woken;
    assert.equal(ring.producerExitCode(), 9);
  });

  it('a close between C2 and C3 is not lost either', () => {
    const { ring, consumer } = pair();
    assert.equal(consumer.prepareSleep(), true);
    ring.markProducerDied(1);
    assert.equal(consumer.sleep(), undefined);
  });
});

describe('producer space protocol (RING-5)', () => {
  function fill(producer: RingProducer): number {
    let n = 0;
    while (producer.write(new Uint8Array(24))) n++;
    return n;
  }

  it('waitForSpace resolves once the consumer frees the low watermark, not before', { timeout: 10_000 }, async () => {
    const { producer, consumer } = pair(256);
    const written = fill(producer); // 32-byte records: 8 of them
    assert.equal(written, 8);
    const space = producer.waitForSpace(); // publishes, then Q1-Q3 (watermark: 64 bytes)
    assert.equal(consumer.poll(() => {}, 1), 1); // frees 32 bytes: below the watermark
    assert.equal(await settledWithinATurn(space), false, 'still waiting with 32 bytes free');
    assert.equal(consumer.poll(() => {}, 1), 1); // 64 bytes free: R2-R3 wake it
    assert.equal(await space, true);
  });

  it('waitForSpace resolves false when the consumer closes while the producer waits', { timeout: 10_000 }, async () => {
    const { producer, consumer } = pair(256);
    fill(producer);
    const space = producer.waitForSpace();
    consumer.close();
    assert.equal(await space, false);
  });

  it('space freed between Q1 and Q3 is not missed (waitForSpace returns without sleeping)', { timeout: 10_000 }, async () => {
    const { producer, consumer } = pair(256);
    fill(producer);
    producer.publish();
    consumer.poll(() => {});
    assert.equal(await producer.waitForSpace(), true);
  });
});

describe('wake-ups raced between threads', () => {
  it(
    'RING-4: 20000 ping-pong round trips where both consumers sleep on every message never hang',
    { timeout: 60_000 },
    async () => {
      const out = RingBuffer.create({ capacity: 1024 });
      const back = RingBuffer.create({ capacity: 1024 });
      const echo = startRingWorker({ role: 'echo', in: out.buffer, out: back.buffer, maxSpinMicros: 0 });
      const pinger = startRingWorker({ role: 'pinger', out: out.buffer, back: back.buffer, count: 20_000, maxSpinMicros: 0 });
      const result = await pinger.report;
      assert.equal(result.error, undefined);
      assert.equal(result.count, 20_000);
      assert.ok((result.sleeps ?? 0) > 0, 'the pinger slept at least once');
      const echoed = await echo.report;
      assert.equal(echoed.count, 20_000);
      await Promise.all([echo.exit, pinger.exit]);
    },
  );

  it(
    'RING-4, RING-5: a raw consumer that sleeps whenever the ring is empty receives 300000 records from a producer that yields',
    { timeout: 60_000 },
    async () => {
      const ring = RingBuffer.create({ capacity: 4096 });
      const consumer = startRingWorker({ role: 'raw-consumer', ring: ring.buffer, seed: 11, profile: 'small', count: 300_000 });
      const producer = startRingWorker({ role: 'raw-producer', ring: ring.buffer, seed: 11, profile: 'small', count: 300_000, yieldEvery: 97 });
      const [consumed, produced] = await Promise.all([consumer.report, producer.report]);
      assert.equal(produced.error, undefined);
      assert.equal(consumed.error, undefined);
      assert.equal(consumed.count, 300_000);
      assert.ok((consumed.sleeps ?? 0) > 0, 'the consumer slept');
      await Promise.all([consumer.exit, producer.exit]);
    },
  );
});
