/**
 * actors.ts: the actors of the map-reduce example. Every worker proc imports this module (the
 * `modules` option of `ProcHost.start`), which registers the `Mapper` type by name; the main
 * thread imports it too, for the message types and the `Reducer` it runs on its own proc.
 *
 *   coordinator (main thread) --map{chunk, reducer: ActorRef}--> Mapper (one per worker proc)
 *   Mapper --partial{chunk, count, sum}--> Reducer (main thread's proc, `local:0,main`)
 *   Reducer --progress / result--> PortRef opened by the coordinator
 *
 * The reducer lives on the main thread's proc so that a worker torn down by the failure policy
 * never takes reduced state with it; it counts each chunk once (a chunk re-run after a failure
 * may report twice) and flags duplicates so the coordinator can free the slot.
 */
import type { Actor, ActorRef, Context, PortRef } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';
import { primesIn } from './primes.js';

/** To a mapper: count the primes in [lo, hi) and send the tally to `reducer`. */
export type MapperMsg = {
  type: 'map';
  chunk: number;
  lo: number;
  hi: number;
  /** Fault injection: throw instead of working (the example sets it once). */
  fail: boolean;
  reducer: ActorRef<ReducerMsg>;
};

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

export class Mapper implements Actor<MapperMsg> {
  handle(cx: Context<MapperMsg>, msg: MapperMsg): void {
    if (msg.fail) throw new Error(`injected failure while mapping chunk ${msg.chunk} [${msg.lo}, ${msg.hi})`);
    const started = performance.now();
    const { count, sum } = primesIn(msg.lo, msg.hi);
    const busyMs = performance.now() - started;
    msg.reducer.send(cx, { type: 'partial', chunk: msg.chunk, proc: cx.selfId.proc.addr.port, count, sum, busyMs });
  }

  displayName(): string {
    return 'mapper';
  }
}

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

registerActor('Mapper', () => new Mapper());
