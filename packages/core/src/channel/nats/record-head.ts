/**
 * channel/nats/record-head.ts: the fixed 60-byte header of an envelope record
 * (wire/envelope-record-layout.ts) packed into a few varints for the trip over NATS, and
 * unpacked again before the record codec reads it. Written here, not taken from a library: it
 * is a transform of this codebase's own record layout.
 *
 * Why: the ring wants a fixed header (it is read in place, 8-aligned), but over NATS every byte
 * is copied by the sender's socket, the server (in and out) and the receiver's parser; a small
 * message's record was 125 bytes on the wire, half of it header, mostly zeros, the same slots as
 * the record before, and numbers that grow by one (benchmarks/nats.bench.ts measures the bytes
 * per message beside the raw client's). Packed, the header of a ref send is about 14 bytes alone,
 * and 2 or 3 bytes in a stream of them (RH-4).
 *
 * ## Packed header
 *
 * ```
 * [form u8]   bit 7: raw (the header's bytes 2..60 follow as they are; nothing else below);
 *             bit 0: time is a varint delta (else f64 LE); bit 1: seq likewise
 * [mask varint] which fields follow (bit: 0 time, 1 payload bytes, 2 defs, 3 seq, 4 record,
 *             5 flags, 6 extra bytes, 7..12 the i32s); an absent field is its prediction (RH-4)
 * the present fields, in this order (LEB128; zz = zigzag of an i32):
 *   defs, flags, record - previous record (u32), zz sender, zz dest, zz port, zz ttl, zz type,
 *   zz session, payload bytes, time (zz delta from the previous integral time, or 8 bytes f64),
 *   seq (likewise), extra bytes
 * ```
 *
 * ## Invariants
 *
 * - RH-1 Lossless: `unpack(pack(h))` is `h`, byte for byte (the magic is checked at pack time and
 *   written back at unpack time); a packed header is never longer than the header (the raw form).
 * - RH-2 The deltas (record number, time, seq) are taken from the previous record of the same
 *   session that was sent: `pack` runs only for a record that goes into the outbox (after NX-7's
 *   checks), `unpack` only for the item NS-1 decodes, so both sides see the same records in the
 *   same order (the same property NRC-1 rests on).
 * - RH-4 Only what differs from the prediction goes (the packed header of a ref send in a stream
 *   of them is 2 or 3 bytes): defs is predicted 0, the record number and an integral seq the
 *   previous + 1, an integral time the previous integral time, every other field the previous
 *   record's value; "previous" is RH-2's (both sides note every record's fields, the raw form's
 *   too), and a non-integral time or seq is always present.
 * - RH-3 An unpacked record is written into the unpacker's own shared scratch, whose view the
 *   record codec keeps (the codec copies the payload out: nothing refers to the scratch after
 *   `decode`); a packed header that runs past its item throws `ChannelError('protocol')`.
 */
import { HEADER_BYTES, O_DATA_BYTES, O_DEFS, O_DEST, O_EXTRA_BYTES, O_FLAGS, O_MAGIC, O_PORT, O_RECORD, O_SENDER, O_SEQ, O_SESSION, O_TIME, O_TTL, O_TYPE, RECORD_MAGIC } from '../../wire/envelope-record-layout.js';
import { ChannelError } from '../types.js';

const RAW = 0x80;
const INT_TIME = 1;
const INT_SEQ = 2;
/** Deltas up to this size go as varints (exact, and at most 8 bytes). */
const MAX_DELTA = 2 ** 48;
/** The zigzag-coded i32 fields, in packed order (`HeadUnpacker.unpack` reads them in this order). */
const I32_FIELDS = [O_SENDER, O_DEST, O_PORT, O_TTL, O_TYPE, O_SESSION] as const;

/**
 * Mask bits of the packed fields (RH-4); the ones that change most often in the low 7 bits (a
 * one-byte mask).
 */
const M_TIME = 1 << 0;
const M_DATA_BYTES = 1 << 1;
const M_DEFS = 1 << 2;
const M_SEQ = 1 << 3;
const M_RECORD = 1 << 4;
const M_FLAGS = 1 << 5;
const M_EXTRA = 1 << 6;
const M_I32 = 1 << 7; // .. 1 << 12, in `I32_FIELDS` order

