/**
 * wire/msgpack.ts: procmesh's one msgpackr configuration: the options every encoder and decoder
 * of `wire/` starts from, the extension type codes, and the registration of every type that
 * travels as an extension, in one place (no module registers anything as a side effect of
 * being imported).
 *
 * Ids (`ProcId`, `ActorId`, `PortId`), refs (`ActorRef`, `PortRef`, `OncePortRef`) and
 * returned envelopes (`Undeliverable`) survive encoding nested anywhere in a message. Decoded
 * `ProcId`s are interned per thread.
 *
 * ## Invariants
 *
 * - CO-1: `decodePayload(encodePayload(x))` is structurally equal to `x` for every value made of
 *   plain data, typed arrays, ids and refs (payload.ts).
 * - CO-2: malformed bytes throw `CodecError` (code `deserialize`), never anything else; callers
 *   turn it into a delivery error, the proc keeps running.
 * - CO-3: extension `write` functions return values to encode, never bytes from a nested `pack`
 *   (that re-enters msgpackr's shared buffer and corrupts the outer message).
 * - CO-4: a decoded envelope tuple (tuple.ts) has a non-negative integer TTL and headers that
 *   are a map; anything else is `deserialize`. Header values stay the sender's (a well-known
 *   header of another type travels as any header: routing reads only strings from them).
 * - CO-5: bytes of another thread or process are walked by wire/limits.ts before msgpackr
 *   reads them (DL-1..DL-5); the extensions registered here are known to that walk (DL-5).
 */
import { Packr, addExtension, type Options } from 'msgpackr';
import { ChannelAddr } from '../addr.js';
import { ActorId, PortId, ProcId } from '../id.js';
import { Undeliverable } from '../mailbox/envelope.js';
import { ActorRef, OncePortRef, PortRef } from '../ref.js';
import { BinaryRef, resolveBinary } from './attachments.js';
import { SendableMap, allowClass } from './sendable.js';
import { CodecError } from './errors.js';
import { markWrappingExtension } from './limits.js';
import { envelopeFromWire, envelopeToWire } from './tuple.js';

/** Extension type codes (msgpackr allows 1..100 for applications). */
export const EXT = {
  PROC_ID: 40,
  ACTOR_ID: 41,
  PORT_ID: 42,
  ACTOR_REF: 43,
  PORT_REF: 44,
  ONCE_PORT_REF: 45,
  ENVELOPE: 46,
  MAP: 47,
  ERROR: 48,
  BINARY_REF: 49,
} as const;

/** Extension type codes an application may give its own classes (`registerCodec`). */
export const USER_CODEC_TAGS = { min: 1, max: 31 } as const;

/**
 * The options of every payload and envelope Packr: plain msgpack maps (no shared record
 * structures, so bytes are portable to any thread, process or machine), `moreTypes` for
 * typed arrays, `Map`, `Set`, ...
 */
export const MSGPACK_OPTIONS: Readonly<Options> = { useRecords: false, moreTypes: true };

/** A Packr (also an unpacker) with `MSGPACK_OPTIONS` and `overrides`. */
export function createPackr(overrides: Options = {}): Packr {
  // msgpackr writes into its options object: each instance gets its own copy.
  return new Packr({ ...MSGPACK_OPTIONS, ...overrides });
}

/** The shared payload and envelope packer of this thread. */
export const packr = createPackr();

const procCache = new Map<string, ProcId>();
const PROC_CACHE_LIMIT = 10_000;

/** Intern a `ProcId` by its parts (decoded ids of one proc share one object). */
export function internProcId(addr: string, name: string): ProcId {
  const key = `${addr},${name}`;
  let proc = procCache.get(key);
  if (proc === undefined) {
    proc = new ProcId(ChannelAddr.parse(addr), name);
    if (procCache.size >= PROC_CACHE_LIMIT) procCache.clear();
    procCache.set(key, proc);
  }
  return proc;
}

