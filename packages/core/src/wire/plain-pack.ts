/**
 * plain-pack.ts: a fast msgpack encoder for plain data, the common case of message payloads
 * (`encodePayload`, payload.ts).
 *
 * Most actor messages are small trees of plain objects, arrays, ASCII strings, numbers,
 * booleans and null. msgpackr's general `pack` spends ~250 ns on such a message here (its
 * dispatch covers every type it knows, and each result is a `Buffer` cut from its shared output
 * buffer); this encoder writes the same msgpack (plain maps, CO-1) into views of a private slab.
 * Ids and refs (`ActorId`, `PortId`, `ActorRef`, `PortRef`, `OncePortRef`: a reply port in a
 * request) are written by id-fast.ts, their bytes made once per id; a `Map` as the MAP
 * extension the sending walk and msgpackr make of it (PP-9). Anything else (`ProcId`,
 * typed arrays, `Date`, `undefined`, non-ASCII text, other class instances, deep
 * values) makes it give up, and the caller packs the value with
 * msgpackr instead: the fast path never decides what a value means, only how fast plain values
 * are written.
 *
 * ## Large values
 *
 * An encoding that outgrows the slab's `MAX_FAST_BYTES` moves, with the bytes written so far,
 * to a buffer of its own (`LARGE_START_BYTES`, doubling on demand, `room`) and goes on there:
 * from then on nothing is learned and no compiled writer starts (compiled writers already
 * running re-read the buffer after each value), objects are written from `Object.keys`, and
 * map32/array32/str32 are used where a count or length passes 65,535; texts over `LONG_TEXT`
 * characters are written by `TextEncoder.encodeInto`. So a reply of 600k word counts as one
 * object (~6 MB of msgpack) is written in one pass, one key enumeration, with no sendable walk
 * (wire/sendable.ts) and no msgpackr (whose map16 writer refuses objects of over 65,535 keys).
 * Ids and refs are written in a large value too (a request of a 5 MB text and a reply port). A
 * large value that turns out not to be plain (a typed array after a 5 MB text) is given up on
 * where that is found: the bytes so far are wasted, and msgpackr writes it all again.

 * ## Compiled shapes
 *
 * Messages of one kind have the same keys in the same order. Each position a plain object can
 * occupy (the top level; the value of a given key in a given shape; the elements of an array
 * there) learns the key sequences it sees, and one seen `COMPILE_AFTER` times gets a compiled
 * writer: the map header and every key's bytes as constant stores, every value read by a named
 * property load (the mirror of plain-unpack.ts's compiled builders). An object uses a compiled
 * writer after a for-in pass finds exactly its keys, in order. The small message of the
 * benchmarks (`{type, seq, payload: {x, y}}`) takes ~120 ns this way, its view included,
 * against ~155 ns through the generic writer and ~250 ns through msgpackr.
 *
 * ## Invariants
 *
 * - PP-1: when `packPlain(x)` returns bytes, they are the bytes msgpackr's `pack(x)` writes with
 *   msgpack.ts's options (`useRecords: false`): the same formats for numbers (uint/int up to 32
 *   bits, else float64), strings (fixstr/str8/str16 by length), arrays, and map16 for every
 *   object whose `constructor` is `Object` (msgpackr's test), own enumerable keys only
 *   (msgpackr's `hasOwnProperty` filter), in for-in order. A compiled writer writes what the
 *   generic writer writes: it runs only for an object whose for-in keys are its keys, in order,
 *   and whose prototype is `Object.prototype` (no inherited keys: see `packPlain`).
 * - PP-2: returned views are never written again: a slab is filled front to back and replaced
 *   when it has less than `MAX_FAST_BYTES` left, never reused (envelopes may hold views for as
 *   long as they like).
 * - PP-3: giving up leaves nothing behind: the slab's fill mark only moves on success.
 * - PP-7: a large value (see above) is written as the generic writer writes it, except that an
 *   object of over 65,535 keys is a map32 (0xdf), an array of over 65,535 elements an array32
 *   (0xdd) and a string of over 65,535 bytes a str32 (0xdb), as msgpackr writes them (its map16
 *   writer refuses such objects: `variableMapSize` writes map32 there). So msgpackr's `unpack`
 *   of the bytes equals the value, and where no count passes 65,535 the bytes are PP-1's.
 * - PP-8: a large value gives up on a circular reference as soon as it meets one (each container
 *   is checked against those above it), so a cycle never grows the buffer; the walk after it
 *   names the path (SC-2). The buffer is at most `MAX_LARGE_BYTES`, then it gives up.
 * - PP-4: learning is bounded (`MAX_POSITIONS` positions, `SHAPES_PER_POSITION` writers each,
 *   `MAX_SHAPES` in all); keys are compiled as bytes and property names quoted by
 *   `JSON.stringify`, so no key can be code.
 * - PP-5: an id or ref is written as msgpackr writes its extension (id-fast.ts IDF-1), so PP-1
 *   holds for values holding them; the sending contract allows them as they are (sendable.ts
 *   passes them through unchanged), so skipping its walk changes nothing.
 * - PP-9: a `Map` (its class exactly, a real Map by `util.types.isMap`) is written as msgpackr
 *   writes the `SendableMap` the walk makes of it (msgpack.ts, EXT.MAP): fixext 1 `d4 2f 00`,
 *   then an array of `2 * size` elements, each key followed by its value, in the Map's order, each
 *   as the generic writer writes it. So `unpack` makes the same `Map` again (later keys winning),
 *   and PP-1's bytes hold for values holding Maps (PP-7's for large ones). A Map whose size
 *   changes while it is written (a getter of one of its values) is given up on.
 * - PP-10: a binary value (`ArrayBuffer`, a typed array, a `Buffer`) is written only as the
 *   `BinaryRef` that attachments.ts's `outOfBand` makes of it during an envelope's encode (a
 *   large or moved value: msgpack.ts EXT.BINARY_REF, `d4 31 00 [index, kind, offset, length]`,
 *   msgpackr's bytes for it), in the order the walk visits values, so the attachments and their
 *   indices are the walk's. Any other binary value gives up (msgpackr writes it inline) and
 *   `gaveUpOnBinary()` says so: payload.ts then retries with the encode state (OOB-2).
 */

