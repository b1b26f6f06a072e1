/**
 * benchmarks/nats.bench.ts: procs on a NATS system (DESIGN decision 15; the `nats:` channel)
 * against the raw NATS client in the same run, through one real `nats-server` on loopback that
 * this module starts (with JetStream on) and stops. Skipped, with a reason, when `nats-server`
 * is not installed.
 *
 * Scenarios (BENCHMARKS.md's small message; the peer in a worker thread: its own event loop):
 *
 * - ping-pong small: `procmesh actors`: an `ActorRef` send from a client of one
 *   `Proc.direct('nats://...')` proc to an echo actor of another, which answers to a `PortRef`
 *   in the message; `raw request/reply`: `nc.request()` of the message's msgpackr bytes to a
 *   subscriber that `respond`s them; `JetStream publish`: one `js.publish()` of the same bytes
 *   to a memory stream, awaiting its PubAck (what a persisted, acked message costs).
 * - one-way small: `procmesh actors`: N `ActorRef` sends to a sink actor that checks each one's
 *   `seq` (in order) and counts them; `raw publish`: N `nc.publish()` of the msgpackr bytes of the
 *   small message, encoded once, to a subscriber that only counts (the floor: no encode, no
 *   decode, the issue's target is against it); `raw publish + msgpack`: each message encoded with
 *   msgpackr at the sender and decoded and checked in order by the subscriber (what an
 *   application on the raw client does with the same message; for comparison, no target);
 *   `JetStream publish`: N `js.publish()` with 256 PubAcks in flight.
 *
 * The actors' sender is a client (main-thread code), so flow control mutes it without stopping
 * its loop (FC-7): it awaits `client.ready()` at each yield, which waits only while its NatsTx
 * holds more than the proc's high watermark of unacked envelopes (channel/nats/tx.ts NX-10).
 *
 * How one-way counts: the clock starts before the first send and stops when the peer (another
 * thread) reports that it has all N (JetStream: when every PubAck arrived), so every contestant
 * pays until its receiver has everything; every contestant yields to the event loop after each
 * 1024 sends. The bytes per message are the server's `in_bytes` over the run (its monitoring
 * port) divided by N: the payload bytes of every NATS message the server took in during the run
 * (procmesh: envelopes, frame heads and acks; not the NATS protocol lines, which every
 * contestant pays per NATS message: procmesh sends about one per 1 600 small messages).
 *
 * Targets (issue 15): actors round trip within 1.5x of raw request/reply; actors one-way at least
 * 0.8x raw publish. The JetStream rows are the figures behind tx.ts's choice of core NATS.
 *
 * Run: `node benchmarks/dist/nats.bench.js [--runs N] [--quick]`; or call `runNatsBench()`.
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ActorId, ActorRef, Proc, type Actor, type Context, type PortRef } from '@procmesh/core';
import { Packr } from 'msgpackr';
import { startNatsServer } from './lib/nats-server.js';
import { gitCommit, median, percentile, roundTrips, small, type Small } from './lib/stats.js';

export type NatsImpl = 'procmesh actors' | 'raw request/reply' | 'raw publish' | 'raw publish + msgpack' | 'JetStream publish';
export type NatsScenario = 'ping-pong small' | 'one-way small';

export interface NatsBenchRow {
  readonly scenario: NatsScenario;
  readonly impl: NatsImpl;
  /** Ping-pong: median round trip (µs) of each block. One-way: msgs/s of each run. */
  readonly runs: readonly number[];
  readonly median: number;
  readonly p99?: number;
  readonly best: number;
  /** One-way: bytes into the server per message (its `in_bytes` over the run / N; median). */
  readonly bytesPerMessage?: number;
  /**
   * One-way: CPU µs per message of this process (sender and peer threads together; median) and
   * of nats-server (Linux `/proc`; absent elsewhere): less noisy than msgs/s on a loaded machine.
   */
  readonly cpuPerMessage?: number;
  readonly serverCpuPerMessage?: number;
}

export interface NatsBenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly commit: string; readonly natsServer: string };
  readonly runs: number;
  readonly rows: readonly NatsBenchRow[];
  /** Why nothing was measured (no nats-server). */
  readonly missing?: string;
}

export interface NatsBenchOptions {
  readonly runs?: number;
  readonly quick?: boolean;
}

type EchoMsg = { readonly ping: Small; readonly reply: PortRef<Small> };
type SinkMsg = Small;