type ActorParts = [addr: string, procName: string, name: string, pid: number];

export function actorIdToParts(id: ActorId): ActorParts {
  return [String(id.proc.addr), id.proc.name, id.name, id.pid];
}

export function actorIdFromParts(parts: unknown): ActorId {
  if (!Array.isArray(parts) || parts.length !== 4) throw new CodecError('deserialize', 'malformed actor id');
  const [addr, procName, name, pid] = parts as unknown[];
  if (typeof addr !== 'string' || typeof procName !== 'string' || typeof name !== 'string' || typeof pid !== 'number') {
    throw new CodecError('deserialize', 'malformed actor id');
  }
  return new ActorId(internProcId(addr, procName), name, pid);
}

/**
 * Register a class as a msgpack extension. `write` returns any encodable value (CO-3); `read`
 * rebuilds the instance. msgpackr writes such a type as a fixext 1 followed by the value, and
 * the validator of outside bytes is told so (wire/limits.ts DL-5).
 */
export function registerExtension<T>(type: number, Class: new (...args: never[]) => T, write: (value: T) => unknown, read: (data: unknown) => T): void {
  addExtension({ Class: Class as unknown as new (...args: unknown[]) => T, type, write, read });
  markWrappingExtension(type);
}

registerExtension(
  EXT.PROC_ID,
  ProcId,
  (p) => [String(p.addr), p.name],
  (d) => {
    if (!Array.isArray(d) || typeof d[0] !== 'string' || typeof d[1] !== 'string') throw new CodecError('deserialize', 'malformed proc id');
    return internProcId(d[0], d[1]);
  },
);
registerExtension(EXT.ACTOR_ID, ActorId, actorIdToParts, actorIdFromParts);
registerExtension(
  EXT.PORT_ID,
  PortId,
  (p) => [...actorIdToParts(p.actor), p.index],
  (d) => {
    if (!Array.isArray(d) || d.length !== 5 || typeof d[4] !== 'number') throw new CodecError('deserialize', 'malformed port id');
    return new PortId(actorIdFromParts(d.slice(0, 4)), d[4]);
  },
);
registerExtension(
  EXT.ACTOR_REF,
  ActorRef,
  (r: ActorRef<unknown>) => r.actorId,
  (d) => {
    if (!(d instanceof ActorId)) throw new CodecError('deserialize', 'malformed ActorRef');
    return new ActorRef(d);
  },
);
registerExtension(
  EXT.PORT_REF,
  PortRef,
  (r: PortRef<unknown>) => [r.portId, r.reducerSpec ?? null, r.returnUndeliverable],
  (d) => {
    if (!Array.isArray(d) || !(d[0] instanceof PortId)) throw new CodecError('deserialize', 'malformed PortRef');
    return new PortRef(d[0], typeof d[1] === 'string' ? d[1] : undefined, d[2] !== false);
  },
);
registerExtension(
  EXT.ONCE_PORT_REF,
  OncePortRef,
  (r: OncePortRef<unknown>) => [r.portId, r.returnUndeliverable],
  (d) => {
    if (!Array.isArray(d) || !(d[0] instanceof PortId)) throw new CodecError('deserialize', 'malformed OncePortRef');
    return new OncePortRef(d[0], d[1] !== false);
  },
);
/** A returned envelope nested in a message: its tuple, never bytes (CO-3). */
registerExtension(
  EXT.ENVELOPE,
  Undeliverable,
  (u: Undeliverable) => envelopeToWire(u.envelope),
  (d) => new Undeliverable(envelopeFromWire(d)),
);
/** A `Map` (sendable.ts turns one into a `SendableMap`): its entries, a `Map` again on arrival. */
registerExtension(
  EXT.MAP,
  SendableMap,
  (m: SendableMap) => {
    const flat = new Array<unknown>(m.map.size * 2);
    let i = 0;
    for (const [key, value] of m.map) {
      flat[i++] = key;
      flat[i++] = value;
    }
    return flat;
  },
  (d) => {
    if (!Array.isArray(d) || d.length % 2 !== 0) throw new CodecError('deserialize', 'malformed Map');
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < d.length; i += 2) map.set(d[i], d[i + 1]);
    return map as unknown as SendableMap;
  },
);