import { types } from 'node:util';
import { BinaryRef, outOfBand } from './attachments.js';
import { isRefLike, writeRef } from './id-fast.js';
import { MAX_SHAPE_KEYS, compileShapeWriter, type ShapeWriter } from './plain-pack-compile.js';

/** Slab size: one retained payload view keeps at most this much memory alive. */
const SLAB_BYTES = 64 * 1024;
/** Largest encoding the fast path writes; larger values go to msgpackr. */
const MAX_FAST_BYTES = 4096;
/** First buffer of a large value (PP-7), and the largest it grows to (PP-8). */
const LARGE_START_BYTES = 256 * 1024;
const MAX_LARGE_BYTES = 1024 * 1024 * 1024;
/** Deepest nesting the fast path follows. */
const MAX_DEPTH = 32;
/** Worst-case bytes of one scalar (float64: tag + 8). */
const SCALAR_BYTES = 9;
/** Uses of a key sequence at a position before its writer is compiled. */
const COMPILE_AFTER = 8;
/** Compiled writers per position, and in all; positions in all (PP-4). */
const SHAPES_PER_POSITION = 4;
const MAX_SHAPES = 1024;
const MAX_POSITIONS = 16_384;
/** Room made before an id or ref is written (three strings of at most 255 bytes, and numbers). */
const REF_BYTES = 1024;
/** msgpack.ts `EXT.MAP`: a `Map` (PP-9); `EXT.BINARY_REF`: a binary value out of band (PP-10). */
const EXT_MAP = 47;
const EXT_BINARY_REF = 49;
/** Texts longer than this are written by `TextEncoder.encodeInto`, in one call. */
const LONG_TEXT = 512;
const utf8 = new TextEncoder();


interface Shape {
  readonly keys: readonly string[];
  readonly write: ShapeWriter;
}

