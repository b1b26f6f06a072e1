/**
 * tally.ts: the reducer of the example's accumulating port (`cx.openAccumPort`). Every mapper
 * sends its `ChunkResult` to that one port on the main thread; the accumulator folds them into
 * the job's tally, counting each chunk once: a chunk re-sent after its mapper's proc died may
 * come back twice (the dead incarnation's result could already be on its way), and the second
 * result is a duplicate. The port's receiver coalesces, so the coordinator wakes up with the
 * latest tally and reads the chunks finished since it last looked from `order`.
 */
import type { Accumulator } from '@procmesh/core';
import type { ChunkResult } from './actors.js';

/** The job so far. One object, updated in place by the port (main thread only). */
export interface JobTally {
  count: number;
  sum: number;
  /** 1 once a chunk's first result arrived. */
  readonly done: Uint8Array;
  doneCount: number;
  /** Chunks in the order their first result arrived. */
  readonly order: number[];
  /** Results received, duplicates included. */
  results: number;
  duplicates: number;
  /** Work done by each rank (duplicates included: the work was done). */
  readonly byRank: { chunks: number; busyMs: number }[];
}

export function emptyTally(chunks: number, ranks: number): JobTally {
  return {
    count: 0,
    sum: 0,
    done: new Uint8Array(chunks),
    doneCount: 0,
    order: [],
    results: 0,
    duplicates: 0,
    byRank: Array.from({ length: ranks }, () => ({ chunks: 0, busyMs: 0 })),
  };
}

/** The accumulator that folds results into `state` (its initial state). */
export function tallyInto(state: JobTally): Accumulator<ChunkResult, JobTally> {
  return {
    initial: () => state,
    reduce: (t, r) => {
      t.results++;
      const rank = t.byRank[r.rank];
      if (rank !== undefined) {
        rank.chunks++;
        rank.busyMs += r.busyMs;
      }
      if (t.done[r.chunk] === 1) t.duplicates++;
      else {
        t.done[r.chunk] = 1;
        t.doneCount++;
        t.order.push(r.chunk);
        t.count += r.count;
        t.sum += r.sum;
      }
      return t;
    },
    spec: 'prime-tally',
  };
}
