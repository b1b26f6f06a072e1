/**
 * benchmarks/net.bench.ts: the net channel on loopback (BENCHMARKS.md, last row of the matrix).
 *
 * Scenarios, each over `tcp:127.0.0.1` and an abstract `unix:` socket:
 *
 * - ping-pong small: one small message (BENCHMARKS.md's `{dest, port, seq, payload}`) to a peer
 *   that sends it straight back; round-trip time, median and p99 over `iterations` round trips.
 * - one-way small: `smallCount` small messages posted back to back; msgs/s until the peer has all.
 * - one-way 1 MiB: `bigCount` 1 MiB binary messages; MB/s.
 *
 * Implementations, measured in the same run, their runs interleaved (run 1 of each, then run 2
 * of each, ...) so that the noise of a shared VM falls on all of them alike:
 *
 * - `procmesh`: `dial`/`serve` from `@procmesh/core/transport` (preamble, seq, acks, msgpackr codec);
 *   ping-pong uses one channel each way.
 * - `raw+msgpackr`: a raw `node:net` socket carrying length-prefixed msgpackr frames, decoded
 *   one by one by the peer: the same work without procmesh's protocol (one-way only).
 * - `raw net`: a raw socket moving the same number of bytes without any encoding: the transport
 *   limit (ping-pong: an echo server writing the bytes back).
 * - `procmesh actors` (ping-pong only): the whole runtime: an `ActorRef` send from a client
 *   instance of one `Proc.direct` proc to an echo actor on another, which answers to a `PortRef`
 *   carried in the message (envelopes, routing, mailboxes, the actor's work queue), the
 *   figure to put beside upstream's 39 µs.
 *
 * The peer runs in a worker thread (its own event loop and core), started from this same module.
 * Upstream hyperactor reports ~39 µs for a small-message duplex round trip (Meta hardware).
 *
 * Run: `node benchmarks/dist/net.bench.js [--runs N] [--quick] [--json]`; or call `runNetBench()`.
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ActorId, ActorRef, ChannelAddr, Proc, type Actor, type Context, type PortRef } from '@procmesh/core';
import { dial, serve } from '@procmesh/core/transport';
import { Packr } from 'msgpackr';
import { gitCommit, median, percentile, roundTrips, small, type Small } from './lib/stats.js';
import { echoRoundTrip } from './lib/echo-round-trip.js';

export type NetTransport = 'tcp' | 'unix';
export type NetImpl = 'procmesh' | 'procmesh actors' | 'raw+msgpackr' | 'raw net';
export type NetScenario = 'ping-pong small' | 'one-way small' | 'one-way 1 MiB';

export interface NetBenchRow {
  readonly scenario: NetScenario;
  readonly transport: NetTransport;
  readonly impl: NetImpl;
  /** Ping-pong: median round trip (µs) of each block. One-way: msgs/s of each run. */
  readonly runs: readonly number[];
  /** Ping-pong only: p99 round trip (µs) of each block. */
  readonly p99Runs?: readonly number[];
  /** Ping-pong: median over all round trips. One-way: median over runs. */
  readonly median: number;
  /** Ping-pong only: p99 over all round trips. */
  readonly p99?: number;
  /** The best block or run (lowest RTT median, highest rate). */
  readonly best: number;
  /** One-way only: payload MB/s at the median. */
  readonly mbPerSec?: number;
}

export interface NetBenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly commit: string };
  readonly runs: number;
  readonly rows: readonly NetBenchRow[];
  /** Upstream's published small duplex round trip (µs), for comparison. */
  readonly upstreamSmallRoundTripUs: number;
}

export interface NetBenchOptions {
  readonly runs?: number;
  /** Fewer iterations (smoke test). */
  readonly quick?: boolean;
  readonly transports?: readonly NetTransport[];
}

const UPSTREAM_RTT_US = 39;
const MIB = 1024 * 1024;
const BATCH_BYTES = 256 * 1024;

