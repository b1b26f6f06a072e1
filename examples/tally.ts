/**
 * tally.ts: the reducer of the example's accumulating port (`cx.openAccumPort`). Every mapper
 * sends its `ChunkResult` to that one port; the accumulator folds them into the job's tally,
 * counting each chunk once: a chunk re-sent after its mapper's proc died may come back twice
 * (the dead incarnation's result could already be on its way), and the second result is a
 * duplicate. The port's receiver coalesces, so the coordinator wakes up with the latest tally and
 * reads the chunks finished since it last looked from `order`.
 */
import type { Accumulator } from '@procmesh/core';
import type { ChunkResult } from './actors.js';

/** The job so far: one object, updated in place by the port. */
export interface JobTally {
  count: number;
  sum: number;
  /** 1 once a chunk's first result arrived; `order`: the chunks in that order. */
  readonly done: Uint8Array;
  readonly order: number[];
  /** Results received, duplicates included. */
  results: number;
  duplicates: number;
  /** Work done by each rank (duplicates included: the work was done). */
  readonly byRank: { chunks: number; busyMs: number }[];
}

/** A fresh tally for `chunks` chunks, and the accumulator that folds results into it. */
export function tallyOf(chunks: number): [JobTally, Accumulator<ChunkResult, JobTally>] {
  const tally: JobTally = { count: 0, sum: 0, done: new Uint8Array(chunks), order: [], results: 0, duplicates: 0, byRank: [] };
  const reduce = (t: JobTally, r: ChunkResult): JobTally => {
    t.results++;
    const rank = (t.byRank[r.rank] ??= { chunks: 0, busyMs: 0 });
    rank.chunks++;
    rank.busyMs += r.busyMs;
    if (t.done[r.chunk] === 1) t.duplicates++;
    else {
      t.done[r.chunk] = 1;
      t.order.push(r.chunk);
      t.count += r.count;
      t.sum += r.sum;
    }
    return t;
  };
  return [tally, { initial: () => tally, reduce, spec: 'prime-tally' }];
}
