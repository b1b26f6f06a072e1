/**
 * status.ts: `ActorStatus`, the lifecycle of an actor (spec §1.8), and `StatusCell`, the
 * observable latest-value cell that holds it (upstream's `watch` channel).
 *
 * ```
 * spawned:  created -> initializing -> idle <-> processing        (per message)
 *           idle/processing -> stopping -> stopped(reason) | failed(error)
 * client:   created -> client -> stopped("instance is dropped")  (on dispose)
 * aborted:  whatever -> stopped("instance is dropped")           (no supervision event)
 * ```
 *
 * ## Invariants
 *
 * - ST-1: a terminal status (stopped, failed) never changes; setting the same terminal value
 *   again is a no-op; setting another value throws (upstream asserts).
 * - ST-2: observers see the latest value; intermediate values may be skipped.
 * - ST-3 (performance): the per-message idle/processing transitions allocate nothing; the
 *   `ActorStatus` object is built when somebody reads it.
 * - ST-6 (memory): a cell nobody subscribes to or awaits holds no listener set and no waiter
 *   list (an idle actor costs neither).
 */
import { ProcmeshError } from './errors.js';

/** Details of a handler being run: the actor type and the message arm (`type` field). */
export interface HandlerInfo {
  readonly typeName: string;
  readonly arm: string | undefined;
}

export type ActorStatus =
  | { readonly kind: 'unknown' }
  | { readonly kind: 'created' }
  | { readonly kind: 'initializing' }
  | { readonly kind: 'client' }
  | { readonly kind: 'idle' }
  | { readonly kind: 'processing'; readonly since: number; readonly handler: HandlerInfo | undefined }
  | { readonly kind: 'saving'; readonly since: number }
  | { readonly kind: 'loading'; readonly since: number }
  | { readonly kind: 'stopping' }
  | { readonly kind: 'stopped'; readonly reason: string }
  | { readonly kind: 'failed'; readonly error: string };

/** Every status's `toString` (one shared function: a status costs no closure, issue 16). */
function statusToString(this: ActorStatus): string {
  return displayStatus(this);
}

function withDisplay<S extends ActorStatus>(status: S): S {
  Object.defineProperty(status, 'toString', { value: statusToString, enumerable: false });
  return Object.freeze(status);
}

/** Constructors; every status's `String()` is upstream's Display. */
export const ActorStatus = {
  unknown: withDisplay({ kind: 'unknown' } as const),
  created: withDisplay({ kind: 'created' } as const),
  initializing: withDisplay({ kind: 'initializing' } as const),
  client: withDisplay({ kind: 'client' } as const),
  idle: withDisplay({ kind: 'idle' } as const),
  stopping: withDisplay({ kind: 'stopping' } as const),
  processing: (since: number, handler?: HandlerInfo): ActorStatus =>
    withDisplay({ kind: 'processing', since, handler }),
  stopped: (reason: string): ActorStatus => withDisplay({ kind: 'stopped', reason }),
  failed: (error: string): ActorStatus => withDisplay({ kind: 'failed', error }),
  isTerminal: (status: ActorStatus): boolean => status.kind === 'stopped' || status.kind === 'failed',
  isFailed: (status: ActorStatus): boolean => status.kind === 'failed',
  display: (status: ActorStatus): string => displayStatus(status),
  equals(a: ActorStatus, b: ActorStatus): boolean {
    if (a.kind !== b.kind) return false;
    if (a.kind === 'stopped') return a.reason === (b as { reason: string }).reason;
    if (a.kind === 'failed') return a.error === (b as { error: string }).error;
    return true;
  },
} as const;

/** upstream Display: "idle", "processing for 3ms", "Counter.inc: processing for 3ms", "stopped: done", ... */
export function displayStatus(status: ActorStatus): string {
  switch (status.kind) {
    case 'processing': {
      // realClock: a display has no proc at hand (under a SimulatedClock the duration is off)
      const ms = Math.max(0, Math.round(Date.now() - status.since));
      const h = status.handler;
      if (h === undefined) return `processing for ${ms}ms`;
      return `${h.arm === undefined ? h.typeName : `${h.typeName}.${h.arm}`}: processing for ${ms}ms`;
    }
    case 'saving':
      return `saving for ${Math.max(0, Math.round(Date.now() - status.since))}ms`;
    case 'loading':
      return `loading for ${Math.max(0, Math.round(Date.now() - status.since))}ms`;
    case 'stopped':
      return `stopped: ${status.reason}`;
    case 'failed':
      return `failed: ${status.error}`;
    default:
      return status.kind;
  }
}