class EchoActor implements Actor<EchoMsg> {
  handle(cx: Context<EchoMsg>, msg: EchoMsg): void {
    msg.reply.send(cx, msg.ping);
  }
}

/** Counts to `target`, then tells the main thread. */
class SinkActor implements Actor<SinkMsg> {
  count = 0;
  target = Infinity;
  constructor(private readonly done: () => void) {}
  handle(_cx: Context<SinkMsg>, msg: SinkMsg): void {
    if (msg.seq !== this.count) throw new Error(`sink: got seq ${msg.seq}, expected ${this.count}`);
    if (++this.count === this.target) this.done();
  }
}

type PeerCommand = { readonly type: 'arm'; readonly count: number } | { readonly type: 'stop' };
type PeerEvent = { readonly type: 'ready'; readonly echo: string; readonly sink: string } | { readonly type: 'done' } | { readonly type: 'stopped' };

/** The worker side: an actor proc and raw subscribers on the same server. */
async function runPeer(url: string): Promise<void> {
  const port = parentPort!;
  const send = (e: PeerEvent): void => port.postMessage(e);
  const proc = await Proc.direct(`${url}/bench`, 'peer');
  const echo = proc.spawn('echo', new EchoActor()).bind();
  const sinkActor = new SinkActor(() => send({ type: 'done' }));
  const sink = proc.spawn('sink', sinkActor).bind();
  const nc = await connect({ servers: url.replace('nats://', '') });
  nc.subscribe('raw.echo', { callback: (_e, m) => void m.respond(m.data) });
  let rawCount = 0;
  let rawTarget = Infinity;
  nc.subscribe('raw.sink', {
    callback: () => {
      if (++rawCount === rawTarget) send({ type: 'done' });
    },
  });
  const unpackr = new Packr({ useRecords: false });
  nc.subscribe('raw.decode', {
    callback: (_e, m) => {
      const msg = unpackr.unpack(m.data) as Small;
      if (msg.seq !== rawCount) throw new Error(`raw sink: got seq ${msg.seq}, expected ${rawCount}`);
      if (++rawCount === rawTarget) send({ type: 'done' });
    },
  });
  await nc.flush();
  port.on('message', (cmd: PeerCommand) => {
    if (cmd.type === 'arm') {
      sinkActor.count = 0;
      sinkActor.target = cmd.count;
      rawCount = 0;
      rawTarget = cmd.count;
    } else {
      void (async () => {
        await nc.close();
        await proc.stopServing('bench over');
        send({ type: 'stopped' });
      })();
    }
  });
  send({ type: 'ready', echo: String(echo.actorId), sink: String(sink.actorId) });
}

interface Peer {
  readonly echo: string;
  readonly sink: string;
  arm(count: number): Promise<void>;
  stop(): Promise<void>;
}

async function startPeer(url: string): Promise<Peer> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { url } });
  let waiting: ((e: PeerEvent) => void) | undefined;
  const next = (): Promise<PeerEvent> => new Promise((resolve) => (waiting = resolve));
  worker.on('message', (e: PeerEvent) => waiting?.(e));
  worker.on('error', (err) => {
    throw err;
  });
  const ready = (await next()) as Extract<PeerEvent, { type: 'ready' }>;
  return {
    echo: ready.echo,
    sink: ready.sink,
    arm: (count) => {
      const done = next().then(() => undefined);
      worker.postMessage({ type: 'arm', count } satisfies PeerCommand);
      return done;
    },
    stop: async () => {
      const stopped = next();
      worker.postMessage({ type: 'stop' } satisfies PeerCommand);
      await stopped;
      await worker.terminate();
    },
  };
}

// ---- contestants -----------------------------------------------------------------------------

interface Contestant<R> {
  readonly impl: NatsImpl;
  run(): Promise<R>;
}

async function timed(count: number, body: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await body();
  return count / ((performance.now() - t0) / 1000);
}

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function interleave<R>(runs: number, contestants: Contestant<R>[]): Promise<Map<NatsImpl, R[]>> {
  const results = new Map<NatsImpl, R[]>(contestants.map((c) => [c.impl, []]));
  for (const c of contestants) await c.run(); // warm-up
  for (let r = 0; r < runs; r++) for (const c of contestants) results.get(c.impl)!.push(await c.run());
  return results;
}

