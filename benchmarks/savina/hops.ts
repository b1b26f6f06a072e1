/**
 * benchmarks/savina/hops.ts: the distribution of cross-worker hop times (issue 16, "no bimodal
 * hops across workers"): Savina's pingpong and threadring spread over two worker procs, run
 * `--runs` times each on one `ProcHost`, every run's µs per hop printed with the spread: min,
 * median, p90, max, and how many runs took more than twice the median (the target: none).
 *
 * A hop is one message from an actor on one worker to an actor on the other (pingpong: two per
 * round trip; threadring: every hop, the ring's neighbours alternating between the workers).
 *
 * Each program runs once first, not counted: the first run of a fresh host compiles the actors'
 * code and grows the rings' buffers (tens of µs per hop against a few), a cold start, not a
 * hop's spread.
 *
 * Run: `node benchmarks/dist/savina/hops.js [--runs N] [--n ROUND_TRIPS] [--hops HOPS]`.
 */
import { pathToFileURL } from 'node:url';
import { ProcHost } from '@procmesh/worker-host';
import type { Kick, Place } from './place.js';
import { setupPingPong } from './pingpong.js';
import { setupThreadRing } from './threadring.js';

export interface HopSpread {
  readonly program: 'pingpong' | 'threadring';
  /** µs per hop of each run, in run order. */
  readonly usPerHop: readonly number[];
  readonly min: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
  /** Runs over twice the median. */
  readonly over2x: number;
}

let names = 0;

async function timed(kick: Promise<Kick>): Promise<number> {
  const k = await kick;
  k.go();
  const { starts, dones } = await k.result;
  const bad = dones.find((d) => !d.ok);
  if (bad !== undefined) throw new Error(`did not verify: ${bad.detail}`);
  return Math.max(...dones.map((d) => d.end)) - Math.min(...starts);
}

function spread(program: HopSpread['program'], usPerHop: number[]): HopSpread {
  const sorted = [...usPerHop].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  const median = at(0.5);
  return { program, usPerHop, min: sorted[0] as number, median, p90: at(0.9), max: sorted.at(-1) as number, over2x: usPerHop.filter((u) => u > 2 * median).length };
}

/** Run pingpong (`n` round trips) and threadring (100 actors, `hops`) `runs` times each over 2 worker procs. */
export async function measureHops(runs = 30, n = 4_000, hops = 10_000): Promise<HopSpread[]> {
  const host = await ProcHost.start({ procs: 2, modules: [new URL('./worker-actors.js', import.meta.url)] });
  const place: Place = {
    procs: 2,
    client: host.client,
    spawn: <M>(slot: number, type: string, params: unknown) => host.spawn<M>((slot % 2) + 1, type, `${type}-${names++}`, params),
  };
  try {
    const ping: number[] = [];
    const ring: number[] = [];
    await timed(setupPingPong(place, { n })); // warm-up, not counted (module header)
    await timed(setupThreadRing(place, { actors: 100, hops }));
    for (let r = 0; r < runs; r++) {
      ping.push(((await timed(setupPingPong(place, { n }))) * 1000) / (2 * n));
      ring.push(((await timed(setupThreadRing(place, { actors: 100, hops }))) * 1000) / hops);
    }
    return [spread('pingpong', ping), spread('threadring', ring)];
  } finally {
    await host.shutdown(2000);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (flag: string, fallback: number): number => {
    const at = process.argv.indexOf(flag);
    return at >= 0 ? Number(process.argv[at + 1]) : fallback;
  };
  for (const s of await measureHops(arg('--runs', 30), arg('--n', 4_000), arg('--hops', 10_000))) {
    console.log(
      `${s.program}: µs/hop min ${s.min.toFixed(1)} median ${s.median.toFixed(1)} p90 ${s.p90.toFixed(1)} max ${s.max.toFixed(1)}; runs over 2x median: ${s.over2x}/${s.usPerHop.length}\n  runs: ${s.usPerHop.map((u) => u.toFixed(0)).join(' ')}`,
    );
  }
}
