/**
 * mailbox/sender.ts: the `MailboxSender` contract (spec §1.5) and the undeliverable return
 * protocol (§3.5).
 *
 * ## Invariants
 *
 * - MS-1 (hop semantics): `post` checks `ttl === 0` (then returns the envelope as `ttl expired`),
 *   else decrements `ttl` and calls `postUnchecked`. `postUnchecked` is raw transport, no policy.
 * - MS-2 (return protocol): a failed envelope gets the error appended and is sent to its return
 *   handle; if that send fails, or the envelope already is a return, it is logged as abandoned
 *   (`undelivered_message_abandoned`). A return is never retried nor itself returned (UM-2).
 *   The return handle takes the return itself (`returnEnvelope`): no global hook, whichever
 *   module is loaded.
 * - MS-3: a failed envelope sent with `returnUndeliverable` false (an ask's late reply, ASK-2; a
 *   spawn request, RS-2) is dropped with a debug log line (`undelivered_message_dropped`), not
 *   silently.
 *
 * The bottom of the mailbox floor: it knows envelopes and delivery errors, not ports nor
 * mailboxes.
 */
import { rootLogger } from '../log.js';
import { DeliveryError } from './errors.js';
import type { Headers, MessageEnvelope } from './envelope.js';
import type { ActorId, PortId } from '../id.js';

/**
 * Where a failed envelope goes: the sender's bound `Undeliverable` port (a
 * `PortHandle<Undeliverable>`, mailbox/ports.ts, is one).
 */
export interface ReturnHandle {
  /** MS-2: enqueue `envelope` as an `Undeliverable` for its sender; throws when that port is gone. */
  returnEnvelope(envelope: MessageEnvelope): void;
}

export interface MailboxSender {
  /** One hop: TTL check and decrement, then `postUnchecked` (MS-1). */
  post(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;
  /** Raw transport: no TTL policy. */
  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;
  /** Resolves once previously posted envelopes were delivered (wire-acked) or returned. */
  flush(): Promise<void>;
  /**
   * @internal MB-8 (mailbox.ts): the mailbox of `actor` when this sender would reach it in `LOCAL_HOPS`
   * hops inside one proc (a `WeakProc`, its proc, its muxer); undefined otherwise.
   */
  resolveLocal?(actor: ActorId): LocalRoute | undefined;
  /**
   * @internal MB-9 (mailbox.ts): post a local envelope's value (`MessageEnvelope.local`) from this mailbox
   * without building the envelope; false when it cannot (the caller posts the envelope).
   */
  postLocal?(sender: ActorId, dest: PortId, value: unknown, headers: Headers, ttl: number, returnUndeliverable: boolean, returnHandle: ReturnHandle): boolean;
}

/** MB-8: the hops `resolveLocal` saves (a mailbox's forwarder, its proc, the proc's muxer). */
export const LOCAL_HOPS = 3;

/** MB-8: what `resolveLocal` gives: a mailbox, open or closed. */
export interface LocalRoute extends MailboxSender {
  readonly isClosed: boolean;
  /** @internal MB-9: deliver a local envelope's value that arrived with `ttl` (before this hop's decrement). */
  deliverLocal?(sender: ActorId, dest: PortId, value: unknown, headers: Headers, ttl: number, returnUndeliverable: boolean, returnHandle: ReturnHandle): void;
}

/** Implements `post` once for every sender (MS-1). */
export abstract class BaseMailboxSender implements MailboxSender {
  post(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    if (envelope.ttl <= 0) {
      returnUndeliverable(envelope, DeliveryError.ttlExpired(), returnHandle);
      return;
    }
    envelope.ttl -= 1;
    this.postUnchecked(envelope, returnHandle);
  }

  abstract postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;

  flush(): Promise<void> {
    return Promise.resolve();
  }
}

/** Marks an envelope as carrying a returned envelope (its payload is an `Undeliverable`). */
export const RETURN_MARK = 'undeliverable_return';

/** MS-2: append `error`, then return to the sender, or log as abandoned. */
export function returnUndeliverable(
  envelope: MessageEnvelope,
  error: DeliveryError,
  returnHandle: ReturnHandle,
): void {
  envelope.addError(error);
  if (!envelope.returnUndeliverable) {
    rootLogger().debug({ event: 'undelivered_message_dropped', sender: String(envelope.sender), dest: String(envelope.dest) }, `message not delivered, not returned (MS-3): ${String(error)}`);
    return;
  }
  if (envelope.headers[RETURN_MARK] === true) {
    abandon(envelope);
    return;
  }
  try {
    returnHandle.returnEnvelope(envelope);
  } catch {
    abandon(envelope);
  }
}

/** upstream `UndeliverableMailboxSender`: log `undelivered_message_abandoned` and drop. */
export function abandon(envelope: MessageEnvelope): void {
  rootLogger().error(
    { event: 'undelivered_message_abandoned', sender: String(envelope.sender), dest: String(envelope.dest) },
    `message not delivered, ${envelope.errorMessage() ?? 'no error recorded'}`,
  );
  abandonedCount++;
  for (const l of abandonListeners) l(envelope);
}

let abandonedCount = 0;
const abandonListeners = new Set<(env: MessageEnvelope) => void>();

/** Observe abandoned envelopes (tests and hosts). Returns an unsubscribe function. */
export function onAbandoned(listener: (env: MessageEnvelope) => void): () => void {
  abandonListeners.add(listener);
  return () => abandonListeners.delete(listener);
}

/** How many envelopes this thread has abandoned. */
export function abandonedMessages(): number {
  return abandonedCount;
}
