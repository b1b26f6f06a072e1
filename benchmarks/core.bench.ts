/**
 * benchmarks/core.bench.ts: one proc, no threads (BENCHMARKS.md: the first two rows of the
 * scenario matrix, plus the codec pieces they are made of). tinybench drives every scenario;
 * each sample is one batch, and the figure is the median of the samples.
 *
 * Scenarios:
 *
 * - `handle send + handle`: a client sends `handleBatch` small messages (`{ type: 'inc', by }`,
 *   a new object each) through an `ActorHandle` to an actor with a synchronous handler; the sample
 *   ends when the handler has counted them all. msgs/s handled, end to end (AC-2: a synchronous
 *   handler costs no promise).
 * - `ref send (same proc)`: the same through the actor's `ActorRef`: msgpackr encode, envelope,
 *   five routing hops (mailbox, WeakProc, proc, muxer, mailbox), decode, handle.
 * - `id parse` / `id format`: `ActorId.parse` of a display string; building a `PortId` and
 *   formatting it.
 * - `envelope encode` / `envelope decode`: `encodeEnvelope` / `decodeEnvelope` of an envelope with
 *   the small message as payload and the usual headers.
 *
 * Also reported: the ratio ref send / handle send. Targets on the 2-core development machine
 * (issue 2): >= 5 M handle sends handled per second, >= 1 M ref sends per second.
 *
 * Run: `node benchmarks/dist/core.bench.js [--runs N] [--quick] [--json]`; or call `runCoreBench()`.
 */
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { gitCommit } from './lib/stats.js';
import { ActorId, ChannelAddr, MessageEnvelope, Proc, ProcId, type Actor, type Context } from '@procmesh/core';
import { SeqInfo, decodeEnvelope, encodeEnvelope, encodePayload } from '@procmesh/core/transport';

export type CoreScenario = 'handle send + handle' | 'ref send (same proc)' | 'id parse' | 'id format' | 'envelope encode' | 'envelope decode';

export interface CoreBenchRow {
  readonly scenario: CoreScenario;
  /** Operations (messages handled, ids, envelopes) per second of each sample, ascending. */
  readonly runs: readonly number[];
  /** Median of `runs`. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** Operations per sample. */
  readonly batch: number;
}

export interface CoreBenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly commit: string };
  readonly rows: readonly CoreBenchRow[];
  /** Median ref send rate / median handle send rate. */
  readonly refToHandleRatio: number;
  readonly targets: { readonly handleSendPerSec: number; readonly refSendPerSec: number; readonly met: boolean };
}

export interface CoreBenchOptions {
  /** Samples per scenario (after 2 warm-up samples). Default 10. */
  readonly runs?: number;
  /** Smaller batches (for a smoke run). */
  readonly quick?: boolean;
}

type Msg = { readonly type: 'inc'; readonly by: number };

