/**
 * plain-unpack.ts: a fast msgpack decoder for plain data, the counterpart of plain-pack.ts
 * (`decodePayload`, payload.ts).
 *
 * msgpackr builds each decoded map with keyed stores (`object[key] = value`), which V8 serves
 * slowly for objects whose shape it cannot predict, and spends most of a small message's
 * ~240 ns there. This decoder learns the maps it sees: the key sequences of maps form tries
 * (one per position in the enclosing value) whose nodes remember the bytes of the key that
 * usually follows (matched byte for byte, no string built), and a sequence seen
 * `COMPILE_AFTER` times gets a compiled builder that makes the object as one literal (msgpackr
 * does the same for its records). Short ASCII strings are interned in a small cache, and each
 * position remembers the interned string it held last (a message's `type`), so repeated values
 * allocate nothing. The small message of the benchmarks decodes in ~150 ns.
 *
 * It covers maps with ASCII string keys, arrays, ASCII strings, integers up to 32 bits,
 * float64, booleans, nil, the ids and refs of id-fast.ts, and `Map`s (msgpack.ts's MAP
 * extension, as plain-pack.ts PP-9 writes it). For anything else (other
 * extensions: `ProcId`, typed arrays,
 * `undefined`; binary; float32; 64-bit integers; non-ASCII text; the key `__proto__`;
 * truncated or trailing bytes) it gives up, and the caller decodes with msgpackr.
 *
 * ## Invariants
 *
 * - PU-1: when `unpackPlain(bytes)` returns a value, it is structurally equal to msgpackr's
 *   `unpack(bytes)` with msgpack.ts's options (`mapsAsObjects`): same keys in the same order,
 *   later duplicates winning, same numbers.
 * - PU-2: it never reads outside `bytes`, and giving up has no effect beyond the caches.
 * - PU-3: the caches are bounded (`MAX_NODES` trie nodes, `MAX_SHAPES` compiled builders,
 *   `STRING_CACHE_SLOTS` strings): maps past the budget decode with keyed stores. The value
 *   stack keeps references to the last values decoded at each depth until later decodes
 *   overwrite them (a few messages' worth).
 * - PU-4: a builder is compiled only for key sequences without repeats; its keys are quoted
 *   by `JSON.stringify`, so no key can be code.
 * - PU-5: what it allocates is bounded by the bytes present: the arrays and maps of one input
 *   declare at most one element (map: two bytes per entry) per byte of the input in all (a
 *   budget, so nested headers that each fit the bytes left cannot add up), each at most the
 *   bytes left, a string only when its bytes are all there, nesting stops at `MAX_DEPTH`; it
 *   gives up otherwise. So plain data needs no walk
 *   before it (wire/limits.ts), whatever its origin.
 * - PU-6: an id or ref reads as msgpackr's extension `read` makes it (id-fast.ts IDF-2: a
 *   fixext 1 of types 41..45, ASCII parts, within the bytes left), or it gives up.
 * - PU-7: a map of more than `MAX_LEARNED_KEYS` entries (600k word counts as one object) learns
 *   nothing: no trie nodes, no stack slots, no builder; it is built with keyed stores as it is
 *   read, so one large value neither spends the budgets of PU-3 nor stays referenced by the
 *   stack. map32, array32 and str32 (plain-pack.ts PP-7) are read under PU-5's budget.
 * - PU-8: a `Map` (fixext 1 `d4 2f 00`, then an array of an even count: keys and values in
 *   turn) reads as msgpack.ts's MAP extension `read` makes it: a new `Map` with `set` in order
 *   (later keys win), its keys and values decoded as anywhere else. Its array is counted in PU-5's
 *   budget like any array; an odd count, or any other form after `d4 2f`, gives up (msgpackr
 *   then throws `deserialize`). A Map of more than `MAX_LEARNED_KEYS` entries learns nothing
 *   (PU-7): its string keys are not interned, its values use no trie.
 */

import { decodedRef, readRef } from './id-fast.js';

/** Returned when the bytes hold something the fast path does not cover. */
export const GIVE_UP: unique symbol = Symbol('plain-unpack: give up');
type Result = unknown;

