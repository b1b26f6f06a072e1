/**
 * benchmarks/soak.ts: `pnpm soak`, the request/reply soak of issue 11: `--workers` worker procs x
 * `--actors` actors each, every actor keeping `--inflight` random requests open to random peers on
 * any proc (ask, once ports, replies to an `ActorRef` or a `PortRef` nested in the request;
 * lib/soak-actors.ts), for `--seconds` (default 60). Then every actor stops asking, the run waits
 * until every request has its reply, and checks:
 *
 * - every reply arrived exactly once with the right value (no duplicate, no error, none open);
 * - the per-request state is gone: each mailbox holds at most its one kept port's receiver
 *   (PT-7, ASK-1), and each sequencer holds a counter only per actor or kept port it sent to by
 *   ref, none per once port (RF-4);
 * - the heap: each worker's live heap after a full GC, sampled every `--sample` seconds
 *   (default 10). "Flat" here means: at the end, after the drain, each worker's heap is within
 *   16 MiB of its first sample after warm-up, whatever the number of requests (issue 11 measured
 *   ~610 B per request before PT-7 and RF-4: 450 MB per worker in 60 s). Reported, with the
 *   growth per request, not asserted by a test.
 *
 * Prints the samples and a summary, writes JSON (`--out`, default `benchmarks/results/soak.json`);
 * exits with 1 when a check fails. The short form in the test suite (test/soak-short.test.ts)
 * runs the same code for a few seconds.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActorRef } from '@procmesh/core';
import { ProcHost } from '@procmesh/worker-host';
import type { SoakMsg, SoakStats } from './lib/soak-actors.js';
import { gitCommit, gitUncommitted, machine } from './lib/stats.js';

process.env['PROCMESH_LOG'] ??= 'silent';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const SECONDS = option('--seconds', 60);
const WORKERS = option('--workers', 4);
const ACTORS = option('--actors', 100);
const INFLIGHT = option('--inflight', 4);
const SAMPLE_S = option('--sample', 10);
const SEED = option('--seed', 11);
const at = args.indexOf('--out');
const OUT = at >= 0 ? (args[at + 1] as string) : fileURLToPath(new URL('../results/soak.json', import.meta.url));
const FLAT_MIB = 16;

const MiB = 2 ** 20;
const mib = (bytes: number): number => Math.round((bytes / MiB) * 10) / 10;
const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const host = await ProcHost.start({ procs: WORKERS, modules: [new URL('./lib/soak-actors.js', import.meta.url)] });
const cx = host.client;
const perWorker: ActorRef<SoakMsg>[][] = [];
for (let w = 1; w <= WORKERS; w++) {
  const specs = Array.from({ length: ACTORS }, (_, i) => ({ typeName: 'SoakPeer', name: `peer${i}`, params: {} }));
  perWorker.push((await host.spawnMany(w, specs)) as ActorRef<SoakMsg>[]);
}
const all = perWorker.flat();
for (const a of all) a.send(cx, { type: 'peers', peers: all });

async function heaps(): Promise<number[]> {
  return Promise.all(perWorker.map((actors) => (actors[0] as ActorRef<SoakMsg>).ask<number>(cx, (reply) => ({ type: 'heap', reply }), { timeoutMs: 60_000 })));
}
async function stats(): Promise<SoakStats[]> {
  return Promise.all(all.map((a) => a.ask<SoakStats>(cx, (reply) => ({ type: 'stats', reply }), { timeoutMs: 60_000 })));
}
const sum = (list: readonly SoakStats[], key: keyof Omit<SoakStats, 'byKind'>): number => list.reduce((t, s) => t + s[key], 0);

interface Sample {
  readonly seconds: number;
  readonly replies: number;
  readonly heapMiB: readonly number[];
}
const samples: Sample[] = [];
const started = performance.now();
const elapsed = (): number => Math.round((performance.now() - started) / 100) / 10;
const record = async (): Promise<Sample> => {
  const [h, s] = [await heaps(), await stats()];
  const sample = { seconds: elapsed(), replies: sum(s, 'replies'), heapMiB: h.map(mib) };
  samples.push(sample);
  console.log(`${String(sample.seconds).padStart(6)} s  ${String(sample.replies).padStart(9)} replies  heap MiB per worker: ${sample.heapMiB.join(', ')}`);
  return sample;
};

console.log(`procmesh soak: ${WORKERS} workers x ${ACTORS} actors, ${INFLIGHT} requests in flight each, ${SECONDS} s, seed ${SEED}; commit ${gitCommit()}`);
await record();
all.forEach((a, i) => a.send(cx, { type: 'go', inflight: INFLIGHT, seed: SEED * 100_003 + i }));
const end = started + SECONDS * 1000;
while (performance.now() < end) {
  await pause(Math.max(0, Math.min(SAMPLE_S * 1000, end - performance.now())));
  await record();
}
for (const a of all) a.send(cx, { type: 'drain' });
// until every request has its reply (or nothing moved for 30 s: a failing run)
let final = await stats();
let lastReplies = -1;
let since = performance.now();
while (sum(final, 'open') > 0 && performance.now() - since < 30_000) {
  await pause(200);
  final = await stats();
  const r = sum(final, 'replies');
  if (r !== lastReplies) {
    lastReplies = r;
    since = performance.now();
  }
}
const endHeaps = (await heaps()).map(mib);
const warm = samples[Math.min(1, samples.length - 1)] as Sample;
const checks = {
  issued: sum(final, 'issued'),
  replies: sum(final, 'replies'),
  answered: sum(final, 'answered'),
  duplicates: sum(final, 'duplicates'),
  wrong: sum(final, 'wrong'),
  errors: sum(final, 'errors'),
  open: sum(final, 'open'),
  byKind: final.reduce((t, s) => ({ ask: t.ask + s.byKind.ask, once: t.once + s.byKind.once, actor: t.actor + s.byKind.actor, port: t.port + s.byKind.port }), { ask: 0, once: 0, actor: 0, port: 0 }),
  /** The most open receivers one mailbox held (its kept port's: 1). */
  maxReceivers: Math.max(...final.map((s) => s.receivers)),
  /** Sequencer counters beyond the actors and kept ports sent to (0 unless per-request state leaks). */
  excessCounters: final.reduce((t, s) => t + Math.max(0, s.counters - s.destinations), 0),
  counters: sum(final, 'counters'),
  maxBoundPorts: Math.max(...final.map((s) => s.boundPorts)),
};
const growth = endHeaps.map((h, i) => Math.round((h - (warm.heapMiB[i] as number)) * 10) / 10);
const flat = growth.every((g) => g <= FLAT_MIB);
const bytesPerRequest = growth.map((g) => Math.round(((g * MiB) / Math.max(1, checks.replies / WORKERS)) * 100) / 100);
const ok = checks.replies === checks.issued && checks.duplicates === 0 && checks.wrong === 0 && checks.errors === 0 && checks.open === 0 && checks.maxReceivers <= 1 && checks.excessCounters === 0;
console.log(`requests ${checks.issued} (ask ${checks.byKind.ask}, once ${checks.byKind.once}, actor ${checks.byKind.actor}, port ${checks.byKind.port}); replies ${checks.replies}; duplicates ${checks.duplicates}; wrong ${checks.wrong}; errors ${checks.errors}; open ${checks.open}`);
console.log(`per-request state after the drain: max open receivers per mailbox ${checks.maxReceivers}; sequencer counters ${checks.counters} (excess ${checks.excessCounters}); max bound ports ${checks.maxBoundPorts}`);
console.log(`heap MiB per worker: after warm-up (${warm.seconds} s) ${warm.heapMiB.join(', ')}; end ${endHeaps.join(', ')}; growth ${growth.join(', ')} (${bytesPerRequest.join(', ')} B per request); flat (<= ${FLAT_MIB} MiB): ${flat}`);
console.log(ok ? 'every reply arrived exactly once; no per-request state left' : 'FAILED');
const report = {
  suite: 'procmesh-soak',
  version: 1,
  date: new Date().toISOString(),
  commit: gitCommit(),
  uncommitted: gitUncommitted(),
  machine: machine(),
  options: { seconds: SECONDS, workers: WORKERS, actors: ACTORS, inflight: INFLIGHT, sample: SAMPLE_S, seed: SEED },
  checks,
  heap: { warmUp: warm, endMiB: endHeaps, growthMiB: growth, bytesPerRequest, flatMiB: FLAT_MIB, flat },
  samples,
  ok,
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${OUT}`);
await host.shutdown(1000);
process.exit(ok ? 0 : 1);
