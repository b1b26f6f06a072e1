/**
 * wire/envelope-fast.ts: the fast path of the envelope tuple codec (envelope.ts): the common
 * envelope written and read by hand, in msgpackr's own bytes, beside the general path
 * (msgpackr with the extensions of msgpack.ts, after the `checkMsgpack` walk).
 *
 * Written by hand because the profile of a net round trip (README "net" rows, issue 16) put a
 * third of the runtime's CPU per message in the tuple: msgpackr dispatches each id through its
 * extension table, `String(addr)` and the parts of every id are written again for every
 * message, and a decode walks the bytes, builds each id's strings, its interning key and its
 * `key` string again. Here an id's bytes are made once per id object (a `WeakMap`), and a
 * decoded id is found again by its bytes (a bounded direct-mapped cache, id-fast.ts), so a stream of
 * envelopes between the same actors writes and reads ids as byte copies and compares.
 *
 * Covered: a 7-element tuple (no attachments) whose ids' strings are ASCII, whose payload is a
 * `Uint8Array` or `Buffer`, whose headers `packPlain` writes (plain data) and whose error list
 * is empty; its decode reads exactly those forms, with headers of maps, ASCII strings, numbers,
 * booleans and nil. Anything else gives up (`undefined`) and the caller takes the general path,
 * which decides what malformed or over-limit bytes mean.
 *
 * ## Invariants
 *
 * - EF-1: when `packEnvelope(env)` returns bytes, they are the bytes
 *   `packr.pack(envelopeToWire(env))` writes (the general path reads them, and so does any
 *   msgpack reader of the tuple).
 * - EF-2: when `unpackEnvelope(bytes)` returns an envelope, it is the envelope the general
 *   path (`checkMsgpack`, msgpackr, `envelopeFromWire`) returns for the same bytes: same ids
 *   (by value; a cached id object may be shared between envelopes: ids are immutable), a copy
 *   of the payload bytes, structurally equal headers, `foreign`. It never reads outside
 *   `bytes`; giving up has no effect beyond the caches.
 * - EF-3: it returns an envelope only for input within the decode limits (wire/limits.ts
 *   DL-2: depth, elements, bytes); above them it gives up, and the general path throws
 *   `limit-exceeded`.
 * - EF-4: the caches are bounded: the ids' (id-fast.ts IDF-3), `STRING_SLOTS` header strings,
 *   `PREDICTED_STRINGS` predicted ones (EF-5); a payload copy of up to 4 KiB is a view of a
 *   64 KiB slab (filled once, front to back), and keeps that slab alive.
 * - EF-5: the k-th header string of a decode (a key or a value, k < `PREDICTED_STRINGS`, up to
 *   `PREDICTED_MAX` bytes) is first compared with the k-th string of the decode before: equal
 *   bytes are the same string (it was ASCII then), read with one compare per byte instead of
 *   the ASCII scan, the hash and the cache's compare. A stream of envelopes between the same
 *   actors has the same header keys in the same order (and a session's `seq_info` the same
 *   session id), so only the changing values are read in full.
 * - EF-6: `unpackEnvelope(bytes, limits, start, stop)` returns what `unpackEnvelope` of a copy
 *   of `bytes[start, stop)` returns (positions are absolute; nothing outside the range is read).
 * - EF-7: a header map read as an object literal of a known shape (`readMap3`) has the own keys,
 *   in the same order, and the values that the general loop of `readMap` gives it.
 */
import { ActorId, PortId } from '../id.js';
import { MessageEnvelope } from '../mailbox/envelope.js';
import { decodeLimits, type DecodeLimits } from './limits.js';
import { HINT_DEST, HINT_SENDER, decodedRef, encodedId, readId, writeUint, type IdHint } from './id-fast.js';
import { packPlain } from './plain-pack.js';

/** msgpackr's typed-array extension ("t") and its code for `Uint8Array` (moreTypes). */
const EXT_TYPED_ARRAY = 0x74;
const TYPED_UINT8 = 1;
/** Deepest header nesting read here (the headers map itself is depth 1). */
const MAX_HEADER_DEPTH = 4;
/** Header-string cache slots and the longest string cached (EF-4). */
const STRING_SLOTS = 512;
const STRING_CACHE_MAX = 24;

// ---- encoding ------------------------------------------------------------------------------

/**
 * The tuple bytes of `env` (EF-1), or undefined when the envelope is not one the fast path
 * covers (the caller packs it with msgpackr).
 */