/** A place a plain object can occupy, and the key sequences seen there. */
class Position {
  readonly shapes: Shape[] = [];
  /** The key sequence being counted towards a compiled writer, and its count. */
  candidate: string[] | undefined;
  count = 0;
  /** Where the elements of an array at this position go. */
  private elementPosition: Position | undefined;

  /** True while this position still learns. */
  get learning(): boolean {
    return this !== detached && this.shapes.length < SHAPES_PER_POSITION && compiledShapes < MAX_SHAPES;
  }

  elements(): Position {
    return (this.elementPosition ??= newPosition());
  }
}

let positions = 0;
/** Where values go past the budget, and values of objects written by the generic writer. */
const detached = new Position();
const topLevel = new Position();
let compiledShapes = 0;

function newPosition(): Position {
  if (positions >= MAX_POSITIONS) return detached;
  positions++;
  return new Position();
}

const EMPTY = {};

/** A slab's memory, not zeroed (a view only ever covers bytes written into it). */
function newSlab(): ArrayBuffer {
  return newBuffer(SLAB_BYTES);
}

function newBuffer(bytes: number): ArrayBuffer {
  return Buffer.allocUnsafeSlow(bytes).buffer as ArrayBuffer;
}

let slabBuffer = newSlab();
let slab = new Uint8Array(slabBuffer);
let slabView = new DataView(slabBuffer);
/** Where the next encoding starts (8-aligned). */
let slabAt = 0;
/** The bound of the encoding in progress. */
let limit = 0;
/** Set once the encoding in progress outgrew the slab (PP-7): it continues in a buffer of its own. */
let large = false;
/** The slab, kept while a large value is written in a buffer of its own. */
let smallBuffer: ArrayBuffer = slabBuffer;
/** The containers above the one being written, once a value is large (PP-8). */
const ancestors: (object | undefined)[] = [];
/** Set when the last `packPlain` gave up on a binary value outside an envelope's encode (PP-10). */
let binaryGiveUp = false;

/** PP-10: whether the last `packPlain` gave up on a binary value that an envelope's encode state would take. */
export function gaveUpOnBinary(): boolean {
  return binaryGiveUp;
}

/**
 * Room for the bytes up to `needed`: true if they fit. An encoding that outgrows the slab's
 * `MAX_FAST_BYTES` moves, bytes so far included, to a buffer of its own that grows on demand
 * (PP-7); false (give up) past `MAX_LARGE_BYTES`.
 */
function room(needed: number): boolean {
  if (needed <= limit) return true;
  if (needed > MAX_LARGE_BYTES) return false;
  if (!large) {
    large = true;
    smallBuffer = slabBuffer;
    ancestors.length = 0;
  }
  let size = Math.max(LARGE_START_BYTES, limit * 2);
  while (size < needed) size *= 2;
  const grown = newBuffer(Math.min(size, MAX_LARGE_BYTES));
  const bytes = new Uint8Array(grown);
  bytes.set(slab.subarray(0, limit)); // same offsets: the encoding's start stays where it was
  slabBuffer = grown;
  slab = bytes;
  slabView = new DataView(grown);
  limit = bytes.length;
  return true;
}

/** Back to the slab after a large value (PP-3: its fill mark did not move). */
function endLarge(): void {
  large = false;
  ancestors.length = 0;
  slabBuffer = smallBuffer;
  slab = new Uint8Array(slabBuffer);
  slabView = new DataView(slabBuffer);
}

/** For compiled writers: the buffer now (a child value may have moved the encoding, PP-7). */
function currentBuffer(): Uint8Array {
  return slab;
}

/**
 * The msgpack encoding of `value` if it is plain data the fast path covers (see the module doc),
 * else `undefined` (encode it with msgpackr). The bytes are a view of a private slab (PP-2), or
 * of a buffer of their own for a large value (PP-7).
 */
