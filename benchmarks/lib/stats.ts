/**
 * benchmarks/lib/stats.ts: the small numeric and machine helpers every suite part shares
 * (medians, percentiles, the small message, the machine and commit of a run).
 */
import { execFileSync } from 'node:child_process';
import { arch, cpus, loadavg, platform, release, totalmem, type as osType } from 'node:os';
import { fileURLToPath } from 'node:url';

/** BENCHMARKS.md's small message. */
export interface Small {
  dest: string;
  port: number;
  seq: number;
  payload: { x: number; y: string };
}

export function small(seq: number): Small {
  return { dest: 'proc[0].actor[0]', port: 3, seq, payload: { x: 1, y: 'hello' } };
}

/** Wall-clock milliseconds comparable across threads (every thread shares `timeOrigin`'s epoch). */
export const now = (): number => performance.timeOrigin + performance.now();

/** The upper median (the value itself, never an average of two). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** `p` in [0, 1] of an ascending array. */
export function percentile(sorted: Float64Array | readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
}

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly node: string;
  readonly os: string;
  readonly arch: string;
  readonly memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the run started (other work on the machine adds noise). */
  readonly loadAtStart: readonly number[];
}

export function machine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    node: process.version,
    os: `${osType()} ${release()} (${platform()})`,
    arch: arch(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** The repository root, from this file's place (`benchmarks/dist/lib/stats.js`). */
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return undefined;
  }
}

export function gitCommit(): string {
  return git(['rev-parse', '--short', 'HEAD'])?.trim() ?? 'unknown';
}

/**
 * Source files that differ from the commit (modified or untracked, under `packages/` and
 * `benchmarks/`, results aside): the figures measured this tree, not the commit alone.
 */
export function gitUncommitted(): string[] {
  const status = git(['status', '--porcelain', '--untracked-files=all', '--', 'packages', 'benchmarks']) ?? '';
  return status
    .split('\n')
    .map((line) => line.slice(3).trim())
    .filter((path) => path !== '' && !path.includes('/results/') && !path.includes('/dist/') && !path.includes('node_modules'));
}

/** Run `lanes` sequential loops at once until `total` operations are done: `lanes` in flight. */
export async function inFlight(total: number, lanes: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < total) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, total) }, lane));
}

/** Per-operation times (µs) of `n` operations one after another; ascending. */
export async function roundTrips(n: number, op: (i: number) => Promise<unknown>): Promise<Float64Array> {
  const samples = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await op(i);
    samples[i] = (performance.now() - t0) * 1000;
  }
  return samples.sort();
}
