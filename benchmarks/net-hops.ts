/**
 * benchmarks/net-hops.ts: what one round trip costs over a net channel, counted per round trip on
 * each side (issue 16, "Sockets: find where the net channel's round trip goes").
 *
 * Two peers, the second in a worker thread (its own event loop), over `tcp:127.0.0.1` or an
 * abstract `unix:` socket:
 *
 * - `actors`: net.bench's ActorRef ping-pong: a client instance of one `Proc.direct` proc sends to
 *   an echo actor on the other, which answers to a `PortRef` carried in the message.
 * - `raw`: a raw `node:net` echo of a 60-byte frame: the transport alone.
 *
 * Per round trip and per side it prints: thread CPU (µs, `/proc/thread-self/schedstat`: on a
 * shared machine CPU time per operation is steadier than wall time), the socket writes
 * (`Socket.prototype.write` calls), `data` events, and the deferrals scheduled (`setImmediate`,
 * `setTimeout`, `queueMicrotask`, `process.nextTick`; promise reactions are not counted), with
 * the median round trip (µs) beside them. The counters wrap the globals of both threads, so they
 * add a little CPU of their own to every figure alike.
 *
 * Run: `node benchmarks/dist/net-hops.js [--transport tcp|unix] [--mode actors|raw] [--n N]`.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ActorId, ActorRef, Proc, type Actor, type Context, type PortRef } from '@procmesh/core';
import { small, type Small } from './lib/stats.js';
import { echoRoundTrip } from './lib/echo-round-trip.js';

type Transport = 'tcp' | 'unix';
type Mode = 'actors' | 'raw';
interface PeerData {
  readonly netHops: { readonly transport: Transport; readonly mode: Mode; readonly unixName: string };
}

const COUNTERS = ['write', 'data', 'setImmediate', 'setTimeout', 'queueMicrotask', 'nextTick'] as const;
type Counts = Record<(typeof COUNTERS)[number], number>;

export interface HopCounts {
  readonly transport: Transport;
  readonly mode: Mode;
  readonly roundTrips: number;
  readonly medianUs: number;
  /** Thread CPU per round trip (µs) of the sending side and of the echoing side. */
  readonly cpuUs: { readonly client: number; readonly peer: number };
  /** Per round trip, each side. */
  readonly client: Counts;
  readonly peer: Counts;
}

const counts: Counts = { write: 0, data: 0, setImmediate: 0, setTimeout: 0, queueMicrotask: 0, nextTick: 0 };
const reset = (): void => {
  for (const k of COUNTERS) counts[k] = 0;
};

/** Wrap the globals this thread's round trips go through, to count them. */
function instrument(): void {
  const proto = net.Socket.prototype;
  const write = proto.write;
  proto.write = function (this: net.Socket, ...args: Parameters<typeof write>) {
    counts.write++;
    return write.apply(this, args);
  } as typeof write;
  const emit = proto.emit as (this: net.Socket, event: string | symbol, ...args: unknown[]) => boolean;
  proto.emit = function (this: net.Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') counts.data++;
    return emit.call(this, event, ...args);
  } as typeof proto.emit;
  const g = globalThis as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ['setImmediate', 'setTimeout', 'queueMicrotask'] as const) {
    const original = g[name]!;
    const wrapped = (...args: unknown[]): unknown => {
      counts[name]++;
      return original(...args);
    };
    Object.assign(wrapped, original); // setTimeout's promisify symbol and the like
    g[name] = wrapped;
  }
  const nextTick = process.nextTick;
  process.nextTick = (...args: Parameters<typeof nextTick>) => {
    counts.nextTick++;
    nextTick.apply(process, args);
  };
}

/** This thread's CPU time, µs. */
function threadCpuUs(): number {
  return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e3;
}

function listenAddr(transport: Transport, unixName: string): string {
  return transport === 'tcp' ? 'tcp:127.0.0.1:0' : `unix:@${unixName}`;
}

type EchoMsg = { readonly ping: Small; readonly reply: PortRef<Small> };
class EchoActor implements Actor<EchoMsg> {
  handle(cx: Context<EchoMsg>, msg: EchoMsg): void {
    msg.reply.send(cx, msg.ping);
  }
}

