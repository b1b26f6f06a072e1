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
 * the coordinator and reducer here, `--procs` mapper processes (default 2: 3 OS processes), on a
 * `nats-server` the example starts (or `--nats-url`); the fault is a mapper process SIGKILLed.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Display } from './display.js';
import { KNOWN_PI, sieve, type PrimeTally } from './primes.js';
import { runNatsJob } from './nats-job.js';
import { runJob, type Fault, type JobSpec, type RunResult } from './run.js';

const FAILURES = ['throw', 'oom', 'kill', 'none'] as const;
type FailureKind = (typeof FAILURES)[number];

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

interface Options {
  readonly procs: number;
  readonly size: number;
  readonly chunks: number;
  readonly window: number;
  readonly failure: FailureKind;
  readonly heapMb: number;
  readonly baseline: boolean;
  readonly nats: boolean;
  readonly natsUrl: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      procs: { type: 'string' },
      size: { type: 'string' },
      chunks: { type: 'string' },
      window: { type: 'string' },
      failure: { type: 'string', default: 'throw' },
      'no-failure': { type: 'boolean', default: false },
      'heap-mb': { type: 'string' },
      'no-baseline': { type: 'boolean', default: false },
      admin: { type: 'string' },
      nats: { type: 'boolean', default: false },
      'nats-url': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // ProcHost.start reads PROCMESH_ADMIN when no `admin` option is given.
  if (values.admin !== undefined) process.env['PROCMESH_ADMIN'] = values.admin;
  const int = (name: string, text: string | undefined, dflt: number, min: number, max: number): number => {
    if (text === undefined) return dflt;
    const n = Number(text.replaceAll('_', ''));
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got '${text}'`);
    return n;
  };
  const size = int('size', values.size, 30_000_000, 10, 2 ** 26);
  const chunks = int('chunks', values.chunks, Math.min(1000, size), 1, Math.min(size, 1_000_000));
  const failure = values['no-failure'] ? 'none' : values.failure;
  if (!(FAILURES as readonly string[]).includes(failure)) throw new UsageError(`--failure must be one of ${FAILURES.join(', ')}, got '${failure}'`);
  return {
    procs: int('procs', values.procs, values.nats || values['nats-url'] !== undefined ? 2 : availableParallelism(), 1, 64),
    size,
    chunks,
    window: int('window', values.window, 4, 1, 1000),
    failure: failure as FailureKind,
    heapMb: int('heap-mb', values['heap-mb'], 64, 16, 65_536),
    baseline: !values['no-baseline'],
    nats: values.nats || values['nats-url'] !== undefined,
    natsUrl: values['nats-url'],
  };
}

/** The injected fault of `--failure`, and how the run describes it. */
function faultOf(o: Options): { fault: Fault; what: string } | undefined {
  const chunk = Math.floor(o.chunks * 0.3);
  switch (o.failure) {
    case 'throw':
      return { fault: { kind: 'throw', chunk }, what: `the mapper that gets chunk ${chunk} throws (once)` };
    case 'oom':
      return { fault: { kind: 'oom', chunk }, what: `the mapper that gets chunk ${chunk} allocates until its worker runs out of memory (heap bound ${o.heapMb} MB; once)` };
    case 'kill':
      return { fault: { kind: 'kill', atFraction: 0.3 }, what: 'at 30% of the job the busiest worker is terminated from outside (host.killProc)' };
    case 'none':
      return undefined;
  }
}

class UsageError extends Error {}

const fmt = (n: number): string => n.toLocaleString('en-US');
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

function describeRun(r: RunResult): string {
  const restarts = r.restarts > 0 ? `, ${r.restarts} proc restart${r.restarts === 1 ? '' : 's'}` : '';
  const gone = r.givenUp.length > 0 ? `, proc ${r.givenUp.join(', ')} given up` : '';
  return `${r.initialProcs} proc${r.initialProcs === 1 ? '' : 's'}${restarts}${gone}`;
}

function describeSupervision(r: RunResult): string {
  if (r.failures.length === 0) return 'no failure';
  return (
    `${fmt(r.failures.length)} mesh failure(s); ${fmt(r.restarts)} proc restart(s) by the restart policy (same ProcId, mapper respawned with its rank); ` +
    `${fmt(r.resent)} chunk(s) re-sent by the coordinator through the same mesh refs, ${fmt(r.duplicates)} duplicate result(s) counted once`
  );
}

function check(r: RunResult, expected: PrimeTally): boolean {
  return r.count === expected.count && r.sum === expected.sum;
}

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 1;
  }
  if (opts.nats) return mainNats(opts);
  const injected = faultOf(opts);
  const spec: JobSpec = {
    size: opts.size,
    chunks: opts.chunks,
    window: opts.window,
    fault: injected?.fault,
    stallMs: 30_000,
    restart: { maxRestarts: 3, withinMs: 10_000 },
    heapMb: opts.heapMb,
  };
  console.log(`procmesh example: map-reduce over worker procs`);
  console.log(
    `  count the primes below ${fmt(opts.size)} by trial division, in ${fmt(opts.chunks)} chunks; a mesh of Mapper actors, one per worker proc;` +
      ` each round of the map step is one cast; the results gathered by an accumulating port on the main thread`,
  );
  console.log(`  restart policy: a worker that fails or dies is restarted, at most ${spec.restart.maxRestarts} times in ${secs(spec.restart.withinMs)} per proc`);
  if (injected !== undefined) console.log(`  fault injection: ${injected.what}`);

  // The reference answer, by another algorithm (not timed).
  const expected = sieve(opts.size);
  const known = KNOWN_PI.get(opts.size);
  if (known !== undefined && known !== expected.count) {
    console.log(`✘ the sieve disagrees with the known value of π(${fmt(opts.size)}) = ${fmt(known)}`);
    return 1;
  }

  const display = new Display();
  const runs: RunResult[] = [];
  const labels: [number, string, boolean][] = [];
  if (opts.baseline && opts.procs !== 1) labels.push([1, 'baseline', false]);
  labels.push([opts.procs, opts.procs === 1 ? 'baseline' : 'parallel', true]);
  for (const [k, [procs, label, withTrees]] of labels.entries()) {
    console.log(`\nrun ${k + 1}/${labels.length}: ${label}, ${procs} worker proc${procs === 1 ? '' : 's'}`);
    const r = await runJob(spec, procs, display, label, withTrees);
    runs.push(r);
    const ok = check(r, expected);
    console.log(
      `  ${ok ? '✔' : '✘'} ${label}: ${fmt(r.count)} primes below ${fmt(opts.size)} (sum ${fmt(r.sum)}) in ${secs(r.wallMs)}` +
        ` on ${describeRun(r)}${ok ? '' : `; expected ${fmt(expected.count)} (sum ${fmt(expected.sum)})`}`,
    );
  }

  const parallel = runs[runs.length - 1] as RunResult;
  const baseline = runs.length > 1 ? (runs[0] as RunResult) : undefined;

  console.log(`\nactor trees (${parallel.label} run, at the end of the job)`);
  for (const block of parallel.trees) console.log(block);
  for (const i of parallel.givenUp) console.log(`  proc ${i}  given up: no tree`);

  const allOk = runs.every((r) => check(r, expected));
  const m = parallel.messages;
  const rows: [string, string][] = [
    ['result', `π(${fmt(opts.size)}) = ${fmt(parallel.count)}, sum of the primes ${fmt(parallel.sum)}`],
    ['check', `sieve of Eratosthenes: ${fmt(expected.count)} primes, sum ${fmt(expected.sum)}${known !== undefined ? ' (and the known π value)' : ''}`],
    ['procs', describeRun(parallel)],
    ['wall time', `${secs(parallel.wallMs)} (job), ${secs(parallel.startupMs)} to start the procs and spawn the mesh`],
    [
      'messages',
      `${fmt(m.total)} exchanged: ${fmt(m.map)} map → mappers (${fmt(m.casts)} casts to the live ranks, ${fmt(parallel.resent)} re-sent to one rank), ` +
        `${fmt(m.results)} results → accumulating port` +
        (m.returned > 0 ? `, ${fmt(m.returned)} returned undeliverable` : ''),
    ],
    [
      'throughput',
      `${((opts.size / parallel.wallMs) * 1e-3).toFixed(2)} M numbers/s, ${fmt(Math.round(opts.chunks / (parallel.wallMs / 1000)))} chunks/s, ` +
        `${fmt(Math.round(m.total / (parallel.wallMs / 1000)))} msgs/s`,
    ],
    ['supervision', describeSupervision(parallel)],
  ];
  if (baseline !== undefined) {
    rows.push(['baseline', `${secs(baseline.wallMs)} on ${describeRun(baseline)} (same code path, same fault)`]);
    rows.push(['speed-up', `${(baseline.wallMs / parallel.wallMs).toFixed(2)}× with ${parallel.initialProcs} procs over 1 proc`]);
  }
  console.log('\nsummary');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(12)} ${v}`);
  console.log(allOk ? `\n✔ correct: every run found ${fmt(expected.count)} primes below ${fmt(opts.size)}` : `\n✘ wrong result`);
  return allOk ? 0 : 1;
}