/** Uses of a key sequence before its object literal builder is compiled. */
const COMPILE_AFTER = 8;
/** Compiled builders at most (PU-3); later sequences use keyed stores. */
const MAX_SHAPES = 1024;
/** Children a trie node keeps in its map besides the usual one. */
const MAX_CHILDREN = 64;
/** Trie nodes at most (PU-3); maps past the budget are built with keyed stores. */
const MAX_NODES = 16_384;
/** Consecutive keys found off the prediction before the prediction follows them. */
const PROMOTE_AFTER = 16;
/** Maps with more entries than this are built as they are read, learning nothing (PU-7). */
const MAX_LEARNED_KEYS = 64;
/** Deepest nesting followed. */
const MAX_DEPTH = 32;
/** msgpack.ts `EXT.MAP` (PU-8). */
const EXT_MAP = 47;
/** String cache: slots and the longest string cached. */
const STRING_CACHE_SLOTS = 4096;
const STRING_CACHE_MAX = 16;

type Builder = (values: unknown[], base: number) => Record<string, unknown>;

/**
 * A node of a key-sequence trie: a map's keys so far. Each position a map can occupy (the
 * top level, or the value of a key in a given map) has its own trie (`values()`), so the
 * maps of a stable message schema find their keys predicted at every level.
 */
class ShapeNode {
  /** The key that leads here, and its bytes (ASCII). */
  readonly key: string;
  readonly keyBytes: Uint8Array;
  /** The usual next key's node: its bytes are matched without building a string. */
  next: ShapeNode | undefined;
  /** Other next keys. */
  others: Map<string, ShapeNode> | undefined;
  /** Keys found in `others` since the last predicted one (`PROMOTE_AFTER` promotes). */
  misses = 0;
  uses = 0;
  build: Builder | undefined;
  /** The trie of maps found as this key's value (or inside arrays there). */
  valueRoot: ShapeNode | undefined;
  /** The short string last found interned as this key's value, and its bytes. */
  lastText: string | undefined;
  lastTextBytes: Uint8Array | undefined;

  constructor(key: string) {
    this.key = key;
    this.keyBytes = asciiBytes(key);
  }

  /** The trie of the maps in this position. */
  values(): ShapeNode {
    const known = this.valueRoot;
    if (known !== undefined) return known;
    if (this === detached || nodes >= MAX_NODES) return detached;
    nodes++;
    return (this.valueRoot = new ShapeNode(''));
  }

  /** The node after `key` (not the predicted one). */
  child(key: string): ShapeNode {
    const next = this.next;
    if (next === undefined || next.key === key) return next ?? this.add(key);
    const known = this.others?.get(key);
    if (known === undefined) return this.add(key);
    if (++this.misses >= PROMOTE_AFTER) {
      // the schema changed: predict this key from now on
      const others = this.others as Map<string, ShapeNode>;
      others.delete(key);
      others.set(next.key, next);
      this.next = known;
      this.misses = 0;
    }
    return known;
  }

  private add(key: string): ShapeNode {
    if (this === detached || nodes >= MAX_NODES) return detached;
    const node = new ShapeNode(key);
    if (this.next === undefined) this.next = node;
    else if ((this.others ??= new Map()).size < MAX_CHILDREN) this.others.set(key, node);
    else return detached;
    nodes++;
    return node;
  }
}

let nodes = 0;
/** The position of the top-level value (its `values()` is the trie of top-level maps). */
const topLevel = new ShapeNode('');
/** Where sequences past the budget go: its own child, never compiled. */
const detached = new ShapeNode('');
let compiledShapes = 0;

/** Keys and values of the maps being decoded, by nesting (stacks shared by all levels). */
let keyStack: string[] = new Array<string>(256);
let stack: unknown[] = new Array(256);
let top = 0;

let src: Uint8Array = new Uint8Array(0);
let pos = 0;
let end = 0;
/** PU-5: elements the arrays and maps of this input may still declare (one byte each at least). */
let budget = 0;

const stringCache: (string | undefined)[] = new Array(STRING_CACHE_SLOTS);
const stringCacheBytes: (Uint8Array | undefined)[] = new Array(STRING_CACHE_SLOTS);

const float64 = new Float64Array(1);
const float64Bytes = new Uint8Array(float64.buffer);
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The plain value `bytes` encode, or `GIVE_UP` (decode with msgpackr). */
export function unpackPlain(bytes: Uint8Array): unknown {
  src = bytes;
  pos = 0;
  end = bytes.length;
  budget = end;
  const base = top;
  const value = readValue(0, topLevel);
  top = base;
  if (value === GIVE_UP || pos !== end) return GIVE_UP;
  return value;
}

