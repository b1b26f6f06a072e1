/**
 * wire/record.ts: the seam between messages and ring records (`RecordCodec<M>`), the msgpackr
 * record codec (structures defined once per ring) and a raw-bytes codec. Envelopes take the
 * interned binary record of envelope-record.ts.
 *
 * ## The seam
 *
 * A `RingTx` asks its codec to encode each message straight into the ring's free space: it
 * reserves a contiguous region `target[start, end)` (at least `minEncodeBytes` long) and calls
 * `encodeInto`. The codec either writes the record there and returns the end offset, or returns
 * the complete encoding as a Uint8Array that lives elsewhere (it did not fit, or the encoder
 * chose its own buffer); the ring copies those bytes in, or fragments them (RING-12). When the
 * ring cannot offer `minEncodeBytes`, `target` is a private scratch buffer instead.
 *
 * A `RingRx` calls `decode(bytes, start, end)` once per record, in order. `bytes` may be the
 * ring's shared memory, valid only during the call: a decoder must not keep views of it.
 *
 * Codecs may be stateful (the msgpackr codec defines each record structure once per ring), so
 * a codec instance belongs to one side of one ring, and every `encodeInto` that returns must
 * reach the decoder: the ring never drops or re-encodes a returned encoding. If `encodeInto`
 * throws, the ring hands the message back (code `rejected`), calls `resetEncoder`, and sends an
 * in-band reset record before the next message, on which the Rx calls `resetDecoder`.
 *
 * A codec that can also decode what its own encoder wrote (`takeoverDecoder`) lets the producer
 * read back the records a dead consumer never read (RING-13), to return them to their senders.
 */
import { REUSE_BUFFER_MODE, type Packr, type Options as MsgpackOptions } from 'msgpackr';
import { createPackr } from './msgpack.js';

export interface RecordCodec<M> {
  /** `encodeInto` is only given ring memory when at least this many bytes are free there. */
  readonly minEncodeBytes: number;
  /**
   * Encode `message` into `target[start, end)` and return the end offset, or return the full
   * encoding stored elsewhere (the ring copies it before calling the codec again). Never
   * write outside [start, end). `start` is a multiple of 8.
   */
  encodeInto(message: M, target: Uint8Array, start: number, end: number): number | Uint8Array;
  /** Decode the record `bytes[start, end)` (possibly shared memory; do not keep views of it). */
  decode(bytes: Uint8Array, start: number, end: number): M;
  /** The record `encodeInto` returned last is in the ring, ending at cursor `end` (mod 2^32). */
  written?(end: number): void;
  /** Forget encoder state (after an encode threw). */
  resetEncoder?(): void;
  /** Forget decoder state (on the in-band reset record). */
  resetDecoder?(): void;
  /**
   * A decoder, on the encoding side, of the records this encoder wrote that were not read yet
   * (RING-13 takeover); `undefined` when the codec cannot.
   */
  takeoverDecoder?(): Pick<RecordCodec<M>, 'decode' | 'resetDecoder'>;
}

/** msgpackr allocates a new buffer unless 2 KiB (+10) are free past the write position. */
export const MSGPACKR_MIN_ROOM = 0x800 + 16;
const PARKING_BYTES = 8192;
/** Up to this many bytes a loop copies faster than `set(subarray())` (no view allocated). */
const SMALL_COPY_BYTES = 64;

type RangedBuffer = Buffer & { start: number; end: number };

export interface MsgpackRecordCodecOptions {
  /**
   * msgpackr options for both sides. Default `{ useRecords: true, sequential: true }`: each
   * record structure (an object's key list) is defined inline the first time this ring carries
   * it and referenced by a one-byte id afterwards. That is the "shared structures per ring
   * pair": the definitions travel in order through the ring itself, so both threads agree
   * without any side channel.
   */
  readonly msgpack?: MsgpackOptions;
}

/**
 * The default codec: msgpackr, encoding straight into the ring.
 *
 * Encoding: msgpackr's output buffer is module-global, shared by every Packr of the thread
 * (BENCHMARKS.md), so each `encodeInto` points it at a view of the ring ending at `end` (so it
 * cannot touch unread bytes), encodes with `REUSE_BUFFER_MODE`, checks where the bytes landed
 * (`pack` silently moves to a new buffer when the value does not fit: `makeRoom`), and points
 * the module buffer back at a private parking buffer so no other code ever writes into the ring.
 *
 * Decoding: every record is first copied out of shared memory into a private, reused buffer
 * (tens of nanoseconds for a small envelope). msgpackr hands strings of sources past ~140
 * bytes to its native extractor, which rejects a SharedArrayBuffer ('source must be an
 * ArrayBuffer') or, in other builds, is several times slower on one (BENCHMARKS.md pitfalls);
 * the `{ start, end }` form does not avoid it, since the limit is on the absolute end offset.
 */
