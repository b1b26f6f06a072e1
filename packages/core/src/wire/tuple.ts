/**
 * wire/tuple.ts: the msgpack tuple form of a `MessageEnvelope` (upstream's serde shape: sender,
 * destination, payload bytes, headers, TTL, return flag, errors). Pure conversion, no msgpackr:
 * `envelope.ts` packs it, and `msgpack.ts` uses it for an `Undeliverable` nested in a message.
 */
import { ActorId, PortId } from '../id.js';
import { DeliveryError, type DeliveryErrorKind } from '../mailbox/errors.js';
import { MessageEnvelope, type Headers } from '../mailbox/envelope.js';
import { Attachment, attach, attachmentsOf } from './attachments.js';
import { CodecError } from './errors.js';

export type WireEnvelope = [
  sender: ActorId,
  dest: PortId,
  data: Uint8Array,
  headers: Headers,
  ttl: number,
  returnUndeliverable: boolean,
  errors: [DeliveryErrorKind, string][],
  /** The payload's attachments, inlined (attachments.ts); only when it has any. */
  attachments?: Uint8Array[],
];

/** The encodable form of an envelope (ids stay objects: they are extension types). */
export function envelopeToWire(env: MessageEnvelope): WireEnvelope {
  const data = env.data;
  const attachments = attachmentsOf(data);
  if (attachments === undefined) return [env.sender, env.dest, data, env.headers, env.ttl, env.returnUndeliverable, env.errors.map((e) => [e.kind, e.detail])];
  // msgpackr packs typed arrays by constructor name: the bytes as a plain Uint8Array
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.length);
  return [env.sender, env.dest, bytes, env.headers, env.ttl, env.returnUndeliverable, env.errors.map((e) => [e.kind, e.detail]), attachments.map((a) => a.bytes())];
}

/**
 * The envelope of a decoded tuple: `foreign` (EN-1); anything malformed is a `CodecError`
 * (CO-2), a TTL that is not a non-negative integer (a NaN would never expire, MS-1) and
 * headers that are not a map included (CO-4).
 */
export function envelopeFromWire(wire: unknown): MessageEnvelope {
  if (!Array.isArray(wire) || (wire.length !== 7 && wire.length !== 8)) throw new CodecError('deserialize', 'malformed envelope');
  const [sender, dest, bytes, headers, ttl, ret, errors, inlined] = wire as unknown[];
  let data = bytes;
  if (inlined !== undefined) {
    if (!Array.isArray(inlined) || !inlined.every((a) => a instanceof Uint8Array) || !(bytes instanceof Uint8Array)) throw new CodecError('deserialize', 'malformed envelope attachments');
    data = attach(bytes, (inlined as Uint8Array[]).map((a) => Attachment.ofBytes(a)));
  }
  if (
    !(sender instanceof ActorId) ||
    !(dest instanceof PortId) ||
    !(data instanceof Uint8Array) ||
    typeof headers !== 'object' ||
    headers === null ||
    Array.isArray(headers) ||
    !Number.isInteger(ttl) ||
    (ttl as number) < 0 ||
    typeof ret !== 'boolean' ||
    !Array.isArray(errors)
  ) {
    throw new CodecError('deserialize', 'malformed envelope');
  }
  const envelope = new MessageEnvelope(sender, dest, data, headers as Headers, ttl as number, ret, (errors as unknown[]).map(errorFromWire));
  envelope.foreign = true;
  return envelope;
}

export const DELIVERY_ERROR_KINDS: ReadonlySet<string> = new Set<DeliveryErrorKind>(['unroutable', 'broken-link', 'mailbox', 'multicast', 'ttl-expired']);

/** One `[kind, detail]` entry of the errors list (CO-2: anything else is a `CodecError`). */
function errorFromWire(entry: unknown): DeliveryError {
  if (!Array.isArray(entry) || entry.length !== 2) throw new CodecError('deserialize', 'malformed envelope: an error is not a [kind, detail] pair');
  const [kind, detail] = entry as unknown[];
  if (typeof kind !== 'string' || !DELIVERY_ERROR_KINDS.has(kind) || typeof detail !== 'string') {
    throw new CodecError('deserialize', 'malformed envelope: an error has an unknown kind or a detail that is not a string');
  }
  return new DeliveryError(kind as DeliveryErrorKind, detail);
}

