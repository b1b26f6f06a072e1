/**
 * mesh/point.ts: a member's place in an actor mesh (upstream ndslice `Point` and `Extent`), and
 * the binding of a cast message to it (upstream `Bind`/`Unbind`: a cast is sent once, unbound,
 * and each recipient binds its own rank into it).
 *
 * A message type that wants its recipient's rank declares a `Point` field; the caster fills it
 * with `Point.unbound` (plain data, so the message is serialized once for every rank). A mesh
 * member (spawned by the spawner with its point) binds every top-level `Point.unbound` field of a
 * message to its own point before its handler sees it, so the handler reads `msg.point.rank`.
 *
 * ## Invariants
 *
 * - PTB-1: a mesh member's handler never sees an unbound point in a top-level field: each is
 *   replaced by the member's point (rank, coordinates and the mesh's extent) in a copy of the
 *   message; a message without one is passed as it is (no copy).
 */
import type { Actor } from '../actor/instance.js';

/** The shape of a mesh: named dimensions and their sizes (a mesh over a host's procs: `['procs']`). */
export interface Extent {
  readonly labels: readonly string[];
  readonly sizes: readonly number[];
}

/** A member's place in its mesh: its rank (row-major) and coordinates, and the mesh's extent. */
export interface Point {
  readonly rank: number;
  readonly coords: readonly number[];
  readonly extent: Extent;
}

const UNBOUND: Point = Object.freeze({ rank: -1, coords: Object.freeze([]) as readonly number[], extent: Object.freeze({ labels: [], sizes: [] }) });

export const Point = {
  /** The placeholder a caster puts where each recipient's point goes (PTB-1). */
  unbound: UNBOUND,
  /** The point of `rank` in a one-dimensional extent of `size` along `label`. */
  of(rank: number, size: number, label = 'procs'): Point {
    return { rank, coords: [rank], extent: { labels: [label], sizes: [size] } };
  },
  /** Whether `value` (as decoded) is the unbound placeholder. */
  isUnbound(value: unknown): boolean {
    if (typeof value !== 'object' || value === null) return false;
    const p = value as Partial<Point>;
    return p.rank === -1 && Array.isArray(p.coords) && p.coords.length === 0;
  },
};

/** PTB-1: `message` with each top-level unbound point replaced by `point`. */
export function bindPoint<M>(message: M, point: Point): M {
  if (typeof message !== 'object' || message === null) return message;
  let bound: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(message)) {
    if (Point.isUnbound(value)) {
      bound ??= { ...(message as Record<string, unknown>) };
      bound[key] = point;
    }
  }
  return (bound ?? message) as M;
}

/**
 * PTB-1: make `actor` a mesh member at `point`: its own `handle` binds every message first. The
 * instance is patched, not wrapped, so its type name, private fields and hooks stay its own.
 */
export function bindMember<M>(actor: Actor<M>, point: Point): Actor<M> {
  const handle = actor.handle;
  actor.handle = function (this: Actor<M>, cx, message) {
    return handle.call(this, cx, bindPoint(message, point));
  };
  return actor;
}
