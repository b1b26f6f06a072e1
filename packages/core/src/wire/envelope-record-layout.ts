/**
 * wire/envelope-record-layout.ts: the byte layout of an envelope ring record (the offsets,
 * flags and definition kinds `EnvelopeRecordCodec` writes and reads), the encoder's interning
 * table, and the helpers and errors of its hot paths. The codec itself: envelope-record.ts.
 *
 * ## Record layout (little-endian; the ring hands out 8-aligned starts)
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | u16 | `RECORD_MAGIC` |
 * | 2 | u16 | number of definitions after the header |
 * | 4 | u32 | flags (`F_*`) |
 * | 8 | u32 | record number: 1, 2, 3, ... since the last codec reset (mod 2^32; EC-1 is checked) |
 * | 12 | i32 | sender: actor slot |
 * | 16 | i32 | destination actor: actor slot |
 * | 20 | i32 | destination port index |
 * | 24 | i32 | ttl |
 * | 28 | i32 | `message_type` header: string slot (with `F_MESSAGE_TYPE`) |
 * | 32 | i32 | `seq_info` session id: string slot (with `F_SEQ_SESSION`) |
 * | 36 | u32 | payload bytes |
 * | 40 | f64 | `send_timestamp` header (with `F_TIMESTAMP`) |
 * | 48 | f64 | `seq_info` seq (with `F_SEQ_SESSION`) |
 * | 56 | u32 | extra header bytes |
 * | 60 | | definitions, then the payload, then the extra headers, then the errors |
 *
 * - A definition is 8 bytes (u8 kind, 3 zero bytes, u32 slot) and its body: a string is u32
 *   length + UTF-8; an actor is u32 pid and three i32 string slots (address, proc name, actor
 *   name) defined earlier (in this record or before).
 * - Extra headers: every header other than the three well-known ones (or one of them with a
 *   value of another type), as msgpackr bytes of an object (`encodePayload`: ids and refs in
 *   them survive).
 * - Attachments (with `F_ATTACHED` or `F_ATTACHED_INLINE`), after the extra headers: side-channel.ts.
 * - Errors (with `F_ERRORS`): u32 count, then per error its kind and detail as u32 length +
 *   UTF-8.
 *
 */
import { HEADER, type Headers } from '../mailbox/envelope.js';
import type { ActorId, ProcId } from '../id.js';
import type { DeliveryError } from '../mailbox/errors.js';
import { CodecError } from './errors.js';
import { encodePayload } from './payload.js';
import type { SideChannel } from './side-channel.js';

export const RECORD_MAGIC = 0x4550;

export const O_MAGIC = 0;
export const O_DEFS = 2;
export const O_FLAGS = 4;
export const O_RECORD = 8;
export const O_SENDER = 12;
export const O_DEST = 16;
export const O_PORT = 20;
export const O_TTL = 24;
export const O_TYPE = 28;
export const O_SESSION = 32;
export const O_DATA_BYTES = 36;
export const O_TIME = 40;
export const O_SEQ = 48;
export const O_EXTRA_BYTES = 56;
export const HEADER_BYTES = 60;

export const F_RETURN_UNDELIVERABLE = 1 << 0;
export const F_TIMESTAMP = 1 << 1;
export const F_MESSAGE_TYPE = 1 << 2;
export const F_SEQ_SESSION = 1 << 3;
export const F_SEQ_DIRECT = 1 << 4;
export const F_ERRORS = 1 << 5;
/** The payload has attachments (side-channel.ts): their count here, the memory on the side port. */
export const F_ATTACHED = 1 << 6;
/** The payload has attachments, inlined in the record (a ring without a side port). */
export const F_ATTACHED_INLINE = 1 << 7;

export const DEF_HEADER_BYTES = 8;
export const DEF_STRING = 1;
export const DEF_ACTOR = 2;
export const ACTOR_DEF_BODY_BYTES = 16;

/** Default table sizes (slots). */
export const DEFAULT_ACTOR_SLOTS = 4096;
export const DEFAULT_STRING_SLOTS = 4096;

/** `encodeInto` is given ring memory only when this much is free; larger records are copied in. */
export const MIN_ENCODE_BYTES = 512;
/** Payload copies are carved from slabs of this size (larger payloads get their own buffer). */
export const SLAB_BYTES = 256 * 1024;
export const SLAB_MAX_COPY = SLAB_BYTES >>> 3;
/** Up to this many bytes, copies out of the ring go a 32-bit word at a time (no view allocated). */
export const SMALL_COPY_BYTES = 256;

export const HEADER_SEND_TIMESTAMP = HEADER.SEND_TIMESTAMP;
export const HEADER_MESSAGE_TYPE = HEADER.MESSAGE_TYPE;
export const HEADER_SEQ_INFO = HEADER.SEQ_INFO;

export const utf8 = new TextEncoder();
export const EMPTY = new Uint8Array(0);

export interface EnvelopeRecordCodecOptions {
  /** Slots of the actor id table (default 4096). */
  readonly actorSlots?: number;
  /** Slots of the string table (default 4096). */
  readonly stringSlots?: number;
  /**
   * The receiving proc's id: decoded ids of that proc share this object, so the proc's and
   * the mailboxes' routing checks succeed by identity.
   */
  readonly localProc?: ProcId;
  /** How attachments travel (side-channel.ts); default: inlined in the record. */
  readonly side?: SideChannel;
}