export function packEnvelope(env: MessageEnvelope): Uint8Array | undefined {
  if (env.errors.length !== 0 || env.ttl >>> 0 !== env.ttl) return undefined;
  const data = env.data;
  const ctor = data.constructor;
  const isBuffer = ctor === Buffer;
  if (ctor !== Uint8Array && !isBuffer) return undefined; // attachments (AttachedBytes) and views of other kinds
  const sender = encodedId(env.sender);
  if (sender === undefined) return undefined;
  const dest = encodedId(env.dest);
  if (dest === undefined) return undefined;
  const headers = packPlain(env.headers);
  if (headers === undefined) return undefined;
  const length = data.length;
  // the exact size (a view of an oversized buffer would be one more object per envelope)
  const dataHead = isBuffer ? (length < 0x100 ? 2 : length < 0x10000 ? 3 : 5) : length + 1 < 0x100 ? 4 : length + 1 < 0x10000 ? 5 : 7;
  const ttl = env.ttl;
  const ttlSize = ttl < 0x80 ? 1 : ttl < 0x100 ? 2 : ttl < 0x10000 ? 3 : 5;
  const size = 1 + sender.length + dest.length + dataHead + length + headers.length + ttlSize + 2;
  const out = Buffer.allocUnsafe(size);
  out[0] = 0x97;
  out.set(sender, 1);
  let p = 1 + sender.length;
  out.set(dest, p);
  p += dest.length;
  if (isBuffer) {
    // msgpackr writes a Buffer as bin
    if (length < 0x100) {
      out[p++] = 0xc4;
      out[p++] = length;
    } else if (length < 0x10000) {
      out[p++] = 0xc5;
      out[p++] = length >>> 8;
      out[p++] = length & 0xff;
    } else {
      out[p++] = 0xc6;
      out.writeUInt32BE(length, p);
      p += 4;
    }
  } else {
    // and a Uint8Array as its typed-array extension (moreTypes): ext 8/16/32, "t", 1
    const body = length + 1;
    if (body < 0x100) {
      out[p++] = 0xc7;
      out[p++] = body;
    } else if (body < 0x10000) {
      out[p++] = 0xc8;
      out[p++] = body >>> 8;
      out[p++] = body & 0xff;
    } else {
      out[p++] = 0xc9;
      out.writeUInt32BE(body, p);
      p += 4;
    }
    out[p++] = EXT_TYPED_ARRAY;
    out[p++] = TYPED_UINT8;
  }
  out.set(data, p);
  p += length;
  out.set(headers, p);
  p += headers.length;
  p = writeUint(out, p, ttl);
  out[p++] = env.returnUndeliverable ? 0xc3 : 0xc2;
  out[p++] = 0x90; // no errors
  return out;
}

// ---- decoding ------------------------------------------------------------------------------

// The decode's state: one decode at a time per thread (it never calls out while reading).
let src: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;
let elementsLeft = 0;
let maxBytes = 0;
let maxDepth = 0;
const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A direct-mapped cache from byte strings to the values they decode to (EF-4). */
class BytesCache<V> {
  private readonly keys: (Uint8Array | undefined)[];
  private readonly values: (V | undefined)[];
  constructor(private readonly mask: number) {
    this.keys = new Array<Uint8Array | undefined>(mask + 1);
    this.values = new Array<V | undefined>(mask + 1);
  }

  /** The value cached for `src[start, stop)`, or undefined; `hash` is `hashRange`'s. */
  get(hash: number, start: number, stop: number): V | undefined {
    const slot = hash & this.mask;
    const key = this.keys[slot];
    if (key === undefined || key.length !== stop - start) return undefined;
    for (let i = 0; i < key.length; i++) if (key[i] !== src[start + i]) return undefined;
    return this.values[slot];
  }

  set(hash: number, start: number, stop: number, value: V): void {
    const slot = hash & this.mask;
    this.keys[slot] = copyOf(start, stop);
    this.values[slot] = value;
  }
}

const strings = new BytesCache<string>(STRING_SLOTS - 1);

/** EF-5: the strings of the decode before, by their place in it. */
const PREDICTED_STRINGS = 16;
const PREDICTED_MAX = 64;
const predictedBytes: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(PREDICTED_STRINGS).fill(undefined);
const predictedText: string[] = new Array<string>(PREDICTED_STRINGS).fill('');
/** The place of the next string in this decode (EF-5). */
let stringAt = 0;