/** The value at `pos`; `at` is its position (the map key it is the value of), whose trie its maps use. */
function readValue(depth: number, at: ShapeNode): Result {
  if (pos >= end) return GIVE_UP;
  const token = src[pos++] as number;
  if (token < 0x80) return token;
  if (token < 0x90) return readMap(token & 0x0f, depth, at);
  if (token < 0xa0) return readArray(token & 0x0f, depth, at);
  if (token < 0xc0) {
    // the string this position held last time, matched by its bytes (a message's `type`)
    const length = token & 0x1f;
    const last = at.lastTextBytes;
    if (last !== undefined && last.length === length && pos + length <= end && sameBytes(last, pos)) {
      pos += length;
      return at.lastText;
    }
    return readAscii(length, at);
  }
  if (token >= 0xe0) return token - 0x100;
  switch (token) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcc:
      return pos < end ? (src[pos++] as number) : GIVE_UP;
    case 0xcd:
      return pos + 2 <= end ? readUint16() : GIVE_UP;
    case 0xce:
      return pos + 4 <= end ? readUint32() : GIVE_UP;
    case 0xd0:
      return pos < end ? ((src[pos++] as number) << 24) >> 24 : GIVE_UP;
    case 0xd1:
      return pos + 2 <= end ? (readUint16() << 16) >> 16 : GIVE_UP;
    case 0xd2:
      return pos + 4 <= end ? readUint32() | 0 : GIVE_UP;
    case 0xcb:
      return pos + 8 <= end && littleEndian ? readFloat64() : GIVE_UP;
    case 0xd9:
      return pos < end ? readAscii(src[pos++] as number, at) : GIVE_UP;
    case 0xda:
      return pos + 2 <= end ? readAscii(readUint16(), at) : GIVE_UP;
    case 0xdb:
      return pos + 4 <= end ? readAscii(readUint32(), at) : GIVE_UP;
    case 0xdc:
      return pos + 2 <= end ? readArray(readUint16(), depth, at) : GIVE_UP;
    case 0xdd:
      return pos + 4 <= end ? readArray(readUint32(), depth, at) : GIVE_UP;
    case 0xde:
      return pos + 2 <= end ? readMap(readUint16(), depth, at) : GIVE_UP;
    case 0xd4: {
      if (src[pos] === EXT_MAP) return readMapExtension(depth, at); // PU-8
      // PU-6: an id or ref (id-fast.ts)
      const after = readRef(src, pos - 1, end);
      if (after < 0) return GIVE_UP;
      pos = after;
      return decodedRef;
    }
    case 0xdf:
      return pos + 4 <= end ? readMap(readUint32(), depth, at) : GIVE_UP;
    default:
      return GIVE_UP;
  }
}

function readUint16(): number {
  const value = ((src[pos] as number) << 8) | (src[pos + 1] as number);
  pos += 2;
  return value;
}

function readUint32(): number {
  const value = (src[pos] as number) * 0x100_0000 + (((src[pos + 1] as number) << 16) | ((src[pos + 2] as number) << 8) | (src[pos + 3] as number));
  pos += 4;
  return value;
}

function readFloat64(): number {
  for (let i = 0; i < 8; i++) float64Bytes[7 - i] = src[pos + i] as number;
  pos += 8;
  return float64[0] as number;
}

/** An ASCII string of `length` bytes at `pos` (short ones interned); GIVE_UP for other text. */
/**
 * An ASCII string of `length` bytes at `pos`; GIVE_UP for other text. Short ones are interned,
 * and one found interned becomes the string `at` predicts.
 */
function readAscii(length: number, at: ShapeNode): Result {
  const start = pos;
  const stop = start + length;
  if (stop > end) return GIVE_UP;
  if (length <= STRING_CACHE_MAX) {
    let hash = length;
    for (let i = start; i < stop; i++) hash = (hash * 31 + (src[i] as number)) | 0;
    const slot = hash & (STRING_CACHE_SLOTS - 1);
    const cached = stringCacheBytes[slot];
    if (cached !== undefined && cached.length === length && sameBytes(cached, start)) {
      pos = stop;
      const text = stringCache[slot] as string;
      if (at !== detached) {
        at.lastText = text;
        at.lastTextBytes = cached;
      }
      return text;
    }
    const text = asciiString(start, stop);
    if (text === undefined) return GIVE_UP;
    stringCache[slot] = text;
    const bytes = new Uint8Array(length);
    for (let i = 0; i < length; i++) bytes[i] = src[start + i] as number;
    stringCacheBytes[slot] = bytes;
    pos = stop;
    return text;
  }
  const text = asciiString(start, stop);
  if (text === undefined) return GIVE_UP;
  pos = stop;
  return text;
}

function sameBytes(expected: Uint8Array, at: number): boolean {
  for (let i = 0; i < expected.length; i++) if (src[at + i] !== expected[i]) return false;
  return true;
}

