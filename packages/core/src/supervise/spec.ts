/**
 * supervise/spec.ts: what a supervisor is told (DESIGN decision 14, OTP's child specs and
 * supervisor flags): `ChildSpec` (a name, a factory, a restart type), the strategy, the restart
 * intensity, an optional backoff (Akka's `BackoffSupervisor`), and `SupervisorError`.
 */
import { ProcmeshError } from '../errors.js';
import type { Actor } from '../actor/instance.js';

/**
 * When a child is restarted (OTP): `permanent` always, `transient` only after a failure,
 * `temporary` never.
 */
export type RestartType = 'permanent' | 'transient' | 'temporary';

/**
 * Which children restart when one must (OTP): `one-for-one` only that one; `one-for-all`
 * every child; `rest-for-one` that one and the children started after it.
 */
export type RestartStrategy = 'one-for-one' | 'one-for-all' | 'rest-for-one';

/** One child of a supervisor. `M` is its message type (what `Supervisor.childRef` returns a ref of). */
export interface ChildSpec<M> {
  /** The child's name: its id is `{proc},{name}[1]` in every incarnation (SU-1); unique in the proc. */
  readonly name: string;
  /** Builds a fresh actor for each incarnation. */
  readonly start: () => Actor<M>;
  /** Default `permanent`. */
  readonly restart?: RestartType;
}

/**
 * A child spec of any message type (the children of one supervisor differ; `Actor<M>` is
 * invariant in `M`, so the factory's result is erased here).
 */
export interface AnyChildSpec {
  readonly name: string;
  start(): object;
  readonly restart?: RestartType;
}

/** A `ChildSpec` whose message type is inferred from the factory. */
export function childSpec<M>(name: string, start: () => Actor<M>, restart: RestartType = 'permanent'): ChildSpec<M> {
  return { name, start, restart };
}

/**
 * Exponential backoff between a failure and the restart (Akka's `BackoffSupervisor`): the
 * n-th consecutive restart of a child waits `min(maxMs, minMs * 2^n) * (1 + random * randomFactor)`
 * on the proc's clock; the count goes back to 0 once an incarnation ran `resetAfterMs`.
 */
export interface BackoffOptions {
  readonly minMs: number;
  readonly maxMs: number;
  /** Default 0.2. */
  readonly randomFactor?: number;
  /** Default `maxMs`. */
  readonly resetAfterMs?: number;
}

export interface SupervisorOptions {
  readonly children: readonly AnyChildSpec[];
  /** Default `one-for-one`. */
  readonly strategy?: RestartStrategy;
  /** At most this many restarts within `periodMs` (default 3, Elixir's); one more and the supervisor fails. */
  readonly intensity?: number;
  /** Default 5000. */
  readonly periodMs?: number;
  readonly backoff?: BackoffOptions;
  /** Randomness of the backoff (default `Math.random`; tests pass a seeded `prng`). */
  readonly random?: () => number;
}

/** The codes of `SupervisorError` (closed). */
export type SupervisorErrorCode =
  /** more restarts than `intensity` within `periodMs`: the supervisor fails, its parent decides */
  | 'restart-intensity-exceeded'
  /** two children with one name, an empty name, a negative intensity or backoff */
  | 'invalid-child-spec';

export class SupervisorError extends ProcmeshError {
  readonly code: SupervisorErrorCode;
  constructor(code: SupervisorErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** Throws `SupervisorError('invalid-child-spec')` for options a supervisor cannot run. */
export function validateOptions(options: SupervisorOptions): void {
  const names = new Set<string>();
  for (const spec of options.children) {
    if (spec.name === '') throw new SupervisorError('invalid-child-spec', 'a child spec has an empty name');
    if (names.has(spec.name)) throw new SupervisorError('invalid-child-spec', `two child specs are named '${spec.name}'`);
    names.add(spec.name);
  }
  const bad = (v: number | undefined) => v !== undefined && !(v >= 0);
  if (bad(options.intensity) || bad(options.periodMs)) throw new SupervisorError('invalid-child-spec', 'intensity and periodMs must be >= 0');
  const b = options.backoff;
  if (b !== undefined && (bad(b.minMs) || bad(b.maxMs) || bad(b.randomFactor) || bad(b.resetAfterMs) || b.maxMs < b.minMs)) {
    throw new SupervisorError('invalid-child-spec', 'backoff needs 0 <= minMs <= maxMs and non-negative randomFactor, resetAfterMs');
  }
}

/** The backoff delay of the `attempt`-th consecutive restart (Akka `calculateDelay`). */
export function backoffDelay(backoff: BackoffOptions, attempt: number, random: () => number): number {
  const base = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt);
  return base * (1 + random() * (backoff.randomFactor ?? 0.2));
}