/** Reassigned slots kept for `takeoverDecoder` (EC-4); older entries are dropped. */
export const EVICTION_LOG_LIMIT = 4096;

/** A slot reassignment: `previous` is what the slot held before record `record` redefined it. */
export interface Eviction {
  readonly record: number;
  readonly actor: boolean;
  readonly slot: number;
  readonly previous: ActorId | string;
}

/** The encoder's tables when a takeover decoder was made (EC-4). */
export interface Snapshot {
  readonly record: number;
  readonly actors: (ActorId | undefined)[];
  readonly strings: (string | undefined)[];
  readonly log: readonly Eviction[];
  /** Records up to this one cannot be decoded from the snapshot. */
  readonly horizon: number;
}

/** A one-entry cache of the encoder's string table (`EnvelopeRecordCodec.stringSlot`). */
export interface StringSlotCache {
  value: string | undefined;
  slot: number;
}

/** A definition pending in the record being encoded. */
export interface PendingDef {
  kind: number;
  slot: number;
  /** DEF_STRING: the UTF-8 bytes. */
  bytes: Uint8Array;
  /** DEF_ACTOR: pid and string slots. */
  pid: number;
  addr: number;
  proc: number;
  name: number;
}

/** One interning table of the encoder: key -> slot, with round-robin reassignment when full. */
export class SlotTable {
  readonly slots = new Map<string, number>();
  readonly keys: (string | undefined)[] = [];
  /** The record number that last used each slot (EC-2). */
  readonly stamps: Float64Array;
  private used = 0;
  private victim = 0;

  constructor(readonly size: number) {
    this.stamps = new Float64Array(size).fill(-1);
  }

  /** A free slot, or a reassigned one not used by `record`; `evicted` is its previous key. */
  allocate(record: number): { slot: number; evicted: string | undefined } {
    if (this.used < this.size) return { slot: this.used++, evicted: undefined };
    let slot = this.victim;
    while (this.stamps[slot] === record) slot = (slot + 1) % this.size;
    this.victim = (slot + 1) % this.size;
    const evicted = this.keys[slot];
    if (evicted !== undefined) this.slots.delete(evicted);
    return { slot, evicted };
  }

  clear(): void {
    this.slots.clear();
    this.keys.length = 0;
    this.stamps.fill(-1);
    this.used = 0;
    this.victim = 0;
  }
}

// ---- errors of the hot paths ---------------------------------------------------------------
//
// Built in functions of their own: a template literal inlined in `encodeInto` or `decode` lets
// TurboFan schedule its number-to-string conversion ahead of the branch that throws, on every
// call (~10 ns a record on the receiving side here, seen as `NumberToString` in `perf`).

export function unencodable(port: number, ttl: number): CodecError {
  return new CodecError('serialize', `envelope with port index ${port} and ttl ${ttl} cannot be encoded`);
}

export function malformedRecord(bytes: number): CodecError {
  return new CodecError('deserialize', `malformed envelope record (${bytes} bytes)`);
}

export function beforeHorizon(record: number): CodecError {
  return new CodecError('deserialize', `record ${record} was encoded before the takeover decoder's horizon`);
}

export function outOfSequence(record: number, expected: number): CodecError {
  return new CodecError('deserialize', `envelope record ${record} out of sequence (expected ${expected})`);
}

export function undefinedActorSlots(sender: number, dest: number): CodecError {
  return new CodecError('deserialize', `envelope record refers to undefined actor slots ${sender}, ${dest}`);
}

export function undefinedStringSlot(slot: number): CodecError {
  return new CodecError('deserialize', `envelope record refers to undefined string slot ${slot}`);
}

/** `set` beats a loop even for a few bytes when `out` is shared memory (~30 ns against ~65 ns for 41 bytes). */
export function copyInto(out: Uint8Array, p: number, bytes: Uint8Array): number {
  out.set(bytes, p);
  return p + bytes.length;
}

/** Memory for payload copies, not zeroed (a view only ever covers bytes copied into it). */
export function newSlab(): ArrayBuffer {
  return Buffer.allocUnsafeSlow(SLAB_BYTES).buffer as ArrayBuffer;
}

export function copyPrivate(bytes: Uint8Array, p: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(bytes.subarray(p, p + length));
  return out;
}

/** msgpackr bytes of the headers the fixed header does not hold. */
export function encodeExtraHeaders(headers: Headers, flags: number): Uint8Array {
  const extra: Record<string, unknown> = {};
  for (const key of Object.keys(headers)) {
    if (key === HEADER_SEND_TIMESTAMP && (flags & F_TIMESTAMP) !== 0) continue;
    if (key === HEADER_MESSAGE_TYPE && (flags & F_MESSAGE_TYPE) !== 0) continue;
    if (key === HEADER_SEQ_INFO && (flags & (F_SEQ_SESSION | F_SEQ_DIRECT)) !== 0) continue;
    extra[key] = headers[key];
  }
  // a copy: the bytes may be a view of msgpackr's shared output buffer
  return new Uint8Array(encodePayload(extra));
}

export function encodeErrors(errors: readonly DeliveryError[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let size = 4;
  for (const error of errors) {
    for (const text of [error.kind, error.detail]) {
      const bytes = utf8.encode(text);
      parts.push(bytes);
      size += 4 + bytes.length;
    }
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, errors.length, true);
  let p = 4;
  for (const bytes of parts) {
    view.setUint32(p, bytes.length, true);
    out.set(bytes, p + 4);
    p += 4 + bytes.length;
  }
  return out;
}

