/**
 * benchmarks/lib/scenario.ts: the suite's result types (types only). Every benchmark module's
 * rows are mapped onto one `ScenarioResult` per named scenario of the matrix: the procmesh
 * figure, the peers measured in the same run, and the limit (the raw transport).
 */

export type Unit = 'msgs/s' | 'MB/s' | 'calls/s' | 'tasks/s' | 'ops/s' | 'µs' | 'ms';

/** One implementation's figure in a scenario. */
export interface Figure {
  /** What was measured (`procmesh ring`, `postMessage`, `comlink, 256 in flight`...). */
  readonly impl: string;
  /** In the scenario's unit; for latencies, the median round trip. */
  readonly median: number;
  /** The per-run figures the median was taken over. */
  readonly runs: readonly number[];
  /** Latencies: the p99 round trip (µs). */
  readonly p99?: number;
  /** Throughputs: MB/s at the median, when a byte size is known. */
  readonly mbPerSec?: number;
  /** A figure in another unit than the scenario's (a peer's calls/s beside msgs/s). */
  readonly unit?: Unit;
}

export interface ScenarioResult {
  /** Stable name, e.g. `actors.one-way.small.2procs`. */
  readonly id: string;
  /** Human title for the table. */
  readonly title: string;
  readonly unit: Unit;
  /** `higher` for throughputs, `lower` for latencies. */
  readonly better: 'higher' | 'lower';
  /** Undefined: not measured (the module is missing, failed, or has no such row). */
  readonly procmesh: Figure | undefined;
  readonly peers: readonly Figure[];
  readonly limit: Figure | undefined;
  /** Which module measured it. */
  readonly source: string;
  readonly note?: string;
}

/** How one module fared in the run. */
export interface ModuleStatus {
  readonly module: string;
  readonly status: 'ok' | 'missing' | 'failed' | 'skipped';
  readonly seconds: number;
  readonly error?: string;
}

/**
 * procmesh's speed relative to `other`: above 1, procmesh is faster (more per second, or a
 * shorter round trip). Undefined when either side is missing.
 */
export function speedRatio(scenario: Pick<ScenarioResult, 'better'>, procmesh: Figure | undefined, other: Figure | undefined): number | undefined {
  if (procmesh === undefined || other === undefined) return undefined;
  if (!(procmesh.median > 0) || !(other.median > 0)) return undefined;
  return scenario.better === 'higher' ? procmesh.median / other.median : other.median / procmesh.median;
}
