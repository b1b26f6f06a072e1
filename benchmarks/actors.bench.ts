/**
 * benchmarks/actors.bench.ts: actors across worker procs (`@procmesh/worker-host`, ring links)
 * against the same exchanges written with raw `postMessage` and with comlink, and the bare ring
 * channel, all in one process run (BENCHMARKS.md matrix: "cross-proc ping-pong", "cross-proc
 * one-way", "cross-proc all-to-all, 4 procs"; issue 4's targets).
 *
 * Scenarios (small messages: BENCHMARKS.md's `{dest, port, seq, payload: {x: 1, y: 'hello'}}`,
 * as an actor message `{type: 'm', seq, payload}` whose address is the envelope's):
 *
 * - `ping-pong small`, 2 procs: round trip, handlers included (bench-actors.ts `Pinger` /
 *   `Ponger` by `ActorRef`); median and p99 of the round trips, timed by the pinger.
 * - `one-way small`, 2 procs: a `Blaster` on proc 1 sends N messages by ref to a `Sink` on
 *   proc 2 that counts them; msgs/s from the blaster's start to the sink's last arrival, both
 *   measured in the workers.
 * - `one-way small`, 4 procs: two such pairs at once (1 -> 2, 3 -> 4).
 * - `all-to-all small`, 4 procs: every proc's blaster sends to the sinks of the 3 others.
 *
 * Implementations, their runs interleaved (run 1 of each, then run 2 of each, ...) so the noise
 * of a shared machine falls on all alike; one unmeasured warm-up round first:
 *
 * - `procmesh actors`: a `ProcHost` with 4 worker procs, ring links (envelope codec with
 *   interned ids), messages sent by `ActorRef`.
 * - `postMessage`: 4 plain workers with a `MessageChannel` per pair; one message per post;
 *   the receiver counts, ping-pong echoes.
 * - `comlink`: the same workers, comlink over a channel per direction: one-way is calls with
 *   256 in flight per target (msgs/s = calls completed per second, measured by the caller);
 *   ping-pong is one call at a time.
 * - `procmesh actors, flight recorder on` (one-way, 2 procs only): the same blaster and sink in a
 *   second `ProcHost` of 2 workers whose actors each keep a flight recorder of
 *   `BENCH_FLIGHT_RECORDER` events (`config.flightRecorder`): what recording every send and
 *   handled message costs (issue 14).
 * - `procmesh actors, flow control off` (one-way, 2 procs only): the same blaster and sink in a
 *   third `ProcHost` of 2 workers with `config.flowControl` false (FC-8), so the `procmesh actors`
 *   row beside it says what flow control costs when nobody is slow (issue 11: within 5%).
 * - `ring channel, msgpackr records` (2 procs only): `RingTx`/`RingRx` of `@procmesh/core/transport`
 *   with their default msgpackr codec, between the same plain workers: the bare ring the actor
 *   round trip is held against (issue 4: within 2x).
 *
 * Run: `node benchmarks/dist/actors.bench.js [--runs N] [--quick] [--only 'one-way small, 2'] [--json [path]]`; or call
 * `runActorsBench()` (resolves to the figures as data) and `actorsBenchMarkdown(report)`.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import type { ActorRef, OncePortRef } from '@procmesh/core';
import { RingBuffer, ringRx, ringTx, type RingTx } from '@procmesh/core/transport';
import { ProcHost, portEndpoint } from '@procmesh/worker-host';
import type { BlasterMsg, PingMsg, PingResult, PongMsg, SinkDone, SinkMsg } from './bench-actors.js';
import { gitCommit, median, now, percentile } from './lib/stats.js';

export type ActorsImpl =
  | 'procmesh actors'
  | 'procmesh actors, flight recorder on'
  | 'procmesh actors, flow control off'
  | 'postMessage'
  | 'comlink'
  | 'ring channel, msgpackr records';

/** Events each actor's flight recorder keeps in `procmesh actors, flight recorder on` (its own 2-proc host). */
export const BENCH_FLIGHT_RECORDER = 64;
export type ActorsScenario = 'ping-pong small' | 'one-way small' | 'all-to-all small';

