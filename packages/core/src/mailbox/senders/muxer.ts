/**
 * mailbox/senders/muxer.ts: `MailboxMuxer`, the map `ActorId -> Mailbox` of a proc (spec §1.5).
 *
 * A stopped actor's closed mailbox stays in the map and keeps answering with `mailbox owner
 * {id} is stopped: {reason}` (MB-2), but only the last `closedMailboxRetention` of them do
 * (config.ts, `PROCMESH_CLOSED_MAILBOX_RETENTION`, default 4096).
 *
 * ## Invariants
 *
 * - MX-1 (memory): the muxer keeps at most `retention` closed mailboxes: `retire` puts a closed
 *   mailbox in a ring of that size (grown on demand, so a proc whose actors never stop has
 *   none), and the one it pushes out leaves the map, unless its id was bound again since (a
 *   supervised child's next incarnation, SU-2: the map holds the open one, which stays).
 * - MX-2: an envelope for an evicted id is never dropped nor misrouted: ids are never reused in
 *   a proc (PD-1, PD-2), so an id the proc allocated (`existed`, the actor table's counters)
 *   but holds no mailbox for is an ended actor's, and the envelope goes back to its sender as
 *   `Mailbox("mailbox owner {id} has ended")`; an id never allocated stays upstream's
 *   `Unroutable("no mailbox for actor {id} registered in muxer")`.
 *
 * ## Deviation from upstream (MX-1)
 *
 * Upstream never removes a muxer entry (spec §1.5 and "actor stopped/failed (mailbox closed;
 * muxer entry remains forever)", a TODO in its source): a proc that spawns and stops millions
 * of short-lived actors keeps ~0.5 KB per stopped actor forever (issue 16). procmesh keeps the
 * newest `closedMailboxRetention`; a sender to an older one still gets its envelope back as a
 * `Mailbox` error (MX-2), without the stop reason, which went with the mailbox.
 */
import type { ActorId } from '../../id.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import type { Mailbox } from '../mailbox.js';
import { BaseMailboxSender, returnUndeliverable, type ReturnHandle } from '../sender.js';

export class MailboxMuxer extends BaseMailboxSender {
  private readonly mailboxes = new Map<string, Mailbox>();
  /** MX-1: the retained closed mailboxes, oldest at `closedNext` once full */
  private readonly closed: Mailbox[] = [];
  private closedNext = 0;

  /**
   * @param retention closed mailboxes kept (MX-1); `Infinity` keeps them all, as upstream
   * @param existed whether this proc allocated `id` (MX-2)
   */
  constructor(
    private readonly retention = Infinity,
    private readonly existed: (id: ActorId) => boolean = () => false,
  ) {
    super();
  }

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

  /** @internal MX-1: `mailbox` was closed; the oldest retained closed mailbox beyond the retention leaves. */
  retire(mailbox: Mailbox): void {
    const limit = this.retention;
    if (limit === Infinity) return;
    if (limit < 1) {
      this.evict(mailbox);
      return;
    }
    const ring = this.closed;
    if (ring.length < limit) {
      ring.push(mailbox);
      return;
    }
    const index = this.closedNext;
    this.evict(ring[index]!);
    ring[index] = mailbox;
    this.closedNext = index + 1 === ring.length ? 0 : index + 1;
  }

  private evict(mailbox: Mailbox): void {
    const key = mailbox.actorId.key;
    if (this.mailboxes.get(key) === mailbox) this.mailboxes.delete(key); // MX-1: not a later incarnation's
  }

  get(actorId: ActorId): Mailbox | undefined {
    return this.mailboxes.get(actorId.key);
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const actor = envelope.dest.actor;
    const mailbox = this.mailboxes.get(actor.key);
    if (mailbox === undefined) {
      const error = this.existed(actor)
        ? DeliveryError.mailbox(`mailbox owner ${actor} has ended`) // MX-2
        : DeliveryError.unroutable(`no mailbox for actor ${actor} registered in muxer`);
      returnUndeliverable(envelope, error, returnHandle);
      return;
    }
    mailbox.post(envelope, returnHandle);
  }
}