export async function runNatsBench(options: NatsBenchOptions = {}): Promise<NatsBenchReport> {
  const runs = options.runs ?? 5;
  const quick = options.quick ?? false;
  const version = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, commit: gitCommit(), natsServer: version.stdout?.trim() ?? '' };
  if (version.status !== 0) return { machine, runs, rows: [], missing: 'nats-server is not installed (apt-get install nats-server)' };

  const iterations = quick ? 300 : 2_000;
  const count = quick ? 20_000 : 100_000;
  const server = await startNatsServer({ jetstream: true });
  const peer = await startPeer(server.url);
  const proc = await Proc.direct(`${server.url}/bench`, 'main');
  const [client] = proc.instance('client');
  const echo = ActorRef.attest<EchoMsg>(ActorId.parse(peer.echo));
  const sink = ActorRef.attest<SinkMsg>(ActorId.parse(peer.sink));
  const [replyPort, replies] = client.openPort<Small>();
  const reply = replyPort.bind();
  const nc: NatsConnection = await connect({ servers: server.url.replace('nats://', '') });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'BENCH', subjects: ['js.bench'], storage: 'memory' as never, max_msgs: 200_000 });
  const js = jetstream(nc);
  const packr = new Packr({ useRecords: false });
  const bytes = packr.pack(small(0));
  /** One-way bytes into the server per message, per contestant and run. */
  const wire = new Map<NatsImpl, { bytes: number[]; cpu: number[]; server: number[] }>();
  const counted = async (impl: NatsImpl, body: () => Promise<void>): Promise<number> => {
    const before = await server.inBytes();
    const cpu0 = process.cpuUsage();
    const server0 = server.cpu();
    const rate = await timed(count, body);
    const cpu = process.cpuUsage(cpu0);
    const serverCpu = server.cpu() - server0;
    const lists = wire.get(impl) ?? { bytes: [], cpu: [], server: [] };
    lists.bytes.push(((await server.inBytes()) - before) / count);
    lists.cpu.push((cpu.user + cpu.system) / count);
    lists.server.push(serverCpu / count);
    wire.set(impl, lists);
    return rate;
  };
  const rows: NatsBenchRow[] = [];
  try {
    const blocks = runs * 4;
    const block = Math.ceil(iterations / 4);
    const latency = await interleave<Float64Array>(blocks, [
      {
        impl: 'procmesh actors',
        run: () =>
          roundTrips(block, (i) => {
            echo.send(client, { ping: small(i), reply });
            return replies.recv();
          }),
      },
      { impl: 'raw request/reply', run: () => roundTrips(block, () => nc.request('raw.echo', bytes, { timeout: 5_000 })) },
      { impl: 'JetStream publish', run: () => roundTrips(block, () => js.publish('js.bench', bytes)) },
    ]);
    for (const [impl, results] of latency) {
      const all = Float64Array.from(results.flatMap((r) => [...r])).sort();
      const medians = results.map((r) => percentile(Float64Array.from(r).sort(), 0.5));
      rows.push({ scenario: 'ping-pong small', impl, runs: medians, median: percentile(all, 0.5), p99: percentile(all, 0.99), best: Math.min(...medians) });
    }

    const oneWay = await interleave<number>(runs, [
      {
        impl: 'procmesh actors',
        run: () =>
          counted('procmesh actors', async () => {
            const done = peer.arm(count);
            for (let i = 0; i < count; i++) {
              sink.send(client, small(i));
              if ((i & 1023) === 1023) {
                await yieldNow();
                await client.ready(); // FC-7: muted while the NatsTx is over its high watermark (NX-10)
              }
            }
            await done;
          }),
      },
      {
        impl: 'raw publish',
        run: () =>
          counted('raw publish', async () => {
            const done = peer.arm(count);
            for (let i = 0; i < count; i++) {
              nc.publish('raw.sink', bytes);
              if ((i & 1023) === 1023) await yieldNow();
            }
            await done;
          }),
      },
      {
        impl: 'raw publish + msgpack',
        run: () =>
          counted('raw publish + msgpack', async () => {
            const done = peer.arm(count);
            for (let i = 0; i < count; i++) {
              nc.publish('raw.decode', packr.pack(small(i)));
              if ((i & 1023) === 1023) await yieldNow();
            }
            await done;
          }),
      },
      {
        impl: 'JetStream publish',
        run: () =>
          timed(count, async () => {
            const lanes = 256;
            let next = 0;
            const lane = async (): Promise<void> => {
              while (next < count) {
                next++;
                await js.publish('js.bench', bytes);
              }
            };
            await Promise.all(Array.from({ length: lanes }, lane));
          }),
      },
    ]);
    for (const [impl, values] of oneWay) {
      const m = wire.get(impl);
      const per = m === undefined ? {} : { bytesPerMessage: median(m.bytes), cpuPerMessage: median(m.cpu), ...(Number.isNaN(median(m.server)) ? {} : { serverCpuPerMessage: median(m.server) }) };
      rows.push({ scenario: 'one-way small', impl, runs: values, median: median(values), best: Math.max(...values), ...per });
    }
  } finally {
    await proc.flush();
    await proc.stopServing('bench over');
    await peer.stop();
    await nc.close();
    server.stop();
  }
  return { machine, runs, rows };
}