const fromCharCode = String.fromCharCode;
/** Texts longer than this are decoded in one call (ASCII: any decoder gives the same string). */
const LONG_TEXT = 512;
const utf8 = new TextDecoder();

/** ASCII text from `start` to `stop`; undefined for other bytes. Short ones in one call (PU-7's keys). */
function asciiString(start: number, stop: number): string | undefined {
  const s = src;
  switch (stop - start) {
    case 1: {
      const a = s[start] as number;
      return a < 0x80 ? fromCharCode(a) : undefined;
    }
    case 2: {
      const a = s[start] as number, b = s[start + 1] as number;
      return (a | b) < 0x80 ? fromCharCode(a, b) : undefined;
    }
    case 3: {
      const a = s[start] as number, b = s[start + 1] as number, c = s[start + 2] as number;
      return (a | b | c) < 0x80 ? fromCharCode(a, b, c) : undefined;
    }
    case 4: {
      const a = s[start] as number, b = s[start + 1] as number, c = s[start + 2] as number, d = s[start + 3] as number;
      return (a | b | c | d) < 0x80 ? fromCharCode(a, b, c, d) : undefined;
    }
    case 5: {
      const a = s[start] as number, b = s[start + 1] as number, c = s[start + 2] as number, d = s[start + 3] as number, e = s[start + 4] as number;
      return (a | b | c | d | e) < 0x80 ? fromCharCode(a, b, c, d, e) : undefined;
    }
    case 6: {
      const a = s[start] as number, b = s[start + 1] as number, c = s[start + 2] as number, d = s[start + 3] as number, e = s[start + 4] as number, f = s[start + 5] as number;
      return (a | b | c | d | e | f) < 0x80 ? fromCharCode(a, b, c, d, e, f) : undefined;
    }
    default:
      break;
  }
  if (stop - start > LONG_TEXT) {
    // a long text (a 5 MB one in a large value): checked, then decoded in one call
    for (let i = start; i < stop; i++) if ((s[i] as number) >= 0x80) return undefined;
    return utf8.decode(s.subarray(start, stop));
  }
  let text = '';
  for (let i = start; i < stop; i++) {
    const code = s[i] as number;
    if (code >= 0x80) return undefined;
    text += String.fromCharCode(code);
  }
  return text;
}

function readArray(length: number, depth: number, at: ShapeNode): Result {
  if (depth >= MAX_DEPTH || length > end - pos || (budget -= length) < 0) return GIVE_UP;
  const array: unknown[] = new Array(length);
  for (let i = 0; i < length; i++) {
    const value = readValue(depth + 1, at);
    if (value === GIVE_UP) return GIVE_UP;
    array[i] = value;
  }
  return array;
}

function readMap(length: number, depth: number, at: ShapeNode): Result {
  if (depth >= MAX_DEPTH || length > end - pos || (budget -= 2 * length) < 0) return GIVE_UP;
  if (length > MAX_LEARNED_KEYS) return readWideMap(length, depth);
  const base = top;
  if (base + length > stack.length) {
    const grow = Math.max(256, length);
    stack = stack.concat(new Array(grow));
    keyStack = keyStack.concat(new Array<string>(grow));
  }
  top = base + length;
  let node = at.values();
  for (let i = 0; i < length; i++) {
    const next = readKey(node, base + i);
    if (next === undefined) return GIVE_UP;
    node = next;
    const value = readValue(depth + 1, node);
    if (value === GIVE_UP) return GIVE_UP;
    stack[base + i] = value;
  }
  const object = build(node, base, length);
  top = base;
  return object;
}

/**
 * PU-8: a `Map` after its `d4 2f`: the filler byte 0, an array header of an even count, then
 * keys and values in turn. A small Map's values use `at`'s trie (Maps of same-shaped objects).
 */
function readMapExtension(depth: number, at: ShapeNode): Result {
  if (pos + 2 >= end || src[pos + 1] !== 0 || depth >= MAX_DEPTH) return GIVE_UP;
  pos += 2;
  const token = src[pos++] as number;
  let length: number;
  if (token >= 0x90 && token < 0xa0) length = token & 0x0f;
  else if (token === 0xdc && pos + 2 <= end) length = readUint16();
  else if (token === 0xdd && pos + 4 <= end) length = readUint32();
  else return GIVE_UP;
  if ((length & 1) !== 0 || length > end - pos || (budget -= length) < 0) return GIVE_UP;
  const wide = length > 2 * MAX_LEARNED_KEYS;
  const values = wide ? detached : at;
  const map = new Map<unknown, unknown>();
  for (let i = 0; i < length; i += 2) {
    const key = wide ? readWideMapKey(depth) : readValue(depth + 1, detached);
    if (key === GIVE_UP) return GIVE_UP;
    const value = readValue(depth + 1, values);
    if (value === GIVE_UP) return GIVE_UP;
    map.set(key, value);
  }
  return map;
}