export interface ActorsBenchRow {
  readonly scenario: ActorsScenario;
  readonly procs: number;
  readonly impl: ActorsImpl;
  readonly unit: 'µs' | 'msgs/s';
  /** Ping-pong: median round trip (µs) of each run. Others: msgs/s of each run. */
  readonly runs: readonly number[];
  /** Ping-pong only: p99 round trip (µs) of each run. */
  readonly p99Runs?: readonly number[];
  /** Median over runs. */
  readonly median: number;
  /** Ping-pong only: median of the runs' p99 (µs). */
  readonly p99?: number;
  /** Messages (or round trips) per measured run. */
  readonly count: number;
}

export interface ActorsBenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly commit: string; readonly load: readonly number[] };
  readonly runs: number;
  readonly quick: boolean;
  readonly rows: readonly ActorsBenchRow[];
  /** The targets, from this run's medians. */
  readonly targets: {
    /** Actor round trip / bare ring round trip (target: at most 2). */
    readonly roundTripVsRing: number | undefined;
    /** Actor one-way, 2 procs / postMessage one-way, 2 procs (target: at least 5). */
    readonly oneWayVsPostMessage: number | undefined;
  };
}

export interface ActorsBenchOptions {
  /** Measured runs per implementation (default 5). */
  readonly runs?: number;
  /** Fewer messages (smoke test). */
  readonly quick?: boolean;
  /** Only the scenarios whose `<scenario>, <procs> procs` label contains this text. */
  readonly only?: string;
}

/** Calls in flight per target (comlink one-way). */
const COMLINK_WINDOW = 256;
const RING_CAPACITY = 1 << 20;
/** Ring one-way: await the Tx's flush when this many messages wait (as ring.bench). */
const RING_QUEUE_BOUND = 4096;
const PEERS = 4;

/** `ACTORS_BENCH_VERBOSE=1`: each round's figure on stderr. */
const verbose = process.env['ACTORS_BENCH_VERBOSE'] === '1';

interface Small {
  kind: 'm' | 'ping' | 'pong';
  dest: string;
  port: number;
  seq: number;
  payload: { x: number; y: string };
}

function small(seq: number, kind: Small['kind'] = 'm'): Small {
  return { kind, dest: 'proc[0].actor[0]', port: 3, seq, payload: { x: 1, y: 'hello' } };
}

// ---------------------------------------------------------------------------------------------
// The peer workers (this module, role `peer`): postMessage, comlink and the bare ring.

interface PeerInit {
  readonly role: 'peer';
  readonly index: number;
  /** postMessage: one port per other peer (a MessageChannel per pair). */
  readonly pm: Record<number, MessagePort>;
  /** comlink: ports this peer exposes its API on (one per caller). */
  readonly serve: MessagePort[];
  /** comlink: ports to call each other peer on. */
  readonly call: Record<number, MessagePort>;
  /** The bare ring to and from one peer (peers 1 and 2). */
  readonly ring?: { readonly peer: number; readonly out: SharedArrayBuffer; readonly in: SharedArrayBuffer };
}

type Command =
  | { readonly cmd: 'expect'; readonly via: 'pm' | 'ring'; readonly n: number }
  | { readonly cmd: 'blast'; readonly via: 'pm' | 'ring'; readonly to: readonly number[]; readonly n: number }
  | { readonly cmd: 'blast-comlink'; readonly to: readonly number[]; readonly n: number }
  | { readonly cmd: 'ping'; readonly via: 'pm' | 'ring' | 'comlink'; readonly to: number; readonly n: number };

type Reply =
  | { readonly ready: true }
  | { readonly t0: number }
  | { readonly t1: number; readonly error?: string }
  | { readonly t0: number; readonly t1: number }
  | { readonly median: number; readonly p99: number };

interface ComlinkApi {
  m(message: Small): void;
  ping(message: Small): Small;
}

type Control = NonNullable<typeof parentPort>;

