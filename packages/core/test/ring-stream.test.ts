/**
 * Streams between real worker threads, checked by a sequence verifier in the consumer: seeded
 * random record sizes from 1 byte to 4x the ring, millions of small records, msgpackr messages
 * through RingTx/RingRx, and both speed mismatches (RING-1, RING-4, RING-5, RING-7, RING-8).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer } from '../src/channel/ring/index.js';
import { startRingWorker } from './fixtures/ring-harness.js';

describe('ring streams between threads', () => {
  it(
    'RING-1, RING-8: 300000 records of seeded random sizes from 1 byte to 4x the ring arrive in order, byte for byte',
    { timeout: 60_000 },
    async () => {
      const ring = RingBuffer.create({ capacity: 4096 });
      const consumer = startRingWorker({ role: 'raw-consumer', ring: ring.buffer, seed: 1234, profile: 'mixed', count: 300_000 });
      const producer = startRingWorker({ role: 'raw-producer', ring: ring.buffer, seed: 1234, profile: 'mixed', count: 300_000 });
      const [consumed, produced] = await Promise.all([consumer.report, producer.report]);
      assert.equal(produced.error, undefined);
      assert.equal(consumed.error, undefined);
      assert.equal(consumed.count, 300_000);
      await Promise.all([consumer.exit, producer.exit]);
    },
  );

  it('RING-1: 2000000 small records (1-64 bytes) arrive in order, byte for byte', { timeout: 60_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 16 });
    const consumer = startRingWorker({ role: 'raw-consumer', ring: ring.buffer, seed: 77, profile: 'small', count: 2_000_000 });
    const producer = startRingWorker({ role: 'raw-producer', ring: ring.buffer, seed: 77, profile: 'small', count: 2_000_000 });
    const [consumed, produced] = await Promise.all([consumer.report, producer.report]);
    assert.equal(produced.error, undefined);
    assert.equal(consumed.error, undefined);
    assert.equal(consumed.count, 2_000_000);
    await Promise.all([consumer.exit, producer.exit]);
  });

  it(
    'RING-1, RING-7: 1000000 msgpackr messages, some with blobs up to 3x the ring, arrive in order through RingTx and RingRx',
    { timeout: 60_000 },
    async () => {
      const ring = RingBuffer.create({ capacity: 1 << 14 });
      const consumer = startRingWorker({ role: 'msg-consumer', ring: ring.buffer, seed: 5, blobs: true, count: 1_000_000 });
      const producer = startRingWorker({ role: 'msg-producer', ring: ring.buffer, seed: 5, blobs: true, count: 1_000_000, chunk: 8192 });
      const [consumed, produced] = await Promise.all([consumer.report, producer.report]);
      assert.equal(consumed.error, undefined);
      assert.equal(consumed.count, 1_000_000);
      assert.equal(produced.returned?.count, 0, 'nothing handed back');
      await Promise.all([consumer.exit, producer.exit]);
    },
  );

  it('RING-5: a producer faster than its consumer waits for space and loses nothing', { timeout: 60_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 4096 });
    const consumer = startRingWorker({ role: 'raw-consumer', ring: ring.buffer, seed: 3, profile: 'mixed', count: 50_000, slowEvery: 200 });
    const producer = startRingWorker({ role: 'raw-producer', ring: ring.buffer, seed: 3, profile: 'mixed', count: 50_000 });
    const [consumed, produced] = await Promise.all([consumer.report, producer.report]);
    assert.equal(consumed.error, undefined);
    assert.equal(consumed.count, 50_000);
    assert.ok((produced.waits ?? 0) > 0, 'the producer had to wait for space');
    await Promise.all([consumer.exit, producer.exit]);
  });

  it('RING-4: a consumer faster than its producer sleeps between bursts and loses nothing', { timeout: 60_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 16 });
    const consumer = startRingWorker({ role: 'msg-consumer', ring: ring.buffer, seed: 8, blobs: false, count: 20_000 });
    const producer = startRingWorker({ role: 'msg-producer', ring: ring.buffer, seed: 8, blobs: false, count: 20_000, chunk: 50, pauseMs: 1 });
    const [consumed] = await Promise.all([consumer.report, producer.report]);
    assert.equal(consumed.error, undefined);
    assert.equal(consumed.count, 20_000);
    assert.ok((consumed.sleeps ?? 0) > 0, 'the consumer slept while the producer yielded');
    await Promise.all([consumer.exit, producer.exit]);
  });
});
