/**
 * The packed record header of a `nats:` session (channel/nats/record-head.ts): a stream of record
 * headers, ordinary and extreme, comes back byte for byte and is never longer packed (RH-1), with
 * the deltas following the records in order (RH-2); real envelope records of the record codec
 * decode to the same envelope after packing (NRC-4); a packed header cut short is a `protocol`
 * error, not a wrong record (RH-3).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import { ChannelError } from '../src/channel/types.js';
import { HeadPacker, HeadUnpacker } from '../src/channel/nats/record-head.js';
import { ProcId } from '../src/id.js';
import { MessageEnvelope, SeqInfo } from '../src/mailbox/envelope.js';
import { prng } from '../src/testing.js';
import { EnvelopeRecordCodec } from '../src/wire/envelope-record.js';
import {
  HEADER_BYTES, O_DATA_BYTES, O_DEFS, O_DEST, O_EXTRA_BYTES, O_FLAGS, O_MAGIC, O_PORT, O_RECORD, O_SENDER, O_SEQ, O_SESSION, O_TIME, O_TTL, O_TYPE, RECORD_MAGIC,
} from '../src/wire/envelope-record-layout.js';
import { decodePayload, encodePayload } from '../src/wire/payload.js';

const T = { timeout: 10_000 };

interface Fields {
  defs: number;
  flags: number;
  record: number;
  i32: [number, number, number, number, number, number];
  dataBytes: number;
  time: number;
  seq: number;
  extra: number;
}

/** A record: the header of `f`, then `body` bytes of `fill`. */
function record(f: Fields, body: number, fill: number): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + body).fill(fill, HEADER_BYTES);
  const v = new DataView(out.buffer);
  v.setUint16(O_MAGIC, RECORD_MAGIC, true);
  v.setUint16(O_DEFS, f.defs, true);
  v.setUint32(O_FLAGS, f.flags, true);
  v.setUint32(O_RECORD, f.record, true);
  [O_SENDER, O_DEST, O_PORT, O_TTL, O_TYPE, O_SESSION].forEach((o, k) => v.setInt32(o, f.i32[k]!, true));
  v.setUint32(O_DATA_BYTES, f.dataBytes, true);
  v.setFloat64(O_TIME, f.time, true);
  v.setFloat64(O_SEQ, f.seq, true);
  v.setUint32(O_EXTRA_BYTES, f.extra, true);
  return out;
}

/** Pack in place inside a larger buffer (as the outbox does), then unpack: the record back. */
function roundTrip(packer: HeadPacker, unpacker: HeadUnpacker, rec: Uint8Array): { back: Uint8Array; packedBytes: number } {
  const buf = new Uint8Array(rec.length + 16).fill(0xee);
  buf.set(rec, 8);
  const end = packer.packInPlace(buf, 8, 8 + rec.length);
  const length = unpacker.unpack(buf, 8, end);
  return { back: unpacker.bytes.slice(0, length), packedBytes: end - 8 };
}