function listenAddr(transport: NetTransport): string {
  return transport === 'tcp' ? 'tcp:127.0.0.1:0' : 'unix:';
}

function socketOptions(addr: ChannelAddr): net.NetConnectOpts {
  if (addr.transport === 'tcp') return { host: addr.host, port: addr.port, noDelay: true };
  return { path: addr.host.startsWith('@') ? `\0${addr.host.slice(1)}` : addr.host };
}

const yieldNow = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

// ---------------------------------------------------------------------------------------------
// The peer (worker thread).

type PeerRole =
  | { readonly role: 'procmesh-echo'; readonly transport: NetTransport; readonly replyTo: string }
  | { readonly role: 'actor-echo'; readonly transport: NetTransport }
  | { readonly role: 'procmesh-sink'; readonly transport: NetTransport; readonly count: number }
  | { readonly role: 'codec-sink'; readonly transport: NetTransport; readonly count: number }
  | { readonly role: 'raw-echo'; readonly transport: NetTransport }
  | { readonly role: 'raw-sink'; readonly transport: NetTransport; readonly bytes: number };

type PeerPort = NonNullable<typeof parentPort>;

type EchoMsg = { readonly ping: Small; readonly reply: PortRef<Small> };

/** Answers each ping to the reply port in the message. */
class EchoActor implements Actor<EchoMsg> {
  handle(cx: Context<EchoMsg>, msg: EchoMsg): void {
    msg.reply.send(cx, msg.ping);
  }
}

/** Length-prefixed msgpackr frames in, one `done` per `count` decoded messages. */
function codecSink(socket: net.Socket, count: number, port: PeerPort): void {
  const packr = new Packr({ useRecords: false });
  let chunks: Buffer[] = [];
  let buffered = 0;
  let need = 4; // bytes needed before parsing again: a length, or a whole frame
  let seen = 0;
  socket.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    buffered += chunk.length;
    if (buffered < need) return;
    const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, buffered);
    let off = 0;
    need = 4;
    while (buf.length - off >= 4) {
      const len = buf.readUInt32BE(off);
      if (buf.length - off - 4 < len) {
        need = 4 + len;
        break;
      }
      packr.unpack(buf.subarray(off + 4, off + 4 + len));
      off += 4 + len;
      if (++seen === count) {
        seen = 0;
        port.postMessage({ done: true });
      }
    }
    const rest = buf.subarray(off);
    chunks = rest.length > 0 ? [rest] : [];
    buffered = rest.length;
  });
}

async function runPeer(role: PeerRole, port: PeerPort): Promise<void> {
  switch (role.role) {
    case 'procmesh-echo': {
      const [addr, rx] = await serve<unknown>(listenAddr(role.transport));
      const tx = dial<unknown>(role.replyTo);
      port.postMessage({ addr: String(addr) });
      for (;;) tx.post(await rx.recv());
    }
    case 'actor-echo': {
      const proc = await Proc.direct(listenAddr(role.transport), 'bench_peer');
      const echo = proc.spawn('echo', new EchoActor()).bind();
      port.postMessage({ addr: String(proc.procId.addr), ref: String(echo) });
      return;
    }
    case 'procmesh-sink': {
      const [addr, rx] = await serve<unknown>(listenAddr(role.transport));
      port.postMessage({ addr: String(addr) });
      for (;;) {
        for (let i = 0; i < role.count; i++) await rx.recv();
        port.postMessage({ done: true });
      }
    }
    default: {
      const server = net.createServer({ noDelay: true }, (socket) => {
        if (role.role === 'raw-echo') socket.on('data', (chunk) => socket.write(chunk));
        else if (role.role === 'codec-sink') codecSink(socket, role.count, port);
        else {
          let received = 0;
          socket.on('data', (chunk: Buffer) => {
            received += chunk.length;
            while (received >= role.bytes) {
              received -= role.bytes;
              port.postMessage({ done: true });
            }
          });
        }
      });
      const name = `procmesh-bench-${randomBytes(8).toString('hex')}`;
      const options: net.ListenOptions = role.transport === 'tcp' ? { host: '127.0.0.1', port: 0 } : { path: `\0${name}` };
      await new Promise<void>((resolve) => server.listen(options, resolve));
      const info = server.address();
      const addr = typeof info === 'object' && info !== null ? ChannelAddr.tcp('127.0.0.1', info.port) : ChannelAddr.unix(`@${name}`);
      port.postMessage({ addr: String(addr) });
    }
  }
}

