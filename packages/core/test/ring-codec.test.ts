/**
 * The codec seam: msgpackr encoding straight into ring memory and where the bytes land
 * (RING-12), record structures defined once per ring, and recovery from an encode failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pack } from 'msgpackr';
import { MsgpackRecordCodec, MSGPACKR_MIN_ROOM, RingBuffer, ringRx, ringTx, type RingRx } from '../src/channel/ring/index.js';
import type { SendError } from '../src/channel/types.js';

const envelope = { dest: 'proc[0].actor[0]', port: 3, seq: 7, payload: { x: 1, y: 'hello' } };

function collect<M>(rx: RingRx<M>, count: number): Promise<M[]> {
  const got: M[] = [];
  return new Promise((resolve) => {
    rx.onMessage((m) => {
      got.push(m);
      if (got.length === count) {
        rx.close('test done');
        resolve(got);
      }
    });
  });
}

describe('msgpackr record codec (RING-12)', () => {
  it('encodes in place when the reserved region has room, and decodes the same value', () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const codec = new MsgpackRecordCodec<typeof envelope>();
    const end = codec.encodeInto(envelope, ring.data, 64, 64 + MSGPACKR_MIN_ROOM);
    assert.equal(typeof end, 'number');
    assert.deepEqual(codec.decode(ring.data, 64, end as number), envelope);
  });

  it('returns the encoding from elsewhere when the message does not fit, leaving ring memory past the region untouched', () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const codec = new MsgpackRecordCodec<{ big: string }>();
    const start = 64;
    const end = start + MSGPACKR_MIN_ROOM;
    ring.data.fill(0xab, end);
    const big = { big: 'x'.repeat(5000) };
    const out = codec.encodeInto(big, ring.data, start, end);
    assert.ok(out instanceof Uint8Array, 'the bytes landed outside the ring');
    assert.ok(!(out.buffer instanceof SharedArrayBuffer));
    assert.ok(ring.data.subarray(end).every((b) => b === 0xab), 'nothing written past the region');
    assert.deepEqual(codec.decode(out, 0, out.length), big);
  });

  it("leaves msgpackr's thread-wide output buffer off the ring: a later pack() elsewhere never lands in ring memory", () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const codec = new MsgpackRecordCodec<typeof envelope>();
    codec.encodeInto(envelope, ring.data, 0, ring.capacity);
    const other = pack({ other: 'code' });
    assert.ok(!(other.buffer instanceof SharedArrayBuffer));
  });

  it('bytes another Packr got from the parking buffer are not overwritten by the next ring encode', () => {
    const ring = RingBuffer.create({ capacity: 1 << 14 });
    const codec = new MsgpackRecordCodec<typeof envelope>();
    codec.encodeInto(envelope, ring.data, 0, ring.capacity);
    const theirs = pack({ theirs: 1 });
    const copy = Uint8Array.from(theirs);
    codec.encodeInto(envelope, ring.data, 256, ring.capacity);
    pack({ later: 'x'.repeat(100) });
    assert.deepEqual(Uint8Array.from(theirs), copy);
  });
});

describe('msgpackr records through a ring', () => {
  it('defines each record structure once per ring, for more shapes than msgpackr has record ids', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 16 });
    const tx = ringTx<Record<string, number>>(ring);
    const rx = ringRx<Record<string, number>>(ring);
    const sent: Record<string, number>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let shape = 0; shape < 200; shape++) sent.push({ [`k${shape}`]: round, common: shape });
    }
    const received = collect(rx, sent.length);
    for (const m of sent) tx.post(m);
    assert.deepEqual(await received, sent);
  });

  it('an encode failure hands the message back with code rejected, and later messages of the same shape still decode', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1 << 16 });
    const tx = ringTx<{ x: number; a: number }>(ring);
    const rx = ringRx<{ x: number; a: number }>(ring);
    const returned: SendError<{ x: number; a: number }>[] = [];
    const bad = {
      x: 1,
      get a(): number {
        throw new Error('getter failed');
      },
    };
    const received = collect(rx, 2);
    tx.post({ x: 0, a: 0 });
    tx.post(bad, (e) => returned.push(e));
    tx.post({ x: 2, a: 3 });
    assert.equal(returned.length, 1);
    assert.equal(returned[0]?.code, 'rejected');
    assert.equal(returned[0]?.value, bad);
    assert.deepEqual(await received, [
      { x: 0, a: 0 },
      { x: 2, a: 3 },
    ]);
  });

  it('a ring too small for in-place encoding still carries messages (encoded privately, then copied)', { timeout: 20_000 }, async () => {
    const ring = RingBuffer.create({ capacity: 1024 });
    const tx = ringTx<typeof envelope>(ring);
    const rx = ringRx<typeof envelope>(ring);
    const sent = Array.from({ length: 500 }, (_, seq) => ({ ...envelope, seq }));
    const received = collect(rx, sent.length);
    for (const m of sent) tx.post(m);
    assert.deepEqual(await received, sent);
  });
});
