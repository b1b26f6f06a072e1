/**
 * mailbox/local-copy.ts: `copyPlain`, the copy a ref send inside one proc delivers instead of
 * encoding and decoding its message (DESIGN decision 3: a receiver never observes a later
 * mutation by the sender, and the sender none by the receiver).
 *
 * Encoding a small message costs ~120 ns and decoding it ~150 ns here (wire/plain-pack.ts,
 * plain-unpack.ts), on top of the envelope; copying the same plain tree is one allocation per
 * object or array. The copy covers what JSON holds: plain objects (prototype `Object.prototype`,
 * constructor `Object`), arrays, well-formed strings, numbers, booleans and null, up to
 * `MAX_NODES` objects and arrays and `MAX_DEPTH` levels. For anything else (ids, refs, typed
 * arrays, `Map`, `Date`, `undefined`, bigint, class instances, lone surrogates, the key
 * `__proto__`, larger values) it gives up, and the send encodes the message as before: the fast
 * path never decides what a value means.
 *
 * Written by hand: `structuredClone` costs more than encoding for small values (~1 µs) and copies
 * what msgpackr would change (`-0`, `undefined`, class instances as plain objects), so a value
 * would arrive different by route.
 *
 * ## Invariants
 *
 * - LC-1: when `copyPlain(x)` returns a value, it is structurally equal to what
 *   `decodePayload(encodePayload(x))` returns (same keys in the same order, same numbers: `-0`
 *   arrives as `0`, as msgpackr writes it), and shares no object or array with `x`.
 * - LC-2: it never writes to `x`, and reads each own enumerable property once, as the encoder
 *   does (when it gives up, the encoder reads them again: a getter runs twice).
 */

/** Returned when the value is not plain data this copies (the caller encodes it). */
export const NOT_PLAIN: unique symbol = Symbol('not plain');

/** Objects and arrays one copy makes at most; larger values are encoded. */
const MAX_NODES = 256;
/** Deepest nesting followed (plain-pack.ts's limit). */
const MAX_DEPTH = 32;

const hasOwn = Object.prototype.hasOwnProperty;
/** `String.prototype.isWellFormed` (ES2024, Node 20): false for a lone surrogate, which UTF-8 cannot carry. */
interface WellFormed {
  isWellFormed(): boolean;
}
let budget = 0;

/** LC-1, LC-2: a copy of plain data, or `NOT_PLAIN`. */
export function copyPlain(value: unknown): unknown {
  budget = MAX_NODES;
  return copy(value, 0);
}

function copy(value: unknown, depth: number): unknown {
  switch (typeof value) {
    case 'string':
      return (value as unknown as WellFormed).isWellFormed() ? value : NOT_PLAIN;
    case 'number':
      return value === 0 ? 0 : value; // -0 arrives as 0 (LC-1)
    case 'boolean':
      return value;
    case 'object':
      if (value === null) return null;
      if (--budget < 0 || depth >= MAX_DEPTH) return NOT_PLAIN;
      return Array.isArray(value) ? copyArray(value, depth) : copyObject(value as Record<string, unknown>, depth);
    default:
      return NOT_PLAIN;
  }
}

function copyArray(array: unknown[], depth: number): unknown {
  if (Object.getPrototypeOf(array) !== Array.prototype) return NOT_PLAIN;
  const n = array.length;
  if (n > MAX_NODES * 16) return NOT_PLAIN;
  const out = new Array<unknown>(n);
  for (let i = 0; i < n; i++) {
    const c = copy(array[i], depth + 1);
    if (c === NOT_PLAIN) return NOT_PLAIN;
    out[i] = c;
  }
  return out;
}

function copyObject(object: Record<string, unknown>, depth: number): unknown {
  if (Object.getPrototypeOf(object) !== Object.prototype || object.constructor !== Object) return NOT_PLAIN;
  const out: Record<string, unknown> = {};
  for (const key in object) {
    if (!hasOwn.call(object, key)) continue;
    if (key === '__proto__') return NOT_PLAIN;
    const c = copy(object[key], depth + 1);
    if (c === NOT_PLAIN) return NOT_PLAIN;
    out[key] = c;
  }
  return out;
}
