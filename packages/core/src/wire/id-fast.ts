/**
 * wire/id-fast.ts: ids and refs in msgpackr's bytes, written and read by hand: the shared part
 * of the envelope fast path (envelope-fast.ts: sender and destination) and of the plain-data
 * fast paths (plain-pack.ts, plain-unpack.ts: a `PortRef` to reply to, an `ActorRef` in a
 * message).
 *
 * Written by hand for the reason envelope-fast.ts gives: msgpackr writes an id's parts again
 * for every message (`String(addr)`, three strings, a number) through its extension table, and
 * reads them back into new strings, an interning key and the id's own `key` string. Here an
 * id's bytes are made once per id object, and a decoded id is found again by its bytes.
 *
 * The bytes are those of msgpack.ts's registered extensions (a wrapping fixext 1, then the
 * value the extension's `write` returns): `ActorId` `d4 29 00 [addr, procName, name, pid]`,
 * `PortId` `d4 2a 00 [addr, procName, name, pid, index]`, `ActorRef` `d4 2b 00 <ActorId>`,
 * `PortRef` `d4 2c 00 [<PortId>, reducerSpec | nil, returnUndeliverable]`, `OncePortRef`
 * `d4 2d 00 [<PortId>, returnUndeliverable]`. Only ASCII strings of at most 255 bytes and
 * integers below 2^32 are covered; anything else gives up (the caller uses msgpackr).
 *
 * ## Invariants
 *
 * - IDF-1: `writeRef` writes the bytes msgpackr writes for the same value (exact classes only:
 *   a subclass gives up).
 * - IDF-2: `readRef` returns the value msgpackr's extension `read` returns for the same bytes
 *   (ids by value: a cached id object may be shared, ids are immutable; refs are new objects);
 *   it never reads outside `[start, stop)`, and gives up (-1) on any other form.
 * - IDF-3: the caches are bounded: `ID_SLOTS` decoded ids (direct-mapped by a hash of their
 *   bytes) and one predicted id per `IdHint`; an id's encoded bytes live as long as the id
 *   object (`WeakMap`).
 * - IDF-4: a prediction is checked before the id is parsed: the bytes at `start` equal, in
 *   full, the bytes of the id last read at the same place (`IdHint`: an envelope's sender, its
 *   destination, a ref in a payload). msgpack is prefix-free, so bytes that begin with a
 *   complete encoding hold that encoding's value and end where it ends: a hit is the same id
 *   the parse would find (IDF-2), at one compare per byte instead of the ASCII scan, the hash
 *   and the compare.
 */
import { ActorId, PortId } from '../id.js';
import { ActorRef, OncePortRef, PortRef } from '../ref.js';
import { actorIdFromParts } from './msgpack.js';

/** msgpack.ts `EXT` codes of the types covered here. */
const EXT_ACTOR_ID = 41;
const EXT_PORT_ID = 42;
const EXT_ACTOR_REF = 43;
const EXT_PORT_REF = 44;
const EXT_ONCE_PORT_REF = 45;
/** Longest id string covered (fixstr or str8). */
const MAX_ID_STRING = 0xff;
/** Decoded-id cache slots (IDF-3; a power of two). */
const ID_SLOTS = 256;

// ---- writing -------------------------------------------------------------------------------

const idBytes = new WeakMap<ActorId | PortId, Uint8Array>();
let scratch = new Uint8Array(256);

/** The extension bytes of an `ActorId` or `PortId` (IDF-1), made once per id object; undefined when not covered. */
export function encodedId(id: ActorId | PortId): Uint8Array | undefined {
  let bytes = idBytes.get(id);
  if (bytes !== undefined) return bytes;
  const port = id instanceof PortId;
  const actor = port ? id.actor : id;
  if (actor.constructor !== ActorId || (port && id.constructor !== PortId)) return undefined;
  const addr = String(actor.proc.addr);
  const need = 16 + addr.length + actor.proc.name.length + actor.name.length;
  if (scratch.length < need) scratch = new Uint8Array(need * 2);
  const out = scratch;
  out[0] = 0xd4;
  out[1] = port ? EXT_PORT_ID : EXT_ACTOR_ID;
  out[2] = 0;
  out[3] = port ? 0x95 : 0x94;
  let p = writeAscii(out, 4, addr);
  if (p >= 0) p = writeAscii(out, p, actor.proc.name);
  if (p >= 0) p = writeAscii(out, p, actor.name);
  if (p >= 0) p = writeUint(out, p, actor.pid);
  if (p >= 0 && port) p = writeUint(out, p, id.index);
  if (p < 0) return undefined;
  bytes = out.slice(0, p);
  idBytes.set(id, bytes);
  return bytes;
}