function peer(init: PeerInit, control: Control): void {
  const reply = (r: Reply): void => control.postMessage(r);
  let expected = 0;
  let received = 0;
  let error: string | undefined;
  const lastSeq = new Map<number, number>();
  const got = (from: number, m: Small): void => {
    const last = lastSeq.get(from) ?? -1;
    if (m.seq <= last && error === undefined) error = `from ${from}: seq ${m.seq} after ${last}`;
    lastSeq.set(from, m.seq);
    if (++received === expected) reply(error === undefined ? { t1: now() } : { t1: now(), error });
  };
  // the pinger's state (one ping-pong at a time)
  let rtts = new Float64Array(0);
  let next = 0;
  let sentAt = 0;
  let pingSend: ((m: Small) => void) | undefined;
  const pong = (): void => {
    rtts[next++] = (performance.now() - sentAt) * 1000;
    if (next < rtts.length) {
      sentAt = performance.now();
      pingSend?.(small(next, 'ping'));
      return;
    }
    rtts.sort();
    reply({ median: percentile(rtts, 0.5), p99: percentile(rtts, 0.99) });
  };
  const startPing = (n: number, send: (m: Small) => void): void => {
    rtts = new Float64Array(n);
    next = 0;
    pingSend = send;
    sentAt = performance.now();
    send(small(0, 'ping'));
  };

  for (const [key, port] of Object.entries(init.pm)) {
    const from = Number(key);
    port.on('message', (m: Small) => {
      if (m.kind === 'm') got(from, m);
      else if (m.kind === 'ping') port.postMessage({ ...m, kind: 'pong' });
      else pong();
    });
  }
  const api: ComlinkApi = {
    m() {},
    ping(message) {
      return { ...message, kind: 'pong' };
    },
  };
  for (const port of init.serve) Comlink.expose(api, portEndpoint(port));
  const remotes = new Map<number, Comlink.Remote<ComlinkApi>>();
  for (const [key, port] of Object.entries(init.call)) remotes.set(Number(key), Comlink.wrap<ComlinkApi>(portEndpoint(port)));

  let ringOut: RingTx<Small> | undefined;
  if (init.ring !== undefined) {
    const from = init.ring.peer;
    const tx = ringTx<Small>(init.ring.out);
    ringOut = tx;
    ringRx<Small>(init.ring.in).onMessage((m) => {
      if (m.kind === 'm') got(from, m);
      else if (m.kind === 'ping') tx.post({ ...m, kind: 'pong' });
      else pong();
    });
  }

  control.on('message', (command: Command) => {
    switch (command.cmd) {
      case 'expect':
        // senders number each round from 0; the previous round was complete
        lastSeq.clear();
        expected = command.n;
        received = 0;
        reply({ ready: true });
        break;
      case 'blast': {
        reply({ t0: now() });
        if (command.via === 'pm') {
          const ports = command.to.map((to) => init.pm[to] as MessagePort);
          for (let i = 0; i < command.n; i++) for (const port of ports) port.postMessage(small(i));
        } else {
          void blastRing(ringOut as RingTx<Small>, command.n);
        }
        break;
      }
      case 'blast-comlink':
        void blastComlink(
          command.to.map((to) => remotes.get(to) as Comlink.Remote<ComlinkApi>),
          command.n,
        ).then(reply);
        break;
      case 'ping':
        if (command.via === 'pm') {
          const port = init.pm[command.to] as MessagePort;
          startPing(command.n, (m) => port.postMessage(m));
        } else if (command.via === 'ring') {
          const tx = ringOut as RingTx<Small>;
          startPing(command.n, (m) => tx.post(m));
        } else {
          void pingComlink(remotes.get(command.to) as Comlink.Remote<ComlinkApi>, command.n).then(reply);
        }
        break;
    }
  });
}

async function blastRing(tx: RingTx<Small>, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    tx.post(small(i));
    if (tx.queueLength > RING_QUEUE_BOUND) await tx.flush();
  }
  await tx.flush();
}

/** Calls to every remote, `COMLINK_WINDOW` in flight per remote; resolves when all returned. */
async function blastComlink(remotes: readonly Comlink.Remote<ComlinkApi>[], n: number): Promise<Reply> {
  const t0 = now();
  await Promise.all(
    remotes.map(
      (remote) =>
        new Promise<void>((resolve, reject) => {
          let sent = 0;
          let done = 0;
          const pump = (): void => {
            while (sent < n && sent - done < COMLINK_WINDOW) {
              void (remote.m(small(sent++)) as Promise<void>).then(() => {
                if (++done === n) resolve();
                else pump();
              }, reject);
            }
          };
          pump();
        }),
    ),
  );
  return { t0, t1: now() };
}

