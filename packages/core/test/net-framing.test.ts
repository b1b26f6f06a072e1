/**
 * The net wire format and the incremental frame reader (channel/net/wire.ts, framed.ts; NF-1..3).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameReader } from '../src/channel/net/framed.js';
import {
  FRAME_HEADER_LEN,
  MAGIC,
  decodeResponse,
  encodeMessageFrame,
  encodePreamble,
  encodeResponse,
  readFrameLength,
  readU64,
  writeFrameHeader,
  writeU64,
} from '../src/channel/net/wire.js';
import { ChannelError } from '../src/channel/types.js';
import { seededBytes } from './fixtures/net-helpers.js';

function collect(expectPreamble: boolean, max = 1 << 20): { reader: FrameReader; frames: [number, string][]; sessions: bigint[] } {
  const frames: [number, string][] = [];
  const sessions: bigint[] = [];
  const reader = new FrameReader(max, expectPreamble, {
    onPreamble: (id) => sessions.push(id),
    onFrame: (tag, bytes, start, end) => {
      frames.push([tag, bytes.toString('hex', start, end)]);
    },
  });
  return { reader, frames, sessions };
}

describe('net wire format', () => {
  it('writes the preamble as "LNK\\0" and a big-endian u64 session id', () => {
    const preamble = encodePreamble(0x0102030405060708n);
    assert.deepEqual([...preamble], [...MAGIC, 1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('round-trips u64 values up to 2^53 - 1', () => {
    const buf = Buffer.alloc(8);
    for (const value of [0, 1, 255, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER]) {
      writeU64(buf, 0, value);
      assert.equal(readU64(buf, 0), value);
      assert.equal(buf.readBigUInt64BE(0), BigInt(value));
    }
  });

  it('writes the frame header as a tag byte and a 7-byte big-endian length', () => {
    const buf = Buffer.alloc(FRAME_HEADER_LEN);
    writeFrameHeader(buf, 0, 1, 2 ** 50);
    assert.deepEqual([...buf], [1, 4, 0, 0, 0, 0, 0, 0]);
    assert.equal(readFrameLength(buf, 0), 2 ** 50);
  });

  it('round-trips Ack, Reject and Closed responses', () => {
    for (const response of [{ kind: 'ack', seq: 41 }, { kind: 'reject', reason: 'out of sequence ✓' }, { kind: 'closed' }] as const) {
      const frame = encodeResponse(response);
      assert.equal(readFrameLength(frame, 0), frame.length - FRAME_HEADER_LEN);
      assert.deepEqual(decodeResponse(frame.subarray(FRAME_HEADER_LEN)), response);
    }
  });

  it('rejects a malformed response body with code protocol', () => {
    assert.throws(() => decodeResponse(Buffer.from([9])), (e: unknown) => e instanceof ChannelError && e.code === 'protocol');
    assert.throws(() => decodeResponse(Buffer.from([0, 1])), (e: unknown) => e instanceof ChannelError && e.code === 'protocol');
  });
});

describe('FrameReader', () => {
  it('reads the preamble, then frames, from one chunk', () => {
    const { reader, frames, sessions } = collect(true);
    reader.feed(Buffer.concat([encodePreamble(7n), encodeMessageFrame(0, Buffer.from('aa', 'hex')), encodeMessageFrame(1, Buffer.alloc(0))]));
    assert.deepEqual(sessions, [7n]);
    assert.deepEqual(frames, [
      [0, '0000000000000000aa'],
      [0, '0000000000000001'],
    ]);
    assert.equal(reader.midFrame, false);
  });

  it('reassembles the same stream fed one byte at a time', () => {
    const stream = Buffer.concat([encodePreamble(9n), encodeMessageFrame(5, seededBytes(1, 300)), encodeMessageFrame(6, seededBytes(2, 3))]);
    const whole = collect(true);
    whole.reader.feed(stream);
    const bytewise = collect(true);
    for (let i = 0; i < stream.length; i++) bytewise.reader.feed(stream.subarray(i, i + 1));
    assert.deepEqual(bytewise.frames, whole.frames);
    assert.deepEqual(bytewise.sessions, [9n]);
  });

  it('reports a stream that ends inside a frame as mid-frame (NF-3)', () => {
    const { reader, frames } = collect(false);
    reader.feed(encodeMessageFrame(0, Buffer.alloc(100)).subarray(0, 40));
    assert.equal(reader.midFrame, true);
    assert.equal(frames.length, 0);
  });

  it('rejects a wrong-magic preamble with code protocol (NF-1)', () => {
    const { reader } = collect(true);
    const bad = encodePreamble(1n);
    bad[0] = 0x58;
    assert.throws(() => reader.feed(bad), (e: unknown) => e instanceof ChannelError && e.code === 'protocol' && /bad preamble/.test(e.message));
  });

  it('rejects a 2^50 length prefix from the header alone (NF-2)', () => {
    const { reader } = collect(false, 1 << 20);
    const header = Buffer.alloc(FRAME_HEADER_LEN);
    writeFrameHeader(header, 0, 0, 2 ** 50);
    assert.throws(
      () => reader.feed(header),
      (e: unknown) => e instanceof ChannelError && e.code === 'frame-too-large' && e.message === `frame length ${2 ** 50} exceeds the maximum ${1 << 20}`,
    );
  });

  it('stops reading when a handler returns false', () => {
    let seen = 0;
    const reader = new FrameReader(1024, false, {
      onFrame: () => {
        seen++;
        return false;
      },
    });
    reader.feed(Buffer.concat([encodeMessageFrame(0, Buffer.alloc(1)), encodeMessageFrame(1, Buffer.alloc(1))]));
    assert.equal(seen, 1);
  });
});