/** fixstr or str8 of ASCII text (msgpackr's formats); -1 otherwise. */
function writeAscii(out: Uint8Array, p: number, text: string): number {
  const length = text.length;
  if (length > MAX_ID_STRING || p + 2 + length > out.length) return -1;
  if (length < 32) out[p++] = 0xa0 | length;
  else {
    out[p++] = 0xd9;
    out[p++] = length;
  }
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return -1;
    out[p + i] = code;
  }
  return p + length;
}

/** A non-negative integer below 2^32 in msgpackr's format (fixint, uint8/16/32); -1 otherwise. */
export function writeUint(out: Uint8Array, p: number, value: number): number {
  if (value >>> 0 !== value) return -1;
  if (value < 0x80) out[p++] = value;
  else if (value < 0x100) {
    out[p++] = 0xcc;
    out[p++] = value;
  } else if (value < 0x10000) {
    out[p++] = 0xcd;
    out[p++] = value >>> 8;
    out[p++] = value & 0xff;
  } else {
    out[p++] = 0xce;
    out[p++] = value >>> 24;
    out[p++] = (value >>> 16) & 0xff;
    out[p++] = (value >>> 8) & 0xff;
    out[p++] = value & 0xff;
  }
  return p;
}

/** Whether `value` is an id or ref of a class `writeRef` covers (exact classes, IDF-1). */
export function isRefLike(ctor: unknown): boolean {
  return ctor === ActorId || ctor === PortId || ctor === ActorRef || ctor === PortRef || ctor === OncePortRef;
}

/** Write the id or ref `value` (an `isRefLike` class) at `out[p]`, below `limit`; the end, or -1 to give up. */
export function writeRef(value: object, out: Uint8Array, p: number, limit: number): number {
  const ctor = value.constructor;
  if (ctor === ActorId || ctor === PortId) return writeId(value as ActorId | PortId, out, p, limit);
  if (p + 4 > limit) return -1;
  out[p] = 0xd4;
  out[p + 2] = 0;
  if (ctor === ActorRef) {
    out[p + 1] = EXT_ACTOR_REF;
    return writeId((value as ActorRef<unknown>).actorId, out, p + 3, limit);
  }
  if (ctor === PortRef) {
    const ref = value as PortRef<unknown>;
    out[p + 1] = EXT_PORT_REF;
    out[p + 3] = 0x93;
    let q = writeId(ref.portId, out, p + 4, limit);
    if (q < 0) return -1;
    const spec = ref.reducerSpec;
    if (spec === undefined) {
      if (q + 2 > limit) return -1;
      out[q++] = 0xc0;
    } else {
      if (typeof spec !== 'string' || q + 3 + spec.length > limit) return -1;
      q = writeAscii(out, q, spec);
      if (q < 0) return -1;
    }
    out[q++] = ref.returnUndeliverable ? 0xc3 : 0xc2;
    return q;
  }
  if (ctor === OncePortRef) {
    const ref = value as OncePortRef<unknown>;
    out[p + 1] = EXT_ONCE_PORT_REF;
    out[p + 3] = 0x92;
    const q = writeId(ref.portId, out, p + 4, limit);
    if (q < 0 || q + 1 > limit) return -1;
    out[q] = ref.returnUndeliverable ? 0xc3 : 0xc2;
    return q + 1;
  }
  return -1;
}