async function pingComlink(remote: Comlink.Remote<ComlinkApi>, n: number): Promise<Reply> {
  const rtts = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const sentAt = performance.now();
    await remote.ping(small(i, 'ping'));
    rtts[i] = (performance.now() - sentAt) * 1000;
  }
  rtts.sort();
  return { median: percentile(rtts, 0.5), p99: percentile(rtts, 0.99) };
}


// ---------------------------------------------------------------------------------------------
// The driver (main thread).

const MODULE_URL = new URL(import.meta.url);

interface Peer {
  readonly worker: Worker;
  send(command: Command): void;
  next<R extends Reply>(): Promise<R>;
}

function startPeer(init: PeerInit, transfer: MessagePort[]): Peer {
  const worker = new Worker(MODULE_URL, { workerData: init, transferList: transfer });
  const queue: Reply[] = [];
  const waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  let failure: Error | undefined;
  worker.on('message', (reply: Reply) => {
    const w = waiting.shift();
    if (w !== undefined) w.resolve(reply);
    else queue.push(reply);
  });
  worker.on('error', (error) => {
    failure = error;
    for (const w of waiting.splice(0)) w.reject(error);
  });
  return {
    worker,
    send: (command) => worker.postMessage(command),
    next<R extends Reply>(): Promise<R> {
      if (failure !== undefined) return Promise.reject(failure);
      const reply = queue.shift();
      if (reply !== undefined) return Promise.resolve(reply as R);
      return new Promise<R>((resolve, reject) => waiting.push({ resolve: resolve as (r: Reply) => void, reject }));
    },
  };
}

/** Peers 1..4: a MessageChannel per pair, a comlink channel per direction, a ring pair 1 <-> 2. */
function startPeers(): Map<number, Peer> {
  const inits = new Map<number, { pm: Record<number, MessagePort>; serve: MessagePort[]; call: Record<number, MessagePort>; transfer: MessagePort[] }>();
  for (let i = 1; i <= PEERS; i++) inits.set(i, { pm: {}, serve: [], call: {}, transfer: [] });
  const at = (i: number) => inits.get(i) as { pm: Record<number, MessagePort>; serve: MessagePort[]; call: Record<number, MessagePort>; transfer: MessagePort[] };
  for (let a = 1; a <= PEERS; a++) {
    for (let b = a + 1; b <= PEERS; b++) {
      const pm = new MessageChannel();
      at(a).pm[b] = pm.port1;
      at(b).pm[a] = pm.port2;
      at(a).transfer.push(pm.port1);
      at(b).transfer.push(pm.port2);
    }
    for (let b = 1; b <= PEERS; b++) {
      if (b === a) continue;
      const cl = new MessageChannel();
      at(a).call[b] = cl.port1;
      at(b).serve.push(cl.port2);
      at(a).transfer.push(cl.port1);
      at(b).transfer.push(cl.port2);
    }
  }
  const oneToTwo = RingBuffer.create({ capacity: RING_CAPACITY }).buffer;
  const twoToOne = RingBuffer.create({ capacity: RING_CAPACITY }).buffer;
  const peers = new Map<number, Peer>();
  for (let i = 1; i <= PEERS; i++) {
    const { transfer, ...ports } = at(i);
    const ring = i === 1 ? { peer: 2, out: oneToTwo, in: twoToOne } : i === 2 ? { peer: 1, out: twoToOne, in: oneToTwo } : undefined;
    peers.set(i, startPeer({ role: 'peer', index: i, ...ports, ...(ring !== undefined ? { ring } : {}) }, transfer));
  }
  return peers;
}

/** The senders -> receivers of a throughput scenario. */
interface Flow {
  readonly from: number;
  readonly to: readonly number[];
}

const FLOWS: Record<'2' | '4' | 'all', readonly Flow[]> = {
  '2': [{ from: 1, to: [2] }],
  '4': [
    { from: 1, to: [2] },
    { from: 3, to: [4] },
  ],
  all: [1, 2, 3, 4].map((from) => ({ from, to: [1, 2, 3, 4].filter((to) => to !== from) })),
};

/** Messages each receiver gets when every sender sends `n` to each of its targets. */
function expectedBy(flows: readonly Flow[], n: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const flow of flows) for (const to of flow.to) out.set(to, (out.get(to) ?? 0) + n);
  return out;
}