if (!isMainThread && parentPort !== null && (workerData as { netBenchPeer?: PeerRole } | undefined)?.netBenchPeer !== undefined) {
  void runPeer((workerData as { netBenchPeer: PeerRole }).netBenchPeer, parentPort);
}

interface Peer {
  readonly addr: ChannelAddr;
  /** `actor-echo`: the echo actor's id. */
  readonly ref: string | undefined;
  nextDone(): Promise<void>;
  stop(): Promise<void>;
}

async function startPeer(role: PeerRole): Promise<Peer> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { netBenchPeer: role } });
  const waiters: (() => void)[] = [];
  let early = 0;
  let ref: string | undefined;
  const addr = await new Promise<ChannelAddr>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: { addr?: string; ref?: string; done?: boolean }) => {
      ref ??= message.ref;
      if (message.addr !== undefined) resolve(ChannelAddr.parse(message.addr));
      if (message.done === true) {
        const waiter = waiters.shift();
        if (waiter !== undefined) waiter();
        else early++;
      }
    });
  });
  return {
    addr,
    ref,
    nextDone: () =>
      new Promise<void>((resolve) => {
        if (early > 0) {
          early--;
          resolve();
        } else waiters.push(resolve);
      }),
    stop: async () => {
      await worker.terminate();
    },
  };
}

async function connectRaw(addr: ChannelAddr): Promise<net.Socket> {
  const socket = net.connect(socketOptions(addr));
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return socket;
}

// ---------------------------------------------------------------------------------------------
// Contestants: each sets up once, then runs one measurement at a time (interleaved).

interface Contestant<R> {
  readonly impl: NetImpl;
  run(): Promise<R>;
  teardown(): Promise<void>;
}

async function pingPongProcmesh(transport: NetTransport, iterations: number, warmup: number): Promise<Contestant<Float64Array>> {
  const [replyAddr, replies] = await serve<Small>(listenAddr(transport));
  const peer = await startPeer({ role: 'procmesh-echo', transport, replyTo: String(replyAddr) });
  const tx = dial<Small>(peer.addr);
  const roundTrip = (i: number): Promise<Small> => {
    tx.post(small(i));
    return replies.recv();
  };
  await roundTrips(warmup, roundTrip);
  return {
    impl: 'procmesh',
    run: () => roundTrips(iterations, roundTrip),
    teardown: async () => {
      tx.close();
      replies.close();
      await peer.stop();
    },
  };
}

async function pingPongActors(transport: NetTransport, iterations: number, warmup: number): Promise<Contestant<Float64Array>> {
  const peer = await startPeer({ role: 'actor-echo', transport });
  const proc = await Proc.direct(listenAddr(transport), 'bench_main');
  const [client] = proc.instance('client');
  const echo = ActorRef.attest<EchoMsg>(ActorId.parse(peer.ref!));
  const [replyPort, replies] = client.openPort<Small>();
  const reply = replyPort.bind();
  const roundTrip = (i: number): Promise<Small> => {
    echo.send(client, { ping: small(i), reply });
    return replies.recv();
  };
  await roundTrips(warmup, roundTrip);
  return {
    impl: 'procmesh actors',
    run: () => roundTrips(iterations, roundTrip),
    teardown: async () => {
      await proc.flush();
      await proc.stopServing('bench over');
      await peer.stop();
    },
  };
}

