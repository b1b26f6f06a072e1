/**
 * benchmarks/lib/peers/piscina.ts: piscina tasks (a peer of the cross-proc one-way and
 * ping-pong scenarios): the small message to a trivial task (`piscina-task.ts`) and its answer
 * back, submitted from the main thread as piscina is used.
 *
 * - `256 in flight`: `tasks` tasks, 256 outstanding at any time, with 1 thread, 2 threads, and
 *   1 thread with `concurrentTasksPerWorker: 256` (tasks overlap inside the worker); tasks/s.
 * - `task round trip`: one task at a time on 1 thread; median and p99 (µs).
 *
 * The pools are created once; every run measures each pool once, interleaved, after one
 * unmeasured warm-up round.
 */
import { Piscina } from 'piscina';
import { inFlight, median, percentile, roundTrips, small, type Small } from '../stats.js';
import type { Figure } from '../scenario.js';

export const PISCINA_IN_FLIGHT = 256;

export interface PiscinaPeerOptions {
  readonly runs: number;
  readonly quick: boolean;
}

export interface PiscinaPeerReport {
  /** tasks/s with 256 in flight, one figure per pool configuration. */
  readonly throughput: readonly Figure[];
  /** one task at a time on one thread (µs). */
  readonly roundTrip: Figure;
}

interface PoolConfig {
  readonly impl: string;
  readonly threads: number;
  readonly concurrentTasksPerWorker: number;
}

const CONFIGS: readonly PoolConfig[] = [
  { impl: `piscina, 1 thread, ${PISCINA_IN_FLIGHT} in flight`, threads: 1, concurrentTasksPerWorker: 1 },
  { impl: `piscina, 2 threads, ${PISCINA_IN_FLIGHT} in flight`, threads: 2, concurrentTasksPerWorker: 1 },
  { impl: `piscina, 1 thread, concurrentTasksPerWorker ${PISCINA_IN_FLIGHT}`, threads: 1, concurrentTasksPerWorker: PISCINA_IN_FLIGHT },
];

export async function runPiscinaPeer(options: PiscinaPeerOptions): Promise<PiscinaPeerReport> {
  const filename = new URL('./piscina-task.js', import.meta.url).href;
  const pools = CONFIGS.map(
    (c) => new Piscina<Small, number>({ filename, minThreads: c.threads, maxThreads: c.threads, concurrentTasksPerWorker: c.concurrentTasksPerWorker }),
  );
  const tasks = options.quick ? 10_000 : 20_000;
  const latencyTasks = options.quick ? 1_000 : 2_000;
  try {
    const rates = CONFIGS.map(() => [] as number[]);
    const medians: number[] = [];
    const p99s: number[] = [];
    for (let run = -1; run < options.runs; run++) {
      for (const [k, pool] of pools.entries()) {
        const n = run < 0 ? tasks / 10 : tasks;
        const t0 = performance.now();
        await inFlight(n, PISCINA_IN_FLIGHT, (i) => pool.run(small(i)));
        if (run >= 0) rates[k]?.push(n / ((performance.now() - t0) / 1000));
      }
      const single = pools[0] as Piscina<Small, number>;
      const samples = await roundTrips(run < 0 ? latencyTasks / 10 : latencyTasks, (i) => single.run(small(i)));
      if (run < 0) continue;
      medians.push(percentile(samples, 0.5));
      p99s.push(percentile(samples, 0.99));
    }
    return {
      throughput: CONFIGS.map((c, k) => ({ impl: c.impl, unit: 'tasks/s', median: median(rates[k] as number[]), runs: rates[k] as number[] })),
      roundTrip: { impl: 'piscina task, 1 thread', unit: 'µs', median: median(medians), runs: medians, p99: median(p99s) },
    };
  } finally {
    await Promise.all(pools.map((p) => p.destroy()));
  }
}