function writeId(id: ActorId | PortId, out: Uint8Array, p: number, limit: number): number {
  const bytes = encodedId(id);
  if (bytes === undefined || p + bytes.length > limit) return -1;
  out.set(bytes, p);
  return p + bytes.length;
}

// ---- reading -------------------------------------------------------------------------------

/** The value the last successful `readRef` or `readId` read. */
export let decodedRef: ActorId | PortId | ActorRef<unknown> | PortRef<unknown> | OncePortRef<unknown> | undefined;

/** Where an id is read (IDF-4: the prediction is kept per place): an envelope's sender, its destination, anywhere else. */
export const HINT_SENDER = 0;
export const HINT_DEST = 1;
export const HINT_OTHER = 2;
export type IdHint = typeof HINT_SENDER | typeof HINT_DEST | typeof HINT_OTHER;
const predictedKeys: (Uint8Array | undefined)[] = [undefined, undefined, undefined];
const predictedIds: (ActorId | PortId | undefined)[] = [undefined, undefined, undefined];

const cacheKeys: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(ID_SLOTS);
const cacheIds: (ActorId | PortId | undefined)[] = new Array<ActorId | PortId | undefined>(ID_SLOTS);

/**
 * Read the id (`ActorId` or `PortId`) whose extension starts at `bytes[start]`, within `stop`
 * (IDF-2); the offset after it, or -1. The id is in `decodedRef`.
 */
export function readId(bytes: Uint8Array, start: number, stop: number, hint: IdHint = HINT_OTHER): number {
  const known = predictedKeys[hint];
  if (known !== undefined && start + known.length <= stop) {
    // IDF-4: the id last read here, if the bytes are its bytes
    let i = 0;
    const n = known.length;
    while (i < n && known[i] === bytes[start + i]) i++;
    if (i === n) {
      decodedRef = predictedIds[hint];
      return start + n;
    }
  }
  if (start + 4 > stop || bytes[start] !== 0xd4 || bytes[start + 2] !== 0) return -1;
  const type = bytes[start + 1];
  const parts = type === EXT_PORT_ID ? 5 : type === EXT_ACTOR_ID ? 4 : 0;
  if (parts === 0 || bytes[start + 3] !== (0x90 | parts)) return -1;
  let p = start + 4;
  const addrAt = p;
  p = skipAscii(bytes, p, stop);
  const procAt = p;
  if (p >= 0) p = skipAscii(bytes, p, stop);
  const nameAt = p;
  if (p >= 0) p = skipAscii(bytes, p, stop);
  if (p < 0) return -1;
  const pidAt = p;
  p = skipUint(bytes, p, stop);
  const indexAt = p;
  if (p >= 0 && parts === 5) p = skipUint(bytes, p, stop);
  if (p < 0) return -1;
  let hash = 0x811c9dc5;
  for (let i = start; i < p; i++) hash = Math.imul(hash ^ (bytes[i] as number), 0x01000193);
  const slot = (hash >>> 0) & (ID_SLOTS - 1);
  const key = cacheKeys[slot];
  if (key !== undefined && key.length === p - start) {
    let same = true;
    for (let i = 0; i < key.length; i++) {
      if (key[i] !== bytes[start + i]) {
        same = false;
        break;
      }
    }
    if (same) {
      decodedRef = cacheIds[slot];
      predictedKeys[hint] = key;
      predictedIds[hint] = decodedRef;
      return p;
    }
  }
  let actor: ActorId;
  try {
    actor = actorIdFromParts([asciiAt(bytes, addrAt), asciiAt(bytes, procAt), asciiAt(bytes, nameAt), uintAt(bytes, pidAt)]);
  } catch {
    return -1; // an address that does not parse: msgpackr's path says why
  }
  const id = parts === 5 ? new PortId(actor, uintAt(bytes, indexAt)) : actor;
  const copy = new Uint8Array(p - start);
  for (let i = 0; i < copy.length; i++) copy[i] = bytes[start + i] as number;
  cacheKeys[slot] = copy;
  cacheIds[slot] = id;
  predictedKeys[hint] = copy;
  predictedIds[hint] = id;
  decodedRef = id;
  return p;
}