export function packPlain(value: unknown): Uint8Array | undefined {
  if (large) endLarge(); // a getter threw during the last one
  if (slabAt + MAX_FAST_BYTES > SLAB_BYTES) {
    slabBuffer = newSlab();
    slab = new Uint8Array(slabBuffer);
    slabView = new DataView(slabBuffer);
    slabAt = 0;
  }
  // Inherited enumerable keys exist only if `Object.prototype` has some: then leave it all to
  // msgpackr (its `hasOwnProperty` filter), and objects of that prototype need no filter here.
  if (hasInheritedKeys()) return undefined;
  binaryGiveUp = false;
  const start = slabAt;
  limit = start + MAX_FAST_BYTES;
  const end = writeValue(value, 0, topLevel, start);
  if (large) {
    const buffer = slabBuffer;
    endLarge();
    return end < 0 ? undefined : new Uint8Array(buffer, start, end - start);
  }
  if (end < 0) return undefined;
  slabAt = (end + 7) & ~7;
  return new Uint8Array(slabBuffer, start, end - start);
}

function hasInheritedKeys(): boolean {
  for (const _inherited in EMPTY) return true;
  return false;
}

/** `value` at `p`; the end, or -1 to give up. */
function writeValue(value: unknown, depth: number, at: Position, p: number): number {
  if (p + SCALAR_BYTES > limit && !room(p + SCALAR_BYTES)) return -1;
  switch (typeof value) {
    case 'number':
      return writeNumber(value, p);
    case 'string':
      return writeAscii(value, p);
    case 'boolean':
      slab[p] = value ? 0xc3 : 0xc2;
      return p + 1;
    case 'object':
      if (value === null) {
        slab[p] = 0xc0;
        return p + 1;
      }
      if (depth >= MAX_DEPTH) return -1;
      if (large) return writeLargeContainer(value, depth, p);
      if ((value as { constructor?: unknown }).constructor === Object) return writeObject(value as Record<string, unknown>, depth + 1, at, p);
      if (Array.isArray(value) && (value as { constructor?: unknown }).constructor === Array) return writeArray(value as unknown[], depth + 1, at.elements(), p);
      return writeOther(value, depth, at, p);
    default:
      return -1;
  }
}

/** An id or ref (PP-5) or a `Map` (PP-9), small or large; -1 for anything else. */
function writeOther(value: object, depth: number, at: Position, p: number): number {
  const ctor = (value as { constructor?: unknown }).constructor;
  if (isRefLike(ctor)) {
    // room for any id the fast path covers: one beside a large text moves the encoding too
    if (p + REF_BYTES > limit && !room(p + REF_BYTES)) return -1;
    return writeRef(value, slab, p, limit);
  }
  if (ctor === Map && types.isMap(value)) return writeMap(value as Map<unknown, unknown>, depth + 1, large ? detached : at.elements(), p);
  if (ArrayBuffer.isView(value) ? !(value instanceof DataView) : value instanceof ArrayBuffer) return writeBinary(value as ArrayBuffer | ArrayBufferView, p);
  return -1;
}

/** PP-10: a binary value as its `BinaryRef` (`d4 31 00`, then a fixarray of 4 numbers); -1 for one that is inline. */
function writeBinary(value: ArrayBuffer | ArrayBufferView, p: number): number {
  const ref = outOfBand(value);
  if (!(ref instanceof BinaryRef)) {
    binaryGiveUp = true;
    return -1;
  }
  if (p + 4 + 4 * SCALAR_BYTES > limit && !room(p + 4 + 4 * SCALAR_BYTES)) return -1;
  const out = slab;
  out[p] = 0xd4;
  out[p + 1] = EXT_BINARY_REF;
  out[p + 2] = 0;
  out[p + 3] = 0x94;
  p = writeNumber(ref.index, p + 4);
  p = writeNumber(ref.kind, p);
  p = writeNumber(ref.offset, p);
  return writeNumber(ref.length, p);
}

/**
 * PP-9: a `Map` as msgpackr writes the walk's `SendableMap`: `d4 2f 00`, an array header for
 * `2 * size`, then each key and its value. Values use the position `values` (so Maps of
 * same-shaped objects learn them as arrays do).
 */
function writeMap(map: Map<unknown, unknown>, depth: number, values: Position, p: number): number {
  const size = map.size;
  if (p + 8 > limit && !room(p + 8)) return -1;
  const out = slab;
  out[p] = 0xd4;
  out[p + 1] = EXT_MAP;
  out[p + 2] = 0;
  p = writeArrayHeader(size * 2, p + 3);
  let written = 0;
  for (const [key, value] of map) {
    p = typeof key === 'string' ? writeAscii(key, p) : writeValue(key, depth, detached, p);
    if (p < 0) return -1;
    p = writeValue(value, depth, values, p);
    if (p < 0) return -1;
    written++;
  }
  return written === size && map.size === size ? p : -1;
}

