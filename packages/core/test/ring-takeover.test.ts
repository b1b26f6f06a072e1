/**
 * RING-13 takeover after a consumer died mid-record (issue 13): the tail of the fragmented
 * record the dead consumer had partly read is expected, not corruption; it is skipped
 * (`skippedPartial`) and the records after it are read back, to be returned to their senders.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RingBuffer, RingConsumer, RingProducer } from '../src/transport.js';

describe('ring takeover after a consumer died mid-record', () => {
  it('skips the tail of the partly read record and reads back the records after it', { timeout: 10_000 }, () => {
    const ring = RingBuffer.create({ capacity: 4096 });
    const producer = new RingProducer(ring);
    const consumer = new RingConsumer(ring);
    const none = (): boolean => true;
    // A 10 000-byte record in fragments; the consumer reads the first ones, then dies.
    assert.equal(producer.write(new Uint8Array(10_000).fill(7)), true);
    producer.publish();
    consumer.poll(none);
    assert.equal(consumer.partialRecord()?.total, 10_000);
    producer.resume();
    producer.publish();
    consumer.poll(none);
    assert.equal(producer.resume(), true, 'the rest of the record fits now');
    assert.equal(producer.write(Uint8Array.of(1, 2, 3)), true);
    producer.publish();
    ring.markConsumerDied(1);

    const takeover = new RingConsumer(ring, { takeover: true });
    const records: number[][] = [];
    takeover.poll((bytes, start, end) => {
      records.push([...bytes.subarray(start, end)]);
      return true;
    });
    assert.equal(takeover.corruption, undefined);
    assert.ok(takeover.skippedPartial > 0);
    assert.deepEqual(records, [[1, 2, 3]]);
  });

});
