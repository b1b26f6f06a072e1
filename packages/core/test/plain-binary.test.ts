/**
 * Binary values on the payload fast path (plain-pack.ts PP-10; issue 16, "moved >= 0.8x
 * postMessage with transfer"): inside an envelope's encode, large and moved binary values are
 * written as the `BinaryRef`s attachments.ts makes of them, without the sending walk and msgpackr:
 * the same bytes and the same attachments, in the same order, as the walk + msgpackr path they
 * stand in for; and what the fast path cannot write still goes that way, attachments found once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { CodecError } from '../src/index.js';
import { decodePayload } from '../src/transport.js';
import { LARGE_BINARY_BYTES, attachmentsOf, beginEncode, finishEncode } from '../src/wire/attachments.js';
import { encodeEnvelopePayload } from '../src/wire/payload.js';
import { gaveUpOnBinary, packPlain } from '../src/wire/plain-pack.js';
import { prepareSendable } from '../src/wire/sendable.js';

const T = { timeout: 10_000 };
const LARGE = LARGE_BINARY_BYTES;
/** msgpackr with wire/msgpack.ts's options (the extensions msgpack.ts registers are global). */
const packr = new Packr({ useRecords: false, moreTypes: true });

function filled(size: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i++) bytes[i] = (seed + i * 7) & 0xff;
  return bytes;
}

/** One envelope encode by `write` (the fast path or the walk + msgpackr): msgpack bytes and attachment contents. */
function encodeWith(write: (value: unknown) => Uint8Array | undefined, value: unknown, transfer?: ArrayBuffer[]): { bytes: Buffer; attachments: Buffer[] } {
  beginEncode(transfer);
  const written = write(value);
  assert.ok(written !== undefined, 'taken');
  const bytes = finishEncode(written);
  return { bytes: Buffer.from(bytes), attachments: (attachmentsOf(bytes) ?? []).map((a) => Buffer.from(a.bytes())) };
}

const fast = (value: unknown): Uint8Array | undefined => packPlain(value);
const walked = (value: unknown): Uint8Array => packr.pack(prepareSendable(value));

describe('plain-pack: binary values inside an envelope encode (PP-10)', () => {
  it('PP-10: large binary values of every kind are the walk\'s BinaryRefs, msgpackr\'s bytes, the same attachments in the same order', T, () => {
    const source = filled(4 * LARGE + 64, 5);
    const value = () => ({
      type: 'data',
      seq: 70_000,
      body: source.subarray(8, 8 + 2 * LARGE),
      more: [new Float64Array(source.slice(0, 4 * LARGE).buffer), source.slice(0, LARGE).buffer, Buffer.from(source.subarray(0, LARGE))],
      counts: new Map([['k', new Int32Array(source.slice(0, 2 * LARGE).buffer)]]),
    });
    const a = encodeWith(fast, value());
    const b = encodeWith(walked, value());
    assert.deepEqual(a.bytes, b.bytes);
    assert.equal(a.attachments.length, 5);
    assert.deepEqual(a.attachments, b.attachments);
  });

  it('PP-10: a moved buffer of any size is its BinaryRef, and the encode moves it', T, () => {
    const moved = filled(100, 1);
    const reference = filled(100, 1);
    const a = encodeWith(fast, { body: moved, seq: 1 }, [moved.buffer as ArrayBuffer]);
    const b = encodeWith(walked, { body: reference, seq: 1 }, [reference.buffer as ArrayBuffer]);
    assert.deepEqual(a.bytes, b.bytes);
    assert.deepEqual(a.attachments, b.attachments);
    assert.equal(moved.byteLength, 0, 'detached');
  });

  it('PP-10: outside an envelope encode a binary value gives up and says so; other values do not', T, () => {
    assert.equal(packPlain({ body: new Uint8Array(LARGE) }), undefined);
    assert.equal(gaveUpOnBinary(), true);
    assert.equal(packPlain({ body: undefined }), undefined);
    assert.equal(gaveUpOnBinary(), false);
    assert.notEqual(packPlain({ body: 1 }), undefined);
    assert.equal(gaveUpOnBinary(), false);
  });

  it('PP-10: a small binary value inside an envelope encode gives up (msgpackr writes it inline)', T, () => {
    beginEncode(undefined);
    assert.equal(packPlain({ body: new Uint8Array(LARGE - 1) }), undefined);
    assert.equal(gaveUpOnBinary(), true);
    finishEncode(new Uint8Array(0));
    const bytes = encodeEnvelopePayload({ body: filled(LARGE - 1, 2) });
    assert.equal(attachmentsOf(bytes), undefined);
    assert.deepEqual(decodePayload(bytes), { body: filled(LARGE - 1, 2) });
  });

  it('PP-10: a message the fast path gives up on after a large value is encoded by the walk, each attachment once', T, () => {
    const value = { body: filled(LARGE, 3), after: undefined, small: new Uint8Array([1, 2]) };
    const bytes = encodeEnvelopePayload(value);
    assert.equal(attachmentsOf(bytes)?.length, 1);
    assert.deepEqual(decodePayload(bytes), value);
  });

  it('OOB-2 with PP-10: a moved message that cannot be sent is a CodecError and moves nothing', T, () => {
    const body = filled(LARGE, 4);
    assert.throws(
      () => encodeEnvelopePayload({ body, later: () => 1 }, [body.buffer as ArrayBuffer]),
      (err: unknown) => err instanceof CodecError && err.code === 'unsendable',
    );
    assert.equal(body.byteLength, LARGE);
    const getter = filled(LARGE, 5);
    assert.throws(
      () =>
        encodeEnvelopePayload(
          {
            body: getter,
            get broken(): number {
              throw new Error('no');
            },
          },
          [getter.buffer as ArrayBuffer],
        ),
      (err: unknown) => err instanceof CodecError && err.code === 'unsendable',
    );
    assert.equal(getter.byteLength, LARGE);
  });

  it('PP-10: moved and copied values round-trip through encodeEnvelopePayload and decodePayload', T, () => {
    const moved = filled(3 * LARGE, 6);
    const bytes = encodeEnvelopePayload({ type: 'data', moved, copied: filled(LARGE, 7), n: 3 }, [moved.buffer as ArrayBuffer]);
    assert.equal(moved.byteLength, 0);
    assert.deepEqual(decodePayload(bytes), { type: 'data', moved: filled(3 * LARGE, 6), copied: filled(LARGE, 7), n: 3 });
  });
});