/** A key of a wide Map: an ASCII fixstr or str8 made without interning (PU-7), else any value. */
function readWideMapKey(depth: number): Result {
  const token = src[pos] as number;
  let start: number;
  if (token >= 0xa0 && token < 0xc0) start = pos + 1;
  else if (token === 0xd9 && pos + 1 < end) start = pos + 2;
  else return readValue(depth + 1, detached);
  const stop = start + (token === 0xd9 ? (src[pos + 1] as number) : token & 0x1f);
  if (stop > end) return GIVE_UP;
  const key = asciiString(start, stop);
  if (key === undefined) return GIVE_UP;
  pos = stop;
  return key;
}

/** PU-7: a map of many entries, built with keyed stores as it is read (msgpackr's later-wins). */
function readWideMap(length: number, depth: number): Result {
  const object: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) {
    const key = readWideKey();
    if (key === undefined) return GIVE_UP;
    const value = readValue(depth + 1, detached);
    if (value === GIVE_UP) return GIVE_UP;
    object[key] = value;
  }
  return object;
}

/** A key (fixstr or str8 of ASCII, not `__proto__`) at `pos`; undefined to give up. */
function readWideKey(): string | undefined {
  if (pos >= end) return undefined;
  const token = src[pos] as number;
  let start: number;
  if (token >= 0xa0 && token < 0xc0) start = pos + 1;
  else if (token === 0xd9 && pos + 1 < end) start = pos + 2;
  else return undefined;
  const stop = start + (token === 0xd9 ? (src[pos + 1] as number) : token & 0x1f);
  if (stop > end) return undefined;
  const key = asciiString(start, stop);
  if (key === undefined || key === '__proto__') return undefined;
  pos = stop;
  return key;
}

/**
 * The trie node after the key at `pos` (a fixstr or str8 of ASCII), its string pushed at
 * `keyStack[at]`; undefined to give up.
 */
function readKey(node: ShapeNode, at: number): ShapeNode | undefined {
  if (pos >= end) return undefined;
  const token = src[pos] as number;
  let length: number;
  let start: number;
  if (token >= 0xa0 && token < 0xc0) {
    length = token & 0x1f;
    start = pos + 1;
  } else if (token === 0xd9 && pos + 1 < end) {
    length = src[pos + 1] as number;
    start = pos + 2;
  } else return undefined;
  const stop = start + length;
  if (stop > end) return undefined;
  const next = node.next;
  if (next !== undefined && next.keyBytes.length === length && sameBytes(next.keyBytes, start)) {
    pos = stop;
    keyStack[at] = next.key;
    if (node.misses !== 0) node.misses = 0;
    return next;
  }
  const key = asciiString(start, stop);
  if (key === undefined || key === '__proto__') return undefined;
  pos = stop;
  keyStack[at] = key;
  return node.child(key);
}

function build(node: ShapeNode, base: number, length: number): Record<string, unknown> {
  let builder = node.build;
  if (builder === undefined && node !== detached && ++node.uses === COMPILE_AFTER && compiledShapes < MAX_SHAPES) {
    const keys = keyStack.slice(base, base + length);
    // a sequence that repeats a key keeps keyed stores (msgpackr's later-wins, simply)
    if (new Set(keys).size === length) {
      builder = node.build = compileBuilder(keys);
      compiledShapes++;
    }
  }
  if (builder !== undefined) return builder(stack, base);
  const object: Record<string, unknown> = {};
  for (let i = 0; i < length; i++) object[keyStack[base + i] as string] = stack[base + i];
  return object;
}

/** `(values, base) => ({ k0: values[base], k1: values[base + 1], ... })`; keys are quoted by JSON. */
function compileBuilder(keys: readonly string[]): Builder {
  const fields = keys.map((key, i) => `${JSON.stringify(key)}: values[base + ${i}]`).join(', ');
  // a literal per key sequence, as msgpackr compiles its records
  return new Function('values', 'base', `return { ${fields} };`) as Builder;
}

function asciiBytes(key: string): Uint8Array {
  const bytes = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) bytes[i] = key.charCodeAt(i);
  return bytes;
}
