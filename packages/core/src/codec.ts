/**
 * codec.ts: the wire encoding of procmesh (msgpackr).
 *
 * Two layers:
 * - **Payloads** (`encodePayload`/`decodePayload`): every ref send serializes its message, even
 *   inside one proc (upstream `wirevalue::Any`), so a receiver never observes later mutation by
 *   the sender. Plain msgpack maps (no shared record structures), so payload bytes are portable
 *   to any thread, process or machine without re-encoding. Plain data takes a fast encoder
 *   and decoder (plain-pack.ts: msgpackr's bytes; plain-unpack.ts: msgpackr's values); other
 *   small payloads decode from a reused copy.
 * - **Envelopes** (`encodeEnvelope`/`decodeEnvelope`): the whole `MessageEnvelope`, for
 *   transports between threads and processes.
 *
 * Ids (`ProcId`, `ActorId`, `PortId`) and refs (`ActorRef`, `PortRef`, `OncePortRef`, ref.ts)
 * survive encoding nested anywhere in a message, as msgpack extension types, all registered
 * here (no other module registers one as an import side effect). Decoded `ProcId`s are
 * interned per thread.
 *
 * ## Invariants
 *
 * - CO-1: `decodePayload(encodePayload(x))` is structurally equal to `x` for every value made of
 *   plain data, typed arrays, ids and refs.
 * - CO-2: malformed bytes throw `CodecError` (code `deserialize`), never anything else; callers
 *   turn it into a delivery error, the proc keeps running.
 * - CO-3: extension `write` functions return values to encode, never bytes from a nested `pack`.
 */
import { Packr, addExtension } from 'msgpackr';
import { ChannelAddr } from './addr.js';
import { ProcmeshError } from './errors.js';
import { ActorId, PortId, ProcId } from './id.js';
import { ActorRef, OncePortRef, PortRef } from './ref.js';
import { DeliveryError, type DeliveryErrorKind } from './mailbox/errors.js';
import { MessageEnvelope, Undeliverable, type Headers } from './mailbox/envelope.js';
import { packPlain } from './plain-pack.js';
import { GIVE_UP, unpackPlain } from './plain-unpack.js';

