/**
 * supervisor.ts: the main-thread supervisor, coordinator of every worker proc (DESIGN 7).
 *
 * Unhandled supervision events from workers, and worker deaths, arrive here. The application
 * listens with `on('failure', ...)` and/or `inspect(listener)` (a typed event stream, free when
 * nobody listens). Policy on a failure: report it, then tear the worker down (the host does it:
 * `destroyAndWait` with a timeout, `worker.terminate()`, routes dropped, in-flight envelopes
 * returned as `BrokenLink`). With nobody listening for failures, the process exits with code 1,
 * as upstream does with no coordinator (SV-1).
 *
 * ## Invariants
 *
 * - SV-1: a failure with no `failure` listener and no inspector ends the process with code 1,
 *   unless a restart policy handles it (a worker proc's, under `ProcHostOptions.restart`).
 * - SV-2: a worker death yields one `worker-crashed` event and one failure per root actor the
 *   host spawned there and had not seen stop.
 * - SV-3: the host's main proc (`local:0,main`, proc 0) reports here too: its actors' unhandled
 *   failures are failures (`proc: 0`), never the proc's no-coordinator crash.
 * - SV-4: an observer (`observe`, the admin endpoint's) sees every event but is no failure
 *   listener: watching a host never changes SV-1.
 */
import { EventEmitter } from 'node:events';
import type { ActorId, ActorSupervisionEvent, ProcId } from '@procmesh/core';

/** A failure reported by a proc: an actor failure, or a root actor lost with its worker. */
export interface SupervisionFailure {
  readonly proc: number;
  readonly procId: ProcId;
  readonly event: ActorSupervisionEvent;
}

export type InspectionEvent =
  | { readonly type: 'proc-started'; readonly proc: number; readonly procId: ProcId }
  | { readonly type: 'proc-stopped'; readonly proc: number; readonly procId: ProcId; readonly reason: string }
  | { readonly type: 'actor-failed'; readonly proc: number; readonly procId: ProcId; readonly event: ActorSupervisionEvent }
  | { readonly type: 'actor-stopped'; readonly proc: number; readonly procId: ProcId; readonly event: ActorSupervisionEvent }
  /** HO-3: a fresh worker replaced a gone one, same `ProcId`; `restarts` in the current window. */
  | { readonly type: 'proc-restarted'; readonly proc: number; readonly procId: ProcId; readonly restarts: number }
  /** HO-3: a root actor of a restarted proc was spawned again (same id). */
  | { readonly type: 'actor-restarted'; readonly proc: number; readonly procId: ProcId; readonly actorId: ActorId; readonly typeName: string }
  /** HO-3, RI-1: the proc died once more than its restart intensity allows; it stays gone. */
  | { readonly type: 'restart-intensity-exceeded'; readonly proc: number; readonly procId: ProcId; readonly maxRestarts: number; readonly withinMs: number }
  | {
      readonly type: 'worker-crashed';
      readonly proc: number;
      readonly procId: ProcId;
      readonly exitCode: number | undefined;
      readonly error: string | undefined;
    };

export interface SupervisorEvents {
  failure: [SupervisionFailure];
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  private readonly inspectors = new Set<(event: InspectionEvent) => void>();
  /** Watchers that see every event but handle no failure (SV-4): the admin endpoint. */
  private readonly observers = new Set<(event: InspectionEvent) => void>();
  /** What happens when nobody listens to a failure (SV-1); tests may replace it. */
  exitOnUnhandled: (failure: SupervisionFailure) => void = (failure) => {
    process.stderr.write(`procmesh: unhandled supervision failure on ${failure.procId}: ${failure.event}; exiting with code 1\n`);
    process.exit(1);
  };

  /** Subscribe to every inspection event. Returns an unsubscribe function. */
  inspect(listener: (event: InspectionEvent) => void): () => void {
    this.inspectors.add(listener);
    return () => this.inspectors.delete(listener);
  }

  /** @internal SV-4: see every event like `inspect`, without counting as a failure handler. */
  observe(listener: (event: InspectionEvent) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** @internal */
  publish(event: InspectionEvent): void {
    for (const l of this.observers) l(event);
    for (const l of this.inspectors) l(event);
  }

  /** @internal Report a failure (SV-1); `handled`: a restart policy takes care of it. */
  reportFailure(failure: SupervisionFailure, handled = false): void {
    this.publish({ type: 'actor-failed', proc: failure.proc, procId: failure.procId, event: failure.event });
    if (!handled && this.listenerCount('failure') === 0 && this.inspectors.size === 0) {
      this.exitOnUnhandled(failure);
      return;
    }
    this.emit('failure', failure);
  }
}
