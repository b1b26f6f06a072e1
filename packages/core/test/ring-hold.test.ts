/**
 * Held records (ring.ts RING-15, rx.ts RL-3a..RL-3e, hold.ts RL-3g, channel/receipt.ts RC-1): a holding
 * consumer keeps every record it read in the ring until it was handled, a takeover returns the
 * unhandled ones and skips the handled ones, and a stalled link gives its protection up rather
 * than deadlock. Byte-level tests drive `RingConsumer` directly; the stall escape runs a
 * `RingRx` on a `SimulatedClock`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer, RingConsumer, RingProducer, RingRx, RingTx, type RecordCodec, type RecordVisitor } from '../src/channel/ring/index.js';
import { receipt, ReceiptQueue, type ReceiptSink } from '../src/channel/receipt.js';
import { SimulatedClock } from '../src/clock.js';

const T = { timeout: 10_000 };

/** A record of `size` bytes whose first byte is `seq` (mod 256). */
function record(seq: number, size = 16): Uint8Array {
  const bytes = new Uint8Array(size).fill(seq & 0xff);
  return bytes;
}

interface Seen {
  readonly first: number;
  readonly start: number;
  readonly end: number;
  readonly done: boolean;
}

/** Poll everything published, noting each record's first byte and where it lies in the ring. */
function pollAll(consumer: RingConsumer): Seen[] {
  const seen: Seen[] = [];
  const visit: RecordVisitor = (bytes, start, _end, _tag, done) => {
    seen.push({ first: bytes[start] as number, start: consumer.recordStart, end: consumer.recordEnd, done });
  };
  while (consumer.poll(visit) > 0);
  return seen;
}

function writeAll(producer: RingProducer, records: Uint8Array[]): void {
  for (const r of records) assert.equal(producer.write(r), true, 'the record fits');
  producer.publish();
}

/** A stateless codec of u32 values that can decode its own records (a takeover decoder). */
class U32Codec implements RecordCodec<number> {
  readonly minEncodeBytes = 8;
  encodeInto(message: number, target: Uint8Array, start: number): number {
    new DataView(target.buffer, target.byteOffset).setUint32(start, message, true);
    return start + 4;
  }
  decode(bytes: Uint8Array, start: number): number {
    return new DataView(bytes.buffer, bytes.byteOffset).getUint32(start, true);
  }
  takeoverDecoder(): U32Codec {
    return new U32Codec();
  }
}

function condition(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const poll = (): void => {
      if (check()) resolve();
      else setImmediate(poll);
    };
    poll();
  });
}