/** msgpackr's number formats: uint8..uint32, int8..int32, else float64. */
function writeNumber(value: number, p: number): number {
  const out = slab;
  if (value >>> 0 === value) {
    if (value < 0x80) {
      out[p] = value;
      return p + 1;
    }
    if (value < 0x100) {
      out[p] = 0xcc;
      out[p + 1] = value;
      return p + 2;
    }
    if (value < 0x10000) {
      out[p] = 0xcd;
      out[p + 1] = value >>> 8;
      out[p + 2] = value & 0xff;
      return p + 3;
    }
    out[p] = 0xce;
    slabView.setUint32(p + 1, value);
    return p + 5;
  }
  if (value >> 0 === value) {
    if (value >= -0x20) {
      out[p] = value & 0xff;
      return p + 1;
    }
    if (value >= -0x80) {
      out[p] = 0xd0;
      out[p + 1] = value & 0xff;
      return p + 2;
    }
    if (value >= -0x8000) {
      out[p] = 0xd1;
      slabView.setInt16(p + 1, value);
      return p + 3;
    }
    out[p] = 0xd2;
    slabView.setInt32(p + 1, value);
    return p + 5;
  }
  out[p] = 0xcb;
  slabView.setFloat64(p + 1, value);
  return p + 9;
}

/** An ASCII string (fixstr, str8, str16, str32: PP-7); -1 for other text or no room. */
function writeAscii(text: string, p: number): number {
  const length = text.length;
  if (p + 5 + length > limit && !room(p + 5 + length)) return -1;
  const out = slab;
  if (length < 32) out[p++] = 0xa0 | length;
  else if (length < 0x100) {
    out[p++] = 0xd9;
    out[p++] = length;
  } else if (length < 0x10000) {
    out[p++] = 0xda;
    out[p++] = length >>> 8;
    out[p++] = length & 0xff;
  } else {
    out[p] = 0xdb;
    slabView.setUint32(p + 1, length);
    p += 5;
  }
  if (length > LONG_TEXT) {
    // ASCII iff every char is one byte: any other char needs more room than is given
    const { read, written } = utf8.encodeInto(text, out.subarray(p, p + length));
    return read === length && written === length ? p + length : -1;
  }
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    out[p + i] = code;
  }
  return p + length;
}

function writeObject(object: Record<string, unknown>, depth: number, at: Position, p: number): number {
  if (Object.getPrototypeOf(object) !== Object.prototype) return writeObjectGeneric(object, depth, detached, p, true);
  const shapes = at.shapes;
  for (let s = 0; s < shapes.length; s++) {
    const shape = shapes[s] as Shape;
    const keys = shape.keys;
    let i = 0;
    let same = true;
    for (const key in object) {
      if (key !== keys[i]) {
        same = false;
        break;
      }
      i++;
    }
    if (same && i === keys.length) return shape.write(object, depth, slab, p, limit);
  }
  return writeObjectGeneric(object, depth, at, p, false);
}

/** Any plain object, key by key; counts its key sequence at `at` towards a compiled writer. */
function writeObjectGeneric(object: Record<string, unknown>, depth: number, at: Position, p: number, filter: boolean): number {
  const header = p;
  p += 3; // map16, its count written at the end (as msgpackr writes plain objects)
  let keys: string[] | undefined = at.learning ? [] : undefined;
  let count = 0;
  for (const key in object) {
    if (filter && !Object.hasOwn(object, key)) continue;
    p = writeAscii(key, p);
    if (p < 0) return -1;
    p = writeValue(object[key], depth, detached, p);
    if (p < 0) return -1;
    if (keys !== undefined && keys.push(key) > MAX_SHAPE_KEYS) keys = undefined; // never compiled: keep no list
    count++;
  }
  if (count > 0xffff) {
    // PP-7: an object begun in the slab that grew into a large value: a map32, its entries two bytes up
    if (!room(p + 2)) return -1;
    slab.copyWithin(header + 5, header + 3, p);
    slab[header] = 0xdf;
    slabView.setUint32(header + 1, count);
    return p + 2;
  }
  slab[header] = 0xde;
  slab[header + 1] = count >>> 8;
  slab[header + 2] = count & 0xff;
  if (keys !== undefined && !large) learn(at, keys);
  return p;
}