/** RH-2, RH-4: what one side knows of the previous record of its session. */
class Previous {
  record = 0;
  time = 0;
  seq = 0;
  flags = 0;
  dataBytes = 0;
  extra = 0;
  readonly i32 = [0, 0, 0, 0, 0, 0];

  /** Note the fields of the full header at `start` of `v`. */
  note(v: DataView, start: number): void {
    for (let k = 0; k < I32_FIELDS.length; k++) this.i32[k] = v.getInt32(start + I32_FIELDS[k]!, true);
    this.set(
      v.getUint32(start + O_RECORD, true),
      v.getUint32(start + O_FLAGS, true),
      v.getUint32(start + O_DATA_BYTES, true),
      v.getUint32(start + O_EXTRA_BYTES, true),
      v.getFloat64(start + O_TIME, true),
      v.getFloat64(start + O_SEQ, true),
    );
  }

  /** Note the fields other than the i32s (those the caller wrote into `i32`). */
  set(record: number, flags: number, dataBytes: number, extra: number, time: number, seq: number): void {
    this.record = record;
    this.flags = flags;
    this.dataBytes = dataBytes;
    this.extra = extra;
    if (integral(time)) this.time = time;
    if (integral(seq)) this.seq = seq;
  }
}

/** A safe integer that is not -0 (which a delta would turn into +0: RH-1). */
function integral(x: number): boolean {
  return Number.isSafeInteger(x) && (x !== 0 || 1 / x > 0);
}

/** The sending side of one session (RH-2). */
export class HeadPacker {
  private readonly prev = new Previous();
  private view: DataView | undefined;
  private viewOf: Uint8Array | undefined;
  private readonly head = new Uint8Array(HEADER_BYTES);
  private readonly i32 = [0, 0, 0, 0, 0, 0];

  /**
   * Pack the header of the record `buf[start, end)` in place; the record's new end. Throws
   * `ChannelError('protocol')` when it is not an envelope record.
   */
  packInPlace(buf: Uint8Array, start: number, end: number): number {
    const n = this.packHead(buf, start, end);
    moveBytes(buf, start + HEADER_BYTES, end, buf, start + n); // backwards: n < HEADER_BYTES
    moveBytes(this.head, 0, n, buf, start);
    return end - HEADER_BYTES + n;
  }

  /** `packInPlace` for a record outside the outbox: a new array. */
  pack(record: Uint8Array): Uint8Array {
    const n = this.packHead(record, 0, record.length);
    const out = new Uint8Array(record.length - HEADER_BYTES + n);
    out.set(this.head.subarray(0, n), 0);
    out.set(record.subarray(HEADER_BYTES), n);
    return out;
  }