async function pingPongRaw(transport: NetTransport, iterations: number, warmup: number): Promise<Contestant<Float64Array>> {
  const peer = await startPeer({ role: 'raw-echo', transport });
  const socket = await connectRaw(peer.addr);
  // The small message's msgpackr bytes behind a 4-byte length; the echo returns them unchanged.
  const body = new Packr({ useRecords: false }).pack(small(0));
  const frame = Buffer.allocUnsafe(4 + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.set(body, 4);
  const roundTrip = echoRoundTrip(socket, frame);
  await roundTrips(warmup, roundTrip);
  return {
    impl: 'raw net',
    run: () => roundTrips(iterations, roundTrip),
    teardown: async () => {
      socket.destroy();
      await peer.stop();
    },
  };
}

/** Messages per second for one run of `count` messages. */
async function timed(count: number, body: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await body();
  return count / ((performance.now() - t0) / 1000);
}

async function oneWayProcmesh<M>(transport: NetTransport, make: (i: number) => M, count: number): Promise<Contestant<number>> {
  const peer = await startPeer({ role: 'procmesh-sink', transport, count });
  const tx = dial<M>(peer.addr);
  const once = async (): Promise<void> => {
    for (let i = 0; i < count; i++) {
      tx.post(make(i));
      // Yield now and then so the socket drains while we post, as a real sender would.
      if ((i & 1023) === 1023) await yieldNow();
    }
    await peer.nextDone();
  };
  await once();
  return {
    impl: 'procmesh',
    run: () => timed(count, once),
    teardown: async () => {
      tx.close();
      await peer.stop();
    },
  };
}

/** Write length-prefixed frames, small ones batched into 256 KiB writes, honouring `drain`. */
async function writeFrames(socket: net.Socket, count: number, frameOf: (i: number) => Uint8Array): Promise<void> {
  let batch: Uint8Array[] = [];
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const ok = socket.write(batch.length === 1 ? batch[0]! : Buffer.concat(batch, bytes));
    batch = [];
    bytes = 0;
    if (!ok) await new Promise((resolve) => socket.once('drain', resolve));
  };
  for (let i = 0; i < count; i++) {
    const body = frameOf(i);
    const head = Buffer.allocUnsafe(4);
    head.writeUInt32BE(body.length, 0);
    batch.push(head, body);
    bytes += 4 + body.length;
    if (bytes >= BATCH_BYTES) await flush();
  }
  await flush();
}

async function oneWayCodec<M>(transport: NetTransport, make: (i: number) => M, count: number): Promise<Contestant<number>> {
  const peer = await startPeer({ role: 'codec-sink', transport, count });
  const socket = await connectRaw(peer.addr);
  const packr = new Packr({ useRecords: false });
  const once = async (): Promise<void> => {
    await writeFrames(socket, count, (i) => packr.pack(make(i)));
    await peer.nextDone();
  };
  await once();
  return {
    impl: 'raw+msgpackr',
    run: () => timed(count, once),
    teardown: async () => {
      socket.destroy();
      await peer.stop();
    },
  };
}

async function oneWayRaw(transport: NetTransport, payload: Uint8Array, count: number): Promise<Contestant<number>> {
  const peer = await startPeer({ role: 'raw-sink', transport, bytes: (4 + payload.length) * count });
  const socket = await connectRaw(peer.addr);
  const once = async (): Promise<void> => {
    await writeFrames(socket, count, () => payload);
    await peer.nextDone();
  };
  await once();
  return {
    impl: 'raw net',
    run: () => timed(count, once),
    teardown: async () => {
      socket.destroy();
      await peer.stop();
    },
  };
}

/** Set up every contestant, then run them interleaved `runs` times; tear down. */
async function interleave<R>(runs: number, setups: (() => Promise<Contestant<R>>)[]): Promise<Map<NetImpl, R[]>> {
  const contestants: Contestant<R>[] = [];
  for (const setup of setups) contestants.push(await setup());
  const results = new Map<NetImpl, R[]>(contestants.map((c) => [c.impl, []]));
  try {
    for (let r = 0; r < runs; r++) {
      for (const contestant of contestants) results.get(contestant.impl)!.push(await contestant.run());
    }
  } finally {
    for (const contestant of contestants) await contestant.teardown();
  }
  return results;
}

