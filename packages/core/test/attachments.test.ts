/**
 * Large binary values out of band (core wire/attachments.ts OOB-1..OOB-4, wire/side-channel.ts
 * OOB-5, OOB-6): the payload codec keeps binary values of 16 KiB or more, and moved buffers,
 * beside the msgpack bytes; every type round-trips; a second decode copies; views of one buffer
 * share one; malformed references are `CodecError`s; self-contained bytes (`encodePayload`, the
 * net channel's codec) inline them; the ring record codec carries them inline or over a real
 * side port in order, and a takeover decoder finds them after the consumer died.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { ChannelAddr, CodecError, MessageEnvelope, ProcId } from '../src/index.js';
import { decodePayload, encodePayload, payloadCodec, SeqInfo } from '../src/transport.js';
import { Attachment, AttachedBytes, LARGE_BINARY_BYTES, attachmentsOf } from '../src/wire/attachments.js';
import { EnvelopeRecordCodec } from '../src/wire/envelope-record.js';
import { encodeEnvelopePayload } from '../src/wire/payload.js';
import { SideChannel } from '../src/wire/side-channel.js';

const T = { timeout: 10_000 };
const LARGE = LARGE_BINARY_BYTES;

function filled(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seed + i * 13) & 0xff;
  return bytes;
}

const isCodecError = (code: string) => (err: unknown) => err instanceof CodecError && err.code === code;

describe('the payload codec with attachments (OOB-1..OOB-4)', () => {
  it('carries binary values of at least LARGE_BINARY_BYTES as attachments, smaller ones inline', T, () => {
    const small = encodeEnvelopePayload({ body: new Uint8Array(LARGE - 1) });
    const large = encodeEnvelopePayload({ body: new Uint8Array(LARGE) });
    assert.equal(attachmentsOf(small), undefined);
    assert.equal(attachmentsOf(large)?.length, 1);
    assert.ok(large.length < 100, 'the msgpack bytes hold a reference, not the value');
  });

  it('SC-1: every binary type round-trips with its type and contents, offset views included', T, () => {
    const source = filled(8 * LARGE + 24, 3);
    const value = {
      u8: source.subarray(8, 8 + 2 * LARGE),
      i8: new Int8Array(source.buffer, 0, LARGE),
      c8: new Uint8ClampedArray(source.slice(0, LARGE).buffer),
      i16: new Int16Array(source.slice(0, 2 * LARGE).buffer),
      u16: new Uint16Array(source.slice(0, 2 * LARGE).buffer),
      i32: new Int32Array(source.slice(0, 4 * LARGE).buffer),
      u32: new Uint32Array(source.slice(0, 4 * LARGE).buffer),
      f32: new Float32Array(source.slice(0, 4 * LARGE).buffer),
      f64: new Float64Array(source.slice(0, 8 * LARGE).buffer),
      i64: new BigInt64Array(source.slice(0, 8 * LARGE).buffer),
      u64: new BigUint64Array(source.slice(0, 8 * LARGE).buffer),
      ab: source.slice(0, 3 * LARGE).buffer,
      buf: Buffer.from(source.subarray(0, LARGE)),
      nested: [{ deep: new Map([['k', source.subarray(16, 16 + LARGE)]]) }],
    };
    const bytes = encodeEnvelopePayload(value);
    assert.equal(attachmentsOf(bytes)?.length, 14);
    const back = decodePayload(bytes) as typeof value;
    for (const key of ['u8', 'i8', 'c8', 'i16', 'u16', 'i32', 'u32', 'f32', 'f64', 'i64', 'u64'] as const) {
      assert.equal(back[key].constructor, value[key].constructor, key);
      assert.deepEqual(back[key], value[key], key);
    }
    assert.ok(back.ab instanceof ArrayBuffer);
    assert.deepEqual(new Uint8Array(back.ab), new Uint8Array(value.ab));
    assert.equal(back.buf.constructor, Uint8Array, 'a Buffer arrives as a Uint8Array, as msgpackr bin does');
    assert.deepEqual([...back.buf], [...value.buf]);
    assert.deepEqual(back.nested[0]?.deep.get('k'), value.nested[0]?.deep.get('k'));
  });

  it('OOB-1: the sender\'s later writes are not seen; the second decode of a payload copies', T, () => {
    const body = filled(LARGE * 2, 1);
    const bytes = encodeEnvelopePayload({ body });
    body.fill(0xee);
    const first = decodePayload(bytes) as { body: Uint8Array };
    const second = decodePayload(bytes) as { body: Uint8Array };
    assert.deepEqual(first.body, filled(LARGE * 2, 1));
    first.body.fill(7);
    assert.deepEqual(second.body, filled(LARGE * 2, 1), 'the second receiver has its own copy');
    assert.notEqual(first.body.buffer, second.body.buffer);
  });

  it('OOB-1: the claim is shared memory: a decode in another thread after the first copies (the claim word is set)', T, () => {
    const attachment = Attachment.copyOf(filled(LARGE, 2));
    const elsewhere = new Attachment(attachment.buffer, attachment.offset, attachment.length, true); // as a side port delivers it
    assert.equal(attachment.claim(), true);
    assert.equal(elsewhere.claim(), false);
  });

  it('OOB-2, OOB-3: encodeEnvelopePayload with a transfer list moves the buffers; two views of one arrive over one buffer', T, () => {
    const buffer = filled(64, 5).buffer as ArrayBuffer;
    const unused = new ArrayBuffer(16);
    const value = { head: new Uint8Array(buffer, 0, 16), tail: new Float64Array(buffer, 16, 6) };
    const bytes = encodeEnvelopePayload(value, [buffer, unused]);
    assert.equal(buffer.byteLength, 0, 'detached');
    assert.equal(unused.byteLength, 0, 'a listed buffer the message does not use is detached too');
    const back = decodePayload(bytes) as typeof value;
    assert.equal(back.head.buffer, back.tail.buffer);
    assert.deepEqual([...back.head], [...filled(64, 5).subarray(0, 16)]);
  });

  it('OOB-2: a bad transfer list throws invalid-transfer and detaches nothing', T, () => {
    const ok = new ArrayBuffer(8);
    for (const bad of [[ok, ok], [new SharedArrayBuffer(8)], [new Uint8Array(8)]] as unknown as ArrayBuffer[][]) {
      assert.throws(() => encodeEnvelopePayload({ ok: new Uint8Array(ok) }, bad), isCodecError('invalid-transfer'));
    }
    assert.equal(ok.byteLength, 8);
    const detached = new ArrayBuffer(8);
    structuredClone(detached, { transfer: [detached] });
    assert.throws(() => encodeEnvelopePayload({}, [detached]), isCodecError('invalid-transfer'));
  });

  it('OOB-4: references to attachments the bytes do not carry, or beyond them, are CodecError("deserialize")', T, () => {
    const bytes = encodeEnvelopePayload({ body: new Uint8Array(LARGE) });
    const bare = new Uint8Array(bytes); // the msgpack bytes alone
    assert.throws(() => decodePayload(bare), isCodecError('deserialize'));
    const short = new AttachedBytes(bare.buffer, 0, bare.length, [Attachment.ofBytes(new Uint8Array(LARGE - 8))]);
    assert.throws(() => decodePayload(short), isCodecError('deserialize'));
  });

  it('encodePayload and the payload channel codec make self-contained bytes (the net channel carries them alone)', T, () => {
    const value = { body: filled(100 * 1024, 9) };
    for (const bytes of [encodePayload(value), payloadCodec<typeof value>().encode(value)]) {
      assert.equal(attachmentsOf(bytes), undefined);
      assert.deepEqual((decodePayload(new Uint8Array(bytes)) as typeof value).body, value.body);
    }
  });
});

const proc = ProcId.withName(ChannelAddr.local(1), 'proc_1');
const sender = proc.actorId('sender', 0);
const dest = proc.actorId('receiver', 0).portId(16);

function envelope(seq: number, size: number): MessageEnvelope {
  return new MessageEnvelope(sender, dest, encodeEnvelopePayload({ seq, body: filled(size, seq) }), { send_timestamp: 1, seq_info: SeqInfo.session('s', seq) }, 63, true);
}

function record(encoder: EnvelopeRecordCodec, env: MessageEnvelope): Uint8Array {
  const target = new Uint8Array(new SharedArrayBuffer(4096));
  const end = encoder.encodeInto(env, target, 0, target.length);
  return typeof end === 'number' ? target.slice(0, end) : end.slice();
}

function bodyOf(env: MessageEnvelope): { seq: number; body: Uint8Array } {
  return decodePayload(env.data) as { seq: number; body: Uint8Array };
}

describe('envelope records with attachments (OOB-5, OOB-6)', () => {
  it('without a side port, attachments are copied into the record and back out', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const bytes = record(encoder, envelope(1, 2 * LARGE));
    assert.ok(bytes.length > 2 * LARGE);
    const back = bodyOf(decoder.decode(bytes, 0, bytes.length));
    assert.deepEqual(back.body, filled(2 * LARGE, 1));
  });

  it('OOB-5: over a side port, records of mixed sizes decode in order with their own attachments', T, () => {
    const { port1, port2 } = new MessageChannel();
    const encoder = new EnvelopeRecordCodec({ side: new SideChannel(port1, () => 0) });
    const decoder = new EnvelopeRecordCodec({ side: new SideChannel(port2, undefined) });
    const sizes = [LARGE, 10, 3 * LARGE, LARGE + 1, 0, 200 * 1024];
    const records = sizes.map((size, seq) => record(encoder, envelope(seq, size)));
    assert.ok(records.every((r) => r.length < 400), 'records hold references only');
    records.forEach((bytes, seq) => {
      const back = bodyOf(decoder.decode(bytes, 0, bytes.length));
      assert.equal(back.seq, seq);
      assert.deepEqual(back.body, filled(sizes[seq] as number, seq));
    });
    port1.close();
  });

  it('OOB-5: a record whose attachments are not next on the side port is CodecError("deserialize")', T, () => {
    const { port1, port2 } = new MessageChannel();
    const encoder = new EnvelopeRecordCodec({ side: new SideChannel(port1, () => 0) });
    const decoder = new EnvelopeRecordCodec({ side: new SideChannel(port2, undefined) });
    const first = record(encoder, envelope(0, LARGE));
    port1.postMessage(['not an attachment']);
    const second = record(encoder, envelope(1, LARGE));
    decoder.decode(first, 0, first.length);
    assert.throws(() => decoder.decode(second, 0, second.length), isCodecError('deserialize'));
    port1.close();
  });

  it('OOB-6: a takeover decoder gets the attachments of unreleased records from the encoder', T, () => {
    const { port1 } = new MessageChannel();
    let released = 0;
    const encoder = new EnvelopeRecordCodec({ side: new SideChannel(port1, () => released) });
    const a = record(encoder, envelope(0, LARGE));
    encoder.written(1000);
    const b = record(encoder, envelope(1, 2 * LARGE));
    encoder.written(2000);
    released = 1000; // the consumer released the first record, then died
    encoder.written(2000);
    const takeover = encoder.takeoverDecoder();
    assert.throws(() => takeover.decode(a, 0, a.length), isCodecError('deserialize'), 'a released record\'s attachments are gone');
    const back = bodyOf(encoder.takeoverDecoder().decode(b, 0, b.length));
    assert.deepEqual(back.body, filled(2 * LARGE, 1));
    port1.close();
  });
});
