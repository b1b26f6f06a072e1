/**
 * mesh/actor-mesh.ts: `ActorMesh<M>`, one actor of a registered type on each of a set of procs
 * (upstream `ProcMesh::spawn` -> `ActorMesh`), with `cast` (one message to every member, each
 * binding its own rank: point.ts), `gather` (a reduce port fed by every member: accumulators.ts)
 * and `MeshFailure` (the failures of its members, as one event naming the failed ranks).
 *
 * @example
 * ```ts
 * const mesh = await spawnMesh(cx, procIds, Mapper, 'mapper', {});         // ActorMesh<MapperMsg>
 * const [reply, total] = gather(cx, sum(), mesh.size);
 * mesh.cast(cx, { type: 'count', point: Point.unbound, reply });           // each sees its rank
 * console.log(await total);
 * ```
 *
 * ## Invariants
 *
 * - AM-1: a cast serializes its message once and posts the same bytes to every member, in rank
 *   order, each with the `cast_rank` header; per member, casts keep their order (per-sender FIFO).
 * - AM-2: failures of members reported in the same turn of the event loop (a worker's death
 *   reports all its actors at once) reach the mesh's listeners as one `MeshFailure`, ranks sorted;
 *   a rank is named once per event.
 */
import type { Accumulator } from '../mailbox/ports.js';
import type { Headers } from '../mailbox/envelope.js';
import type { OncePortReceiver, PortHandle } from '../mailbox/ports.js';
import type { PortId, ProcId } from '../id.js';
import { ActorRef, type PortRef, type Sendable } from '../ref.js';
import type { ActorType } from '../actor/registry.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import { encodeMessage } from '../wire/payload.js';
import { Point, type Extent } from './point.js';
import { spawnSpecs, type SpawnContext, type SpawnOptions } from './spawn.js';

/** The failures of a mesh's members (upstream `MeshFailure`): which ranks, and each event. */
export interface MeshFailure {
  readonly mesh: string;
  readonly ranks: readonly number[];
  readonly events: readonly ActorSupervisionEvent[];
}

/** What a cast needs of its caller: post serialized bytes (any `Instance`). */
export interface CastContext {
  post(dest: PortId, headers: Headers | undefined, data: Uint8Array): void;
}

/** The header a cast sets on each member's copy: the member's rank. */
export const CAST_RANK_HEADER = 'cast_rank';

export class ActorMesh<M> {
  readonly extent: Extent;
  private readonly ranks = new Map<string, number>();
  private readonly listeners = new Set<(failure: MeshFailure) => void>();
  private pending: Map<number, ActorSupervisionEvent> | undefined;

  constructor(
    /** The members' root name. */
    readonly name: string,
    readonly typeName: string,
    /** The members, by rank. */
    readonly refs: readonly ActorRef<M>[],
  ) {
    this.extent = { labels: ['procs'], sizes: [refs.length] };
    refs.forEach((ref, rank) => this.ranks.set(ref.actorId.key, rank));
  }

  get size(): number {
    return this.refs.length;
  }

  /** The rank of a member, by its id. */
  rankOf(actorId: { readonly key: string }): number | undefined {
    return this.ranks.get(actorId.key);
  }

  /** AM-1: send `message` to every member; `Point.unbound` fields are bound by each (PTB-1). */
  cast(cx: CastContext, message: M & Sendable<M>): void {
    const data = encodeMessage(message);
    const type = (message as { type?: unknown }).type;
    for (const [rank, ref] of this.refs.entries()) {
      const headers: Headers = { [CAST_RANK_HEADER]: rank };
      if (typeof type === 'string') headers.message_type = type;
      cx.post(ref.port().portId, headers, data);
    }
  }

  /** Listen for `MeshFailure`s (AM-2); returns the unsubscribe function. */
  onFailure(listener: (failure: MeshFailure) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Report a member's supervision event (a host does it for the events it sees); returns false
   * when the actor is not a member. AM-2: coalesced until the end of the current turn.
   */
  reportFailure(event: ActorSupervisionEvent): boolean {
    const rank = this.rankOf(event.actorId);
    if (rank === undefined) return false;
    if (this.pending === undefined) {
      this.pending = new Map();
      queueMicrotask(() => this.flushFailures());
    }
    if (!this.pending.has(rank)) this.pending.set(rank, event);
    return true;
  }

  private flushFailures(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined || pending.size === 0) return;
    const ranks = [...pending.keys()].sort((a, b) => a - b);
    const failure: MeshFailure = { mesh: this.name, ranks, events: ranks.map((r) => pending.get(r) as ActorSupervisionEvent) };
    for (const listener of this.listeners) listener(failure);
  }

  toString(): string {
    return `ActorMesh(${this.typeName} '${this.name}' × ${this.size})`;
  }
}

/**
 * Spawn one actor of `type`, named `name`, on each proc of `procIds` (rank = position), through
 * the procs' spawners, all at once; rejects with the first `SpawnError`.
 */
export async function spawnMesh<M, P>(
  cx: SpawnContext,
  procIds: readonly ProcId[],
  type: ActorType<M, P>,
  name: string,
  params: P,
  options?: SpawnOptions,
): Promise<ActorMesh<M>> {
  const size = procIds.length;
  const ids = await Promise.all(
    procIds.map(async (procId, rank) => {
      const [id] = await spawnSpecs(cx, procId, [{ typeName: type.typeName, name, params, point: Point.of(rank, size) }], options);
      return id;
    }),
  );
  return new ActorMesh<M>(name, type.typeName, ids.map((id) => ActorRef.attest<M>(id as NonNullable<typeof id>)));
}

/** What `gather` needs: a reduce port (any `Instance`). */
export interface GatherContext {
  openReducePort<U, S>(accum: Accumulator<U, S>, count: number): [PortHandle<U>, OncePortReceiver<S>];
}

/** A port for `count` replies folded by `accum`, and the folded value once all arrived. */
export function gather<U, S>(cx: GatherContext, accum: Accumulator<U, S>, count: number): [PortRef<U>, Promise<S>] {
  const [port, result] = cx.openReducePort(accum, count);
  return [port.bind(), result.recv()];
}