describe('held records (RING-15, RL-3)', () => {
  it('RL-3a: a holding consumer stores no READ when it reads', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    writeAll(producer, [record(1), record(2), record(3)]);
    const used = ring.usedBytes();
    assert.equal(pollAll(consumer).length, 3);
    assert.equal(ring.usedBytes(), used, 'READ did not move');
    assert.equal(consumer.heldBytes(), used);
  });

  it('RL-3a: release moves READ only over the DONE records at the front', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    writeAll(producer, [record(1), record(2), record(3)]);
    const [a, b, c] = pollAll(consumer) as [Seen, Seen, Seen];
    assert.equal(consumer.markDone(b.start, b.end), false, 'not the oldest held record');
    assert.equal(consumer.releaseDone(), 0, 'the oldest is not done: nothing released');
    assert.equal(consumer.markDone(a.start, a.end), true);
    assert.equal(consumer.releaseDone(), b.end - a.start, 'the first two go together');
    assert.equal(ring.usedBytes(), c.end - c.start, 'only the third is still held');
    consumer.markDone(c.start, c.end);
    consumer.releaseDone();
    assert.equal(ring.usedBytes(), 0);
  });

  it('RL-3a: release walks over wrap markers', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    writeAll(producer, [record(1, 200), record(2, 200), record(3, 200), record(4, 200)]);
    const front = pollAll(consumer);
    for (const s of front.slice(0, 3)) consumer.markDone(s.start, s.end);
    consumer.releaseDone();
    // 208 bytes of room before the end: the next 248-byte record wraps (a marker, then index 0)
    writeAll(producer, [record(5, 240)]);
    const [four, five] = [front[3] as Seen, ...pollAll(consumer)] as [Seen, Seen];
    assert.equal(five.first, 5);
    consumer.markDone(five.start, five.end);
    assert.equal(consumer.releaseDone(), 0, 'record 4 is still held');
    consumer.markDone(four.start, four.end);
    consumer.releaseDone();
    assert.equal(ring.usedBytes(), 0, 'past the wrap marker');
  });

  it('RL-3a: the record after a wrap marker at the front is the front: markDone says its release is due (the missed release walk behind RL-3e warnings with unprotected 0)', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    writeAll(producer, [record(1, 200), record(2, 200), record(3, 200), record(4, 200)]);
    for (const s of pollAll(consumer)) consumer.markDone(s.start, s.end);
    assert.equal(consumer.releaseDone(), 832, 'caught up, released to where the next record wraps');
    writeAll(producer, [record(5, 240)]); // 192 bytes before the end: a marker, then index 0
    const [five] = pollAll(consumer) as [Seen];
    assert.equal(five.start, 1024, 'the record is past the marker');
    assert.equal(consumer.markDone(five.start, five.end), true, 'the oldest held record: release is due');
    assert.equal(consumer.releaseDone(), 1024 + 248 - 832);
    assert.equal(ring.usedBytes(), 0);
  });

  it('RL-3a: a fragmented record is held until handled, every fragment', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    assert.equal(producer.write(record(7, 400)), true); // over maxInlineBytes (256): fragments
    assert.equal(producer.resume(), true);
    producer.publish();
    const [big] = pollAll(consumer) as [Seen];
    assert.equal(big.first, 7);
    assert.ok(ring.usedBytes() > 400, 'every fragment still held');
    consumer.markDone(big.start, big.end);
    consumer.releaseDone();
    assert.equal(ring.usedBytes(), 0);
  });

  it('RL-3f: a record larger than half the ring is not held, so it can complete', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    const payload = new Uint8Array(3000).map((_, i) => i & 0xff);
    assert.equal(producer.write(payload), true);
    let got: Uint8Array | undefined;
    for (let round = 0; got === undefined && round < 100; round++) {
      producer.resume();
      producer.publish();
      consumer.poll((bytes, start, end) => void (got = bytes.slice(start, end)));
    }
    assert.deepEqual(got, payload);
    assert.equal(consumer.unheldRecords, 1);
    assert.equal(ring.usedBytes(), 0, 'its fragments went as they were read');
  });

  it('RL-3b: a takeover returns what was read but not handled, and skips what was handled', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    writeAll(producer, [record(1), record(2), record(3), record(4)]);
    const [a, , c] = pollAll(consumer) as [Seen, Seen, Seen, Seen];
    consumer.markDone(a.start, a.end);
    consumer.markDone(c.start, c.end); // handled, but behind an unhandled one
    consumer.releaseDone();
    writeAll(producer, [record(5)]); // published, never read
    ring.markConsumerDied(9);
    const takeover = new RingConsumer(ring, { takeover: true });
    const seen = pollAll(takeover);
    assert.deepEqual(
      seen.map((s) => [s.first, s.done]),
      [
        [2, false],
        [3, true],
        [4, false],
        [5, false],
      ],
    );
  });

  it('RL-3b: RingTx.takeBack returns the unhandled records only and counts the handled ones', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new U32Codec());
    const consumer = new RingConsumer(ring, { hold: true });
    for (let i = 0; i < 10; i++) tx.post(i);
    tx.publish();
    const seen: { start: number; end: number; value: number }[] = [];
    const decoder = new U32Codec();
    while (consumer.poll((bytes, start) => void seen.push({ start: consumer.recordStart, end: consumer.recordEnd, value: decoder.decode(bytes, start) })) > 0);
    for (const s of seen) if (s.value % 3 === 0) consumer.markDone(s.start, s.end);
    consumer.releaseDone();
    ring.markConsumerDied(1);
    tx.close();
    const back: number[] = [];
    const taken = tx.takeBack((v) => back.push(v));
    assert.deepEqual(back, [1, 2, 4, 5, 7, 8]);
    assert.equal(taken?.returned, 6);
    assert.equal(taken?.handled, 3, '3, 6 and 9 were handled but not released (0 was)');
    assert.equal(taken?.lost, 0);
  });

  it('RING-15: forceRelease frees only what a waiting producer needs and counts the unhandled', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    const records = Array.from({ length: 8 }, (_, i) => record(i, 120)); // 128 bytes each
    writeAll(producer, records);
    const seen = pollAll(consumer);
    consumer.markDone((seen[1] as Seen).start, (seen[1] as Seen).end);
    assert.equal(ring.usedBytes(), 1024);
    const unprotected = consumer.forceRelease(256);
    assert.equal(unprotected, 1, 'record 0 lost its protection; record 1 was handled');
    assert.equal(ring.usedBytes(), 1024 - 256);
    assert.equal(consumer.heldBytes(), 1024 - 256);
  });

  it('RING-15: markDone ignores a record that was force-released (the producer may own its bytes)', T, () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring, { hold: true });
    writeAll(producer, Array.from({ length: 8 }, (_, i) => record(i, 120)));
    const [zero] = pollAll(consumer) as [Seen];
    consumer.forceRelease(128);
    writeAll(producer, [record(42, 120)]); // reuses record 0's bytes
    assert.equal(consumer.markDone(zero.start, zero.end), false);
    ring.markConsumerDied(1);
    const takeover = new RingConsumer(ring, { takeover: true });
    const seen = pollAll(takeover);
    assert.equal(seen.at(-1)?.first, 42);
    assert.equal(seen.at(-1)?.done, false, 'the new record carries no stale DONE bit');
  });
});