function total(flows: readonly Flow[], n: number): number {
  return flows.reduce((sum, f) => sum + f.to.length * n, 0);
}

/** A host's sinks and blasters, one of each per worker proc. */
interface ActorSet {
  readonly host: ProcHost;
  readonly sinks: Map<number, ActorRef<SinkMsg>>;
  readonly blasters: Map<number, ActorRef<BlasterMsg>>;
}

async function actorSet(procs: number, flightRecorder: number, flowControl = true): Promise<ActorSet> {
  const host = await ProcHost.start({
    procs,
    modules: [new URL('./bench-actors.js', import.meta.url)],
    logLevel: 'error',
    ringCapacity: RING_CAPACITY,
    config: { flightRecorder, ...(flowControl ? {} : { flowControl: false }) },
  });
  const set: ActorSet = { host, sinks: new Map(), blasters: new Map() };
  for (let i = 1; i <= procs; i++) {
    set.sinks.set(i, await host.spawn<SinkMsg>(i, 'ActorsBenchSink', 'sink'));
    set.blasters.set(i, await host.spawn<BlasterMsg>(i, 'ActorsBenchBlaster', 'blaster'));
  }
  return set;
}

class Driver {
  private pinger: ActorRef<PingMsg> | undefined;
  private ponger: ActorRef<PongMsg> | undefined;

  readonly host: ProcHost;

  private constructor(
    readonly main: ActorSet,
    /** `procmesh actors, flight recorder on`: started only when measured. */
    readonly recorded: ActorSet | undefined,
    /** `procmesh actors, flow control off`: started only when measured. */
    readonly unflowed: ActorSet | undefined,
    readonly peers: Map<number, Peer>,
  ) {
    this.host = main.host;
  }

  static async start(withRecorder: boolean, withFlowOff: boolean): Promise<Driver> {
    const main = await actorSet(PEERS, 0);
    const recorded = withRecorder ? await actorSet(2, BENCH_FLIGHT_RECORDER) : undefined;
    const unflowed = withFlowOff ? await actorSet(2, 0, false) : undefined;
    const driver = new Driver(main, recorded, unflowed, startPeers());
    const host = main.host;
    driver.pinger = await host.spawn<PingMsg>(1, 'ActorsBenchPinger', 'pinger');
    driver.ponger = await host.spawn<PongMsg>(2, 'ActorsBenchPonger', 'ponger');
    return driver;
  }

  private ask<T>(send: (reply: OncePortRef<T>) => void, host: ProcHost = this.host): Promise<T> {
    const [handle, receiver] = host.client.openOncePort<T>();
    send(handle.bind());
    return receiver.recv();
  }

  /** Actors: msgs/s of one round (`set`: the recorded host's actors instead of the main one's). */
  async actorsOneWay(flows: readonly Flow[], n: number, set: ActorSet = this.main): Promise<number> {
    const client = set.host.client;
    const dones: Promise<SinkDone>[] = [];
    for (const [to, count] of expectedBy(flows, n)) {
      const sink = set.sinks.get(to) as ActorRef<SinkMsg>;
      const [doneHandle, done] = client.openOncePort<SinkDone>();
      await this.ask<boolean>((ready) => sink.send(client, { type: 'expect', count, ready, done: doneHandle.bind() }), set.host);
      dones.push(done.recv());
    }
    const starts = flows.map((flow) =>
      this.ask<number>(
        (started) =>
          (set.blasters.get(flow.from) as ActorRef<BlasterMsg>).send(client, {
            type: 'blast',
            targets: flow.to.map((to) => set.sinks.get(to) as ActorRef<SinkMsg>),
            count: n,
            started,
          }),
        set.host,
      ),
    );
    const t0 = Math.min(...(await Promise.all(starts)));
    const finished = await Promise.all(dones);
    const failed = finished.find((d) => d.error !== undefined);
    if (failed !== undefined) throw new Error(`actors one-way: ${failed.error}`);
    return total(flows, n) / ((Math.max(...finished.map((d) => d.lastAt)) - t0) / 1000);
  }

  async actorsPing(n: number): Promise<PingResult> {
    const result = await this.ask<PingResult>((done) =>
      (this.pinger as ActorRef<PingMsg>).send(this.host.client, { type: 'start', count: n, ponger: this.ponger as ActorRef<PongMsg>, done }),
    );
    if (result.error !== undefined) throw new Error(`actors ping-pong: ${result.error}`);
    return result;
  }