async function runPeer({ transport, mode, unixName }: PeerData['netHops']): Promise<void> {
  const port = parentPort!;
  instrument();
  let ref: string;
  if (mode === 'raw') {
    const server = net.createServer({ noDelay: true }, (socket) => socket.on('data', (chunk) => socket.write(chunk)));
    const options: net.ListenOptions = transport === 'tcp' ? { host: '127.0.0.1', port: 0 } : { path: `\0${unixName}` };
    await new Promise<void>((resolve) => server.listen(options, resolve));
    const info = server.address();
    ref = typeof info === 'object' && info !== null ? String(info.port) : unixName;
  } else {
    const proc = await Proc.direct(listenAddr(transport, unixName), 'hops_peer');
    ref = String(proc.spawn('echo', new EchoActor()).bind());
  }
  port.on('message', (message: string) => {
    if (message === 'reset') {
      reset();
      port.postMessage({ cpu: threadCpuUs() });
    } else if (message === 'get') port.postMessage({ cpu: threadCpuUs(), counts: { ...counts } });
  });
  port.postMessage({ ref });
}

/** Count `n` round trips (after a warm-up of `n / 4`) of `mode` over `transport`. */
export async function countHops(transport: Transport, mode: Mode, n: number): Promise<HopCounts> {
  const unixName = `procmesh-hops-${process.pid}-${Math.random().toString(36).slice(2)}`;
  const data: PeerData = { netHops: { transport, mode, unixName: `${unixName}-peer` } };
  const worker = new Worker(new URL(import.meta.url), { workerData: data });
  const next = <T>(): Promise<T> => new Promise<T>((resolve) => worker.once('message', resolve));
  const { ref } = await next<{ ref: string }>();
  let roundTrip: (i: number) => Promise<unknown>;
  let stop: () => Promise<void>;
  if (mode === 'raw') {
    const socket = net.connect(transport === 'tcp' ? { host: '127.0.0.1', port: Number(ref), noDelay: true } : { path: `\0${ref}` });
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const frame = Buffer.alloc(60, 1);
    roundTrip = echoRoundTrip(socket, frame);
    stop = async () => {
      socket.destroy();
    };
  } else {
    const proc = await Proc.direct(listenAddr(transport, unixName), 'hops_main');
    const [client] = proc.instance('client');
    const echo = ActorRef.attest<EchoMsg>(ActorId.parse(ref));
    const [replyPort, replies] = client.openPort<Small>();
    const reply = replyPort.bind();
    roundTrip = (i) => {
      echo.send(client, { ping: small(i), reply });
      return replies.recv();
    };
    stop = async () => {
      await proc.flush();
      await proc.stopServing('hops over');
    };
  }
  instrument();
  try {
    for (let i = 0; i < n / 4; i++) await roundTrip(i);
    worker.postMessage('reset');
    const { cpu: peerCpu0 } = await next<{ cpu: number }>();
    reset();
    const cpu0 = threadCpuUs();
    const samples = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await roundTrip(i);
      samples[i] = (performance.now() - t0) * 1000;
    }
    const cpu1 = threadCpuUs();
    const mine = { ...counts };
    worker.postMessage('get');
    const peer = await next<{ cpu: number; counts: Counts }>();
    samples.sort();
    const per = (c: Counts): Counts => Object.fromEntries(COUNTERS.map((k) => [k, Math.round((c[k] / n) * 100) / 100])) as Counts;
    return {
      transport,
      mode,
      roundTrips: n,
      medianUs: samples[n >> 1]!,
      cpuUs: { client: (cpu1 - cpu0) / n, peer: (peer.cpu - peerCpu0) / n },
      client: per(mine),
      peer: per(peer.counts),
    };
  } finally {
    await stop();
    await worker.terminate();
  }
}

if (!isMainThread && parentPort !== null && (workerData as Partial<PeerData> | undefined)?.netHops !== undefined) {
  void runPeer((workerData as PeerData).netHops);
}

if (isMainThread && import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const arg = (flag: string): string | undefined => {
    const at = process.argv.indexOf(flag);
    return at >= 0 ? process.argv[at + 1] : undefined;
  };
  const transport = (arg('--transport') ?? 'tcp') as Transport;
  const mode = (arg('--mode') ?? 'actors') as Mode;
  const r = await countHops(transport, mode, Number(arg('--n') ?? 10_000));
  const row = (c: Counts): string => COUNTERS.map((k) => `${k} ${c[k]}`).join(', ');
  console.log(`${r.mode} over ${r.transport}: ${r.roundTrips} round trips, median ${r.medianUs.toFixed(1)} µs; CPU per round trip: client ${r.cpuUs.client.toFixed(1)} µs, peer ${r.cpuUs.peer.toFixed(1)} µs`);
  console.log(`  client per round trip: ${row(r.client)}`);
  console.log(`  peer per round trip:   ${row(r.peer)}`);
  process.exit(0);
}