/** A large or moved binary value out of band (attachments.ts): its attachment, kind and range. */
registerExtension(
  EXT.BINARY_REF,
  BinaryRef,
  (r: BinaryRef) => [r.index, r.kind, r.offset, r.length],
  (d) => resolveBinary(d) as unknown as BinaryRef,
);

const ERROR_CLASSES: ReadonlyMap<string, new (message: string) => Error> = new Map<string, new (message: string) => Error>([
  ['Error', Error],
  ['TypeError', TypeError],
  ['RangeError', RangeError],
  ['SyntaxError', SyntaxError],
  ['ReferenceError', ReferenceError],
  ['EvalError', EvalError],
  ['URIError', URIError],
]);

/**
 * An `Error`: its name, message, stack and `code` (a `ProcmeshError`'s, or Node's); the built-in
 * classes come back as themselves, any other as an `Error` with the same name.
 */
registerExtension(
  EXT.ERROR,
  Error,
  (e: Error) => {
    const code = (e as { code?: unknown }).code;
    return [e.name, e.message, e.stack ?? null, typeof code === 'string' ? code : null];
  },
  (d) => {
    if (!Array.isArray(d) || typeof d[0] !== 'string' || typeof d[1] !== 'string') throw new CodecError('deserialize', 'malformed Error');
    const error = new (ERROR_CLASSES.get(d[0]) ?? Error)(d[1]);
    if (error.name !== d[0]) error.name = d[0];
    if (typeof d[2] === 'string') error.stack = d[2];
    else delete error.stack;
    if (typeof d[3] === 'string') Object.defineProperty(error, 'code', { value: d[3], enumerable: true });
    return error;
  },
);

/** How an application's class travels in messages (`registerCodec`). */
export interface ClassCodec<T> {
  /** Its extension type code, in `USER_CODEC_TAGS` (1..31), unique per class. */
  readonly tag: number;
  /** The value to send in its place: anything sendable (CO-3: never bytes of a nested encode). */
  encode(value: T): unknown;
  /** Rebuild the instance from what `encode` returned. */
  decode(data: unknown): T;
}

const userTags = new Map<number, string>();

/**
 * Make instances of `cls` sendable (the sending contract, sendable.ts): they arrive as
 * instances of `cls`, rebuilt by `codec.decode`. Register the same codec in every thread and
 * process that receives them (in the actor modules a worker loads). Throws
 * `CodecError('invalid-codec')` for a tag out of range or taken by another class.
 *
 * @example
 * ```ts
 * class Point { constructor(readonly x: number, readonly y: number) {} }
 * registerCodec(Point, { tag: 1, encode: (p) => [p.x, p.y], decode: (d) => { const [x, y] = d as [number, number]; return new Point(x, y); } });
 * ```
 */
export function registerCodec<T extends object>(cls: abstract new (...args: never[]) => T, codec: ClassCodec<T>): void {
  const { tag } = codec;
  if (!Number.isInteger(tag) || tag < USER_CODEC_TAGS.min || tag > USER_CODEC_TAGS.max) {
    throw new CodecError('invalid-codec', `codec tag ${tag} for ${cls.name} is not an integer in ${USER_CODEC_TAGS.min}..${USER_CODEC_TAGS.max}`);
  }
  const owner = userTags.get(tag);
  if (owner !== undefined && owner !== cls.name) throw new CodecError('invalid-codec', `codec tag ${tag} is taken by ${owner}`);
  userTags.set(tag, cls.name);
  allowClass(cls);
  registerExtension(tag, cls as unknown as new (...args: never[]) => T, (value: T) => codec.encode(value), (data) => codec.decode(data));
}
