/**
 * actor/retire.ts: the work an actor incarnation leaves behind when it ends (issue 12: "envelopes
 * ... are delivered to the new incarnation or returned, never lost"; UM-1). Upstream drops the
 * queued work of an ended actor (spec §4.1); procmesh returns what a sender can still act on:
 *
 * ## Invariants
 *
 * - RT-1: when an incarnation ends, each message still queued for its handler is, in queue order:
 *   returned to its sender as `Undeliverable` with `mailbox owner {id} is stopped: {reason}` /
 *   `failed: {error}` (the text of MB-2, so an ask reads `ask-target-stopped`, actor/ask.ts) when
 *   it is an ask's request (`ask_reply` header) or when the incarnation failed; when it failed
 *   and its supervisor may restart it, kept for the next incarnation instead (RT-3); otherwise (a clean stop,
 *   as upstream) dropped, counted in a debug log line. Returned `Undeliverable`s still queued are
 *   never returned again (UM-2).
 * - RT-2: an ask's request whose handler failed is returned at once the same way (`failed while
 *   handling it`): its reply will never come.
 * - RT-3: a supervised child's (SU-1) queued messages of a failed incarnation, or of one its
 *   supervisor stopped for a group restart (`one-for-all`, `rest-for-one`: a clean stop, but not
 *   the child's own), are kept on its cell (`leftover`); its supervisor hands them to the next
 *   incarnation before anything else reaches it, or returns them (RT-1) when the child is not
 *   restarted (temporary, intensity exceeded, the supervisor itself stopping).
 * - RT-4: a return is a ref send from the ended actor to its sender's `Undeliverable` port, so it
 *   takes the way back any return takes (a local mailbox, a link, a socket); a message that
 *   cannot be encoded again, or whose sender is unknown, is logged as abandoned.
 */
import { ACTOR_PORT, type ActorId } from '../id.js';
import { MessageEnvelope, Undeliverable, type Headers } from '../mailbox/envelope.js';
import { DeliveryError } from '../mailbox/errors.js';
import { postSerialized, type SendContext } from '../mailbox/ports.js';
import { abandon, RETURN_MARK } from '../mailbox/sender.js';
import type { ActorStatus } from '../status.js';
import { encodeEnvelopePayload } from '../wire/payload.js';
import { ASK_HEADER } from './ask.js';
import { MESSAGE_TAG, type WorkQueue } from './work-queue.js';

/** A queued handler message kept for the next incarnation (RT-3). */
export interface LeftoverItem {
  readonly message: unknown;
  readonly headers: Headers;
  readonly sender: ActorId | undefined;
}

/** What retiring needs of the ended instance. */
export interface RetireContext extends SendContext {
  readonly work: WorkQueue;
  readonly logger: { debug(obj: object, msg: string): void };
}

/**
 * RT-1, RT-3: empty the work queue of an ended incarnation; returns what is kept for the next
 * one: everything when `keep` is `'always'`, on a failure when it is `true`.
 */
export function retireWork(cx: RetireContext, status: ActorStatus, keep: boolean | 'always'): LeftoverItem[] | undefined {
  const work = cx.work;
  if (work.size === 0) return undefined;
  const failed = status.kind === 'failed';
  let kept: LeftoverItem[] | undefined;
  let dropped = 0;
  let error: DeliveryError | undefined;
  while (work.shift()) {
    const headers = work.headers as Headers;
    if (work.tag !== MESSAGE_TAG) {
      dropped++; // a returned Undeliverable (UM-2)
    } else if (keep === 'always' || (failed && keep)) {
      (kept ??= []).push({ message: work.message, headers, sender: work.sender });
    } else if (failed || typeof headers[ASK_HEADER] === 'number') {
      returnToSender(cx, work.message, headers, work.sender, (error ??= DeliveryError.ownerEnded(cx.selfId, status)));
    } else {
      dropped++;
    }
  }
  if (dropped > 0) cx.logger.debug({ dropped }, 'queued work dropped at stop');
  return kept;
}

/** RT-1: return kept items after all (their actor is not restarted). */
export function returnLeftover(cx: SendContext, from: ActorId, items: readonly LeftoverItem[], status: ActorStatus): void {
  const error = DeliveryError.ownerEnded(from, status);
  for (const item of items) returnToSender(cx, item.message, item.headers, item.sender, error, from);
}

/** RT-2 */
export function returnFailedAsk(cx: SendContext, message: unknown, headers: Headers, sender: ActorId | undefined, why: string): void {
  if (typeof headers[ASK_HEADER] !== 'number') return;
  returnToSender(cx, message, headers, sender, DeliveryError.mailbox(`mailbox owner ${cx.selfId} failed while handling it: ${why}`));
}

/** RT-4 */
function returnToSender(cx: SendContext, message: unknown, headers: Headers, sender: ActorId | undefined, error: DeliveryError, from: ActorId = cx.selfId): void {
  let data: Uint8Array | undefined;
  try {
    data = encodeEnvelopePayload(message);
  } catch {
    data = undefined;
  }
  const envelope = new MessageEnvelope(sender ?? from, from.portId(ACTOR_PORT.HANDLER), data ?? new Uint8Array(0), headers, 0);
  envelope.addError(error);
  if (sender === undefined || data === undefined) {
    abandon(envelope);
    return;
  }
  try {
    postSerialized(cx, sender.portId(ACTOR_PORT.UNDELIVERABLE), encodeEnvelopePayload(new Undeliverable(envelope)), { [RETURN_MARK]: true });
  } catch {
    abandon(envelope);
  }
}
