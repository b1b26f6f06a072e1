/**
 * wire/envelope.ts: a whole `MessageEnvelope` as msgpack bytes (the tuple of tuple.ts), for the
 * transports that carry one envelope per frame or message: the net channel (tcp, unix, tls)
 * and MessagePort links. `envelopeTupleCodec` is that encoding as a channel `Codec`. The ring
 * carries envelopes as interned binary records instead (envelope-record.ts).
 */
import type { MessageEnvelope } from '../mailbox/envelope.js';
import { CodecError } from './errors.js';
import { packr } from './msgpack.js';
import type { Codec } from './payload.js';
import { envelopeFromWire, envelopeToWire } from './tuple.js';

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

/** The tuple encoding as a channel codec (malformed bytes throw `CodecError`, CO-2). */
export const envelopeTupleCodec: Codec<MessageEnvelope> = { encode: encodeEnvelope, decode: decodeEnvelope };
