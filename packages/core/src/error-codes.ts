/**
 * error-codes.ts: `ProcmeshErrorCode`, the union of every `code` a core `ProcmeshError` can
 * carry, and its runtime list (for a code that arrives as data, e.g. from another thread).
 *
 * Nothing in core imports this file but `index.ts`, so it may import every error module without
 * making a cycle. The table in `packages/core/README.md` says when each code is raised.
 *
 * ## Invariants
 *
 * - ERR-1: `PROCMESH_ERROR_CODES` holds exactly the members of `ProcmeshErrorCode`: the compiler
 *   checks both directions (`satisfies` for no extra, `ERR1_COMPLETE` for none missing).
 */
import type { ActorError, UndeliverableMessageError } from './actor/errors.js';
import type { StatusTransitionError } from './status.js';
import type { ChannelErrorCode } from './channel/types.js';
import type { RingErrorCode } from './channel/ring/ring.js';
import type { CodecError } from './wire/errors.js';
import type { PanicError, ParseErrorCode, ProcErrorCode } from './errors.js';
import type { MailboxErrorCode, MailboxSenderErrorCode } from './mailbox/errors.js';
import type { SequenceError } from './sequencing.js';
import type { SupervisorErrorCode } from './supervise/spec.js';
import type { SpawnError } from './mesh/errors.js';
import type { AskErrorCode } from './actor/ask.js';

/** Every code of every core error class (closed: no `string`). */
export type ProcmeshErrorCode =
  | ParseErrorCode
  | ProcErrorCode
  | PanicError['code']
  | ChannelErrorCode
  | RingErrorCode
  | CodecError['code']
  | MailboxErrorCode
  | MailboxSenderErrorCode
  | SequenceError['code']
  | ActorError['code']
  | UndeliverableMessageError['code']
  | StatusTransitionError['code']
  | SupervisorErrorCode
  | SpawnError['code']
  | AskErrorCode;

/** ERR-1: the codes of `ProcmeshErrorCode`, as values. */
export const PROCMESH_ERROR_CODES = [
  // ParseError
  'invalid-channel-address',
  'unexpected',
  'expected',
  'wrong-type',
  // ProcError
  'duplicate-name',
  'no-such-actor',
  'coordinator-already-set',
  'wrong-proc',
  'unknown-actor-type',
  'already-bound',
  'missing-reducer-spec',
  'not-inverted',
  'invalid-spawn-option',
  // PanicError
  'panic',
  // ChannelError, SendError
  'closed',
  'invalid-address',
  'full',
  'timeout',
  'rejected',
  'frame-too-large',
  'protocol',
  'io',
  'missing-certificate',
  'unauthorized',
  'invalid-auth',
  // 'unreachable' (nats) is listed below with MailboxSenderError's
  'address-in-use',
  'not-found',
  // RingError
  'invalid-ring-option',
  'invalid-ring-buffer',
  'ring-already-attached',
  // CodecError (and MailboxError, MailboxSenderError)
  'serialize',
  'deserialize',
  'unsendable',
  'invalid-codec',
  'invalid-transfer',
  'limit-exceeded',
  // MailboxError, MailboxSenderError
  'owner-terminated',
  'recv',
  'channel',
  'already-closed',
  'invalid',
  'mailbox',
  'other',
  'unreachable',
  // SequenceError, ActorError, UndeliverableMessageError, StatusTransitionError
  'invalid-sequence',
  'actor-error',
  'delivery-failure',
  'invalid-status-transition',
  // SupervisorError
  'restart-intensity-exceeded',
  'invalid-child-spec',
  // SpawnError
  'spawn-failed',
  // AskError
  'ask-timeout',
  'ask-undeliverable',
  'ask-target-stopped',
  'ask-abandoned',
] as const satisfies readonly ProcmeshErrorCode[];

type Missing = Exclude<ProcmeshErrorCode, (typeof PROCMESH_ERROR_CODES)[number]>;
/** ERR-1: fails to compile when a code of `ProcmeshErrorCode` is not in the list. */
const ERR1_COMPLETE: [Missing] extends [never] ? true : Missing = true;
void ERR1_COMPLETE;

const KNOWN: ReadonlySet<string> = new Set(PROCMESH_ERROR_CODES);

/** Whether `code` (e.g. read off the wire) is a core error code. */
export function isProcmeshErrorCode(code: string): code is ProcmeshErrorCode {
  return KNOWN.has(code);
}