  /** postMessage or the bare ring: msgs/s of one round. */
  async peersOneWay(via: 'pm' | 'ring', flows: readonly Flow[], n: number): Promise<number> {
    const receivers = expectedBy(flows, n);
    for (const [to, count] of receivers) {
      const p = this.peer(to);
      p.send({ cmd: 'expect', via, n: count });
      await p.next();
    }
    const starts = flows.map((flow) => {
      const p = this.peer(flow.from);
      p.send({ cmd: 'blast', via, to: flow.to, n });
      return p.next<{ t0: number }>();
    });
    const t0 = Math.min(...(await Promise.all(starts)).map((s) => s.t0));
    const finished = await Promise.all([...receivers.keys()].map((to) => this.peer(to).next<{ t1: number; error?: string }>()));
    const failed = finished.find((d) => d.error !== undefined);
    if (failed !== undefined) throw new Error(`${via} one-way: ${failed.error}`);
    return total(flows, n) / ((Math.max(...finished.map((d) => d.t1)) - t0) / 1000);
  }

  async comlinkOneWay(flows: readonly Flow[], n: number): Promise<number> {
    const rounds = flows.map((flow) => {
      const p = this.peer(flow.from);
      p.send({ cmd: 'blast-comlink', to: flow.to, n });
      return p.next<{ t0: number; t1: number }>();
    });
    const done = await Promise.all(rounds);
    return total(flows, n) / ((Math.max(...done.map((d) => d.t1)) - Math.min(...done.map((d) => d.t0))) / 1000);
  }

  async peersPing(via: 'pm' | 'ring' | 'comlink', n: number): Promise<PingResult> {
    const p = this.peer(1);
    p.send({ cmd: 'ping', via, to: 2, n });
    return p.next<{ median: number; p99: number }>();
  }

  private peer(i: number): Peer {
    return this.peers.get(i) as Peer;
  }

  async stop(): Promise<void> {
    await this.host.shutdown();
    await this.recorded?.host.shutdown();
    await this.unflowed?.host.shutdown();
    await Promise.all([...this.peers.values()].map((p) => p.worker.terminate()));
  }
}

interface Measure {
  readonly scenario: ActorsScenario;
  readonly procs: number;
  readonly impl: ActorsImpl;
  readonly count: number;
  readonly run: (d: Driver, n: number) => Promise<number | PingResult>;
}

