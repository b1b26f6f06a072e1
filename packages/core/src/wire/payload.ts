/**
 * wire/payload.ts: the payload codec. Every ref send serializes its message, even inside one
 * proc (upstream `wirevalue::Any`), so a receiver never observes later mutation by the sender.
 * Plain data takes the fast encoder and decoder (plain-pack.ts: msgpackr's bytes;
 * plain-unpack.ts: msgpackr's values); anything else goes through msgpackr with the one
 * configuration of msgpack.ts; other small payloads decode from a reused copy. Bytes that reach
 * msgpackr are validated first unless this thread encoded them (wire/limits.ts).
 */
import { abortEncode, beginEncode, enterDecode, finishEncode, leaveDecode, restartEncode, transferPending } from './attachments.js';
import { CodecError } from './errors.js';
import { checkMsgpack } from './limits.js';
import { createPackr, packr } from './msgpack.js';
import { gaveUpOnBinary, packPlain } from './plain-pack.js';
import { GIVE_UP, unpackPlain } from './plain-unpack.js';
import { prepareSendable, wideObjects } from './sendable.js';

/**
 * Serialize a value into self-contained bytes (binary values inline: the bytes may go anywhere,
 * a net frame, a control call). Throws `CodecError('unsendable')` for a value outside the sending
 * contract (sendable.ts), `CodecError('serialize')` for one msgpackr cannot encode.
 */
export function encodePayload(value: unknown): Uint8Array {
  return encode(value, false, undefined);
}

/**
 * @internal The payload of an envelope (a ref send, a cast, a return): like `encodePayload`, but
 * binary values of `LARGE_BINARY_BYTES` or more, and the buffers of `transfer` (moved: OOB-2),
 * travel beside the bytes as attachments (attachments.ts), which every transport of envelopes
 * carries (the ring's side port, or inlined in the envelope tuple).
 */
export function encodeEnvelopePayload(value: unknown, transfer?: readonly ArrayBuffer[]): Uint8Array {
  return encode(value, true, transfer);
}

/** Objects with more keys than map16 holds (msgpackr's fast path writes map16 for every object). */
const widePackr = createPackr({ variableMapSize: true });

function encode(value: unknown, outOfBand: boolean, transfer: readonly ArrayBuffer[] | undefined): Uint8Array {
  const moving = transfer !== undefined || (outOfBand && transferPending());
  if (!moving) {
    const plain = packPlain(value); // plain data of any size (PP-7), no walk; gives up on binary values and other types
    if (plain !== undefined) return plain;
  }
  if (outOfBand) {
    beginEncode(transfer); // OOB-2: throws CodecError('invalid-transfer') before anything moves
    if (moving || gaveUpOnBinary()) {
      // large or moved binary values as BinaryRefs (PP-10): no walk, no msgpackr
      let plain: Uint8Array | undefined;
      try {
        plain = packPlain(value);
      } catch (err) {
        abortEncode(); // a getter threw: nothing moves (OOB-2)
        if (err instanceof CodecError) throw err;
        throw new CodecError('unsendable', `cannot send msg: ${(err as Error).message}`, { cause: err });
      }
      if (plain !== undefined) return finishEncode(plain); // moves the transfer list
      restartEncode(); // the walk finds the same attachments again
    }
  }
  let prepared: unknown;
  try {
    prepared = prepareSendable(value); // SC-2: throws CodecError('unsendable') with the path
  } catch (err) {
    abortEncode();
    if (err instanceof CodecError) throw err;
    throw new CodecError('unsendable', `cannot send msg: ${(err as Error).message}`, { cause: err }); // e.g. too deep for the stack
  }
  let bytes: Uint8Array;
  try {
    bytes = (wideObjects ? widePackr : packr).pack(prepared); // map32 for objects of over 65,535 keys
  } catch (err) {
    abortEncode();
    throw new CodecError('serialize', `serialization error: ${(err as Error).message}`, { cause: err });
  }
  return outOfBand ? finishEncode(bytes) : bytes; // large binary values as attachments; moves the transfer list
}

/**
 * Small payloads are decoded from a copy in one reused array. msgpackr caches a `DataView` on
 * the array it reads, as a property: decoding a fresh view costs a `DataView` and a hidden-class
 * change per message (~150 ns here), more than copying a small payload. (Decoding a range of a
 * larger buffer instead is slower still: msgpackr's short-string and key-cache fast paths test
 * the absolute end offset.) The copy's decoder copies binary values out (`copyBuffers`), so
 * nothing decoded refers to the reused array.
 */
const SCRATCH_BYTES = 1024;
const scratch = new Uint8Array(SCRATCH_BYTES);
const scratchUnpackr = createPackr({ copyBuffers: true });
/** Set while decoding from `scratch` (a nested decode must not overwrite it). */
let decodingScratch = false;

/**
 * Deserialize a payload of any origin (CO-2): bytes that reach msgpackr are walked first
 * (wire/limits.ts `checkMsgpack`), so they cannot claim more than they hold (DL-1, DL-2);
 * plain data never reaches msgpackr (plain-unpack.ts bounds itself, PU-5). Throws `CodecError`
 * (`deserialize`, or `limit-exceeded`).
 */
export function decodePayload(bytes: Uint8Array): unknown {
  return decode(bytes, true);
}

/**
 * @internal A payload this thread encoded itself (a ref send inside one proc: `MessageEnvelope`
 * not `foreign`): msgpackr without the walk.
 */
export function decodeLocalPayload(bytes: Uint8Array): unknown {
  return decode(bytes, false);
}

function decode(bytes: Uint8Array, check: boolean): unknown {
  const saved = enterDecode(bytes); // the attachments `BinaryRef`s resolve to (attachments.ts)
  try {
    const plain = unpackPlain(bytes);
    if (plain !== GIVE_UP) return plain;
    if (check) checkMsgpack(bytes);
    const length = bytes.length;
    if (length > SCRATCH_BYTES || length === 0 || decodingScratch) return packr.unpack(bytes);
    scratch.set(bytes);
    decodingScratch = true;
    try {
      return scratchUnpackr.unpack(scratch, length);
    } finally {
      decodingScratch = false;
    }
  } catch (err) {
    const code = err instanceof CodecError ? err.code : 'deserialize';
    throw new CodecError(code, `deserialization error: ${(err as Error).message}`, { cause: err });
  } finally {
    leaveDecode(saved);
  }
}

/** Message bytes and back: the shape the net channel and port links take a codec in. */
export interface Codec<M> {
  encode(message: M): Uint8Array;
  decode(bytes: Uint8Array): M;
  /** Optional: the same as `decode(bytes.subarray(start, end))`, without making the view (the net channel's receiver uses it when given). */
  decodeRange?(bytes: Uint8Array, start: number, end: number): M;
}

/** The payload codec as a channel codec (the net channel's default). */
export function payloadCodec<M>(): Codec<M> {
  return PAYLOAD_CODEC as Codec<M>;
}

const PAYLOAD_CODEC: Codec<unknown> = { encode: encodePayload, decode: decodePayload };