/**
 * Read the id or ref whose extension starts at `bytes[start]` (IDF-2): the offset after it, or
 * -1 (not one of the forms covered). The value is in `decodedRef`.
 */
export function readRef(bytes: Uint8Array, start: number, stop: number): number {
  if (start + 4 > stop || bytes[start] !== 0xd4 || bytes[start + 2] !== 0) return -1;
  const type = bytes[start + 1];
  if (type === EXT_ACTOR_ID || type === EXT_PORT_ID) return readId(bytes, start, stop);
  if (type === EXT_ACTOR_REF) {
    const p = readId(bytes, start + 3, stop);
    if (p < 0 || !(decodedRef instanceof ActorId)) return -1;
    decodedRef = new ActorRef(decodedRef);
    return p;
  }
  if (type === EXT_PORT_REF) {
    if (bytes[start + 3] !== 0x93) return -1;
    let p = readId(bytes, start + 4, stop);
    if (p < 0 || !(decodedRef instanceof PortId) || p >= stop) return -1;
    const portId = decodedRef;
    let spec: string | undefined;
    if (bytes[p] === 0xc0) p++;
    else {
      const at = p;
      p = skipAscii(bytes, p, stop);
      if (p < 0) return -1;
      spec = asciiAt(bytes, at);
    }
    if (p >= stop || (bytes[p] !== 0xc2 && bytes[p] !== 0xc3)) return -1;
    decodedRef = new PortRef(portId, spec, bytes[p] === 0xc3);
    return p + 1;
  }
  if (type === EXT_ONCE_PORT_REF) {
    if (bytes[start + 3] !== 0x92) return -1;
    const p = readId(bytes, start + 4, stop);
    if (p < 0 || !(decodedRef instanceof PortId) || p >= stop || (bytes[p] !== 0xc2 && bytes[p] !== 0xc3)) return -1;
    decodedRef = new OncePortRef(decodedRef, bytes[p] === 0xc3);
    return p + 1;
  }
  return -1;
}

/** Skip a fixstr/str8 of ASCII at `p`; the offset after it, or -1. */
function skipAscii(bytes: Uint8Array, p: number, stop: number): number {
  if (p < 0 || p >= stop) return -1;
  const head = bytes[p] as number;
  let length: number;
  if ((head & 0xe0) === 0xa0) {
    length = head & 0x1f;
    p += 1;
  } else if (head === 0xd9 && p + 1 < stop) {
    length = bytes[p + 1] as number;
    p += 2;
  } else return -1;
  if (p + length > stop) return -1;
  for (let i = p; i < p + length; i++) if ((bytes[i] as number) >= 0x80) return -1;
  return p + length;
}

/** The ASCII string whose header `skipAscii` checked at `at`. */
function asciiAt(bytes: Uint8Array, at: number): string {
  const head = bytes[at] as number;
  const length = head === 0xd9 ? (bytes[at + 1] as number) : head & 0x1f;
  const body = head === 0xd9 ? at + 2 : at + 1;
  let text = '';
  for (let i = body; i < body + length; i++) text += String.fromCharCode(bytes[i] as number);
  return text;
}

/** Skip an unsigned integer (fixint, uint8/16/32) at `p`; the offset after it, or -1. */
function skipUint(bytes: Uint8Array, p: number, stop: number): number {
  if (p < 0 || p >= stop) return -1;
  const head = bytes[p] as number;
  const size = head < 0x80 ? 0 : head === 0xcc ? 1 : head === 0xcd ? 2 : head === 0xce ? 4 : -1;
  if (size < 0 || p + 1 + size > stop) return -1;
  return p + 1 + size;
}

/** The unsigned integer `skipUint` checked at `p`. */
function uintAt(bytes: Uint8Array, p: number): number {
  const head = bytes[p] as number;
  if (head < 0x80) return head;
  const size = head === 0xcc ? 1 : head === 0xcd ? 2 : 4;
  let value = 0;
  for (let i = 1; i <= size; i++) value = value * 256 + (bytes[p + i] as number);
  return value;
}
