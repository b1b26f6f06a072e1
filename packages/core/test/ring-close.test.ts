/**
 * Close and failure: closing from either side, and a peer thread terminated mid-stream
 * (ring.ts RING-9, RING-10; channel contract CH-4, CH-5).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelError, type SendError } from '../src/channel/types.js';
import { RingBuffer, ringRx, ringTx } from '../src/channel/ring/index.js';
import { startRingWorker } from './fixtures/ring-harness.js';
import type { TestMessage } from './fixtures/ring-common.js';

function message(seq: number): TestMessage {
  return { dest: 'proc[0].actor[0]', port: 3, seq, payload: { x: 1, y: 'hello' } };
}

function isClosed(error: unknown): boolean {
  return error instanceof ChannelError && error.code === 'closed';
}

describe('ring close', () => {
  it('RING-9, CH-5: after the producer closes, every published message is received, then recv rejects with closed', { timeout: 10_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    const rx = ringRx<TestMessage>(ring);
    for (let i = 0; i < 100; i++) tx.post(message(i));
    tx.close('done');
    for (let i = 0; i < 100; i++) assert.equal((await rx.recv()).seq, i);
    await assert.rejects(rx.recv(), isClosed);
    await rx.join();
  });

  it('CH-4: a closed Tx reports closed and hands later messages back', { timeout: 10_000 }, () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    tx.close('done');
    assert.equal(tx.status(), 'closed');
    const returned: SendError<TestMessage>[] = [];
    const late = message(1);
    tx.post(late, (e) => returned.push(e));
    assert.equal(returned[0]?.code, 'closed');
    assert.equal(returned[0]?.value, late);
  });

  it('RING-9, CH-4: after the consumer closes, queued messages come back with closed, in order', { timeout: 10_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    const rx = ringRx<TestMessage>(ring);
    const returned: number[] = [];
    let seq = 0;
    while (tx.queueLength < 50) tx.post(message(seq++), (e) => returned.push(e.value.seq));
    const queuedFrom = seq - 50;
    const closed = new Promise<string>((resolve) => tx.onClose(resolve));
    rx.close('bye');
    assert.equal(await closed, 'receiver closed');
    assert.deepEqual(returned, Array.from({ length: 50 }, (_, i) => queuedFrom + i));
    assert.equal(tx.status(), 'closed');
    tx.post(message(seq), (e) => returned.push(e.value.seq));
    assert.equal(returned.length, 51, 'a post after the close comes straight back');
  });

  it('onClose fires when the consumer closes while the producer is idle', { timeout: 10_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    const rx = ringRx<TestMessage>(ring);
    const closed = new Promise<string>((resolve) => tx.onClose(resolve));
    rx.close();
    assert.equal(await closed, 'receiver closed');
  });

  it('CH-5: recv on a closed Rx rejects with closed and join resolves', { timeout: 10_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const rx = ringRx<TestMessage>(ring);
    const pending = rx.recv();
    rx.close();
    await assert.rejects(pending, isClosed);
    await assert.rejects(rx.recv(), isClosed);
    await rx.join();
  });

  it('a message listener that throws closes the Rx, tells the producer, and the error propagates', { timeout: 10_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const tx = ringTx<TestMessage>(ring);
    const rx = ringRx<TestMessage>(ring);
    tx.post(message(0));
    await tx.flush();
    assert.throws(
      () =>
        rx.onMessage(() => {
          throw new Error('boom');
        }),
      /boom/,
    );
    assert.equal(rx.isClosed, true);
    assert.equal(tx.status(), 'closed');
  });

  it('a second concurrent recv is refused with code protocol', { timeout: 10_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const rx = ringRx<TestMessage>(ring);
    const first = rx.recv();
    await assert.rejects(rx.recv(), (e: unknown) => e instanceof ChannelError && e.code === 'protocol');
    rx.close();
    await assert.rejects(first, isClosed);
  });
});

describe('ring peer death (RING-10)', () => {
  it(
    'a producer thread terminated mid-stream is reported by the host and the consumer ends with closed after a gap-free prefix',
    { timeout: 30_000 },
    async () => {
      const ring = RingBuffer.create({ capacity: 1 << 14 });
      const consumer = startRingWorker({ role: 'msg-consumer', ring: ring.buffer, seed: 21, blobs: true, count: -1, progressAt: 20_000 });
      const producer = startRingWorker({ role: 'msg-producer', ring: ring.buffer, seed: 21, blobs: true, count: -1, chunk: 1024 }, (code) =>
        ring.markProducerDied(code),
      );
      await consumer.progress;
      await producer.worker.terminate();
      const result = await consumer.report;
      assert.equal(result.error, undefined, 'every message before the death arrived in order');
      assert.ok(result.count >= 20_000);
      assert.match(result.reason ?? '', /sender thread exited with code 1/);
      await consumer.exit;
    },
  );

  it(
    'a consumer thread terminated mid-stream is reported by the host and the producer hands back its queue, in order, with closed',
    { timeout: 30_000 },
    async () => {
      const ring = RingBuffer.create({ capacity: 1 << 14 });
      const consumer = startRingWorker({ role: 'msg-consumer', ring: ring.buffer, seed: 4, blobs: false, count: -1, progressAt: 10_000 }, (code) =>
        ring.markConsumerDied(code),
      );
      const producer = startRingWorker({ role: 'msg-producer', ring: ring.buffer, seed: 4, blobs: false, count: -1, chunk: 4096 });
      await consumer.progress;
      await consumer.worker.terminate();
      const result = await producer.report;
      assert.match(result.reason ?? '', /receiver thread exited with code 1/);
      assert.ok((result.returned?.count ?? 0) > 0, 'the producer had messages queued');
      assert.equal(result.returned?.contiguous, true);
      assert.deepEqual(result.returned?.codes, ['closed']);
      await producer.exit;
    },
  );
});