/** FNV-1a over `src[start, stop)`. */
function hashRange(start: number, stop: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < stop; i++) h = Math.imul(h ^ (src[i] as number), 0x01000193);
  return h >>> 0;
}

/**
 * The envelope the tuple bytes `bytes[start, stop)` hold (EF-2), `foreign`; or undefined when the bytes are not in
 * the forms the fast path reads, or claim more than the decode limits allow (EF-3): the
 * caller then decodes them on the general path. EF-6: the range is read as if it were the
 * whole input (no view of it is made: a net frame is decoded in place in its socket chunk).
 */
export function unpackEnvelope(bytes: Uint8Array, limits: DecodeLimits = decodeLimits(), start = 0, stop = bytes.length): MessageEnvelope | undefined {
  // the tuple, an id and its parts, headers; id strings of up to 255 bytes (id-fast.ts)
  if (limits.maxDepth < 3 + MAX_HEADER_DEPTH || limits.maxBytes < 0x100) return undefined;
  if (start < 0 || stop > bytes.length || start > stop) return undefined;
  src = bytes;
  pos = start;
  end = stop;
  elementsLeft = limits.maxElements;
  maxBytes = limits.maxBytes;
  maxDepth = MAX_HEADER_DEPTH;
  stringAt = 0;
  try {
    return readEnvelope();
  } finally {
    src = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

function readEnvelope(): MessageEnvelope | undefined {
  if (pos >= end || src[pos] !== 0x97 || !spend(7)) return undefined;
  pos++;
  const sender = readIdHere(HINT_SENDER);
  if (!(sender instanceof ActorId)) return undefined;
  const dest = readIdHere(HINT_DEST);
  if (!(dest instanceof PortId)) return undefined;
  const data = readData();
  if (data === undefined) return undefined;
  if (pos >= end) return undefined;
  const head = src[pos] as number;
  let count: number;
  if (head === 0xde) {
    count = readLength(2);
    if (count < 0) return undefined;
    pos += 3;
  } else if ((head & 0xf0) === 0x80) {
    count = head & 0x0f;
    pos++;
  } else return undefined;
  const headers = readMap(count, 1);
  if (headers === undefined) return undefined;
  const ttl = readScalar();
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0) return undefined;
  if (pos + 2 !== end) return undefined;
  const ret = src[pos];
  if ((ret !== 0xc2 && ret !== 0xc3) || src[pos + 1] !== 0x90) return undefined;
  const envelope = new MessageEnvelope(sender, dest, data, headers, ttl, ret === 0xc3, []);
  envelope.foreign = true;
  return envelope;
}

/** Count `n` elements against the limit (DL-2). */
function spend(n: number): boolean {
  elementsLeft -= n;
  return elementsLeft >= 0;
}

/** The id at `pos` (id-fast.ts), counting its parts (DL-2); undefined to give up. */
function readIdHere(hint: IdHint): ActorId | PortId | undefined {
  if (pos + 4 > end || !spend(src[pos + 3] === 0x95 ? 5 : 4)) return undefined;
  const at = readId(src, pos, end, hint);
  if (at < 0) return undefined;
  pos = at;
  return decodedRef as ActorId | PortId;
}

function latin1(start: number, stop: number): string {
  return Buffer.prototype.latin1Slice.call(src, start, stop) as string;
}

/** An unsigned integer (fixint, uint8/16/32) at `pos`; -1 otherwise. */
function readUintAt(): number {
  if (pos >= end) return -1;
  const head = src[pos] as number;
  if (head < 0x80) {
    pos++;
    return head;
  }
  const size = head === 0xcc ? 1 : head === 0xcd ? 2 : head === 0xce ? 4 : 0;
  if (size === 0 || pos + 1 + size > end) return -1;
  let value = 0;
  for (let i = 1; i <= size; i++) value = value * 256 + (src[pos + i] as number);
  pos += 1 + size;
  return value;
}

/** Read a big-endian length of `size` bytes after the byte at `pos` (not moving `pos`); -1 if truncated. */
function readLength(size: number): number {
  if (pos + 1 + size > end) return -1;
  let value = 0;
  for (let i = 1; i <= size; i++) value = value * 256 + (src[pos + i] as number);
  return value;
}

/** The payload: bin 8/16/32 or the typed-array extension of a `Uint8Array`; a copy (EF-2). */
function readData(): Uint8Array | undefined {
  if (pos >= end) return undefined;
  const head = src[pos] as number;
  let size: number;
  let typed: boolean;
  switch (head) {
    case 0xc4:
    case 0xc5:
    case 0xc6:
      size = head === 0xc4 ? 1 : head === 0xc5 ? 2 : 4;
      typed = false;
      break;
    case 0xc7:
    case 0xc8:
    case 0xc9:
      size = head === 0xc7 ? 1 : head === 0xc8 ? 2 : 4;
      typed = true;
      break;
    default:
      return undefined;
  }
  const length = readLength(size);
  if (length < 0 || length > maxBytes) return undefined;
  let start = pos + 1 + size;
  let bodyLength = length;
  if (typed) {
    if (length < 1 || start + 1 > end || src[start] !== EXT_TYPED_ARRAY || src[start + 1] !== TYPED_UINT8) return undefined;
    start += 2;
    bodyLength = length - 1;
  }
  if (start + bodyLength > end) return undefined;
  pos = start + bodyLength;
  return copyPayload(start, start + bodyLength);
}

/** Copies up to this long are a loop (no view allocated). */
const SMALL_COPY = 64;

/**
 * A copy of `src[start, stop)`, a plain `Uint8Array` (not `Buffer#slice`, which is a view, nor
 * `Uint8Array#slice` of a `Buffer`, whose species constructor costs more than the copy).
 */
function copyOf(start: number, stop: number): Uint8Array {
  const length = stop - start;
  const out = new Uint8Array(length);
  if (length <= SMALL_COPY) for (let i = 0; i < length; i++) out[i] = src[start + i] as number;
  else out.set(new Uint8Array(src.buffer, src.byteOffset + start, length));
  return out;
}

/** Payload copies up to `SLAB_COPY_MAX` bytes go into views of a slab, filled front to back and never written again. */
const SLAB_BYTES = 64 * 1024;
const SLAB_COPY_MAX = 4096;
let slab = new Uint8Array(0);
let slabAt = 0;

/**
 * A copy of the payload `src[start, stop)` (EF-2): small ones share a slab (a fresh
 * `ArrayBuffer` per message costs more than its copy), larger ones get their own.
 */
function copyPayload(start: number, stop: number): Uint8Array {
  const length = stop - start;
  if (length > SLAB_COPY_MAX) return copyOf(start, stop);
  if (slabAt + length > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    slabAt = 0;
  }
  const at = slabAt;
  slab.set(new Uint8Array(src.buffer, src.byteOffset + start, length), at);
  slabAt = (at + length + 7) & ~7;
  return new Uint8Array(slab.buffer, at, length);
}

/** A map of `count` entries at `pos` (header consumed), as an object; undefined to give up. */
function readMap(count: number, depth: number): Record<string, unknown> | undefined {
  if (!spend(count) || count * 2 > end - pos) return undefined;
  if (count === 3) return readMap3(depth);
  const object: Record<string, unknown> = {};
  for (let i = 0; i < count; i++) {
    const key = readString();
    if (typeof key !== 'string' || key === '__proto__') return undefined;
    const value = readValue(depth);
    if (value === GIVE_UP) return undefined;
    object[key] = value;
  }
  return object;
}

/**
 * EF-7: a map of 3 entries (the count spent): the runtime's own two (a send's headers, their
 * `seq_info`: `PortHandle.send`, `postSerialized`) are made as object literals, one shape each,
 * instead of by 3 keyed stores into `{}`; any other 3 keys as `readMap` makes them.
 */
function readMap3(depth: number): Record<string, unknown> | undefined {
  const k0 = readString();
  if (typeof k0 !== 'string' || k0 === '__proto__') return undefined;
  const v0 = readValue(depth);
  if (v0 === GIVE_UP) return undefined;
  const k1 = readString();
  if (typeof k1 !== 'string' || k1 === '__proto__') return undefined;
  const v1 = readValue(depth);
  if (v1 === GIVE_UP) return undefined;
  const k2 = readString();
  if (typeof k2 !== 'string' || k2 === '__proto__') return undefined;
  const v2 = readValue(depth);
  if (v2 === GIVE_UP) return undefined;
  if (k0 === 'send_timestamp' && k1 === 'message_type' && k2 === 'seq_info') return { send_timestamp: v0, message_type: v1, seq_info: v2 };
  if (k0 === 'kind' && k1 === 'sessionId' && k2 === 'seq') return { kind: v0, sessionId: v1, seq: v2 };
  const object: Record<string, unknown> = {};
  object[k0] = v0;
  object[k1] = v1;
  object[k2] = v2;
  return object;
}

const GIVE_UP: unique symbol = Symbol('envelope-fast: give up');

/** A header value at `pos`: a scalar or a map (depth-bounded); GIVE_UP otherwise. */
function readValue(depth: number): unknown {
  if (pos >= end) return GIVE_UP;
  const head = src[pos] as number;
  if ((head & 0xf0) === 0x80 || head === 0xde) {
    if (depth >= maxDepth) return GIVE_UP;
    let count: number;
    if (head === 0xde) {
      count = readLength(2);
      if (count < 0) return GIVE_UP;
      pos += 3;
    } else {
      count = head & 0x0f;
      pos++;
    }
    return readMap(count, depth + 1) ?? GIVE_UP;
  }
  if ((head & 0xe0) === 0xa0 || head === 0xd9 || head === 0xda) return readString() ?? GIVE_UP;
  return readScalar();
}

/** An ASCII string at `pos` (fixstr, str8, str16), cached when short; undefined otherwise. */
function readString(): string | undefined {
  const head = src[pos] as number;
  let length: number;
  let body: number;
  if ((head & 0xe0) === 0xa0) {
    length = head & 0x1f;
    body = pos + 1;
  } else if (head === 0xd9 || head === 0xda) {
    length = readLength(head === 0xd9 ? 1 : 2);
    body = pos + (head === 0xd9 ? 2 : 3);
  } else return undefined;
  if (length < 0 || length > maxBytes || body + length > end) return undefined;
  const stop = body + length;
  const k = stringAt++;
  const known = k < PREDICTED_STRINGS ? predictedBytes[k] : undefined;
  if (known !== undefined && known.length === length) {
    // EF-5: the string the decode before had here, if the bytes are its bytes
    let i = 0;
    while (i < length && known[i] === src[body + i]) i++;
    if (i === length) {
      pos = stop;
      return predictedText[k];
    }
  }
  for (let i = body; i < stop; i++) if ((src[i] as number) >= 0x80) return undefined;
  pos = stop;
  let text: string | undefined;
  if (length > STRING_CACHE_MAX) text = latin1(body, stop);
  else {
    const hash = hashRange(body, stop);
    text = strings.get(hash, body, stop);
    if (text === undefined) {
      text = latin1(body, stop);
      strings.set(hash, body, stop, text);
    }
  }
  if (k < PREDICTED_STRINGS && length <= PREDICTED_MAX) {
    predictedBytes[k] = copyOf(body, stop);
    predictedText[k] = text;
  }
  return text;
}

/** nil, booleans and the number formats msgpackr writes (int up to 32 bits, float64); GIVE_UP otherwise. */
function readScalar(): unknown {
  if (pos >= end) return GIVE_UP;
  const head = src[pos] as number;
  if (head < 0x80) {
    pos++;
    return head;
  }
  if (head >= 0xe0) {
    pos++;
    return head - 0x100;
  }
  switch (head) {
    case 0xc0:
      pos++;
      return null;
    case 0xc2:
      pos++;
      return false;
    case 0xc3:
      pos++;
      return true;
    case 0xcc:
    case 0xcd:
    case 0xce:
      return readUintAt() < 0 ? GIVE_UP : uintBefore(head);
    case 0xd0:
    case 0xd1:
    case 0xd2: {
      const size = head === 0xd0 ? 1 : head === 0xd1 ? 2 : 4;
      const raw = readLength(size);
      if (raw < 0) return GIVE_UP;
      pos += 1 + size;
      const bits = size * 8;
      return raw >= 2 ** (bits - 1) ? raw - 2 ** bits : raw;
    }
    case 0xcb: {
      if (pos + 9 > end) return GIVE_UP;
      for (let i = 0; i < 8; i++) float64Bytes[littleEndian ? 7 - i : i] = src[pos + 1 + i] as number;
      pos += 9;
      return float64[0];
    }
    default:
      return GIVE_UP;
  }
}

/** The unsigned integer `readUintAt` just read (re-read from the bytes before `pos`). */
function uintBefore(head: number): number {
  const size = head === 0xcc ? 1 : head === 0xcd ? 2 : 4;
  let value = 0;
  for (let i = pos - size; i < pos; i++) value = value * 256 + (src[i] as number);
  return value;
}