/** Run the scenarios; resolves to the figures as data (`actorsBenchMarkdown` renders them). */
export async function runActorsBench(options: ActorsBenchOptions = {}): Promise<ActorsBenchReport> {
  const runs = Math.max(1, options.runs ?? 5);
  const quick = options.quick === true;
  const scale = quick ? 0.1 : 1;
  const n = (count: number): number => Math.max(1, Math.round(count * scale));
  const measures: Measure[] = [
    { scenario: 'ping-pong small', procs: 2, impl: 'procmesh actors', count: n(20_000), run: (d, k) => d.actorsPing(k) },
    { scenario: 'ping-pong small', procs: 2, impl: 'ring channel, msgpackr records', count: n(20_000), run: (d, k) => d.peersPing('ring', k) },
    { scenario: 'ping-pong small', procs: 2, impl: 'postMessage', count: n(5_000), run: (d, k) => d.peersPing('pm', k) },
    { scenario: 'ping-pong small', procs: 2, impl: 'comlink', count: n(3_000), run: (d, k) => d.peersPing('comlink', k) },
    // one-way counts are per sender and target
    { scenario: 'one-way small', procs: 2, impl: 'procmesh actors', count: n(1_000_000), run: (d, k) => d.actorsOneWay(FLOWS['2'], k) },
    {
      scenario: 'one-way small',
      procs: 2,
      impl: 'procmesh actors, flight recorder on',
      count: n(1_000_000),
      run: (d, k) => d.actorsOneWay(FLOWS['2'], k, d.recorded),
    },
    {
      scenario: 'one-way small',
      procs: 2,
      impl: 'procmesh actors, flow control off',
      count: n(1_000_000),
      run: (d, k) => d.actorsOneWay(FLOWS['2'], k, d.unflowed),
    },
    { scenario: 'one-way small', procs: 2, impl: 'ring channel, msgpackr records', count: n(1_000_000), run: (d, k) => d.peersOneWay('ring', FLOWS['2'], k) },
    { scenario: 'one-way small', procs: 2, impl: 'postMessage', count: n(200_000), run: (d, k) => d.peersOneWay('pm', FLOWS['2'], k) },
    { scenario: 'one-way small', procs: 2, impl: 'comlink', count: n(50_000), run: (d, k) => d.comlinkOneWay(FLOWS['2'], k) },
    { scenario: 'one-way small', procs: 4, impl: 'procmesh actors', count: n(500_000), run: (d, k) => d.actorsOneWay(FLOWS['4'], k) },
    { scenario: 'one-way small', procs: 4, impl: 'postMessage', count: n(100_000), run: (d, k) => d.peersOneWay('pm', FLOWS['4'], k) },
    { scenario: 'one-way small', procs: 4, impl: 'comlink', count: n(25_000), run: (d, k) => d.comlinkOneWay(FLOWS['4'], k) },
    { scenario: 'all-to-all small', procs: 4, impl: 'procmesh actors', count: n(100_000), run: (d, k) => d.actorsOneWay(FLOWS.all, k) },
    { scenario: 'all-to-all small', procs: 4, impl: 'postMessage', count: n(20_000), run: (d, k) => d.peersOneWay('pm', FLOWS.all, k) },
    { scenario: 'all-to-all small', procs: 4, impl: 'comlink', count: n(5_000), run: (d, k) => d.comlinkOneWay(FLOWS.all, k) },
  ];
  const only = options.only;
  if (only !== undefined) {
    const kept = measures.filter((m) => `${m.scenario}, ${m.procs} procs`.includes(only));
    if (kept.length === 0) throw new Error(`actors bench: no scenario matches --only '${only}'`);
    measures.splice(0, measures.length, ...kept);
  }
  const load = loadavg().map((l) => Math.round(l * 100) / 100);
  const driver = await Driver.start(
    measures.some((m) => m.impl === 'procmesh actors, flight recorder on'),
    measures.some((m) => m.impl === 'procmesh actors, flow control off'),
  );
  const results = measures.map(() => [] as (number | PingResult)[]);
  try {
    // A primer first: links are created on first use, and a burst sent before its link exists
    // waits in the fabric router's queue, beyond the blaster's flow control (see bench-actors.ts).
    for (const m of measures) await m.run(driver, Math.min(m.count, 1000));
    for (let run = -1; run < runs; run++) {
      for (let k = 0; k < measures.length; k++) {
        const m = measures[k] as Measure;
        if (verbose) process.stderr.write(`run ${run}: ${m.scenario}, ${m.procs} procs, ${m.impl}... `);
        const result = await m.run(driver, run < 0 ? Math.max(1, Math.ceil(m.count / 10)) : m.count);
        if (verbose) process.stderr.write(`${JSON.stringify(result)}\n`);
        if (run >= 0) results[k]?.push(result);
      }
    }
  } finally {
    await driver.stop();
  }
  const rows: ActorsBenchRow[] = measures.map((m, k) => {
    const values = results[k] as (number | PingResult)[];
    const base = { scenario: m.scenario, procs: m.procs, impl: m.impl, count: m.count };
    if (m.scenario === 'ping-pong small') {
      const medians = values.map((v) => (v as PingResult).median);
      const p99s = values.map((v) => (v as PingResult).p99);
      return { ...base, unit: 'µs', runs: medians, p99Runs: p99s, median: median(medians), p99: median(p99s) };
    }
    const rates = values as number[];
    return { ...base, unit: 'msgs/s', runs: rates, median: median(rates) };
  });
  const find = (scenario: ActorsScenario, impl: ActorsImpl, procs = 2): ActorsBenchRow | undefined =>
    rows.find((r) => r.scenario === scenario && r.impl === impl && r.procs === procs);
  const ratio = (a: ActorsBenchRow | undefined, b: ActorsBenchRow | undefined): number | undefined =>
    a === undefined || b === undefined ? undefined : a.median / b.median;
  return {
    machine: { cpu: cpus()[0]?.model.trim() ?? 'unknown', cores: cpus().length, node: process.version, commit: gitCommit(), load },
    runs,
    quick,
    rows,
    targets: {
      roundTripVsRing: ratio(find('ping-pong small', 'procmesh actors'), find('ping-pong small', 'ring channel, msgpackr records')),
      oneWayVsPostMessage: ratio(find('one-way small', 'procmesh actors'), find('one-way small', 'postMessage')),
    },
  };
}

