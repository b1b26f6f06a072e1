/**
 * terminated-snapshots.ts: `TerminatedSnapshots`, the proc's store of terminated actors'
 * introspection snapshots (spec §1.12, `Proc.terminatedSnapshot`, `allTerminatedActorIds`).
 *
 * A stop keeps the terminated cell and what of its place in the tree is about to change (its
 * parent, its children, the time), not the snapshot: the payload (`actorPayload`, a JSON text
 * and a few dates) is built on the first query and then kept. Building it at every stop cost
 * more than the rest of an actor's stop (issue 16: fjcreate stops 40,000 actors; hardly any is
 * ever queried). A terminal cell's counters and status no longer change, so the payload built
 * later is the one a stop would have built.
 *
 * ## Invariants
 *
 * - SN-1: at most `cap` snapshots (the proc's `terminatedSnapshotRetention`); on overflow
 *   clean-stopped snapshots are evicted first (oldest first), then failed ones newest first by
 *   their root cause's time, keeping the earliest failures, closest to the root cause. The
 *   store holds at most `cap` cells (with their instances), whatever number of actors stopped.
 * - SN-2: a snapshot reads as it would have at the stop: `parent`, `children` and `as_of` are
 *   those of the moment `store` was called, the rest comes from the terminal cell.
 * - S11: storing never makes an actor resolvable again (the store is not the proc's instance map).
 */
import type { ActorId } from './id.js';
import { actorPayload, type IntrospectCell, type IntrospectResult } from './introspect.js';

const rfc3339 = (ms: number): string => new Date(ms).toISOString();

interface Entry {
  readonly cell: IntrospectCell;
  /** SN-2: the parent's id at the stop, the children's (none, nearly always), the time. */
  readonly parent: ActorId | undefined;
  readonly children: readonly string[] | undefined;
  readonly at: number;
  payload: IntrospectResult | undefined;
}

export class TerminatedSnapshots {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly cap: () => number) {}

  /** Keep `cell`'s snapshot (SN-1, SN-2). */
  store(cell: IntrospectCell): void {
    const key = cell.actorId.key;
    const children = cell.children.size === 0 ? undefined : [...cell.children.keys()].sort((a, b) => a - b).map((pid) => String(cell.children.get(pid)?.actorId));
    this.entries.delete(key);
    this.entries.set(key, { cell, parent: cell.parent?.actorId, children, at: cell.clock.now(), payload: undefined });
    const cap = this.cap();
    while (this.entries.size > cap) {
      const victim = this.victim();
      if (victim === undefined) break;
      this.entries.delete(victim);
    }
  }

  /** SN-1: the oldest clean stop, else the newest failure. */
  private victim(): string | undefined {
    for (const [k, e] of this.entries) if (e.cell.status.get().kind !== 'failed') return k;
    let victim: string | undefined;
    let newest = -Infinity;
    for (const [k, e] of this.entries) {
      const event = e.cell.supervisionEvent;
      const t = event === undefined ? Infinity : Math.floor(event.actuallyFailingActor().occurredAt);
      if (t >= newest) {
        newest = t;
        victim = k;
      }
    }
    return victim;
  }

  /** The snapshot of the actor with this key, built on the first query (SN-2). */
  get(key: string): IntrospectResult | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    if (e.payload === undefined) {
      const live = actorPayload(e.cell);
      e.payload = {
        ...live,
        children: e.children === undefined ? [] : [...e.children],
        parent: e.parent === undefined ? undefined : String(e.parent),
        as_of: rfc3339(e.at),
      };
    }
    return e.payload;
  }

  /** The ids of the stored snapshots, oldest first. */
  ids(): ActorId[] {
    return [...this.entries.values()].map((e) => e.cell.actorId);
  }
}
