/**
 * benchmarks/chaos.ts: the chaos map-reduce (issue 12, `pnpm bench:chaos`). The main job
 * (`@procmesh/examples/job`: a Mapper mesh fed by casts, an accumulating port, the host's restart
 * policy, the coordinator re-sending what a dead rank held) over 4 worker procs, run twice in
 * one invocation, interleaved per round: once without kills, once with a random live worker
 * terminated (`host.killProc`) every 200 ms for the first 30 s. Both must give the sieve's answer.
 *
 * Reported per run: wall time (and chaos over no-kill), kills, proc restarts, mesh failures,
 * chunks re-sent, map messages returned undeliverable, envelopes abandoned on the main thread
 * (logged, not returned: `onAbandoned`), duplicate results, chunks lost (missing from the verified
 * tally: 0 or the run fails). Writes `results/chaos.{json,md}`.
 *
 *   node benchmarks/dist/chaos.js [--procs 4] [--size 50000000] [--chunks 2000] [--every 200]
 *     [--for 30000] [--rounds 3] [--seed 1] [--out DIR]
 *
 * Each figure is the median over the rounds; the ratio is the median of each round's chaos over
 * its own no-kill run (the two measured back to back), and each round's wall time is listed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { onAbandoned } from '@procmesh/core/transport';
import { Display } from '@procmesh/examples/display';
import { runJob, type JobSpec, type RunResult } from '@procmesh/examples/job';
import { sieve } from '@procmesh/examples/primes';
import type { ProcHost } from '@procmesh/worker-host';
import { gitCommit, machine, median, type Machine } from './lib/stats.js';

interface ChaosOptions {
  readonly procs: number;
  readonly size: number;
  readonly chunks: number;
  readonly everyMs: number;
  readonly forMs: number;
  readonly rounds: number;
  readonly seed: number;
  readonly out: string;
}

/** One run's figures. */
export interface ChaosRun {
  readonly mode: 'no-kill' | 'chaos';
  readonly wallMs: number;
  readonly correct: boolean;
  readonly kills: number;
  /** Kill ticks with no live worker to kill (every one was restarting). */
  readonly idleTicks: number;
  readonly restarts: number;
  readonly meshFailures: number;
  readonly resent: number;
  readonly returned: number;
  readonly abandoned: number;
  readonly duplicates: number;
  readonly lost: number;
  readonly messages: number;
}

