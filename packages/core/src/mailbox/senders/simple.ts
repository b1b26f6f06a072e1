/**
 * mailbox/senders/simple.ts: the terminal senders (spec §1.5): `PanickingMailboxSender` (the
 * forwarder of `Proc.local()`), `UndeliverableMailboxSender` (logs and drops) and
 * `UnroutableMailboxSender` (returns everything as unroutable).
 */
import { PanicError } from '../../errors.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import { BaseMailboxSender, abandon, returnUndeliverable, type ReturnHandle } from '../sender.js';

/** Throws `PanicError("panic! in the mailbox! attempted post: {env}")` (upstream panics). */
export class PanickingMailboxSender extends BaseMailboxSender {
  postUnchecked(envelope: MessageEnvelope): void {
    throw new PanicError(`panic! in the mailbox! attempted post: ${envelope}`);
  }
}

/** Logs `undelivered_message_abandoned` and drops. */
export class UndeliverableMailboxSender extends BaseMailboxSender {
  postUnchecked(envelope: MessageEnvelope): void {
    abandon(envelope);
  }
}

/** Returns every envelope as `destination not found in routing table`. */
export class UnroutableMailboxSender extends BaseMailboxSender {
  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    returnUndeliverable(envelope, DeliveryError.unroutable('destination not found in routing table'), returnHandle);
  }
}