/** A status change that the lifecycle does not allow (ST-1): a terminal status moved on. */
export class StatusTransitionError extends ProcmeshError {
  readonly code = 'invalid-status-transition' as const;
}

/** A `StatusCell` subscriber. */
export type StatusListener = (status: ActorStatus) => void;

/**
 * The latest-value cell behind `ActorHandle.status`. The hot path (`markIdle`,
 * `markProcessing`) only stores fields (ST-3); listeners are called only if there are any.
 */
export class StatusCell {
  private current: ActorStatus;
  /** 0: `current` holds the status; 1: idle (lazy); 2: processing (lazy). */
  private lazy = 0;
  private processingSince = 0;
  private processingHandler: HandlerInfo | undefined;
  /** ST-6: made on the first subscriber / waiter (most actors have neither). */
  private listeners: Set<StatusListener> | undefined;
  private terminalWaiters: ((s: ActorStatus) => void)[] | undefined;
  /** Told of each `set` (lifecycle changes, not the per-message idle/processing): the flight recorder. */
  onSet: StatusListener | undefined;

  constructor(initial: ActorStatus) {
    this.current = initial;
  }

  get(): ActorStatus {
    if (this.lazy === 1) return ActorStatus.idle;
    if (this.lazy === 2) return ActorStatus.processing(this.processingSince, this.processingHandler);
    return this.current;
  }

  get isTerminal(): boolean {
    return this.lazy === 0 && ActorStatus.isTerminal(this.current);
  }

  markIdle(): void {
    if (this.lazy === 1) return;
    if (this.lazy === 0 && ActorStatus.isTerminal(this.current)) return; // ST-1 (a detached loop)
    this.lazy = 1;
    if (this.listeners !== undefined && this.listeners.size > 0) this.emit();
  }

  markProcessing(since: number, handler: HandlerInfo | undefined): void {
    if (this.lazy === 0 && ActorStatus.isTerminal(this.current)) return; // ST-1
    this.lazy = 2;
    this.processingSince = since;
    this.processingHandler = handler;
    if (this.listeners !== undefined && this.listeners.size > 0) this.emit();
  }

  /** ST-1. Returns false for a same-value terminal no-op. */
  set(next: ActorStatus): boolean {
    if (this.isTerminal) {
      if (ActorStatus.equals(this.current, next)) return false;
      throw new StatusTransitionError(`invalid status transition: ${String(this.current)} -> ${String(next)}`);
    }
    this.lazy = 0;
    this.current = next;
    this.onSet?.(next);
    if (this.listeners !== undefined && this.listeners.size > 0) this.emit();
    const waiters = this.terminalWaiters;
    if (waiters !== undefined && ActorStatus.isTerminal(next)) {
      this.terminalWaiters = undefined;
      for (const w of waiters) w(next);
    }
    return true;
  }

  private emit(): void {
    const status = this.get();
    for (const l of this.listeners ?? []) l(status);
  }

  /** Subscribe to changes (latest value; ST-2). Returns an unsubscribe function. */
  subscribe(listener: StatusListener): () => void {
    const listeners = (this.listeners ??= new Set());
    listeners.add(listener);
    return () => listeners.delete(listener);
  }

  /** Resolves with the terminal status. */
  terminal(): Promise<ActorStatus> {
    if (this.isTerminal) return Promise.resolve(this.current);
    return new Promise((resolve) => (this.terminalWaiters ??= []).push(resolve));
  }

  /** Resolves with the first status satisfying `predicate` (checked now and on each change). */
  waitFor(predicate: (s: ActorStatus) => boolean): Promise<ActorStatus> {
    const now = this.get();
    if (predicate(now)) return Promise.resolve(now);
    return new Promise((resolve) => {
      const off = this.subscribe((s) => {
        if (predicate(s)) {
          off();
          resolve(s);
        }
      });
    });
  }
}

/** A read-only view of a status cell (upstream `watch::Receiver<ActorStatus>`). */
export interface StatusWatch {
  get(): ActorStatus;
  subscribe(listener: (status: ActorStatus) => void): () => void;
  terminal(): Promise<ActorStatus>;
  waitFor(predicate: (s: ActorStatus) => boolean): Promise<ActorStatus>;
}
