/**
 * admin/events.ts: the admin endpoint's event log, the source of `GET /v1/events` (server-sent
 * events): every supervision and lifecycle event the host's supervisor publishes (proc started,
 * stopped, worker crashed, actor failed, actor stopped, and any kind added later), as JSON.
 *
 * The log is a bounded ring (`capacity` events): a client that reconnects with `Last-Event-ID`
 * gets what it missed if it is still there (AD-6). It also keeps, per proc, the failures it saw
 * (bounded as well), so a proc that was torn down still shows why.
 *
 * ## Invariants
 *
 * - AD-6: event ids increase by one from 1; `since(id)` returns the retained events after `id`
 *   in order; at most `capacity` events and `failuresPerProc` failures per proc are kept.
 */
import { ActorId, ActorSupervisionEvent, ProcId } from '@procmesh/core';
import type { InspectionEvent } from '../supervisor.js';
import { failureOf, type ProcFailure } from './nodes.js';

/** One event as it goes out: `type` is the inspection event's, `at` when the admin saw it. */
export interface AdminEvent {
  readonly id: number;
  readonly type: string;
  readonly at: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** Plain JSON of an inspection event's fields: ids as strings, supervision events with their root cause. */
function toJson(value: unknown): unknown {
  if (value instanceof ProcId || value instanceof ActorId) return String(value);
  if (value instanceof ActorSupervisionEvent) return { ...failureOf(value), status: String(value.actorStatus), failed: value.isError() };
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = toJson(v);
    return out;
  }
  return value;
}

export class EventLog {
  private readonly events: AdminEvent[] = [];
  private nextId = 1;
  private readonly listeners = new Set<(event: AdminEvent) => void>();
  /** Failures seen per proc index (AD-6 bound). */
  readonly failures = new Map<number, ProcFailure[]>();

  constructor(
    readonly capacity = 512,
    readonly failuresPerProc = 32,
  ) {}

  record(event: InspectionEvent): AdminEvent {
    const { type, ...rest } = event;
    const out: AdminEvent = { id: this.nextId++, type, at: new Date().toISOString(), data: toJson(rest) as Record<string, unknown> };
    this.events.push(out);
    if (this.events.length > this.capacity) this.events.shift();
    if (event.type === 'actor-failed') {
      const list = this.failures.get(event.proc) ?? [];
      list.push(failureOf(event.event));
      if (list.length > this.failuresPerProc) list.shift();
      this.failures.set(event.proc, list);
    }
    for (const l of this.listeners) l(out);
    return out;
  }

  /** AD-6: the retained events after `id` (all of them for 0). */
  since(id: number): AdminEvent[] {
    return this.events.filter((e) => e.id > id);
  }

  subscribe(listener: (event: AdminEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
