/**
 * reducer.ts: the `Reducer` of the map-reduce over NATS (nats-job.ts). The worker-proc job
 * (run.ts) gathers through an accumulating port (tally.ts); across OS processes the mappers
 * answer a reducer actor by the `nats:` ref in each map message, so it stays an actor there.
 * It counts each chunk once (a chunk re-run after a process is killed may report twice) and
 * reports progress and the result to a port the coordinator opened.
 */
import type { Actor, Context, PortRef } from '@procmesh/core';

/** To the reducer: one chunk's tally. */
export type ReducerMsg = {
  type: 'partial';
  chunk: number;
  /** Index of the proc that did the work. */
  proc: number;
  count: number;
  sum: number;
  /** Time the mapper spent on the chunk. */
  busyMs: number;
};

/** From the reducer to the coordinator's port. */
export type Report =
  | { type: 'progress'; chunk: number; proc: number; busyMs: number; duplicate: boolean }
  | { type: 'result'; count: number; sum: number; partials: number; duplicates: number };

export interface ReducerParams {
  readonly chunks: number;
  readonly report: PortRef<Report>;
}

export class Reducer implements Actor<ReducerMsg> {
  private readonly seen: Uint8Array;
  private done = 0;
  private count = 0;
  private sum = 0;
  private partials = 0;
  private duplicates = 0;

  constructor(private readonly params: ReducerParams) {
    this.seen = new Uint8Array(params.chunks);
  }

  handle(cx: Context<ReducerMsg>, msg: ReducerMsg): void {
    this.partials++;
    const duplicate = this.seen[msg.chunk] === 1;
    if (duplicate) this.duplicates++;
    else {
      this.seen[msg.chunk] = 1;
      this.done++;
      this.count += msg.count;
      this.sum += msg.sum;
    }
    this.params.report.send(cx, { type: 'progress', chunk: msg.chunk, proc: msg.proc, busyMs: msg.busyMs, duplicate });
    if (!duplicate && this.done === this.params.chunks) {
      this.params.report.send(cx, { type: 'result', count: this.count, sum: this.sum, partials: this.partials, duplicates: this.duplicates });
    }
  }

  displayName(): string {
    return 'reducer';
  }
}