/** Counts messages; calls `done` when `target` is reached. */
class Counter implements Actor<Msg> {
  count = 0;
  target = 0;
  done: () => void = () => {};
  handle(_cx: Context<Msg>, msg: Msg): void {
    this.count += msg.by > -1 ? 1 : 0;
    if (this.count === this.target) this.done();
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function machine(): CoreBenchReport['machine'] {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, commit: gitCommit() };
}

export async function runCoreBench(options: CoreBenchOptions = {}): Promise<CoreBenchReport> {
  const runs = options.runs ?? 10;
  const quick = options.quick === true;
  const handleBatch = quick ? 100_000 : 1_000_000;
  const refBatch = quick ? 20_000 : 200_000;
  const codecBatch = quick ? 2_000 : 20_000;

  const proc = Proc.local();
  const [client] = proc.instance('bench_client');
  const counter = new Counter();
  const actor = proc.spawn('counter', counter);
  const refCounter = new Counter();
  const ref = proc.spawn('counter_by_ref', refCounter);
  const actorRef = ref.bind();

  const batch = (c: Counter, n: number): Promise<void> =>
    new Promise((resolve) => {
      c.target = c.count + n;
      c.done = resolve;
    });

  const idText = String(new ProcId(ChannelAddr.parse('tcp:127.0.0.1:4000'), 'proc_0').actorId('trainer', 17));
  const procId = new ProcId(ChannelAddr.local(0), 'bench');
  const dest = procId.actorId('counter').portId(16);
  const envelope = new MessageEnvelope(
    procId.actorId('client'),
    dest,
    encodePayload({ type: 'inc', by: 1 }),
    { send_timestamp: Date.now(), message_type: 'inc', seq_info: SeqInfo.session('0190f3a4-7d2e-7c3a-9b1e-4f5a6b7c8d9e', 42) },
    64,
  );
  const encoded = encodeEnvelope(envelope);
  let sink = 0;

  const bench = new Bench({ name: 'core', iterations: runs, time: 0, warmupIterations: 2, warmupTime: 0, throws: true, retainSamples: true });
  const batches = new Map<CoreScenario, number>([
    ['handle send + handle', handleBatch],
    ['ref send (same proc)', refBatch],
    ['id parse', codecBatch],
    ['id format', codecBatch],
    ['envelope encode', codecBatch],
    ['envelope decode', codecBatch],
  ]);

  bench.add('handle send + handle', async () => {
    const done = batch(counter, handleBatch);
    for (let i = 0; i < handleBatch; i++) actor.send(client, { type: 'inc', by: i });
    await done;
  });
  bench.add('ref send (same proc)', async () => {
    const done = batch(refCounter, refBatch);
    for (let i = 0; i < refBatch; i++) actorRef.send(client, { type: 'inc', by: i });
    await done;
  });
  bench.add('id parse', () => {
    for (let i = 0; i < codecBatch; i++) sink += ActorId.parse(idText).pid;
  });
  bench.add('id format', () => {
    for (let i = 0; i < codecBatch; i++) sink += String(procId.actorId('worker', i).portId(1024 + i)).length;
  });
  bench.add('envelope encode', () => {
    for (let i = 0; i < codecBatch; i++) sink += encodeEnvelope(envelope).byteLength;
  });
  bench.add('envelope decode', () => {
    for (let i = 0; i < codecBatch; i++) sink += decodeEnvelope(encoded).ttl;
  });

  await bench.run();

  const rows: CoreBenchRow[] = [];
  for (const task of bench.tasks) {
    const result = task.result;
    if (result.state !== 'completed') throw new Error(`${task.name}: ${result.state}`);
    const scenario = task.name as CoreScenario;
    const n = batches.get(scenario) as number;
    const samples = result.latency.samples ?? [];
    const perSec = samples.map((ms) => (n / ms) * 1000);
    rows.push({ scenario, runs: perSec, median: median(perSec), min: Math.min(...perSec), max: Math.max(...perSec), batch: n });
  }
  actor.drainAndStop('bench done');
  ref.drainAndStop('bench done');
  await Promise.all([actor.join(), ref.join()]);
  if (sink === -1) console.log(sink);

  const handle = rows.find((r) => r.scenario === 'handle send + handle')?.median ?? 0;
  const refRate = rows.find((r) => r.scenario === 'ref send (same proc)')?.median ?? 0;
  return {
    machine: machine(),
    rows,
    refToHandleRatio: handle === 0 ? 0 : refRate / handle,
    targets: { handleSendPerSec: 5e6, refSendPerSec: 1e6, met: handle >= 5e6 && refRate >= 1e6 },
  };
}

function format(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : n.toFixed(0);
}

/** A Markdown table of a report. */
export function coreBenchTable(report: CoreBenchReport): string {
  const lines = [
    `core micro-benchmarks: ${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, commit ${report.machine.commit}`,
    '',
    '| scenario | median ops/s | min | max | samples x batch |',
    '|---|---|---|---|---|',
    ...report.rows.map((r) => `| ${r.scenario} | ${format(r.median)} | ${format(r.min)} | ${format(r.max)} | ${r.runs.length} x ${r.batch} |`),
    '',
    `ref send / handle send: ${report.refToHandleRatio.toFixed(3)}`,
    `targets (>= 5 M handle, >= 1 M ref): ${report.targets.met ? 'met' : 'NOT met'}`,
  ];
  return lines.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const report = await runCoreBench({
    ...(runsAt >= 0 ? { runs: Number(args[runsAt + 1]) } : {}),
    quick: args.includes('--quick'),
  });
  console.log(args.includes('--json') ? JSON.stringify(report, null, 2) : coreBenchTable(report));
}