  /** The packed header of the record at `start` into `this.head`; its length. */
  private packHead(buf: Uint8Array, start: number, end: number): number {
    let v = this.view;
    if (v === undefined || this.viewOf !== buf) {
      v = this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      this.viewOf = buf;
    }
    if (end - start < HEADER_BYTES || v.getUint16(start + O_MAGIC, true) !== RECORD_MAGIC) throw new ChannelError('protocol', 'not an envelope record');
    const h = this.head;
    const prev = this.prev;
    const defs = v.getUint16(start + O_DEFS, true);
    const flags = v.getUint32(start + O_FLAGS, true);
    const record = v.getUint32(start + O_RECORD, true);
    const dataBytes = v.getUint32(start + O_DATA_BYTES, true);
    const time = v.getFloat64(start + O_TIME, true);
    const seq = v.getFloat64(start + O_SEQ, true);
    const extra = v.getUint32(start + O_EXTRA_BYTES, true);
    const intTime = integral(time) && Math.abs(time - prev.time) <= MAX_DELTA;
    const intSeq = integral(seq) && Math.abs(seq - prev.seq) <= MAX_DELTA;
    const recordDelta = (record - prev.record) >>> 0;
    // RH-4: which fields differ from their prediction
    let mask = 0;
    if (defs !== 0) mask |= M_DEFS;
    if (flags !== prev.flags) mask |= M_FLAGS;
    if (recordDelta !== 1) mask |= M_RECORD;
    const i32 = this.i32;
    for (let k = 0; k < I32_FIELDS.length; k++) {
      const x = (i32[k] = v.getInt32(start + I32_FIELDS[k]!, true));
      if (x !== prev.i32[k]) mask |= M_I32 << k;
    }
    if (dataBytes !== prev.dataBytes) mask |= M_DATA_BYTES;
    if (!intTime || time !== prev.time) mask |= M_TIME;
    if (!intSeq || seq !== prev.seq + 1) mask |= M_SEQ;
    if (extra !== prev.extra) mask |= M_EXTRA;
    let p = varint(h, 1, mask);
    if ((mask & M_DEFS) !== 0) p = varint(h, p, defs);
    if ((mask & M_FLAGS) !== 0) p = varint(h, p, flags);
    if ((mask & M_RECORD) !== 0) p = varint(h, p, recordDelta);
    if ((mask & (0x3f * M_I32)) !== 0) {
      for (let k = 0; k < I32_FIELDS.length; k++) {
        if ((mask & (M_I32 << k)) !== 0) p = varint(h, p, zigzag(i32[k]!));
        prev.i32[k] = i32[k]!;
      }
    }
    if ((mask & M_DATA_BYTES) !== 0) p = varint(h, p, dataBytes);
    // the rest may not fit: checked before each write (RH-1)
    if ((mask & M_TIME) !== 0) p = intTime ? bigVarint(h, p, bigZigzag(time - prev.time)) : f64(h, p, v, start + O_TIME);
    if ((mask & M_SEQ) !== 0 && p > 0) p = intSeq ? bigVarint(h, p, bigZigzag(seq - prev.seq)) : f64(h, p, v, start + O_SEQ);
    if ((mask & M_EXTRA) !== 0 && p > 0) p = varint(h, p, extra);
    prev.set(record, flags, dataBytes, extra, time, seq); // RH-2 (the i32s above, when any differed)
    if (p < 0) {
      h[0] = RAW;
      h.set(buf.subarray(start + 2, start + HEADER_BYTES), 1);
      return HEADER_BYTES - 1;
    }
    h[0] = (intTime ? INT_TIME : 0) | (intSeq ? INT_SEQ : 0);
    return p;
  }
}

/** The receiving side of one session (RH-2, RH-3). */
export class HeadUnpacker {
  private readonly prev = new Previous();
  private scratch = new Uint8Array(new SharedArrayBuffer(4096));
  private view = new DataView(this.scratch.buffer);
  private readonly r = new Reader();
  private readonly i32 = [0, 0, 0, 0, 0, 0];

  /** Where `unpack` writes the record (RH-3). */
  get bytes(): Uint8Array {
    return this.scratch;
  }

  /** The record whose packed form is `data[start, end)`, whole, into `bytes`: its length. */
  unpack(data: Uint8Array, start: number, end: number): number {
    const r = this.r;
    r.reset(data, start, end);
    const form = r.byte();
    let headEnd: number;
    let rest: number;
    if ((form & RAW) !== 0) {
      headEnd = start + HEADER_BYTES - 1;
      if (headEnd > end) throw overrun();
      rest = end - headEnd;
      const v = this.room(HEADER_BYTES + rest);
      this.scratch.set(data.subarray(start + 1, headEnd), 2);
      v.setUint16(O_MAGIC, RECORD_MAGIC, true);
      this.prev.note(v, 0); // RH-2
    } else {
      const prev = this.prev;
      const mask = r.varint();
      const defs = (mask & M_DEFS) !== 0 ? r.varint() : 0; // RH-4: absent, the prediction
      const flags = (mask & M_FLAGS) !== 0 ? r.varint() : prev.flags;
      const record = (prev.record + ((mask & M_RECORD) !== 0 ? r.varint() : 1)) >>> 0;
      const i32 = this.i32;
      for (let k = 0; k < I32_FIELDS.length; k++) i32[k] = (mask & (M_I32 << k)) !== 0 ? unzigzag(r.varint()) : prev.i32[k]!;
      const dataBytes = (mask & M_DATA_BYTES) !== 0 ? r.varint() : prev.dataBytes;
      const time = (mask & M_TIME) === 0 ? prev.time : (form & INT_TIME) !== 0 ? prev.time + bigUnzigzag(r.bigVarint()) : r.f64();
      const seq = (mask & M_SEQ) === 0 ? prev.seq + 1 : (form & INT_SEQ) !== 0 ? prev.seq + bigUnzigzag(r.bigVarint()) : r.f64();
      const extra = (mask & M_EXTRA) !== 0 ? r.varint() : prev.extra;
      headEnd = r.at;
      rest = end - headEnd;
      const v = this.room(HEADER_BYTES + rest);
      v.setUint16(O_MAGIC, RECORD_MAGIC, true);
      v.setUint16(O_DEFS, defs, true);
      v.setUint32(O_FLAGS, flags, true);
      v.setUint32(O_RECORD, record, true);
      for (let k = 0; k < I32_FIELDS.length; k++) v.setInt32(I32_FIELDS[k]!, i32[k]!, true);
      v.setUint32(O_DATA_BYTES, dataBytes, true);
      v.setFloat64(O_TIME, time, true);
      v.setFloat64(O_SEQ, seq, true);
      v.setUint32(O_EXTRA_BYTES, extra, true);
      for (let k = 0; k < I32_FIELDS.length; k++) prev.i32[k] = i32[k]!;
      prev.set(record, flags, dataBytes, extra, time, seq); // RH-2
    }
    moveBytes(data, headEnd, end, this.scratch, HEADER_BYTES);
    return HEADER_BYTES + rest;
  }

