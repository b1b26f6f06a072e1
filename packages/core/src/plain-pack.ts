/**
 * plain-pack.ts: a fast msgpack encoder for plain data, the common case of message payloads
 * (`encodePayload`, codec.ts).
 *
 * Most actor messages are small trees of plain objects, arrays, ASCII strings, numbers,
 * booleans and null. msgpackr's general `pack` spends ~250 ns on such a message here (its
 * dispatch covers every type it knows, and each result is a `Buffer` cut from its shared output
 * buffer); this encoder writes the same msgpack (plain maps, CO-1) in ~150 ns, into views of a
 * private slab. Anything else (ids, refs, typed arrays, `Map`, `Date`, `undefined`, non-ASCII
 * text, class instances, deep or large values) makes it give up, and the caller packs the value
 * with msgpackr instead: the fast path never decides what a value means, only how fast plain
 * values are written.
 *
 * ## Invariants
 *
 * - PP-1: when `packPlain(x)` returns bytes, they are the bytes msgpackr's `pack(x)` writes with
 *   codec.ts's options (`useRecords: false`): the same formats for numbers (uint/int up to 32
 *   bits, else float64), strings (fixstr/str8/str16 by length), arrays, and map16 for every
 *   object whose `constructor` is `Object` (msgpackr's test), own enumerable keys only
 *   (msgpackr's `hasOwnProperty` filter), in for-in order.
 * - PP-2: returned views are never written again: a slab is filled front to back and replaced
 *   when it has less than `MAX_FAST_BYTES` left, never reused (envelopes may hold views for as
 *   long as they like).
 * - PP-3: giving up leaves nothing behind: the slab's fill mark only moves on success.
 */

/** Slab size: one retained payload view keeps at most this much memory alive. */
const SLAB_BYTES = 64 * 1024;
/** Largest encoding the fast path writes; larger values go to msgpackr. */
const MAX_FAST_BYTES = 4096;
/** Deepest nesting the fast path follows. */
const MAX_DEPTH = 32;
/** Worst-case bytes of one scalar (float64: tag + 8). */
const SCALAR_BYTES = 9;

const EMPTY = {};

let slabBuffer = new ArrayBuffer(SLAB_BYTES);
let slab = new Uint8Array(slabBuffer);
let slabView = new DataView(slabBuffer);
/** Where the next encoding starts (8-aligned). */
let slabAt = 0;
/** Write position and bound of the encoding in progress. */
let pos = 0;
let limit = 0;

/**
 * The msgpack encoding of `value` if it is plain data the fast path covers (see the module doc),
 * else `undefined` (encode it with msgpackr). The bytes are a view of a private slab (PP-2).
 */
export function packPlain(value: unknown): Uint8Array | undefined {
  if (slabAt + MAX_FAST_BYTES > SLAB_BYTES) {
    slabBuffer = new ArrayBuffer(SLAB_BYTES);
    slab = new Uint8Array(slabBuffer);
    slabView = new DataView(slabBuffer);
    slabAt = 0;
  }
  // Inherited enumerable keys exist only if `Object.prototype` has some: then leave it all to
  // msgpackr (its `hasOwnProperty` filter), and objects of that prototype need no filter here.
  for (const _inherited in EMPTY) return undefined;
  const start = slabAt;
  pos = start;
  limit = start + MAX_FAST_BYTES;
  if (!writeValue(value, 0)) return undefined;
  slabAt = (pos + 7) & ~7;
  return new Uint8Array(slabBuffer, start, pos - start);
}

function writeValue(value: unknown, depth: number): boolean {
  if (pos + SCALAR_BYTES > limit) return false;
  switch (typeof value) {
    case 'number':
      writeNumber(value);
      return true;
    case 'string':
      return writeAscii(value);
    case 'boolean':
      slab[pos++] = value ? 0xc3 : 0xc2;
      return true;
    case 'object':
      if (value === null) {
        slab[pos++] = 0xc0;
        return true;
      }
      if (depth >= MAX_DEPTH) return false;
      if ((value as { constructor?: unknown }).constructor === Object) return writeObject(value as Record<string, unknown>, depth + 1);
      if (Array.isArray(value) && (value as { constructor?: unknown }).constructor === Array) return writeArray(value as unknown[], depth + 1);
      return false;
    default:
      return false;
  }
}

/** msgpackr's number formats: uint8..uint32, int8..int32, else float64. */
function writeNumber(value: number): void {
  const out = slab;
  if (value >>> 0 === value) {
    if (value < 0x80) out[pos++] = value;
    else if (value < 0x100) {
      out[pos++] = 0xcc;
      out[pos++] = value;
    } else if (value < 0x10000) {
      out[pos++] = 0xcd;
      out[pos++] = value >>> 8;
      out[pos++] = value & 0xff;
    } else {
      out[pos++] = 0xce;
      slabView.setUint32(pos, value);
      pos += 4;
    }
  } else if (value >> 0 === value) {
    if (value >= -0x20) out[pos++] = value & 0xff;
    else if (value >= -0x80) {
      out[pos++] = 0xd0;
      out[pos++] = value & 0xff;
    } else if (value >= -0x8000) {
      out[pos++] = 0xd1;
      slabView.setInt16(pos, value);
      pos += 2;
    } else {
      out[pos++] = 0xd2;
      slabView.setInt32(pos, value);
      pos += 4;
    }
  } else {
    out[pos++] = 0xcb;
    slabView.setFloat64(pos, value);
    pos += 8;
  }
}

/** An ASCII string (fixstr, str8, str16); false for other text or no room. */
function writeAscii(text: string): boolean {
  const length = text.length;
  const out = slab;
  let p = pos;
  if (length < 32) out[p++] = 0xa0 | length;
  else if (length < 0x100) {
    out[p++] = 0xd9;
    out[p++] = length;
  } else {
    out[p++] = 0xda;
    out[p++] = length >>> 8;
    out[p++] = length & 0xff;
  }
  if (p + length > limit) return false;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return false;
    out[p + i] = code;
  }
  pos = p + length;
  return true;
}

function writeObject(object: Record<string, unknown>, depth: number): boolean {
  const header = pos;
  pos += 3; // map16, its count written at the end (as msgpackr writes plain objects)
  let count = 0;
  const filter = Object.getPrototypeOf(object) !== Object.prototype;
  for (const key in object) {
    if (filter && !Object.hasOwn(object, key)) continue;
    if (!writeAscii(key) || !writeValue(object[key], depth)) return false;
    count++;
  }
  if (count > 0xffff) return false;
  slab[header] = 0xde;
  slab[header + 1] = count >>> 8;
  slab[header + 2] = count & 0xff;
  return true;
}

function writeArray(array: unknown[], depth: number): boolean {
  const length = array.length;
  if (length < 16) slab[pos++] = 0x90 | length;
  else if (length < 0x10000) {
    slab[pos++] = 0xdc;
    slab[pos++] = length >>> 8;
    slab[pos++] = length & 0xff;
  } else return false;
  for (let i = 0; i < length; i++) {
    if (!writeValue(array[i], depth)) return false;
  }
  return true;
}