function writeArray(array: unknown[], depth: number, elements: Position, p: number): number {
  const length = array.length;
  p = writeArrayHeader(length, p);
  for (let i = 0; i < length; i++) {
    p = writeValue(array[i], depth, elements, p);
    if (p < 0) return -1;
  }
  return p;
}

/** fixarray, array16 or array32 (PP-7) of `length`, at `p` (room for 5 bytes is there). */
function writeArrayHeader(length: number, p: number): number {
  const out = slab;
  if (length < 16) out[p++] = 0x90 | length;
  else if (length < 0x10000) {
    out[p++] = 0xdc;
    out[p++] = length >>> 8;
    out[p++] = length & 0xff;
  } else {
    out[p] = 0xdd; // PP-7: the elements make it a large value (the slab stops at 4 KiB)
    slabView.setUint32(p + 1, length);
    p += 5;
  }
  return p;
}

/**
 * An object or array of a large value (PP-7): the generic writers, nothing learned; -1 for
 * other objects and for a circular reference (PP-8).
 */
function writeLargeContainer(value: object, depth: number, p: number): number {
  const ctor = (value as { constructor?: unknown }).constructor;
  const isObject = ctor === Object;
  const isArray = !isObject && ctor === Array && Array.isArray(value);
  if (!isObject && !isArray) {
    if (ctor !== Map) return writeOther(value, depth, detached, p); // ids, refs: no children
    if (!types.isMap(value)) return -1;
  }
  for (let i = 0; i < depth; i++) if (ancestors[i] === value) return -1;
  ancestors[depth] = value;
  ancestors[depth + 1] = undefined;
  if (isObject) return writeLargeObject(value as Record<string, unknown>, depth + 1, p);
  return isArray ? writeArray(value as unknown[], depth + 1, detached, p) : writeMap(value as Map<unknown, unknown>, depth + 1, detached, p);
}

/**
 * A plain object of a large value: its own enumerable keys (`Object.keys`: for-in's order and
 * msgpackr's `hasOwnProperty` filter, without for-in's per-key check), map16, or map32 above
 * 65,535 keys (PP-7).
 */
function writeLargeObject(object: Record<string, unknown>, depth: number, p: number): number {
  const keys = Object.keys(object);
  const count = keys.length;
  if (count <= 0xffff) {
    slab[p] = 0xde;
    slab[p + 1] = count >>> 8;
    slab[p + 2] = count & 0xff;
    p += 3;
  } else {
    slab[p] = 0xdf;
    slabView.setUint32(p + 1, count);
    p += 5;
  }
  for (let i = 0; i < count; i++) {
    const key = keys[i] as string;
    p = writeAscii(key, p);
    if (p < 0) return -1;
    p = writeValue(object[key], depth, detached, p);
    if (p < 0) return -1;
  }
  return p;
}

// ---- learning and compiling ------------------------------------------------------------------

function learn(at: Position, keys: string[]): void {
  const candidate = at.candidate;
  if (candidate !== undefined && sameKeys(candidate, keys)) {
    if (++at.count < COMPILE_AFTER) return;
    at.candidate = undefined;
    at.count = 0;
    const writer = compileWriter(keys);
    if (writer === undefined) return;
    at.shapes.push({ keys, write: writer });
    compiledShapes++;
    return;
  }
  at.candidate = keys;
  at.count = 1;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A compiled writer for objects with exactly `keys` (PP-1, PP-4; plain-pack-compile.ts). */
function compileWriter(keys: readonly string[]): ShapeWriter | undefined {
  return compileShapeWriter(keys, () => keys.map(() => newPosition()), writeValue, room, currentBuffer);
}