/** Run the net scenario matrix; resolves to the figures as data. */
export async function runNetBench(options: NetBenchOptions = {}): Promise<NetBenchReport> {
  const runs = options.runs ?? 5;
  const quick = options.quick ?? false;
  const transports = options.transports ?? ['tcp', 'unix'];
  const iterations = quick ? 500 : 5_000;
  // Ping-pong warm-up, quick runs too: ActorRef ping-pong is JIT-cold for thousands of round
  // trips (median after 200: ~5x, after 2,000: ~1.25x its median after 5,000; net-hops.ts).
  const warmup = 5_000;
  const smallCount = quick ? 20_000 : 100_000;
  const bigCount = quick ? 16 : 64;
  const big = new Uint8Array(MIB).fill(7);
  const smallBytes = new Packr({ useRecords: false }).pack(small(0)).length;
  const rows: NetBenchRow[] = [];

  for (const transport of transports) {
    // Round trips in short blocks, alternating between implementations, so that every
    // implementation samples the same machine states (this VM flips between fast and slow wake-ups).
    const blocks = runs * 4;
    const latency = await interleave(blocks, [
      () => pingPongProcmesh(transport, Math.ceil(iterations / 4), warmup),
      () => pingPongActors(transport, Math.ceil(iterations / 4), warmup),
      () => pingPongRaw(transport, Math.ceil(iterations / 4), warmup),
    ]);
    for (const [impl, results] of latency) {
      const all = new Float64Array(results.reduce((n, r) => n + r.length, 0));
      let at = 0;
      for (const block of results) {
        all.set(block, at);
        at += block.length;
      }
      all.sort();
      const blockMedians = results.map((block) => percentile(Float64Array.from(block).sort(), 0.5));
      const blockP99s = results.map((block) => percentile(Float64Array.from(block).sort(), 0.99));
      rows.push({
        scenario: 'ping-pong small',
        transport,
        impl,
        runs: blockMedians,
        p99Runs: blockP99s,
        median: percentile(all, 0.5),
        p99: percentile(all, 0.99),
        best: Math.min(...blockMedians),
      });
    }
    for (const [scenario, make, count, bytes] of [
      ['one-way small', small, smallCount, smallBytes],
      ['one-way 1 MiB', () => big, bigCount, MIB],
    ] as const) {
      const payload = scenario === 'one-way small' ? Buffer.alloc(smallBytes, 1) : big;
      const rates = await interleave(runs, [
        () => oneWayProcmesh<unknown>(transport, make, count),
        () => oneWayCodec<unknown>(transport, make, count),
        () => oneWayRaw(transport, payload, count),
      ]);
      for (const [impl, values] of rates) {
        const med = median(values);
        rows.push({ scenario, transport, impl, runs: values, median: med, best: Math.max(...values), mbPerSec: (med * bytes) / MIB });
      }
    }
  }
  return {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, commit: gitCommit() },
    runs,
    rows,
    upstreamSmallRoundTripUs: UPSTREAM_RTT_US,
  };
}

function fmt(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '-';
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e4) return `${(value / 1e3).toFixed(0)} k`;
  return value.toFixed(1);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '-' : `${(a / b).toFixed(2)}x`;
}

