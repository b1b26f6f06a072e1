/**
 * wire/envelope.ts: a whole `MessageEnvelope` as msgpack bytes (the tuple of tuple.ts), for the
 * transports that carry one envelope per frame or message: the net channel (tcp, unix, tls)
 * and MessagePort links. `envelopeTupleCodec` is that encoding as a channel `Codec`. The ring
 * carries envelopes as interned binary records instead (envelope-record.ts).
 */
import type { MessageEnvelope } from '../mailbox/envelope.js';
import { packEnvelope, unpackEnvelope } from './envelope-fast.js';
import { CodecError } from './errors.js';
import { checkMsgpack, decodeLimits } from './limits.js';
import { packr } from './msgpack.js';
import type { Codec } from './payload.js';
import { envelopeFromWire, envelopeToWire } from './tuple.js';

/** Encode a whole envelope for a thread or process boundary (the common envelope by hand: envelope-fast.ts, EF-1). */
export function encodeEnvelope(env: MessageEnvelope): Uint8Array {
  return packEnvelope(env) ?? packr.pack(envelopeToWire(env));
}

/**
 * Decode an envelope (from another thread or process: it comes back `foreign`). The bytes are
 * read by the fast path when it covers them (envelope-fast.ts EF-2), else walked before msgpackr reads them (wire/limits.ts DL-1, DL-2); malformed bytes throw
 * `CodecError` `deserialize`, bytes over the limits `limit-exceeded` (CO-2, DL-4).
 */
export function decodeEnvelope(bytes: Uint8Array): MessageEnvelope {
  return unpackEnvelope(bytes) ?? decodeGeneral(bytes); // EF-2, EF-3: the common envelope, within the limits
}

/** `decodeEnvelope(bytes.subarray(start, end))`: the fast path reads the range in place (EF-6), the general path a view of it. */
export function decodeEnvelopeRange(bytes: Uint8Array, start: number, end: number): MessageEnvelope {
  const fast = unpackEnvelope(bytes, decodeLimits(), start, end);
  return fast ?? decodeGeneral(bytes.subarray(start, end));
}

function decodeGeneral(bytes: Uint8Array): MessageEnvelope {
  let wire: unknown;
  try {
    checkMsgpack(bytes);
    wire = packr.unpack(bytes);
  } catch (err) {
    const code = err instanceof CodecError ? err.code : 'deserialize';
    throw new CodecError(code, `malformed envelope: ${(err as Error).message}`, { cause: err });
  }
  return envelopeFromWire(wire);
}

/** The tuple encoding as a channel codec (malformed bytes throw `CodecError`, CO-2). */
export const envelopeTupleCodec: Codec<MessageEnvelope> = { encode: encodeEnvelope, decode: decodeEnvelope, decodeRange: decodeEnvelopeRange };
