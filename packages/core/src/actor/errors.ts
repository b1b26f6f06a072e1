/**
 * actor/errors.ts: `ActorError` and its kinds (spec §1.10), and `UndeliverableMessageError`, the
 * default failure of an actor whose message bounced (§3.5).
 */
import { ProcmeshError } from '../errors.js';
import type { ActorId } from '../id.js';
import type { MessageEnvelope } from '../mailbox/envelope.js';
import type { ActorSupervisionEvent } from '../supervision.js';

export type ActorErrorKind =
  | { readonly kind: 'generic'; readonly message: string }
  | { readonly kind: 'error-during-handling-supervision'; readonly message: string; readonly event: ActorSupervisionEvent }
  | { readonly kind: 'unhandled-supervision-event'; readonly event: ActorSupervisionEvent }
  | { readonly kind: 'aborted'; readonly reason: string };

export const ActorErrorKind = {
  generic: (message: string): ActorErrorKind => ({ kind: 'generic', message }),
  display(kind: ActorErrorKind): string {
    switch (kind.kind) {
      case 'generic':
        return kind.message;
      case 'error-during-handling-supervision':
        return `${kind.message} while handling ${kind.event}`;
      case 'unhandled-supervision-event':
        return String(kind.event);
      case 'aborted':
        return `actor explicitly aborted due to: ${kind.reason}`;
    }
  },
} as const;

/** upstream `ActorError { actor_id, kind }`; Display `"serving {actor_id}: {kind}"`. */
export class ActorError extends ProcmeshError {
  readonly code = 'actor-error' as const;
  constructor(
    readonly actorId: ActorId,
    readonly kind: ActorErrorKind,
  ) {
    super(`serving ${actorId}: ${ActorErrorKind.display(kind)}`);
  }
}

/** Message and stack of a thrown value (DESIGN decision 4: both go into the failure). */
export function describeThrown(err: unknown): string {
  if (err instanceof Error) {
    const frames = (err.stack ?? '').split('\n').filter((l) => l.trimStart().startsWith('at '));
    return frames.length === 0 ? err.message : `${err.message}\n${frames.join('\n')}`;
  }
  return String(err);
}

/** The default `handleUndeliverableMessage` failure (upstream `DeliveryFailure`). */
export class UndeliverableMessageError extends ProcmeshError {
  readonly code = 'delivery-failure' as const;
  constructor(readonly envelope: MessageEnvelope) {
    super(
      `undeliverable message error:\n\tdescription: delivery of message from sender to dest failed\n\tsender: ${envelope.sender}\n\tdest: ${envelope.dest}\n\theaders: ${JSON.stringify(envelope.headers)}\n\tdata: <${envelope.data.byteLength} bytes>\n\terror: ${envelope.errorMessage() ?? ''}`,
    );
  }
}