  /** A scratch of at least `bytes` (RH-3: shared memory, so the codec keeps one view of it). */
  private room(bytes: number): DataView {
    if (this.scratch.length < bytes) {
      this.scratch = new Uint8Array(new SharedArrayBuffer(Math.max(bytes, this.scratch.length * 2)));
      this.view = new DataView(this.scratch.buffer);
    }
    return this.view;
  }
}

/** Below this many bytes a plain loop beats `copyWithin`/`set` (and allocates no view). */
const LOOP_COPY_BYTES = 256;

/** Copy `from[start, end)` to `to` at `at`; within one array only towards lower offsets. */
function moveBytes(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): void {
  if (end - start > LOOP_COPY_BYTES) {
    if (from === to) to.copyWithin(at, start, end);
    else to.set(from.subarray(start, end), at);
    return;
  }
  for (let i = start; i < end; i++) to[at++] = from[i]!;
}

function zigzag(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

function unzigzag(z: number): number {
  return (z >>> 1) ^ -(z & 1);
}

/** Zigzag of a safe integer up to `MAX_DELTA` in size, by arithmetic (no 32-bit truncation). */
function bigZigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

function bigUnzigzag(z: number): number {
  return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
}

/** A u32 as LEB128 at `p`, or -1 when `p` is -1 or it does not fit (RH-1). */
function varint(h: Uint8Array, p: number, value: number): number {
  if (p < 0) return -1;
  let x = value >>> 0;
  while (x >= 0x80) {
    if (p >= h.length) return -1;
    h[p++] = (x & 0x7f) | 0x80;
    x >>>= 7;
  }
  if (p >= h.length) return -1;
  h[p++] = x;
  return p;
}

function bigVarint(h: Uint8Array, p: number, value: number): number {
  if (p < 0) return -1;
  let x = value;
  while (x >= 0x80) {
    if (p >= h.length) return -1;
    h[p++] = (x % 0x80) | 0x80;
    x = Math.floor(x / 0x80);
  }
  if (p >= h.length) return -1;
  h[p++] = x;
  return p;
}

function f64(h: Uint8Array, p: number, v: DataView, at: number): number {
  if (p < 0 || p + 8 > h.length) return -1;
  for (let k = 0; k < 8; k++) h[p + k] = v.getUint8(at + k);
  return p + 8;
}

function overrun(): ChannelError {
  return new ChannelError('protocol', 'packed record header runs past its item');
}

class Reader {
  private data: Uint8Array = new Uint8Array(0);
  at = 0;
  private end = 0;

  reset(data: Uint8Array, start: number, end: number): void {
    this.data = data;
    this.at = start;
    this.end = end;
  }

  byte(): number {
    if (this.at >= this.end) throw overrun();
    return this.data[this.at++]!;
  }

  varint(): number {
    let x = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      x += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return x >>> 0;
    }
    throw new ChannelError('protocol', 'packed record header: varint too long');
  }

  bigVarint(): number {
    let x = 0;
    for (let shift = 0; shift < 56; shift += 7) {
      const b = this.byte();
      x += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return x;
    }
    throw new ChannelError('protocol', 'packed record header: varint too long');
  }

  f64(): number {
    if (this.at + 8 > this.end) throw overrun();
    const v = new DataView(this.data.buffer, this.data.byteOffset + this.at, 8);
    this.at += 8;
    return v.getFloat64(0, true);
  }
}