function fmtRate(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : `${(value / 1e3).toFixed(0)} k`;
}

function fmtUs(value: number | undefined): string {
  return value === undefined ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function fmtRatio(value: number | undefined): string {
  return value === undefined ? '-' : `${value.toFixed(value < 0.1 ? 3 : 2)}x`;
}

/** The report as Markdown: one table per scenario, ratios to each peer, the targets. */
export function actorsBenchMarkdown(report: ActorsBenchReport): string {
  const m = report.machine;
  const lines = [
    `actors across worker procs: ${m.cpu}, ${m.cores} cores, Node ${m.node}, commit ${m.commit}, load ${m.load.join(' / ')}; median of ${report.runs} interleaved runs${report.quick ? ' (quick)' : ''}`,
  ];
  const groups: [ActorsScenario, number, string][] = [
    ['ping-pong small', 2, 'Ping-pong round trip, one small message, handlers included (µs)'],
    ['one-way small', 2, 'One-way, small messages, 2 procs (1 -> 2)'],
    ['one-way small', 4, 'One-way, small messages, 4 procs (1 -> 2 and 3 -> 4 at once)'],
    ['all-to-all small', 4, 'All-to-all, small messages, 4 procs (each to the 3 others)'],
  ];
  for (const [scenario, procs, title] of groups) {
    const rows = report.rows.filter((r) => r.scenario === scenario && r.procs === procs);
    const actors = rows.find((r) => r.impl === 'procmesh actors');
    lines.push('', title, '');
    if (scenario === 'ping-pong small') {
      lines.push('| implementation | median | p99 | actors vs it (median) | run medians |', '|---|---|---|---|---|');
      for (const r of rows) {
        lines.push(`| ${r.impl} | ${fmtUs(r.median)} | ${fmtUs(r.p99)} | ${r === actors ? '-' : fmtRatio(actors === undefined ? undefined : actors.median / r.median)} | ${r.runs.map(fmtUs).join(', ')} |`);
      }
    } else {
      lines.push('| implementation | msgs/s | actors vs it | run figures |', '|---|---|---|---|');
      for (const r of rows) {
        lines.push(`| ${r.impl} | ${fmtRate(r.median)} | ${r === actors ? '-' : fmtRatio(actors === undefined ? undefined : actors.median / r.median)} | ${r.runs.map(fmtRate).join(', ')} |`);
      }
    }
  }
  const t = report.targets;
  lines.push(
    '',
    `Targets (issue 4): actor round trip / bare ring round trip = ${fmtRatio(t.roundTripVsRing)} (at most 2x: ${t.roundTripVsRing !== undefined && t.roundTripVsRing <= 2 ? 'met' : 'not met'}); ` +
      `actor one-way / postMessage one-way = ${fmtRatio(t.oneWayVsPostMessage)} (at least 5x: ${t.oneWayVsPostMessage !== undefined && t.oneWayVsPostMessage >= 5 ? 'met' : 'not met'})`,
  );
  return lines.join('\n');
}

if (!isMainThread && parentPort !== null && (workerData as PeerInit | undefined)?.role === 'peer') {
  peer(workerData as PeerInit, parentPort);
}

const invokedDirectly = isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const onlyAt = args.indexOf('--only');
  const only = onlyAt >= 0 ? args[onlyAt + 1] : undefined;
  const report = await runActorsBench({
    ...(runsAt >= 0 ? { runs: Number(args[runsAt + 1]) } : {}),
    ...(only !== undefined ? { only } : {}),
    quick: args.includes('--quick'),
  });
  console.log(actorsBenchMarkdown(report));
  const jsonAt = args.indexOf('--json');
  if (jsonAt >= 0) {
    const path = args[jsonAt + 1];
    const json = JSON.stringify(report, null, 2);
    if (path !== undefined && !path.startsWith('--')) writeFileSync(path, json);
    else console.log(json);
  }
  process.exit(0);
}
