/**
 * The ring's byte layer on one thread: layout, wrap-around at every offset, fragments, the
 * hot-path API's return values (ring.ts invariants RING-1, RING-2, RING-3, RING-8, RING-11).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer, RingConsumer, RingError, RingProducer } from '../src/channel/ring/index.js';
import {
  CACHE_LINE_BYTES,
  CONSUMER_SLEEPING_OFFSET,
  DATA_OFFSET,
  PRODUCER_WAITING_OFFSET,
  READ_OFFSET,
  STATE_OFFSET,
  WRITE_INDEX,
  WRITE_OFFSET,
} from '../src/channel/ring/ring.js';
import { checkRecord, fillRecord, prng, sizeStream } from './fixtures/ring-common.js';

function pair(capacity: number): { ring: RingBuffer; producer: RingProducer; consumer: RingConsumer } {
  const ring = RingBuffer.create({ capacity });
  return { ring, producer: new RingProducer(ring), consumer: new RingConsumer(ring) };
}

describe('ring layout', () => {
  it('puts every mutable header word on its own 64-byte cache line', () => {
    const offsets = [WRITE_OFFSET, READ_OFFSET, CONSUMER_SLEEPING_OFFSET, PRODUCER_WAITING_OFFSET, STATE_OFFSET];
    const lines = new Set(offsets.map((offset) => Math.floor(offset / CACHE_LINE_BYTES)));
    assert.equal(lines.size, offsets.length);
    assert.ok(Math.abs(WRITE_OFFSET - READ_OFFSET) >= CACHE_LINE_BYTES);
    assert.equal(DATA_OFFSET % CACHE_LINE_BYTES, 0);
    assert.ok(DATA_OFFSET > STATE_OFFSET);
  });

  it('rejects a capacity that is not a power of two in range', () => {
    for (const capacity of [0, 32, 100, 3000, 2 ** 31]) {
      assert.throws(() => RingBuffer.create({ capacity }), (e: unknown) => e instanceof RingError && e.code === 'invalid-ring-option');
    }
  });

  it('rejects attaching to a buffer it did not create', () => {
    assert.throws(
      () => RingBuffer.attach(new SharedArrayBuffer(4096)),
      (e: unknown) => e instanceof RingError && e.code === 'invalid-ring-buffer',
    );
  });

  it('shows the ring id as a local address on both threads (attach reads it from the header)', () => {
    const ring = RingBuffer.create({ id: 42, capacity: 64 });
    assert.equal(String(ring.addr), 'local:42');
    assert.equal(String(RingBuffer.attach(ring.buffer).addr), 'local:42');
  });

  it('RING-2: refuses a second producer or a second consumer on one ring', () => {
    const { ring } = pair(64);
    const other = RingBuffer.attach(ring.buffer);
    assert.throws(() => new RingProducer(other), (e: unknown) => e instanceof RingError && e.code === 'ring-already-attached');
    assert.throws(() => new RingConsumer(other), (e: unknown) => e instanceof RingError && e.code === 'ring-already-attached');
  });
});

describe('ring records (RING-1, RING-8)', () => {
  /** Write one record and read it back, resuming fragments as the consumer frees space. */
  function roundTrip(producer: RingProducer, consumer: RingConsumer, record: Uint8Array, seq: number): string | undefined {
    assert.equal(producer.write(record, seq & 0xff), true, `record ${seq} of ${record.length} bytes not accepted by an empty ring`);
    producer.publish();
    let complaint: string | undefined;
    let seen = 0;
    for (let round = 0; seen === 0; round++) {
      if (round > 100_000) return `record ${seq} of ${record.length} bytes never completed`;
      consumer.poll((bytes, start, end, tag) => {
        seen++;
        complaint = checkRecord(bytes, start, end, seq, record.length) ?? (tag === (seq & 0xff) ? undefined : `tag ${tag}`);
      });
      producer.resume();
      producer.publish();
    }
    return seen === 1 ? complaint : `record ${seq} delivered ${seen} times`;
  }

  /** Move both cursors to data index `offset` with empty 8-byte records. */
  function advanceTo(ring: RingBuffer, producer: RingProducer, consumer: RingConsumer, offset: number): void {
    const at = (Atomics.load(ring.i32, WRITE_INDEX) & (ring.capacity - 1)) >>> 0;
    const fillers = ((offset - at + ring.capacity) & (ring.capacity - 1)) / 8;
    for (let i = 0; i < fillers; i++) assert.equal(producer.write(new Uint8Array(0)), true);
    producer.publish();
    while (consumer.poll(() => {}) > 0);
    assert.equal(ring.usedBytes(), 0);
    assert.equal(Atomics.load(ring.i32, WRITE_INDEX) & (ring.capacity - 1), offset);
  }

  for (const capacity of [64, 256]) {
    it(`RING-1: a record of every size from 1 byte to 3x the ring arrives intact from every start offset (capacity ${capacity})`, () => {
      const { ring, producer, consumer } = pair(capacity);
      let seq = 0;
      for (let offset = 0; offset < capacity; offset += 8) {
        for (let size = 1; size <= capacity * 3; size++) {
          advanceTo(ring, producer, consumer, offset);
          const record = new Uint8Array(size);
          fillRecord(record, seq, size);
          const complaint = roundTrip(producer, consumer, record, seq);
          assert.equal(complaint, undefined);
          seq++;
        }
      }
    });
  }

  it('RING-1: a seeded random mix of sizes in random batches comes out in order, byte for byte', () => {
    const { producer, consumer } = pair(4096);
    const count = 200_000;
    const writeSizes = sizeStream(7, 'mixed', 4096);
    const readSizes = sizeStream(7, 'mixed', 4096);
    const random = prng(99);
    let written = 0;
    let read = 0;
    let complaint: string | undefined;
    const visit = (bytes: Uint8Array, start: number, end: number): boolean => {
      complaint ??= checkRecord(bytes, start, end, read, readSizes());
      read++;
      return true;
    };
    let pending: Uint8Array | undefined;
    while (read < count && complaint === undefined) {
      const burst = 1 + Math.floor(random() * 64);
      for (let i = 0; i < burst && written < count; i++) {
        if (pending === undefined) {
          const size = writeSizes();
          pending = new Uint8Array(size);
          fillRecord(pending, written, size);
        }
        if (!producer.write(pending)) break;
        pending = undefined;
        written++;
      }
      producer.publish();
      consumer.poll(visit, 1 + Math.floor(random() * 64));
    }
    assert.equal(complaint, undefined);
    assert.equal(read, count);
  });

  it('RING-8: a record larger than the ring is accepted, fragmented, and blocks later records until complete', () => {
    const { producer, consumer } = pair(256);
    const big = new Uint8Array(1000);
    fillRecord(big, 0, big.length);
    const small = new Uint8Array(5);
    fillRecord(small, 1, small.length);
    assert.equal(producer.tryWrite(big), true);
    assert.equal(producer.busy, true);
    assert.equal(producer.tryWrite(small), false, 'a later record waits for the fragmented one');
    const seen: string[] = [];
    let complaint: string | undefined;
    let accepted = false;
    for (let round = 0; round < 1000 && seen.length < 2; round++) {
      consumer.poll((bytes, start, end) => {
        const seq = seen.length;
        complaint ??= checkRecord(bytes, start, end, seq, seq === 0 ? big.length : small.length);
        seen.push(`${end - start}`);
      });
      if (!accepted) accepted = producer.tryWrite(small);
      else producer.publish();
    }
    assert.equal(complaint, undefined);
    assert.deepEqual(seen, ['1000', '5']);
  });
});

