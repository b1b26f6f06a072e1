/**
 * mailbox/errors.ts: errors of the messaging layer (spec §1.10): `MailboxError`,
 * `MailboxSenderError`, and `DeliveryError` (the reasons appended to a returned envelope).
 */
import { ProcmeshError } from '../errors.js';
import { ActorStatus } from '../status.js';
import type { ActorId } from '../id.js';

export type MailboxErrorCode =
  | 'closed'
  | 'owner-terminated'
  | 'recv'
  | 'deserialize'
  | 'channel'
  /** `Mailbox.close` called on a mailbox that is closed already (its owner terminated twice) */
  | 'already-closed';

/** upstream `MailboxError { actor_id, kind }`; Display `"{actor_id}: {kind}"`. */
export class MailboxError extends ProcmeshError {
  readonly code: MailboxErrorCode;
  constructor(
    readonly actorId: ActorId,
    code: MailboxErrorCode,
    detail: string,
    /** the owner's terminal status, for `owner-terminated` */
    readonly status?: ActorStatus,
  ) {
    super(`${actorId}: ${detail}`);
    this.code = code;
  }

  static closed(actorId: ActorId): MailboxError {
    return new MailboxError(actorId, 'closed', 'mailbox closed');
  }

  static ownerTerminated(actorId: ActorId, status: ActorStatus): MailboxError {
    return new MailboxError(actorId, 'owner-terminated', `owner terminated: ${String(status)}`, status);
  }
}

export type MailboxSenderErrorCode =
  | 'serialize'
  | 'deserialize'
  | 'invalid'
  | 'closed'
  | 'owner-terminated'
  | 'mailbox'
  | 'channel'
  | 'other'
  | 'unreachable';

/** upstream `MailboxSenderError { location, kind }`; Display `"{location}: {kind}"`. */
export class MailboxSenderError extends ProcmeshError {
  readonly code: MailboxSenderErrorCode;
  constructor(
    /** the port's location: its id if bound, else `{actor}<{type}>` */
    readonly location: string,
    code: MailboxSenderErrorCode,
    detail: string,
    options?: { cause?: unknown; status?: ActorStatus },
  ) {
    super(`${location}: ${detail}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options?.status;
  }
  /** For `owner-terminated`: the owner's terminal status. */
  readonly status: ActorStatus | undefined;
}

export type DeliveryErrorKind = 'unroutable' | 'broken-link' | 'mailbox' | 'multicast' | 'ttl-expired';

/** Why an envelope could not be delivered; appended to `envelope.errors` (spec §1.4). */
export class DeliveryError {
  constructor(
    readonly kind: DeliveryErrorKind,
    readonly detail: string = '',
  ) {}

  static unroutable = (detail: string): DeliveryError => new DeliveryError('unroutable', detail);
  static brokenLink = (detail: string): DeliveryError => new DeliveryError('broken-link', detail);
  static mailbox = (detail: string): DeliveryError => new DeliveryError('mailbox', detail);
  static ttlExpired = (): DeliveryError => new DeliveryError('ttl-expired');

  /** MB-2, RT-1: a message that reached (or was queued at) an owner that ended. */
  static ownerEnded(actorId: ActorId, status: ActorStatus): DeliveryError {
    return DeliveryError.mailbox(
      status.kind === 'stopped'
        ? `mailbox owner ${actorId} is stopped: ${status.reason}`
        : status.kind === 'failed'
          ? `mailbox owner ${actorId} failed: ${status.error}`
          : `mailbox owner ${actorId} closed unexpectedly: ${String(status)}`,
    );
  }

  toString(): string {
    switch (this.kind) {
      case 'unroutable':
        return `address not routable: ${this.detail}`;
      case 'broken-link':
        return `broken link: ${this.detail}`;
      case 'mailbox':
        return `mailbox error: ${this.detail}`;
      case 'multicast':
        return `multicast error: ${this.detail}`;
      case 'ttl-expired':
        return 'ttl expired';
    }
  }
}
