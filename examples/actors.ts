/**
 * actors.ts: the mapper of the map-reduce example and its messages. Every worker proc imports
 * this module (the `modules` option of `ProcHost.start`), which registers the `Mapper` type; the
 * main thread imports it for the message types and the `Mapper` token it spawns the mesh with.
 *
 *   coordinator --cast map{point: unbound, chunks[rank], reply}--> Mapper mesh, one per worker proc
 *   each Mapper binds its own rank (PTB-1), maps chunks[rank], and sends
 *   result{chunk, rank, count, sum} --> reply: the coordinator's accumulating port (tally.ts)
 *
 * A mapper holds no state: a restarted one (same id, respawned by the host's restart policy) is
 * as good as the one it replaces, and the coordinator re-sends what the dead one held.
 */
import type { Actor, Context, Point, PortRef } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';
import { chunkRange, primesIn } from './primes.js';

/** To the mappers (cast to all, or sent to one by its ref): map `chunks[rank]` if there is one. */
export type MapperMsg = {
  type: 'map';
  /** The caster sends `Point.unbound`; each member sees its own rank here (PTB-1). */
  point: Point;
  /** The chunk of each rank in this round, -1 for none. */
  chunks: number[];
  /** Chunk `c` is `chunkRange(c, total, size)`. */
  total: number;
  size: number;
  /** Fault injection (set once): the member that gets `chunk` throws, or runs its worker out of memory. */
  fault: { chunk: number; kind: 'throw' | 'oom' } | null;
  /** Where the result goes: the coordinator's accumulating port. */
  reply: PortRef<ChunkResult>;
};

/** One chunk's tally, from the rank that computed it. */
export interface ChunkResult {
  readonly chunk: number;
  readonly rank: number;
  readonly count: number;
  readonly sum: number;
  /** Time the mapper spent on the chunk. */
  readonly busyMs: number;
}

class Mapper implements Actor<MapperMsg> {
  handle(cx: Context<MapperMsg>, msg: MapperMsg): void {
    const rank = msg.point.rank;
    const chunk = msg.chunks[rank] ?? -1;
    if (chunk < 0) return; // nothing for this rank in this round
    const [lo, hi] = chunkRange(chunk, msg.total, msg.size);
    if (msg.fault?.chunk === chunk) {
      if (msg.fault.kind === 'throw') throw new Error(`injected failure while mapping chunk ${chunk} [${lo}, ${hi})`);
      // the worker's heap is bounded (`resourceLimits`): V8 ends the worker, not the process
      const kept: number[][] = [];
      for (;;) kept.push(new Array<number>(1 << 16).fill(chunk));
    }
    const started = performance.now();
    const { count, sum } = primesIn(lo, hi);
    msg.reply.send(cx, { chunk, rank, count, sum, busyMs: performance.now() - started });
  }

  displayName(): string {
    return 'mapper';
  }
}

/** The registered type: `host.spawnMesh(MapperType, ...)` gives an `ActorMesh<MapperMsg>`. */
export const MapperType = registerActor('Mapper', () => new Mapper());
