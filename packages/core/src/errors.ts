/**
 * errors.ts: the root of procmesh's error hierarchy.
 *
 * Every error procmesh throws or returns is a `ProcmeshError` with a stable, machine-readable
 * `code` (kebab-case; never renamed once released) and a human message that follows upstream's
 * wording where upstream has one. Subclasses narrow `code` to a string-literal union so callers
 * can `switch` on it exhaustively (model: hyperactor `MailboxError { actor_id, kind }`, Effect's
 * `WorkerError` reason union).
 */

/**
 * Base class: a message, a stable `code`, and an optional cause. Abstract: every subclass
 * narrows `code` to its own closed union (no `| string`); `ProcmeshErrorCode` (error-codes.ts)
 * is the union of them all, and `packages/core/README.md` tables each code and when it is raised.
 */
export abstract class ProcmeshError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Malformed identifiers and addresses (upstream `ReferenceParsingError`, `ChannelError::InvalidAddress`). */
export type ParseErrorCode = 'invalid-channel-address' | 'unexpected' | 'expected' | 'wrong-type';

export class ParseError extends ProcmeshError {
  readonly code: ParseErrorCode;
  constructor(code: ParseErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Proc-level API misuse: duplicate names, unknown parents, coordinator set twice, ... */
export type ProcErrorCode =
  | 'duplicate-name'
  | 'no-such-actor'
  | 'coordinator-already-set'
  | 'wrong-proc'
  | 'unknown-actor-type'
  | 'already-bound'
  /** `openReducePort` with an accumulator that has no reducer spec */
  | 'missing-reducer-spec'
  /** the inverted-actor receivers asked of an instance that is not inverted */
  | 'not-inverted'
  /** a spawn option out of its range (`ActorSpawnOptions`) */
  | 'invalid-spawn-option';

export class ProcError extends ProcmeshError {
  readonly code: ProcErrorCode;
  constructor(code: ProcErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Raised by the panicking forwarder of `Proc.local()` (upstream panics the posting thread). */
export class PanicError extends ProcmeshError {
  readonly code = 'panic' as const;
}
