/**
 * main.ts: the procmesh example app, a map-reduce over worker procs (`pnpm start`).
 *
 * Counts (and sums) the primes below `--size` by trial division, in `--chunks` chunks. The
 * mappers are a mesh, one per worker proc; each round of the map step is a cast (each member
 * binds its rank and maps its chunk); results go to one accumulating port on the main thread.
 * A fault is injected (`--failure`): a mapper throws, a worker runs out of memory, or a worker is
 * terminated from outside; the host's restart policy brings the proc back with the same id and
 * the coordinator re-sends what it held through the same ref. The job runs twice, on 1 proc (the
 * baseline) and on `--procs` procs; the answer is checked against a sieve.
 *
 *   node examples/dist/main.js [--procs N] [--size N] [--chunks N] [--failure KIND] [--no-baseline]
 *
 * With `--nats` the same job runs across OS processes over a NATS system instead (nats-job.ts):
 * the coordinator and its accumulating port here, `--procs` mapper processes (default 2: 3 OS processes), on a
 * `nats-server` the example starts (or `--nats-url`); the fault is a mapper process SIGKILLed.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Display } from './display.js';
import { KNOWN_PI, sieve, type PrimeTally } from './primes.js';
import { runNatsJob } from './nats-job.js';
import { runJob, type Fault, type JobSpec, type RunResult } from './run.js';

const FAILURES = ['throw', 'oom', 'kill', 'none'] as const;

const USAGE = `usage: pnpm start -- [options]   (or: node examples/dist/main.js [options])
  --procs N       worker procs for the parallel run (default: os.availableParallelism() = ${availableParallelism()})
  --size N        count the primes below N (default 30000000)
  --chunks N      number of chunks (default 1000)
  --window N      chunks outstanding per mapper (default 4)
  --failure KIND  the injected fault (default throw):
                    throw  the mapper that gets chunk 0.3 × chunks throws (once)
                    oom    that mapper allocates until its worker runs out of memory (--heap-mb)
                    kill   at 30% of the job the busiest worker is terminated (host.killProc)
                    none   no fault
  --no-failure    the same as --failure none
  --heap-mb N     each worker's V8 heap bound, resourceLimits.maxOldGenerationSizeMb (default 64)
  --no-baseline   skip the 1-proc baseline run (no speed-up figure)
  --admin ADDR    serve the admin endpoint on ADDR (e.g. tcp:127.0.0.1:9901; default PROCMESH_ADMIN)
  --nats          run across OS processes over NATS: --procs mapper processes (default 2), a coordinator here
  --nats-url URL  the NATS server for --nats (default: start nats-server on a free loopback port)
  -h, --help      this text`;

class UsageError extends Error {}

type Options = ReturnType<typeof parseOptions>;

function parseOptions(argv: string[]) {
  const str = { type: 'string' } as const;
  const flag = { type: 'boolean' } as const;
  const { values: v } = parseArgs({
    args: argv,
    options: { procs: str, size: str, chunks: str, window: str, 'heap-mb': str, failure: str, 'no-failure': flag, 'no-baseline': flag, admin: str, nats: flag, 'nats-url': str, help: { ...flag, short: 'h' } },
  });
  if (v.help === true) {
    console.log(USAGE);
    process.exit(0);
  }
  // ProcHost.start reads PROCMESH_ADMIN when no `admin` option is given.
  if (v.admin !== undefined) process.env['PROCMESH_ADMIN'] = v.admin;
  const int = (name: 'procs' | 'size' | 'chunks' | 'window' | 'heap-mb', dflt: number, min: number, max: number): number => {
    const text = v[name];
    const n = text === undefined ? dflt : Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${text}'`);
    return n;
  };
  const failure = FAILURES.find((f) => f === (v['no-failure'] === true ? 'none' : (v.failure ?? 'throw')));
  if (failure === undefined) throw new UsageError(`--failure must be one of ${FAILURES.join(', ')}, got '${v.failure}'`);
  const nats = v.nats === true || v['nats-url'] !== undefined;
  const size = int('size', 30_000_000, 10, 2 ** 26);
  const chunks = int('chunks', Math.min(1000, size), 1, Math.min(size, 1_000_000));
  const procs = int('procs', nats ? 2 : availableParallelism(), 1, 64);
  return { procs, size, chunks, window: int('window', 4, 1, 1000), failure, heapMb: int('heap-mb', 64, 16, 65_536), baseline: v['no-baseline'] !== true, nats, natsUrl: v['nats-url'] };
}

/** The injected fault of `--failure` (at 30% of the chunks), and how the run describes it. */
function faultOf(o: Options): { fault: Fault; what: string } | undefined {
  const at = Math.floor(o.chunks * 0.3);
  const what = {
    throw: `the mapper that gets chunk ${at} throws (once)`,
    oom: `the mapper that gets chunk ${at} allocates until its worker runs out of memory (heap bound ${o.heapMb} MB; once)`,
    kill: 'at 30% of the job the busiest worker is terminated from outside (host.killProc)',
  };
  return o.failure === 'none' ? undefined : { fault: { kind: o.failure, at }, what: what[o.failure] };
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
const check = (r: PrimeTally, expected: PrimeTally): boolean => r.count === expected.count && r.sum === expected.sum;

function describeRun(r: RunResult): string {
  return `${plural(r.initialProcs, 'proc')}${r.restarts > 0 ? `, ${plural(r.restarts, 'proc restart')}` : ''}${r.givenUp.length > 0 ? `, proc ${r.givenUp.join(', ')} given up` : ''}`;
}

async function main(): Promise<number> {
  let o: Options;
  try {
    // `pnpm start -- --flag` passes the `--` on: it is not the end of the options here
    o = parseOptions(process.argv.slice(2).filter((arg, i) => i > 0 || arg !== '--'));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 1;
  }
  const job = o.nats ? ['across OS processes over NATS', `one mapper OS process per --procs (${o.procs}), the coordinator and its accumulating port in this process`] : ['over worker procs', 'a mesh of Mapper actors, one per worker proc; each round of the map step is one cast; the results gathered by an accumulating port on the main thread'];
  console.log(`procmesh example: map-reduce ${job[0]}`);
  console.log(`  count the primes below ${fmt(o.size)} by trial division, in ${fmt(o.chunks)} chunks; ${job[1]}`);
  // The reference answer, by another algorithm (not timed), checked against the literature.
  const expected = sieve(o.size);
  const known = KNOWN_PI.get(o.size);
  if (known !== undefined && known !== expected.count) {
    console.log(`✘ the sieve disagrees with the known value of π(${fmt(o.size)}) = ${fmt(known)}`);
    return 1;
  }
  const { tally, rows, ok } = o.nats ? await mainNats(o, expected) : await mainWorkers(o, expected);
  rows.unshift(
    ['result', `π(${fmt(o.size)}) = ${fmt(tally.count)}, sum of the primes ${fmt(tally.sum)}`],
    ['check', `sieve of Eratosthenes: ${fmt(expected.count)} primes, sum ${fmt(expected.sum)}${known !== undefined ? ' (and the known π value)' : ''}`],
  );
  console.log('\nsummary');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(12)} ${v}`);
  console.log(ok ? `\n✔ correct: every run found ${fmt(expected.count)} primes below ${fmt(o.size)}` : `\n✘ wrong result: expected ${fmt(expected.count)} (sum ${fmt(expected.sum)})`);
  return ok ? 0 : 1;
}

/** What a job gives the summary: its answer, its rows after `result` and `check`, whether every run was right. */
type Outcome = Promise<{ tally: PrimeTally; rows: [string, string][]; ok: boolean }>;

/** The job over worker procs: a 1-proc baseline (unless `--no-baseline`), then `--procs`. */
async function mainWorkers(o: Options, expected: PrimeTally): Outcome {
  const injected = faultOf(o);
  const restart = { maxRestarts: 3, withinMs: 10_000 };
  const spec: JobSpec = { size: o.size, chunks: o.chunks, window: o.window, fault: injected?.fault, stallMs: 30_000, restart, heapMb: o.heapMb };
  console.log(`  restart policy: a worker that fails or dies is restarted, at most ${restart.maxRestarts} times in ${secs(restart.withinMs)} per proc`);
  if (injected !== undefined) console.log(`  fault injection: ${injected.what}`);
  const display = new Display();
  const runs: RunResult[] = [];
  const plan = o.baseline && o.procs !== 1 ? [1, o.procs] : [o.procs];
  for (const [k, procs] of plan.entries()) {
    const label = procs === 1 ? 'baseline' : 'parallel';
    console.log(`\nrun ${k + 1}/${plan.length}: ${label}, ${plural(procs, 'worker proc')}`);
    const r = await runJob(spec, procs, display, label, k === plan.length - 1);
    runs.push(r);
    const ok = check(r, expected);
    const wrong = ok ? '' : `; expected ${fmt(expected.count)} (sum ${fmt(expected.sum)})`;
    console.log(`  ${ok ? '✔' : '✘'} ${label}: ${fmt(r.count)} primes below ${fmt(o.size)} (sum ${fmt(r.sum)}) in ${secs(r.wallMs)} on ${describeRun(r)}${wrong}`);
  }
  const p = runs[runs.length - 1] as RunResult;
  console.log(`\nactor trees (${p.label} run, at the end of the job)`);
  for (const block of p.trees) console.log(block);
  for (const i of p.givenUp) console.log(`  proc ${i}  given up: no tree`);
  const m = p.messages;
  const perSec = (n: number): string => fmt(Math.round(n / (p.wallMs / 1000)));
  const rows: [string, string][] = [
    ['procs', describeRun(p)],
    ['wall time', `${secs(p.wallMs)} (job), ${secs(p.startupMs)} to start the procs and spawn the mesh`],
    [
      'messages',
      `${fmt(m.total)} exchanged: ${fmt(m.map)} map → mappers (${fmt(m.casts)} casts to the live ranks, ${fmt(p.resent)} re-sent to one rank), ` +
        `${fmt(m.results)} results → accumulating port${m.returned > 0 ? `, ${fmt(m.returned)} returned undeliverable` : ''}`,
    ],
    ['throughput', `${((o.size / p.wallMs) * 1e-3).toFixed(2)} M numbers/s, ${perSec(o.chunks)} chunks/s, ${perSec(m.total)} msgs/s`],
    [
      'supervision',
      p.meshFailures === 0
        ? 'no failure'
        : `${fmt(p.meshFailures)} mesh failure(s); ${fmt(p.restarts)} proc restart(s) by the restart policy (same ProcId, mapper respawned with its rank); ` +
          `${fmt(p.resent)} chunk(s) re-sent by the coordinator through the same mesh refs, ${fmt(p.duplicates)} duplicate result(s) counted once`,
    ],
  ];
  const base = runs.length > 1 ? (runs[0] as RunResult) : undefined;
  if (base !== undefined) {
    rows.push(['baseline', `${secs(base.wallMs)} on ${describeRun(base)} (same code path, same fault)`]);
    rows.push(['speed-up', `${(base.wallMs / p.wallMs).toFixed(2)}× with ${p.initialProcs} procs over 1 proc`]);
  }
  return { tally: p, rows, ok: runs.every((r) => check(r, expected)) };
}

/** `--nats`: the job across OS processes over NATS (nats-job.ts). */
async function mainNats(o: Options, expected: PrimeTally): Outcome {
  // a killed mapper makes the coordinator's channel to it log "connection lost": expected here
  process.env['PROCMESH_LOG'] ??= 'error';
  if (o.failure !== 'none') console.log(`  fault injection: one mapper process is SIGKILLed once 30% of the chunks are done`);
  const spec = { size: o.size, chunks: o.chunks, window: o.window, nodes: o.procs, failure: o.failure !== 'none', stallMs: 30_000, url: o.natsUrl };
  const r = await runNatsJob(spec, new Display());
  const m = r.messages;
  console.log('\nprocesses');
  for (const p of r.procs) console.log(`  mapper ${p.index}  ${p.procId}  ${p.chunks} chunks  ${p.state}`);
  const rows: [string, string][] = [
    ['nats', r.server],
    ['processes', `${o.procs + 1} OS processes at the start (this one + ${o.procs} mapper processes)${r.killed !== undefined ? ', 1 replacement' : ''}`],
    ['wall time', `${secs(r.wallMs)} (job), ${secs(r.startupMs)} to start the processes`],
    ['messages', `${fmt(m.map + m.results + m.returned)} exchanged over NATS: ${fmt(m.map)} map, ${fmt(m.results)} results → accumulating port${m.returned > 0 ? `, ${fmt(m.returned)} returned undeliverable` : ''}`],
    ['fault', r.killed === undefined ? 'none injected' : `killed ${r.killed}; ${r.redispatched} chunk(s) re-dispatched, ${r.duplicates} duplicate result(s) counted once`],
  ];
  return { tally: r, rows, ok: check(r, expected) };
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`\n✘ the example failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