export class CodecError extends ProcmeshError {
  readonly code: 'deserialize' | 'serialize';
  constructor(code: 'deserialize' | 'serialize', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Extension type codes (msgpackr allows 1..100 for applications). */
export const EXT = {
  PROC_ID: 40,
  ACTOR_ID: 41,
  PORT_ID: 42,
  ACTOR_REF: 43,
  PORT_REF: 44,
  ONCE_PORT_REF: 45,
  ENVELOPE: 46,
} as const;

const packr = new Packr({ useRecords: false, moreTypes: true });

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
 * Register a class as a msgpack extension (the ids and refs below; applications' own types).
 * `write` returns any encodable value; `read` rebuilds the instance.
 */
export function registerExtension<T>(type: number, Class: new (...args: never[]) => T, write: (value: T) => unknown, read: (data: unknown) => T): void {
  addExtension({ Class: Class as unknown as new (...args: unknown[]) => T, type, write, read });
}

registerExtension(
  EXT.PROC_ID,
  ProcId,
  (p) => [String(p.addr), p.name],
  (d) => {
    const [addr, name] = d as [string, string];
    return internProcId(addr, name);
  },
);
registerExtension(EXT.ACTOR_ID, ActorId, actorIdToParts, actorIdFromParts);
registerExtension(
  EXT.PORT_ID,
  PortId,
  (p) => [...actorIdToParts(p.actor), p.index],
  (d) => {
    const parts = d as unknown[];
    return new PortId(actorIdFromParts(parts.slice(0, 4)), parts[4] as number);
  },
);
// The refs (ref.ts): registered here, with the ids they wrap, so decoding one never depends
// on which modules were imported.
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
    const [portId, spec, ret] = d as [unknown, unknown, unknown];
    if (!(portId instanceof PortId)) throw new CodecError('deserialize', 'malformed PortRef');
    return new PortRef(portId, typeof spec === 'string' ? spec : undefined, ret !== false);
  },
);
registerExtension(
  EXT.ONCE_PORT_REF,
  OncePortRef,
  (r: OncePortRef<unknown>) => [r.portId, r.returnUndeliverable],
  (d) => {
    const [portId, ret] = d as [unknown, unknown];
    if (!(portId instanceof PortId)) throw new CodecError('deserialize', 'malformed OncePortRef');
    return new OncePortRef(portId, ret !== false);
  },
);

/** Serialize a message payload. Throws `CodecError('serialize')` for values msgpack can't hold. */
export function encodePayload(value: unknown): Uint8Array {
  try {
    return packPlain(value) ?? packr.pack(value);
  } catch (err) {
    throw new CodecError('serialize', `serialization error: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Small payloads are decoded from a copy in one reused array. msgpackr caches a `DataView` on
 * the array it reads, as a property: decoding a fresh view costs a `DataView` and a hidden-class
 * change per message (~150 ns here), more than copying a small payload. (Decoding a range of a
 * larger buffer instead is slower still: msgpackr's short-string and key-cache fast paths test
 * the absolute end offset.) The copy's decoder copies binary values out (`copyBuffers`), so
 * nothing decoded refers to the reused array.
 */
const SCRATCH_BYTES = 1024;
const scratch = new Uint8Array(SCRATCH_BYTES);
const scratchUnpackr = new Packr({ useRecords: false, moreTypes: true, copyBuffers: true });
/** Set while decoding from `scratch` (a nested decode must not overwrite it). */
let decodingScratch = false;

/** Deserialize a payload (CO-2). */
export function decodePayload(bytes: Uint8Array): unknown {
  try {
    const plain = unpackPlain(bytes);
    if (plain !== GIVE_UP) return plain;
    const length = bytes.length;
    if (length > SCRATCH_BYTES || length === 0 || decodingScratch) return packr.unpack(bytes);
    scratch.set(bytes);
    decodingScratch = true;
    try {
      return scratchUnpackr.unpack(scratch, length);
    } finally {
      decodingScratch = false;
    }
  } catch (err) {
    throw new CodecError('deserialize', `deserialization error: ${(err as Error).message}`, { cause: err });
  }
}

type WireEnvelope = [
  sender: ActorId,
  dest: PortId,
  data: Uint8Array,
  headers: Headers,
  ttl: number,
  returnUndeliverable: boolean,
  errors: [DeliveryErrorKind, string][],
];

/** The encodable form of an envelope (ids stay objects: they are extension types). */
function envelopeToWire(env: MessageEnvelope): WireEnvelope {
  return [env.sender, env.dest, env.data, env.headers, env.ttl, env.returnUndeliverable, env.errors.map((e) => [e.kind, e.detail])];
}

function envelopeFromWire(wire: unknown): MessageEnvelope {
  if (!Array.isArray(wire) || wire.length !== 7) throw new CodecError('deserialize', 'malformed envelope');
  const [sender, dest, data, headers, ttl, ret, errors] = wire as unknown[];
  if (
    !(sender instanceof ActorId) ||
    !(dest instanceof PortId) ||
    !(data instanceof Uint8Array) ||
    typeof headers !== 'object' ||
    headers === null ||
    typeof ttl !== 'number' ||
    typeof ret !== 'boolean' ||
    !Array.isArray(errors)
  ) {
    throw new CodecError('deserialize', 'malformed envelope');
  }
  return new MessageEnvelope(
    sender,
    dest,
    data,
    headers as Headers,
    ttl,
    ret,
    (errors as [DeliveryErrorKind, string][]).map(([k, d]) => new DeliveryError(k, d)),
  );
}

/**
 * CO-3: a returned envelope (`Undeliverable`) nested in a message. Its `write` returns the wire
 * tuple, never bytes: calling `pack` from inside an extension re-enters msgpackr's shared
 * buffer and corrupts the outer message.
 */
registerExtension(
  EXT.ENVELOPE,
  Undeliverable,
  (u: Undeliverable) => envelopeToWire(u.envelope),
  (d) => new Undeliverable(envelopeFromWire(d)),
);

/** Encode a whole envelope for a thread or process boundary. */
export function encodeEnvelope(env: MessageEnvelope): Uint8Array {
  return packr.pack(envelopeToWire(env));
}

/** Decode an envelope; malformed bytes throw `CodecError('deserialize')` (CO-2). */
export function decodeEnvelope(bytes: Uint8Array): MessageEnvelope {
  let wire: unknown;
  try {
    wire = packr.unpack(bytes);
  } catch (err) {
    throw new CodecError('deserialize', `malformed envelope: ${(err as Error).message}`, { cause: err });
  }
  return envelopeFromWire(wire);
}
