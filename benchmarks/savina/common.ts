/**
 * benchmarks/savina/common.ts: what the Savina programs share: the parameters (Savina's
 * defaults, shamsimam/savina `*Config.java`), the report an actor sends when a program starts
 * and ends, and Savina's `performComputation`.
 *
 * Time is taken inside the runtime after set-up, as Savina does: the actor that kicks a program
 * off stamps `start` when it handles `go`, the actor that sees the result stamps `end`; both are
 * ms on the shared `timeOrigin` epoch, so stamps of different worker threads compare.
 */
import type { OncePortRef } from '@procmesh/core';

/** Wall-clock ms comparable across threads. */
export const now = (): number => performance.timeOrigin + performance.now();

/** Savina's default parameters (the `*Config.java` of shamsimam/savina). */
export const SAVINA_DEFAULTS = {
  /** PingPongConfig.N: round trips. */
  pingpong: { n: 40_000 },
  /** CountingConfig.N: increments. */
  count: { n: 1_000_000 },
  /** ThreadRingConfig: N actors, R hops. */
  threadring: { actors: 100, hops: 100_000 },
  /** ChameneosConfig: numChameneos, numMeetings. */
  chameneos: { chameneos: 100, meetings: 200_000 },
  /** BigConfig: W actors, N pings each. */
  big: { actors: 120, pings: 20_000 },
  /** ThroughputConfig: A actors, N messages each. */
  fjthrput: { actors: 60, messages: 10_000 },
  /** ForkJoinConfig.N: actors created (each handles one message and stops). */
  fjcreate: { actors: 40_000 },
} as const;

export type ProgramName = keyof typeof SAVINA_DEFAULTS;
export const PROGRAMS = Object.keys(SAVINA_DEFAULTS) as ProgramName[];

/** The end of a program: when, and whether its result verified. */
export interface Done {
  readonly end: number;
  readonly ok: boolean;
  readonly detail: string;
}

/** What the kick-off actor of a program is told by `go`. */
export interface Go {
  readonly type: 'go';
  readonly started: OncePortRef<number>;
  readonly done: OncePortRef<Done>;
}

/** Savina's `performComputation(theta)` (fjthrput, fjcreate): sin(theta)^2, checked. */
export function performComputation(theta: number): void {
  const s = Math.sin(theta);
  if (s * s <= 0) throw new Error(`unrealistic result ${s * s}`);
}

/** The 31-bit LCG of big (the same sequence in savina.erl): the next state. */
export const lcgNext = (x: number): number => (Math.imul(x, 1103515245) + 12345) & 0x7fffffff;