/** The report as a Markdown table: procmesh beside its peers, with ratios. */
export function netBenchMarkdown(report: NetBenchReport): string {
  const m = report.machine;
  const lines = [
    `net channel on loopback: ${m.cpu}, ${m.cores} cores, Node ${m.node}, commit ${m.commit}; ${report.runs} interleaved runs (ping-pong: ${report.runs * 4} interleaved blocks)`,
    '',
    '| scenario | transport | metric | procmesh | raw+msgpackr | raw net | procmesh / raw+msgpackr | procmesh / raw net |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const find = (scenario: NetScenario, transport: NetTransport, impl: NetImpl): NetBenchRow | undefined =>
    report.rows.find((r) => r.scenario === scenario && r.transport === transport && r.impl === impl);
  for (const transport of [...new Set(report.rows.map((r) => r.transport))]) {
    const pm = find('ping-pong small', transport, 'procmesh');
    const raw = find('ping-pong small', transport, 'raw net');
    lines.push(`| ping-pong small | ${transport} | RTT median (µs) | ${fmt(pm?.median)} | - | ${fmt(raw?.median)} | - | ${ratio(pm?.median, raw?.median)} |`);
    lines.push(`| ping-pong small | ${transport} | RTT p99 (µs) | ${fmt(pm?.p99)} | - | ${fmt(raw?.p99)} | - | ${ratio(pm?.p99, raw?.p99)} |`);
    lines.push(`| ping-pong small | ${transport} | RTT best block median (µs) | ${fmt(pm?.best)} | - | ${fmt(raw?.best)} | - | ${ratio(pm?.best, raw?.best)} |`);
    const actors = find('ping-pong small', transport, 'procmesh actors');
    if (actors !== undefined) {
      lines.push(`| ActorRef ping-pong (Proc.direct) | ${transport} | RTT median (µs) | ${fmt(actors.median)} | - | ${fmt(raw?.median)} | - | ${ratio(actors.median, raw?.median)} |`);
      lines.push(`| ActorRef ping-pong (Proc.direct) | ${transport} | RTT p99 (µs) | ${fmt(actors.p99)} | - | ${fmt(raw?.p99)} | - | ${ratio(actors.p99, raw?.p99)} |`);
    }
    for (const scenario of ['one-way small', 'one-way 1 MiB'] as const) {
      const a = find(scenario, transport, 'procmesh');
      const c = find(scenario, transport, 'raw+msgpackr');
      const b = find(scenario, transport, 'raw net');
      const bytes = scenario === 'one-way small' ? undefined : MIB;
      const [metric, pick, best] =
        bytes === undefined
          ? (['msgs/s', (r?: NetBenchRow) => r?.median, (r?: NetBenchRow) => r?.best] as const)
          : (['MB/s', (r?: NetBenchRow) => r?.mbPerSec, (r?: NetBenchRow) => (r === undefined ? undefined : (r.best * bytes) / MIB)] as const);
      const cell = (r?: NetBenchRow): string => `${fmt(pick(r))} (best ${fmt(best(r))})`;
      lines.push(`| ${scenario} | ${transport} | ${metric} | ${cell(a)} | ${cell(c)} | ${cell(b)} | ${ratio(pick(a), pick(c))} | ${ratio(pick(a), pick(b))} |`);
    }
  }
  const tcp = find('ping-pong small', 'tcp', 'procmesh');
  const tcpActors = find('ping-pong small', 'tcp', 'procmesh actors');
  if (tcp !== undefined) {
    lines.push('');
    lines.push(
      `Upstream hyperactor (Rust, Meta hardware): small duplex round trip ${report.upstreamSmallRoundTripUs} µs; ` +
        `procmesh over tcp here: ${fmt(tcp.median)} µs median channel to channel (${ratio(tcp.median, report.upstreamSmallRoundTripUs)})` +
        (tcpActors === undefined
          ? '.'
          : `, ${fmt(tcpActors.median)} µs median ActorRef to actor between two Proc.direct procs (${ratio(tcpActors.median, report.upstreamSmallRoundTripUs)}).`),
    );
  }
  return lines.join('\n');
}

const invokedDirectly = isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const report = await runNetBench({ ...(runsAt >= 0 ? { runs: Number(args[runsAt + 1]) } : {}), quick: args.includes('--quick') });
  console.log(netBenchMarkdown(report));
  if (args.includes('--json')) console.log(JSON.stringify(report, null, 2));
  process.exit(0);
}