function parse(argv: string[]): ChaosOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      procs: { type: 'string', default: '4' },
      size: { type: 'string', default: '50000000' },
      chunks: { type: 'string', default: '2000' },
      every: { type: 'string', default: '200' },
      for: { type: 'string', default: '30000' },
      rounds: { type: 'string', default: '3' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: new URL('../results/', import.meta.url).pathname },
    },
    strict: true,
  });
  const int = (name: string, text: string, min: number, max: number): number => {
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in [${min}, ${max}], got '${text}'`);
    return n;
  };
  return {
    procs: int('procs', values.procs, 1, 64),
    size: int('size', values.size, 1000, 2 ** 26),
    chunks: int('chunks', values.chunks, 1, 1_000_000),
    everyMs: int('every', values.every, 10, 60_000),
    forMs: int('for', values.for, 0, 3_600_000),
    rounds: int('rounds', values.rounds, 1, 100),
    seed: int('seed', values.seed, 0, 2 ** 31),
    out: values.out,
  };
}

/** mulberry32: the killer's choices are reproducible for a seed (the timing still is not). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Kill a random live worker every `everyMs` for `forMs`; the counters fill as it goes. */
function killer(o: ChaosOptions, counts: { kills: number; idleTicks: number }): (host: ProcHost) => () => void {
  return (host) => {
    const random = prng(o.seed);
    const started = performance.now();
    const timer = setInterval(() => {
      if (performance.now() - started > o.forMs) return clearInterval(timer);
      const live = [...host.procIds().keys()];
      const index = live[Math.floor(random() * live.length)];
      if (index === undefined) {
        counts.idleTicks++;
        return;
      }
      counts.kills++;
      host.killProc(index).catch(() => counts.kills--); // it went down on its own meanwhile
    }, o.everyMs);
    return () => clearInterval(timer);
  };
}

async function runOnce(o: ChaosOptions, mode: ChaosRun['mode'], expected: { count: number; sum: number }): Promise<ChaosRun> {
  const counts = { kills: 0, idleTicks: 0 };
  let abandoned = 0;
  const off = onAbandoned(() => abandoned++);
  const spec: JobSpec = {
    size: o.size,
    chunks: o.chunks,
    window: 4,
    fault: undefined,
    stallMs: 60_000,
    // every proc dies many times: the intensity allows it for the whole chaos window
    restart: { maxRestarts: 1_000_000, withinMs: o.forMs + 1 },
    heapMb: 256,
    quiet: true,
    ...(mode === 'chaos' ? { during: killer(o, counts) } : {}),
  };
  let r: RunResult;
  try {
    r = await runJob(spec, o.procs, new Display(process.stderr), mode, false);
  } finally {
    off();
  }
  const correct = r.count === expected.count && r.sum === expected.sum;
  return {
    mode,
    wallMs: r.wallMs,
    correct,
    kills: counts.kills,
    idleTicks: counts.idleTicks,
    restarts: r.restarts,
    meshFailures: r.meshFailures,
    resent: r.resent,
    returned: r.messages.returned,
    abandoned,
    duplicates: r.duplicates,
    // the tally counts each chunk once and the run ends only when all are in: a chunk lost for
    // good stalls the run (it fails); a wrong sum would show here too
    lost: correct ? 0 : o.chunks,
    messages: r.messages.total,
  };
}

function table(o: ChaosOptions, runs: readonly ChaosRun[], m: Machine, loadAtEnd: readonly number[], commit: string): string {
  const of = (mode: ChaosRun['mode']): ChaosRun[] => runs.filter((r) => r.mode === mode);
  const med = (rs: ChaosRun[], f: (r: ChaosRun) => number): number => median(rs.map(f));
  const noKill = of('no-kill');
  const chaos = of('chaos');
  const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    `Chaos map-reduce: the main job over ${o.procs} worker procs, primes below ${o.size.toLocaleString('en-US')} in ${o.chunks} chunks; ` +
      `chaos: a random live worker killed every ${o.everyMs} ms for ${secs(o.forMs)} (seed ${o.seed}); ${o.rounds} round(s), median`,
    '',
    `${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}; commit ${commit}; load at start ${m.loadAtStart.join(' / ')}, at end ${loadAtEnd.join(' / ')}`,
    '',
    '| run | wall time (median) | each round | vs no-kill (median of rounds) | kills | proc restarts | mesh failures | chunks re-sent | returned | abandoned | duplicates | lost | correct |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [name, rs] of [['no kills', noKill], ['chaos', chaos]] as const) {
    const wall = med(rs, (r) => r.wallMs);
    // each round's run over the no-kill run of the same round
    const ratio = median(rs.map((r, i) => r.wallMs / (noKill[i] as ChaosRun).wallMs));
    const each = rs.map((r) => (r.wallMs / 1000).toFixed(1)).join(' / ');
    lines.push(
      `| ${name} | ${secs(wall)} | ${each} s | ${ratio.toFixed(2)}× | ${med(rs, (r) => r.kills)} | ${med(rs, (r) => r.restarts)} | ${med(rs, (r) => r.meshFailures)} | ` +
        `${med(rs, (r) => r.resent)} | ${med(rs, (r) => r.returned)} | ${med(rs, (r) => r.abandoned)} | ${med(rs, (r) => r.duplicates)} | ` +
        `${med(rs, (r) => r.lost)} | ${rs.every((r) => r.correct) ? 'yes' : 'NO'} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const o = parse(process.argv.slice(2));
  const m = machine();
  const expected = sieve(o.size);
  const runs: ChaosRun[] = [];
  for (let round = 0; round < o.rounds; round++) {
    for (const mode of ['no-kill', 'chaos'] as const) {
      process.stderr.write(`round ${round + 1}/${o.rounds}: ${mode}\n`);
      const r = await runOnce(o, mode, expected);
      process.stderr.write(`  ${JSON.stringify(r)}\n`);
      runs.push(r);
    }
  }
  const loadAtEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  const commit = gitCommit();
  const md = table(o, runs, m, loadAtEnd, commit);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(new URL('chaos.json', `file://${o.out.endsWith('/') ? o.out : `${o.out}/`}`), `${JSON.stringify({ options: o, machine: m, loadAtEnd, commit, date: new Date().toISOString(), runs }, null, 2)}\n`);
  writeFileSync(new URL('chaos.md', `file://${o.out.endsWith('/') ? o.out : `${o.out}/`}`), `${md}\n`);
  console.log(md);
  return runs.every((r) => r.correct) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`chaos benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
