/**
 * benchmarks/lib/chaos-scenario.ts: one scenario of `pnpm chaos` (benchmarks/chaos-streams.ts, issue 11):
 * numbered streams by `ActorRef` into one sink actor on a worker proc, through the public API
 * only, while the sink's thread is killed at seeded messages and (over tcp) the connection is
 * cut at seeded bytes; then every seq is accounted for.
 *
 * - `ring`: `streams` sources, each on a worker proc of its own (one ring link each), into the
 *   sink on proc 1.
 * - `tcp`: `streams` sources on `links` `Proc.direct`s on the driver's thread (one net session
 *   each, round robin), into the sink on proc 1, which serves on tcp; the direct procs reach it
 *   through a `CutProxy`. A session resumes on the restarted sink proc (NR-10, NR-11).
 *
 * Kills follow a schedule in shared memory (chaos-actors.ts): when the sink's handled count
 * reaches a threshold, the sink dies in the scheduled way (`process.exit`, an uncaught error, a
 * failed handler that makes the host's failure policy tear the proc down) or the driver terminates
 * its worker (`ProcHost.killProc`). The restart policy (HO-3) replaces the worker and respawns the
 * sink under the same name, so the sources' refs reach the new incarnation.
 *
 * The verdict per seq: handled exactly once, or returned to its source exactly once, never both
 * (UM-1, RL-2, RL-3, NT-3); handled seqs of one stream in increasing order.
 */
import { ChannelAddr, Proc, Reference, type ActorRef } from '@procmesh/core';
import { DialMailboxRouter } from '@procmesh/core/transport';
import { ProcHost, type InspectionEvent } from '@procmesh/worker-host';
import { prng } from '@procmesh/core/testing';
import {
  CTRL,
  ChaosSource,
  STREAM_WORDS,
  S_HANDLED,
  S_LAST,
  S_RETURNED,
  S_SENT,
  serveChaosLedger,
  writeSchedule,
  type ChaosItem,
  type ChaosLedger,
  type ChaosSinkParams,
  type ChaosSourceMsg,
  type ChaosSourceParams,
  type DeathKind,
} from './chaos-actors.js';
import { CutProxy } from './cut-proxy.js';

const MODULES = [new URL('./chaos-actors.js', import.meta.url)];

export interface ChaosScenario {
  readonly name: string;
  readonly link: 'ring' | 'tcp';
  readonly streams: number;
  readonly perStream: number;
  /** The kinds of the scheduled kills, in order (none: no kill). */
  readonly kills: readonly DeathKind[];
  readonly awaits: boolean;
  readonly seed: number;
  /** tcp: mean bytes per connection before the proxy cuts it. */
  readonly cutMeanBytes?: number;
  /** tcp: direct procs the sources are spread over (one net session each; default 1). */
  readonly links?: number;
  /** Messages of a stream in flight (neither handled nor returned) at most. */
  readonly window?: number;
  /** Give up when nothing moved for this long (only a failing run waits that long). */
  readonly quietMs?: number;
  /** Give up after this long in all (a stream that crawls: only a failing run takes that long). */
  readonly maxMs?: number;
}

export interface ChaosRow {
  readonly scenario: string;
  readonly link: 'ring' | 'tcp';
  readonly messages: number;
  readonly handled: number;
  readonly returned: number;
  /** Sent, and neither handled nor returned. */
  readonly lost: number;
  /** Never sent (the run gave up before the source got to them; 0 in a complete run). */
  readonly unsent: number;
  /** Handled or returned more than once, or both. */
  readonly duplicated: number;
  /** Handled after a higher seq of the same stream was handled. */
  readonly reordered: number;
  readonly killsScheduled: number;
  readonly kills: number;
  readonly deaths: number;
  readonly restarts: number;
  readonly incarnations: number;
  readonly cuts: number;
  readonly seconds: number;
}