describe('ring hot-path API (RING-11)', () => {
  it('write reports false on a full ring instead of throwing, and true again once read', () => {
    const { producer, consumer } = pair(64);
    const record = new Uint8Array(8);
    let accepted = 0;
    while (producer.write(record)) accepted++;
    assert.equal(accepted, 4, 'four 16-byte records fill a 64-byte ring');
    producer.publish();
    assert.equal(consumer.poll(() => {}, 1), 1);
    assert.equal(producer.write(record), true);
  });

  it('tryPush returns how many records fit and publishes them once', () => {
    const { producer, consumer } = pair(64);
    const records = Array.from({ length: 10 }, () => new Uint8Array(8));
    assert.equal(producer.tryPush(records), 4);
    assert.equal(consumer.poll(() => {}), 4);
    assert.equal(producer.tryPush(records, 4), 4);
  });

  it('reserve and commit write a record in place; commit without a reservation or past its end is refused', () => {
    const { producer, consumer } = pair(256);
    assert.equal(producer.commit(4), false);
    const at = producer.reserve(16);
    assert.ok(at >= 0);
    assert.ok(producer.reservedEnd - at >= 16);
    producer.bytes.set([1, 2, 3], at);
    assert.equal(producer.commit(producer.reservedEnd - at + 1), false);
    assert.equal(producer.commit(3, 9), true);
    producer.publish();
    const got = consumer.tryRead();
    assert.deepEqual(got && [...got.bytes], [1, 2, 3]);
    assert.equal(got?.tag, 9);
  });

  it('reserve returns -1 for a request no empty ring could satisfy', () => {
    const { producer } = pair(256);
    assert.equal(producer.reserve(producer.maxReserveBytes + 1), -1);
    assert.ok(producer.reserve(producer.maxReserveBytes) >= 0);
  });

  it('RING-3: nothing written is visible to the consumer before publish', () => {
    const { producer, consumer } = pair(256);
    assert.equal(producer.write(new Uint8Array(4)), true);
    assert.equal(consumer.available(), false);
    assert.equal(consumer.poll(() => {}), 0);
    producer.publish();
    assert.equal(consumer.poll(() => {}), 1);
  });

  it('a malformed record stops the consumer with a corruption report instead of an exception', () => {
    const { ring, producer, consumer } = pair(256);
    assert.equal(producer.tryWrite(new Uint8Array(4)), true);
    ring.i32[(DATA_OFFSET >> 2) + 1] = 77; // unknown kind
    assert.equal(consumer.poll(() => {}), 0);
    assert.match(consumer.corruption ?? '', /unknown kind 77/);
  });
});