function fmt(value: number | undefined, unit: string): string {
  if (value === undefined) return '-';
  return unit === 'µs' ? `${value.toFixed(1)} µs` : `${(value / 1e3).toFixed(1)} k msgs/s`;
}

/** The table this module prints when run alone. */
export function natsBenchMarkdown(report: NatsBenchReport): string {
  if (report.missing !== undefined) return `nats bench not measured: ${report.missing}`;
  const find = (scenario: NatsScenario, impl: NatsImpl): NatsBenchRow | undefined => report.rows.find((r) => r.scenario === scenario && r.impl === impl);
  const lines = [`NATS (${report.machine.natsServer}), ${report.machine.cpu} x${report.machine.cores}, Node ${report.machine.node}, ${report.machine.commit}, ${report.runs} runs`, ''];
  lines.push('| scenario | procmesh actors | raw NATS | ratio | JetStream publish |', '|---|---|---|---|---|');
  const pp = find('ping-pong small', 'procmesh actors');
  const rr = find('ping-pong small', 'raw request/reply');
  const jp = find('ping-pong small', 'JetStream publish');
  lines.push(`| ping-pong small (median, p99) | ${fmt(pp?.median, 'µs')} (${fmt(pp?.p99, 'µs')}) | request/reply ${fmt(rr?.median, 'µs')} (${fmt(rr?.p99, 'µs')}) | ${pp && rr ? (pp.median / rr.median).toFixed(2) : '-'}x of raw (target <= 1.5x) | ${fmt(jp?.median, 'µs')} per acked publish |`);
  const ow = find('one-way small', 'procmesh actors');
  const rp = find('one-way small', 'raw publish');
  const jo = find('one-way small', 'JetStream publish');
  const re = find('one-way small', 'raw publish + msgpack');
  const b = (row: NatsBenchRow | undefined): string =>
    (row?.bytesPerMessage === undefined ? '' : `, ${row.bytesPerMessage.toFixed(0)} B/msg`) +
    (row?.cpuPerMessage === undefined ? '' : `, CPU ${row.cpuPerMessage.toFixed(2)} µs/msg`) +
    (row?.serverCpuPerMessage === undefined ? '' : ` + server ${row.serverCpuPerMessage.toFixed(2)}`);
  lines.push(`| one-way small | ${fmt(ow?.median, 'msgs')}${b(ow)} | publish ${fmt(rp?.median, 'msgs')}${b(rp)} | ${ow && rp ? (ow.median / rp.median).toFixed(2) : '-'}x of raw (target >= 0.8x) | ${fmt(jo?.median, 'msgs')}, 256 in flight |`);
  lines.push(`| one-way small, raw encoding + decoding each message | | publish + msgpack ${fmt(re?.median, 'msgs')}${b(re)} | ${ow && re ? (ow.median / re.median).toFixed(2) : '-'}x (no target) | |`);
  return lines.join('\n');
}

if (!isMainThread) {
  await runPeer((workerData as { url: string }).url);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.env['PROCMESH_LOG'] ??= 'error';
  const argv = process.argv.slice(2);
  const runsAt = argv.indexOf('--runs');
  const report = await runNatsBench({ quick: argv.includes('--quick'), ...(runsAt >= 0 ? { runs: Number(argv[runsAt + 1]) } : {}) });
  console.log(natsBenchMarkdown(report));
  if (argv.includes('--json')) console.log(JSON.stringify(report, null, 2));
}