function newLedger(streams: number, perStream: number, schedule: number): ChaosLedger {
  const ledger: ChaosLedger = {
    handled: new SharedArrayBuffer(streams * perStream * 4),
    returned: new SharedArrayBuffer(streams * perStream * 4),
    streams: new SharedArrayBuffer(streams * STREAM_WORDS * 4),
    control: new SharedArrayBuffer((CTRL.SCHEDULE + 2 * schedule) * 4),
  };
  const s = new Int32Array(ledger.streams);
  for (let i = 0; i < streams; i++) s[i * STREAM_WORDS + S_LAST] = -1;
  return ledger;
}

/** Thresholds of the sink's handled count, increasing, spread over the first 60% of the stream. */
function thresholds(random: () => number, kills: number, total: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < kills; k++) out.push(Math.floor(total * (0.05 + (0.55 * (k + random())) / kills)));
  return out;
}

interface Tally {
  handled: number;
  returned: number;
  lost: number;
  unsent: number;
  duplicated: number;
}

function tally(ledger: ChaosLedger, perStream: number): Tally {
  const handled = new Int32Array(ledger.handled);
  const returned = new Int32Array(ledger.returned);
  const streams = new Int32Array(ledger.streams);
  const t: Tally = { handled: 0, returned: 0, lost: 0, unsent: 0, duplicated: 0 };
  for (let i = 0; i < handled.length; i++) {
    const h = handled[i] as number;
    const r = returned[i] as number;
    t.handled += h;
    t.returned += r;
    const sent = streams[Math.floor(i / perStream) * STREAM_WORDS + S_SENT] as number;
    if (h + r === 0 && i % perStream >= sent) t.unsent++;
    else if (h + r === 0) t.lost++;
    else if (h + r > 1) t.duplicated++;
  }
  return t;
}

function settledCount(ledger: ChaosLedger, streams: number): number {
  const s = new Int32Array(ledger.streams);
  let n = 0;
  for (let i = 0; i < streams; i++) n += (s[i * STREAM_WORDS + S_HANDLED] as number) + (s[i * STREAM_WORDS + S_RETURNED] as number);
  return n;
}

function sentCount(ledger: ChaosLedger, streams: number): number {
  const s = new Int32Array(ledger.streams);
  let n = 0;
  for (let i = 0; i < streams; i++) n += s[i * STREAM_WORDS + S_SENT] as number;
  return n;
}

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `tcp:H:P` of a served address, as the proxy dials it. */
function hostPort(addr: ChannelAddr | undefined): { host: string; port: number } | undefined {
  const m = /^tcp:(.+):(\d+)$/.exec(String(addr));
  return m === null ? undefined : { host: m[1] as string, port: Number(m[2]) };
}

