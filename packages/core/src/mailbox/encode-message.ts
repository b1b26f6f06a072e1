/**
 * mailbox/encode-message.ts: serializing a message at send time (a ref send, a mesh cast), with
 * the message's type in the error (issue 12: "fail with a typed error naming the type, the field
 * and the actor").
 *
 * ## Invariants
 *
 * - EM-1: a message that cannot be serialized throws `MailboxSenderError('serialize')` whose
 *   text names the destination, the message's `type` arm when it has one, and the field (the
 *   codec's path, sendable.ts SC-2): `{dest}: message of type 'put': cannot send msg.until: ...`.
 *   Nothing is sent.
 */
import { encodeEnvelopePayload } from '../wire/payload.js';
import { MailboxSenderError } from './errors.js';

/** A message's `type` arm (upstream `RUST_MESSAGE_TYPE`), or undefined when it has none. */
export function messageArm(message: unknown): string | undefined {
  const arm = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  return typeof arm === 'string' ? arm : undefined;
}

/**
 * EM-1: serialize `message` for `location` (a port id, or a mesh), whose arm is `arm`. The
 * location is formatted only when the message cannot be serialized, not per send.
 */
export function encodeMessage(location: { toString(): string }, message: unknown, arm: string | undefined): Uint8Array {
  try {
    return encodeEnvelopePayload(message); // large binary values out of band (wire/attachments.ts)
  } catch (err) {
    const detail = (err as Error).message;
    throw new MailboxSenderError(String(location), 'serialize', arm === undefined ? detail : `message of type '${arm}': ${detail}`, { cause: err });
  }
}
