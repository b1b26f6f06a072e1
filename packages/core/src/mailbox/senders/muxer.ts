/**
 * mailbox/senders/muxer.ts: `MailboxMuxer`, the map `ActorId -> Mailbox` of a proc (spec §1.5).
 * Entries are never removed (as upstream): a stopped actor's closed mailbox keeps answering
 * with `mailbox owner ... is stopped` (MB-2).
 */
import type { ActorId } from '../../id.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import type { Mailbox } from '../mailbox.js';
import { BaseMailboxSender, returnUndeliverable, type ReturnHandle } from '../sender.js';

export class MailboxMuxer extends BaseMailboxSender {
  private readonly mailboxes = new Map<string, Mailbox>();

  /** Register a mailbox; refuses to replace one (returns false). */
  bind(actorId: ActorId, mailbox: Mailbox): boolean {
    if (this.mailboxes.has(actorId.key)) return false;
    this.mailboxes.set(actorId.key, mailbox);
    return true;
  }

  /**
   * @internal Replace the mailbox of `actorId` (a supervised child's next incarnation, SU-2):
   * envelopes for the id go to `mailbox` from now on.
   */
  rebind(actorId: ActorId, mailbox: Mailbox): void {
    this.mailboxes.set(actorId.key, mailbox);
  }

  get(actorId: ActorId): Mailbox | undefined {
    return this.mailboxes.get(actorId.key);
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const actor = envelope.dest.actor;
    const mailbox = this.mailboxes.get(actor.key);
    if (mailbox === undefined) {
      returnUndeliverable(envelope, DeliveryError.unroutable(`no mailbox for actor ${actor} registered in muxer`), returnHandle);
      return;
    }
    mailbox.post(envelope, returnHandle);
  }
}