/** `--nats`: the job across OS processes over NATS (nats-job.ts). */
async function mainNats(opts: Options): Promise<number> {
  // a killed mapper makes the coordinator's channel to it log "connection lost": expected here
  process.env['PROCMESH_LOG'] ??= 'error';
  console.log(`procmesh example: map-reduce across OS processes over NATS`);
  console.log(
    `  count the primes below ${fmt(opts.size)} by trial division, in ${fmt(opts.chunks)} chunks; one mapper OS process per --procs (${opts.procs}),` +
      ` the coordinator and the Reducer actor in this process`,
  );
  if (opts.failure !== 'none') console.log(`  fault injection: one mapper process is SIGKILLed once 30% of the chunks are done`);
  const expected = sieve(opts.size);
  const r = await runNatsJob(
    { size: opts.size, chunks: opts.chunks, window: opts.window, nodes: opts.procs, failure: opts.failure !== 'none', stallMs: 30_000, url: opts.natsUrl },
    new Display(),
  );
  const ok = r.count === expected.count && r.sum === expected.sum;
  const m = r.messages;
  const total = m.map + m.partial + m.report;
  const rows: [string, string][] = [
    ['result', `π(${fmt(opts.size)}) = ${fmt(r.count)}, sum of the primes ${fmt(r.sum)}`],
    ['check', `sieve of Eratosthenes: ${fmt(expected.count)} primes, sum ${fmt(expected.sum)}`],
    ['nats', r.server],
    ['processes', `${opts.procs + 1} OS processes at the start (this one + ${opts.procs} mapper processes)${r.killed !== undefined ? ', 1 replacement' : ''}`],
    ['wall time', `${secs(r.wallMs)} (job), ${secs(r.startupMs)} to start the processes`],
    ['messages', `${fmt(total)} exchanged over NATS: ${fmt(m.map)} map, ${fmt(m.partial)} partial, ${fmt(m.report)} reports` + (m.returned > 0 ? `, ${fmt(m.returned)} returned undeliverable` : '')],
    ['fault', r.killed === undefined ? 'none injected' : `killed ${r.killed}; ${r.redispatched} chunk(s) re-dispatched, ${r.duplicates} duplicate partial(s) ignored`],
  ];
  console.log('\nprocesses');
  for (const p of r.procs) console.log(`  mapper ${p.index}  ${p.procId}  ${p.chunks} chunks  ${p.state}`);
  console.log('\nsummary');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(12)} ${v}`);
  console.log(ok ? `\n✔ correct: every run found ${fmt(expected.count)} primes below ${fmt(opts.size)}` : `\n✘ wrong result: expected ${fmt(expected.count)} (sum ${fmt(expected.sum)})`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`\n✘ the example failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  },
);