describe('nats packed record header', () => {
  it('RH-1, RH-2: 2000 headers, ordinary and extreme, come back byte for byte and never grow', T, () => {
    const rand = prng(15);
    const packer = new HeadPacker();
    const unpacker = new HeadUnpacker();
    const int = (max: number): number => Math.floor(rand() * max);
    const extremes = [0, -1, 1, 2 ** 31 - 1, -(2 ** 31)];
    let number = 4_000_000_000;
    let time = 1_796_000_000_000;
    let ordinary = 0;
    for (let n = 0; n < 2000; n++) {
      const wild = n % 10 === 9;
      number = (number + (wild ? int(2 ** 32) : 1)) >>> 0; // wraps past 2^32
      time += wild ? int(1e6) - 5e5 : int(3);
      const f: Fields = {
        defs: wild ? int(65536) : int(3),
        flags: wild ? int(2 ** 32) : 0b1110,
        record: number,
        i32: wild ? [0, 1, 2, 3, 4, 5].map(() => extremes[int(extremes.length)]!) as Fields['i32'] : [int(40), 41, 16, 64, int(7), -1],
        dataBytes: wild ? int(2 ** 32) : 20 + int(40),
        time: n % 50 === 7 ? time + 0.25 : n % 50 === 8 ? Number.NaN : n % 50 === 9 ? 2 ** 60 : time,
        seq: n % 30 === 3 ? -(2 ** 53) + 1 : n % 30 === 4 ? 1.5 : n,
        extra: wild ? int(2 ** 32) : 0,
      };
      const rec = record(f, int(80), n & 0xff);
      const { back, packedBytes } = roundTrip(packer, unpacker, rec);
      assert.deepEqual(back, rec, `record ${n}`);
      assert.ok(packedBytes <= rec.length, `record ${n}: packed ${packedBytes} > ${rec.length}`);
      if (!wild && packedBytes <= rec.length - HEADER_BYTES + 20) ordinary++;
    }
    assert.ok(ordinary >= 1500, `only ${ordinary} ordinary headers packed to at most 20 bytes`);
  });

  it('NRC-4: envelope records of the record codec decode to the same envelopes after packing', T, () => {
    const proc = new ProcId(ChannelAddr.parse('nats://127.0.0.1:4222/app.a'), 'a');
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const packer = new HeadPacker();
    const unpacker = new HeadUnpacker();
    for (let n = 0; n < 300; n++) {
      const envelope = new MessageEnvelope(
        proc.actorId(`sender${n % 9}`, 0),
        proc.actorId('sink', 0).portId(16 + (n % 3)),
        encodePayload({ n, text: 'x'.repeat(n % 50) }),
        { send_timestamp: 1_796_000_000_000 + n * 3, message_type: `type${n % 4}`, seq_info: SeqInfo.session(`s${n % 5}`, n) },
        63,
        n % 2 === 0,
        [],
      );
      const target = new Uint8Array(4096);
      const end = encoder.encodeInto(envelope, target, 0, target.length);
      assert.equal(typeof end, 'number');
      const packedEnd = packer.packInPlace(target, 0, end as number);
      assert.ok(packedEnd < (end as number) - 30, `record ${n}: ${end} bytes, packed ${packedEnd}`);
      const back = decoder.decode(unpacker.bytes, 0, unpacker.unpack(target, 0, packedEnd));
      assert.equal(String(back.sender), String(envelope.sender));
      assert.equal(String(back.dest), String(envelope.dest));
      assert.deepEqual(back.headers, envelope.headers);
      assert.equal(back.ttl, 63);
      assert.equal(back.returnUndeliverable, n % 2 === 0);
      assert.deepEqual(decodePayload(back.data), { n, text: 'x'.repeat(n % 50) });
    }
  });

  it('RH-4: in a stream of like headers only what differs from the prediction is sent', T, () => {
    const packer = new HeadPacker();
    const unpacker = new HeadUnpacker();
    const base: Fields = { defs: 0, flags: 14, record: 1, i32: [5, 6, 16, 64, 2, 3], dataBytes: 40, time: 1_796_000_000_000, seq: 7, extra: 0 };
    roundTrip(packer, unpacker, record(base, 40, 1)); // the first: everything differs from the zeros before it
    const sizes: number[] = [];
    for (let n = 1; n <= 20; n++) {
      // the record number and seq grow by one, the time stays: predicted, nothing but form and mask
      const f: Fields = { ...base, record: base.record + n, seq: base.seq + n, time: n === 10 ? base.time + 1 : n > 10 ? base.time + 1 : base.time };
      const rec = record(f, 40, n);
      const { back, packedBytes } = roundTrip(packer, unpacker, rec);
      assert.deepEqual(back, rec, `record ${n}`);
      sizes.push(packedBytes - 40);
    }
    assert.deepEqual(sizes, sizes.map((_, k) => (k === 9 ? 3 : 2)), 'form + mask, and the time delta where the time moved');
  });

  it('RH-1: a time and a seq of -0 come back as -0 (not as the +0 a delta would give)', T, () => {
    const packer = new HeadPacker();
    const unpacker = new HeadUnpacker();
    for (const [time, seq] of [[0, 0], [-0, -0], [-0, 1], [0, -0]] as const) {
      const rec = record({ defs: 0, flags: 14, record: 1, i32: [0, 1, 16, 64, 2, 3], dataBytes: 0, time, seq, extra: 0 }, 4, 9);
      const { back } = roundTrip(packer, unpacker, rec);
      assert.deepEqual(back, rec, `time ${Object.is(time, -0) ? '-0' : time}, seq ${Object.is(seq, -0) ? '-0' : seq}`);
    }
  });

  it('RH-3: a packed header cut short is ChannelError protocol', T, () => {
    const packer = new HeadPacker();
    const rec = record({ defs: 0, flags: 14, record: 1, i32: [0, 1, 16, 64, 2, 3], dataBytes: 0, time: 1_796_000_000_000, seq: 7, extra: 0 }, 0, 0);
    const packed = packer.pack(rec);
    for (let cut = 0; cut < packed.length; cut++) {
      assert.throws(
        () => new HeadUnpacker().unpack(packed, 0, cut),
        (err: unknown) => err instanceof ChannelError && err.code === 'protocol',
        `cut at ${cut} of ${packed.length}`,
      );
    }
    assert.equal(new HeadUnpacker().unpack(packed, 0, packed.length), HEADER_BYTES);
  });
});