describe('RingRx holding (RL-3c..RL-3e)', () => {
  /** A RingRx with `hold` whose listener keeps every receipt in `queue` (as an actor would). */
  function holdingRx(ring: RingBuffer, clock: SimulatedClock, queue: ReceiptQueue, got: number[]): RingRx<number> {
    const rx = new RingRx(ring, new U32Codec(), { hold: true, clock, stallMs: 1000, maxSpinMicros: 0 });
    rx.onMessage((value) => {
      got.push(value);
      queue.take(got.length);
    });
    return rx;
  }

  /** Records of the size their message names (a u32 of it, then padding): a ring with wrap markers. */
  class SizedCodec implements RecordCodec<number> {
    readonly minEncodeBytes = 8;
    encodeInto(size: number, target: Uint8Array, start: number, end: number): number | Uint8Array {
      if (end - start < size) {
        const bytes = new Uint8Array(size);
        new DataView(bytes.buffer).setUint32(0, size, true);
        return bytes;
      }
      new DataView(target.buffer, target.byteOffset).setUint32(start, size, true);
      target.fill(0, start + 4, start + size);
      return start + size;
    }
    decode(bytes: Uint8Array, start: number): number {
      return new DataView(bytes.buffer, bytes.byteOffset).getUint32(start, true);
    }
  }

  it('RL-3c: records handled after a wrap that found the Rx caught up are released at once, not by the RL-3e escape (SimulatedClock: no time passes)', T, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new SizedCodec());
    const clock = new SimulatedClock(0);
    const queue = new ReceiptQueue();
    const got: number[] = [];
    const rx = new RingRx(ring, new SizedCodec(), { hold: true, clock, stallMs: 1000, maxSpinMicros: 0 });
    rx.onMessage((value) => {
      got.push(value);
      queue.take(got.length);
    });
    for (let i = 0; i < 4; i++) tx.post(200);
    await condition(() => got.length === 4);
    queue.settleAll();
    await condition(() => ring.usedBytes() === 0);
    tx.post(240); // 192 bytes before the end: a wrap marker, then the record at index 0
    await condition(() => got.length === 5);
    queue.settleAll();
    await condition(() => ring.usedBytes() === 0 || clock.pending > 0);
    await Promise.resolve();
    await Promise.resolve();
    assert.equal(ring.usedBytes(), 0, 'released by the walk the settle scheduled');
    assert.equal(rx.stats.forcedReleases, 0);
    rx.close();
  });

  it('RL-3d: a receipt nobody takes is settled when the delivery returns', T, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new U32Codec());
    const rx = new RingRx(ring, new U32Codec(), { hold: true, maxSpinMicros: 0 });
    const got: number[] = [];
    rx.onMessage((v) => got.push(v));
    for (let i = 0; i < 5; i++) tx.post(i);
    await tx.flush();
    await condition(() => got.length === 5 && ring.usedBytes() === 0);
    assert.equal(receipt.sink, undefined, 'RC-2: the slot is empty after the delivery');
    rx.close();
  });

  it('RL-3c: settling a batch of receipts releases them together, in a microtask', T, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new U32Codec());
    const queue = new ReceiptQueue();
    const got: number[] = [];
    const rx = holdingRx(ring, new SimulatedClock(0), queue, got);
    for (let i = 0; i < 5; i++) tx.post(i);
    await tx.flush();
    await condition(() => got.length === 5);
    const held = ring.usedBytes();
    assert.ok(held > 0, 'read but held');
    queue.settleUpTo(3);
    assert.equal(ring.usedBytes(), held, 'not released synchronously');
    await Promise.resolve();
    await Promise.resolve();
    assert.ok(ring.usedBytes() < held && ring.usedBytes() > 0, 'the three settled records went at once');
    queue.settleAll();
    await condition(() => ring.usedBytes() === 0);
    rx.close();
  });

  it('RL-3e: a full link whose held records are not handled is force-released after stallMs, with the count', T, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new U32Codec());
    const clock = new SimulatedClock(0);
    const queue = new ReceiptQueue();
    const got: number[] = [];
    const rx = holdingRx(ring, clock, queue, got);
    for (let i = 0; i < 200; i++) tx.post(i); // 16 bytes a record: 64 fit
    await condition(() => got.length === 64 && clock.pending > 0);
    assert.ok(tx.queueLength > 0, 'the producer waits for space');
    clock.advance(999);
    assert.equal(rx.stats.forcedReleases, 0, 'not before stallMs');
    clock.advance(1);
    assert.equal(rx.stats.forcedReleases, 1);
    assert.ok(rx.stats.unprotected > 0);
    await condition(() => got.length > 64);
    // keep escaping while nothing is handled; every message still arrives, in order
    while (got.length < 200) {
      await condition(() => got.length === 200 || clock.pending > 0);
      clock.advance(1000);
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
    queue.settleAll(); // RING-15: settling force-released records is harmless
    rx.close();
  });

  it('RL-3e: no force release while records are handled, or while the producer does not wait', T, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new U32Codec());
    const clock = new SimulatedClock(0);
    const queue = new ReceiptQueue();
    const got: number[] = [];
    const rx = holdingRx(ring, clock, queue, got);
    for (let i = 0; i < 10; i++) tx.post(i); // fits: the producer never waits
    await condition(() => got.length === 10 && clock.pending > 0);
    const held = ring.usedBytes();
    clock.advance(5000);
    assert.equal(rx.stats.forcedReleases, 0);
    assert.equal(ring.usedBytes(), held, 'still held: a thread death would return them');
    rx.close();
  });

  it('RL-3g: a paused Rx keeps its held records however long the producer waits; after resume the stall escape works again', T, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = new RingTx(ring, new U32Codec());
    const clock = new SimulatedClock(0);
    const queue = new ReceiptQueue();
    const got: number[] = [];
    let pauseAt = -1;
    let keep = true;
    const rx = new RingRx(ring, new U32Codec(), { hold: true, clock, stallMs: 1000, maxSpinMicros: 0 });
    rx.onMessage((value) => {
      got.push(value);
      if (keep) queue.take(got.length);
      if (got.length === pauseAt) rx.pause(); // as flow control's InboundLink does (FC-6)
    });
    for (let i = 0; i < 5; i++) tx.post(i);
    await condition(() => got.length === 5 && clock.pending > 0); // the stall watch is armed
    pauseAt = 6;
    for (let i = 5; i < 200; i++) tx.post(i); // 16 bytes a record: 64 fit
    await condition(() => got.length === 6 && tx.queueLength > 0 && ring.usedBytes() > 1000);
    const used = ring.usedBytes();
    clock.advance(5000);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(rx.stats.forcedReleases, 0, 'no force release while paused');
    assert.equal(ring.usedBytes(), used, 'the six held records are still in the ring');
    assert.equal(got.length, 6, 'nothing delivered while paused');
    rx.resume();
    await condition(() => got.length === 64 && clock.pending > 0);
    clock.advance(999);
    assert.equal(rx.stats.forcedReleases, 0, 'the stall counts from the resume, not from before the pause');
    clock.advance(1);
    assert.equal(rx.stats.forcedReleases, 1, 'RL-3e: nothing handled, the producer waits: escape');
    keep = false; // the rest is handled at once
    queue.settleAll();
    await condition(() => got.length === 200);
    assert.deepEqual(got, Array.from({ length: 200 }, (_, i) => i));
    rx.close();
  });
});

describe('ReceiptQueue (RC-1)', () => {
  it('RC-1: settles in ticket order, each receipt once, across growth', T, () => {
    const settled: number[] = [];
    const sink: ReceiptSink = { settle: (start) => settled.push(start) };
    const queue = new ReceiptQueue();
    for (let i = 1; i <= 200; i++) {
      receipt.sink = sink;
      receipt.start = i;
      receipt.end = i + 1;
      queue.take(i);
      assert.equal(receipt.sink, undefined, 'RC-2: taking empties the slot');
    }
    queue.settleUpTo(150);
    assert.equal(queue.next, 151);
    queue.settleUpTo(150);
    queue.settleAll();
    assert.deepEqual(settled, Array.from({ length: 200 }, (_, i) => i + 1));
    assert.equal(queue.next, Number.POSITIVE_INFINITY);
  });
});