export class MsgpackRecordCodec<M> implements RecordCodec<M> {
  readonly minEncodeBytes = MSGPACKR_MIN_ROOM;
  private readonly options: MsgpackOptions;
  private packr: Packr;
  private unpackr: Packr;
  private view: Buffer | undefined;
  private viewTarget: Uint8Array | undefined;
  private viewEnd = -1;
  private parking: Buffer = Buffer.allocUnsafeSlow(PARKING_BYTES);
  private scratch: Buffer = Buffer.allocUnsafeSlow(PARKING_BYTES);
  private readonly range = { start: 0, end: 0 };

  constructor(options: MsgpackRecordCodecOptions = {}) {
    this.options = { useRecords: true, sequential: true, ...options.msgpack };
    this.packr = this.newPackr();
    this.unpackr = this.newUnpackr();
  }

  // msgpackr's constructors write into their options object (`structures`, `maxSharedStructures`):
  // give each its own copy, so the two sides and later resets never share structure tables.
  private newPackr(): Packr {
    return createPackr(this.options);
  }

  private newUnpackr(): Packr {
    return createPackr(this.options);
  }

  encodeInto(message: M, target: Uint8Array, start: number, end: number): number | Uint8Array {
    const packr = this.packr;
    // After our last encode the shared position was 0 in `parking`; if it moved, other code
    // packed into `parking` and may still hold those bytes: park in a fresh buffer next time.
    if (packr.position !== 0) this.parking = Buffer.allocUnsafeSlow(PARKING_BYTES);
    let view = this.view;
    if (view === undefined || target !== this.viewTarget || end !== this.viewEnd) {
      view = this.view = Buffer.from(target.buffer, target.byteOffset, end);
      this.viewTarget = target;
      this.viewEnd = end;
    }
    let out: RangedBuffer;
    packr.useBuffer(view);
    try {
      packr.position = start;
      out = packr.pack(message, REUSE_BUFFER_MODE) as RangedBuffer;
    } finally {
      packr.useBuffer(this.parking);
    }
    if (out === view && out.start === start) return out.end;
    return out.subarray(out.start, out.end);
  }

  decode(bytes: Uint8Array, start: number, end: number): M {
    const range = this.range;
    if (bytes.buffer instanceof SharedArrayBuffer) {
      const length = end - start;
      let scratch = this.scratch;
      if (scratch.length < length) scratch = this.scratch = Buffer.allocUnsafeSlow(Math.max(length, scratch.length * 2));
      if (length <= SMALL_COPY_BYTES) {
        for (let i = 0; i < length; i++) scratch[i] = bytes[start + i] as number;
      } else {
        scratch.set(bytes.subarray(start, end));
      }
      range.start = 0;
      range.end = length;
      return this.unpackr.unpack(scratch, range) as M;
    }
    range.start = start;
    range.end = end;
    return this.unpackr.unpack(bytes, range) as M;
  }

  resetEncoder(): void {
    this.packr = this.newPackr();
  }

  resetDecoder(): void {
    this.unpackr = this.newUnpackr();
  }
}

/** A fresh msgpackr codec (one per ring side). */
export function msgpackCodec<M>(options?: MsgpackRecordCodecOptions): MsgpackRecordCodec<M> {
  return new MsgpackRecordCodec<M>(options);
}

/** Records are the bytes themselves. Decoded records are private copies. */
export class BytesCodec implements RecordCodec<Uint8Array> {
  readonly minEncodeBytes = 0;

  encodeInto(message: Uint8Array, target: Uint8Array, start: number, end: number): number | Uint8Array {
    if (message.length > end - start) return message;
    target.set(message, start);
    return start + message.length;
  }

  decode(bytes: Uint8Array, start: number, end: number): Uint8Array {
    if (!(bytes.buffer instanceof SharedArrayBuffer) && start === 0 && end === bytes.length) return bytes;
    return new Uint8Array(bytes.subarray(start, end));
  }
}

export function bytesCodec(): BytesCodec {
  return new BytesCodec();
}
