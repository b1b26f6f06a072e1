/**
 * wire/sendable.ts: the sending contract, enforced at send time (docs/guide: "Sending contract").
 *
 * A message may hold: plain data (objects of `Object.prototype` or `null` prototype, arrays,
 * strings, numbers, booleans, `null`, `undefined`), `bigint`, `Map`, `Set`, `Date`, `RegExp`,
 * typed arrays and `ArrayBuffer`, `Error` (name, message and stack), ids (`ProcId`, `ActorId`,
 * `PortId`), refs (`ActorRef`, `PortRef`, `OncePortRef`), returned envelopes (`Undeliverable`),
 * and instances of classes with a registered codec (`registerCodec`). Each arrives with its type.
 * Anything else (a function, a symbol, an instance of a class without a codec, a circular value)
 * fails at send time with `CodecError('unsendable')` whose message names the path inside the
 * message (`msg.items[3].onDone: function`), instead of arriving changed (msgpackr alone turns a
 * function into `undefined`, a `Map` or a class instance into a plain object).
 *
 * The plain-data fast path (plain-pack.ts) covers most messages and never reaches this walk; it
 * runs only on what plain-pack gave up on, before msgpackr (payload.ts). It also prepares the
 * value for msgpackr: a `Map` becomes a `SendableMap` (msgpackr encodes a `Map` as a msgpack map,
 * which decodes as a plain object; an extension keeps its type), copying only the containers on
 * the path to it.
 *
 * ## Invariants
 *
 * - SC-1: every value the contract allows round-trips through `encodePayload`/`decodePayload`
 *   with its type (a `Map` as a `Map`, a `TypeError` as a `TypeError` with its stack).
 * - SC-2: every value it does not allow throws `CodecError('unsendable')` naming the first path
 *   (depth-first, keys in order) that breaks it; nothing is sent.
 * - SC-3: the value the sender holds is never modified (a `Map` is replaced in a copy).
 */
import { ActorId, PortId, ProcId } from '../id.js';
import { Undeliverable } from '../mailbox/envelope.js';
import { ActorRef, OncePortRef, PortRef } from '../ref.js';
import { outOfBand } from './attachments.js';
import { CodecError } from './errors.js';

/** A `Map` on its way through msgpackr (an extension: it decodes as a `Map` again). */
export class SendableMap {
  /** `map`: the sender's own `Map` when nothing in it needed preparing, else a prepared copy. */
  constructor(readonly map: ReadonlyMap<unknown, unknown>) {}
}

/**
 * Set by the walk when an object has more keys than msgpack's map16 holds: payload.ts then packs
 * with `variableMapSize` (map32). Reset by every `prepareSendable`.
 */
export let wideObjects = false;

/** Leaves need no walk (and no path string): the common case of large plain values. */
function isLeaf(value: unknown): boolean {
  const type = typeof value;
  return type === 'string' || type === 'number' || type === 'boolean' || type === 'undefined' || type === 'bigint' || value === null;
}

type Class = abstract new (...args: never[]) => unknown;

/** Classes sent whole (their codec writes their content): ids, refs, and registered codecs. */
const CODEC_CLASSES = new Set<Class>([ProcId, ActorId, PortId, ActorRef, PortRef, OncePortRef, Undeliverable]);

/** @internal `registerCodec` (msgpack.ts) adds its class here. */
export function allowClass(cls: Class): void {
  CODEC_CLASSES.add(cls);
}

/** SC-1, SC-2: `value` ready for msgpackr, or `CodecError('unsendable')`. */
export function prepareSendable(value: unknown): unknown {
  wideObjects = false;
  return walk(value, 'msg', new Set<object>());
}

function walk(value: unknown, path: string, ancestors: Set<object>): unknown {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
    case 'undefined':
      return value;
    case 'function':
      throw unsendable(`${path}: function`);
    case 'symbol':
      throw unsendable(`${path}: symbol`);
    default:
      break;
  }
  if (value === null) return value;
  const object = value as object;
  if (ancestors.has(object)) throw unsendable(`${path}: circular reference`);
  if (Array.isArray(object)) return walkArray(object, path, ancestors);
  const proto: unknown = Object.getPrototypeOf(object);
  if (proto === Object.prototype || proto === null) return walkObject(object as Record<string, unknown>, path, ancestors);
  if (object instanceof Map) return walkMap(object, path, ancestors);
  if (object instanceof Set) return walkSet(object, path, ancestors);
  if (object instanceof Date || object instanceof RegExp || object instanceof Error) return value;
  // large or moved binary values travel out of band (attachments.ts)
  if (object instanceof ArrayBuffer || (ArrayBuffer.isView(object) && !(object instanceof DataView))) return outOfBand(object as ArrayBuffer | ArrayBufferView);
  const ctor = (object as { constructor?: unknown }).constructor;
  if (typeof ctor === 'function' && CODEC_CLASSES.has(ctor as Class)) return value;
  const name = typeof ctor === 'function' && ctor.name !== '' ? ctor.name : 'an anonymous class';
  throw unsendable(`${path}: instance of ${name} without a codec (registerCodec)`);
}

function walkArray(array: readonly unknown[], path: string, ancestors: Set<object>): unknown {
  ancestors.add(array);
  let out: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const item = array[i];
    if (isLeaf(item)) continue;
    const prepared = walk(item, `${path}[${i}]`, ancestors);
    if (prepared !== item) (out ??= array.slice())[i] = prepared;
  }
  ancestors.delete(array);
  return out ?? array;
}

function walkObject(object: Record<string, unknown>, path: string, ancestors: Set<object>): unknown {
  ancestors.add(object);
  let out: Record<string, unknown> | undefined;
  const keys = Object.keys(object);
  if (keys.length > 0xffff) wideObjects = true;
  for (const key of keys) {
    const item = object[key];
    if (isLeaf(item)) continue;
    const prepared = walk(item, `${path}.${key}`, ancestors);
    if (prepared !== item) (out ??= { ...object })[key] = prepared;
  }
  ancestors.delete(object);
  return out ?? object;
}

function walkMap(map: Map<unknown, unknown>, path: string, ancestors: Set<object>): unknown {
  ancestors.add(map);
  let out: Map<unknown, unknown> | undefined;
  let done = 0;
  for (const [key, item] of map) {
    let k = key;
    let v = item;
    if (!isLeaf(key) || !isLeaf(item)) {
      const label = typeof key === 'string' || typeof key === 'number' ? JSON.stringify(key) : '…';
      k = walk(key, `${path}.keys(${label})`, ancestors);
      v = walk(item, `${path}.get(${label})`, ancestors);
      if (out === undefined && (k !== key || v !== item)) {
        out = new Map();
        let i = 0;
        for (const entry of map) {
          if (i++ === done) break;
          out.set(entry[0], entry[1]);
        }
      }
    }
    out?.set(k, v);
    done++;
  }
  ancestors.delete(map);
  return new SendableMap(out ?? map);
}

function walkSet(set: Set<unknown>, path: string, ancestors: Set<object>): unknown {
  ancestors.add(set);
  let changed = false;
  const items: unknown[] = [];
  let i = 0;
  for (const item of set) {
    const prepared = walk(item, `${path}.values()[${i++}]`, ancestors);
    if (prepared !== item) changed = true;
    items.push(prepared);
  }
  ancestors.delete(set);
  return changed ? new Set(items) : set;
}

function unsendable(what: string): CodecError {
  return new CodecError('unsendable', `cannot send ${what}`);
}