/** Run one scenario to its verdict. */
export async function runChaosScenario(sc: ChaosScenario): Promise<ChaosRow> {
  const started = performance.now();
  const random = prng(sc.seed);
  const total = sc.streams * sc.perStream;
  const ledger = newLedger(sc.streams, sc.perStream, sc.kills.length);
  const control = new Int32Array(ledger.control);
  writeSchedule(control, thresholds(random, sc.kills.length, total), sc.kills);
  const channel = `chaos-${sc.name}-${sc.seed}-${process.pid}`;
  const closeLedger = serveChaosLedger(channel, ledger);
  const tcp = sc.link === 'tcp';
  const host = await ProcHost.start({
    procs: tcp ? 1 : 1 + sc.streams,
    modules: MODULES,
    teardownTimeoutMs: 500,
    restart: { maxRestarts: sc.kills.length + 1, withinMs: 3_600_000 },
    ...(tcp ? { serve: (i: number) => (i === 1 ? 'tcp:127.0.0.1:0' : undefined) } : {}),
  });
  // the sink's deaths are the point: the restart policy handles them (SV-1)
  host.supervisor.on('failure', () => undefined);
  let deaths = 0;
  let restarts = 0;
  host.supervisor.inspect((e: InspectionEvent) => {
    if (e.proc !== 1) return;
    if (e.type === 'proc-stopped') deaths++;
    // tcp: nothing to do on a restart: each direct proc's session resumes on the restarted sink
    // proc, which holds every session's handled seq (NR-11), so its client stays as it is
    if (e.type === 'proc-restarted') restarts++;
  });
  let proxy: CutProxy | undefined;
  const remotes: Proc[] = [];
  // `terminate`: a sink handler parked itself (TERMINATE = 1); terminate its worker from outside
  const killer = setInterval(() => {
    if (Atomics.compareExchange(control, CTRL.TERMINATE, 1, 0) === 1) host.killProc(1).catch(() => undefined);
  }, 1);
  try {
    const sinkParams: ChaosSinkParams = { ledger: channel, perStream: sc.perStream, awaits: sc.awaits };
    const sink = await host.spawn<ChaosItem>(1, 'ChaosSink', 'sink', sinkParams);
    const sourceParams: ChaosSourceParams = { ledger: channel, perStream: sc.perStream, window: sc.window ?? 2048, chunk: Math.max(1, Math.min(256, (sc.window ?? 2048) >> 2)) };
    const sources: ActorRef<ChaosSourceMsg>[] = [];
    if (tcp) {
      proxy = await CutProxy.start({ target: () => hostPort(host.servedAddr(1)), seed: sc.seed ^ 0x5eed, meanBytes: sc.cutMeanBytes ?? 32_768, minBytes: 512 });
      for (let l = 0; l < Math.max(1, sc.links ?? 1); l++) {
        const remote = await Proc.direct('tcp:127.0.0.1:0', `chaos-remote${l}`);
        const router = remote.forwarder;
        if (!(router instanceof DialMailboxRouter)) throw new Error('a direct proc routes through a DialMailboxRouter');
        router.bind(Reference.proc(sink.actorId.proc), ChannelAddr.parse(proxy.addr));
        remotes.push(remote);
      }
      for (let s = 0; s < sc.streams; s++) sources.push((remotes[s % remotes.length] as Proc).spawn(`source${s}`, new ChaosSource(sourceParams, ledger)).bind());
    } else {
      for (let s = 0; s < sc.streams; s++) sources.push(await host.spawn<ChaosSourceMsg>(2 + s, 'ChaosSource', `source${s}`, sourceParams));
    }
    const clients = tcp ? remotes.map((r) => r.instance('chaos-driver')[0]) : [host.client];
    sources.forEach((source, s) => source.send(clients[s % clients.length] as (typeof clients)[number], { type: 'start', target: sink, stream: s, count: sc.perStream }));
    // until every seq is settled, or nothing moved for quietMs
    const quietMs = sc.quietMs ?? 30_000;
    let last = -1;
    let since = performance.now();
    const deadline = performance.now() + (sc.maxMs ?? 600_000);
    while (settledCount(ledger, sc.streams) < total && performance.now() < deadline) {
      await pause(20);
      const progress = settledCount(ledger, sc.streams) + sentCount(ledger, sc.streams) + Atomics.load(control, CTRL.KILLS_DONE);
      if (progress !== last) {
        last = progress;
        since = performance.now();
      } else if (performance.now() - since > quietMs) break;
    }
    const t = tally(ledger, sc.perStream);
    return {
      scenario: sc.name,
      link: sc.link,
      messages: total,
      handled: t.handled,
      returned: t.returned,
      lost: t.lost,
      unsent: t.unsent,
      duplicated: t.duplicated,
      reordered: Atomics.load(control, CTRL.REORDERED),
      killsScheduled: sc.kills.length,
      kills: Atomics.load(control, CTRL.KILLS_DONE),
      deaths,
      restarts,
      incarnations: Atomics.load(control, CTRL.INCARNATIONS),
      cuts: proxy?.cuts ?? 0,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    };
  } finally {
    clearInterval(killer);
    closeLedger();
    await host.shutdown(500);
    for (const remote of remotes) await remote.stopServing('chaos over');
    await proxy?.close();
  }
}
