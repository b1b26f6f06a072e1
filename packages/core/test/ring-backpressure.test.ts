/**
 * Backpressure: the RingTx overflow queue when the ring is full, its bound, resumption, and
 * order across it (ring.ts RING-5, RING-6, RING-7; tx.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer, ringRx, ringTx, type RingRx } from '../src/channel/ring/index.js';
import type { SendError } from '../src/channel/types.js';
import { startRingWorker } from './fixtures/ring-harness.js';
import type { TestMessage } from './fixtures/ring-common.js';

function message(seq: number): TestMessage {
  return { dest: 'proc[0].actor[0]', port: 3, seq, payload: { x: 1, y: 'hello' } };
}

/** Collect `count` messages from `rx` through its listener, then close it unless told not to. */
function collect(rx: RingRx<TestMessage>, count: number, close = true): Promise<number[]> {
  const seqs: number[] = [];
  return new Promise((resolve) => {
    rx.onMessage((m) => {
      seqs.push(m.seq);
      if (seqs.length === count) {
        if (close) rx.close('test done');
        resolve(seqs);
      }
    });
  });
}

describe('ring backpressure', () => {
  it('RING-7: posts to a full ring queue in order and arrive in order once the consumer reads', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    const rx = ringRx<TestMessage>(ring);
    const returned: SendError<TestMessage>[] = [];
    for (let i = 0; i < 5000; i++) tx.post(message(i), (e) => returned.push(e));
    assert.ok(tx.queueLength > 0, 'the ring filled and messages queued');
    const seqs = await collect(rx, 5000);
    assert.deepEqual(seqs, Array.from({ length: 5000 }, (_, i) => i));
    assert.equal(returned.length, 0);
    await tx.flush();
    assert.equal(tx.queueLength, 0);
  });

  it('RING-6: past maxQueued, post hands the very message back with code full', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring, undefined, { maxQueued: 10 });
    const returned: SendError<TestMessage>[] = [];
    let seq = 0;
    while (tx.queueLength < 10) tx.post(message(seq++), (e) => returned.push(e));
    const rejected = message(seq);
    tx.post(rejected, (e) => returned.push(e));
    assert.equal(returned.length, 1);
    assert.equal(returned[0]?.code, 'full');
    assert.equal(returned[0]?.value, rejected);
    assert.equal(tx.status(), 'active', 'full is not closed');
    const rx = ringRx<TestMessage>(ring);
    const seqs = await collect(rx, seq, false);
    assert.deepEqual(seqs, Array.from({ length: seq }, (_, i) => i));
    tx.post(rejected, (e) => returned.push(e));
    assert.equal(returned.length, 1, 'accepted again once the queue drained');
    rx.close();
  });

  it('RING-5: send resolves only once its message is in the ring, after the consumer frees space', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    let seq = 0;
    while (tx.queueLength === 0) tx.post(message(seq++));
    let sent = false;
    const pending = tx.send(message(seq++)).then(() => (sent = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(sent, false, 'still queued while nobody reads');
    const rx = ringRx<TestMessage>(ring);
    const all = collect(rx, seq);
    await pending;
    assert.equal((await all).length, seq);
  });

  it('flush resolves once every queued message is in the ring', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    for (let i = 0; i < 3000; i++) tx.post(message(i));
    assert.ok(tx.queueLength > 0);
    const rx = ringRx<TestMessage>(ring);
    const all = collect(rx, 3000);
    await tx.flush();
    assert.equal(tx.queueLength, 0);
    assert.equal((await all).length, 3000);
  });

  it(
    'RING-6: a worker whose script ended with messages still queued stays alive until they are all in the ring',
    { timeout: 30_000 },
    async () => {
      const ring = RingBuffer.create({ capacity: 1 << 14 });
      const producer = startRingWorker({ role: 'post-and-return', ring: ring.buffer, seed: 2, count: 20_000 });
      const queued = await producer.progress;
      assert.ok(queued > 0, 'messages were queued when the script ended');
      const consumer = startRingWorker({ role: 'msg-consumer', ring: ring.buffer, seed: 2, blobs: false, count: 20_000 });
      const [produced, consumed] = await Promise.all([producer.report, consumer.report]);
      assert.equal(produced.error, undefined);
      assert.equal(consumed.error, undefined);
      assert.equal(consumed.count, 20_000);
      await Promise.all([producer.exit, consumer.exit]);
    },
  );
});
