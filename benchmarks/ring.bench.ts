/**
 * benchmarks/ring.bench.ts: the SharedArrayBuffer ring channel against its peers, worker to
 * worker (BENCHMARKS.md: "cross-proc one-way" and "cross-proc ping-pong" rows of the matrix).
 *
 * Implementations, measured in one process run, their runs interleaved (run 1 of each, then run
 * 2 of each, ...) so the noise of a shared VM falls on all of them alike:
 *
 * - `ring`: procmesh `RingTx`/`RingRx` with the default msgpackr record codec (structures
 *   defined once per ring, encoded straight into the ring, WRITE published once per batch).
 * - `postMessage`: one message per `MessagePort.postMessage` (structured clone).
 * - `postMessage x64`: arrays of 64 messages per post (one-way only).
 * - `raw ring`: `RingProducer`/`RingConsumer` moving fixed 64-byte records, no encoding, WRITE
 *   published once per 32 records: the transport limit. Ping-pong: spin up to 200 µs, then wait.
 *
 * Message: BENCHMARKS.md's small envelope `{dest: "proc[0].actor[0]", port: 3, seq, payload:
 * {x: 1, y: "hello"}}`, a new object per message; the receiver checks `seq` order. MB/s counts
 * the envelope's msgpackr size for envelope rows and 64 bytes for the raw ring.
 *
 * Each implementation runs between two worker threads started from this same module, created
 * once and reused for every run (one unmeasured warm-up round first). One-way: msgs/s from the
 * producer's first send to the consumer's last receive (both on `performance.timeOrigin`).
 * Ping-pong: per-round-trip times measured by the pinger; median and p99 per run, the median
 * of those across runs.
 *
 * Run: `node benchmarks/dist/ring.bench.js [--runs N] [--quick] [--json [path]]`; or call
 * `runRingBench()` (resolves to the figures as data) and `ringBenchMarkdown(report)`.
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RingBuffer, RingConsumer, RingProducer, ringRx, ringTx } from '@procmesh/core/transport';
import { Packr } from 'msgpackr';
import { gitCommit, median, now, percentile } from './lib/stats.js';

export type RingImpl = 'ring' | 'postMessage' | 'postMessage x64' | 'raw ring';
export type RingScenario = 'one-way small' | 'ping-pong small';

export interface RingBenchRow {
  readonly scenario: RingScenario;
  readonly impl: RingImpl;
  /** One-way: msgs/s of each run. Ping-pong: median round trip (µs) of each run. */
  readonly runs: readonly number[];
  /** Ping-pong only: p99 round trip (µs) of each run. */
  readonly p99Runs?: readonly number[];
  /** Median over runs (msgs/s, or µs). */
  readonly median: number;
  /** Ping-pong only: median of the runs' p99 (µs). */
  readonly p99?: number;
  /** One-way only: MB/s at the median. */
  readonly mbPerSec?: number;
}

export interface RingBenchReport {
  readonly machine: { readonly cpu: string; readonly cores: number; readonly node: string; readonly commit: string };
  readonly runs: number;
  /** Bytes of one small envelope as msgpackr records (the MB/s basis for envelope rows). */
  readonly envelopeBytes: number;
  readonly rows: readonly RingBenchRow[];
}

export interface RingBenchOptions {
  /** Measured runs per implementation (default 5). */
  readonly runs?: number;
  /** Fewer messages (smoke test). */
  readonly quick?: boolean;
}

interface Envelope {
  dest: string;
  port: number;
  seq: number;
  payload: { x: number; y: string };
}

function envelope(seq: number): Envelope {
  return { dest: 'proc[0].actor[0]', port: 3, seq, payload: { x: 1, y: 'hello' } };
}

const RAW_RECORD_BYTES = 64;
const RAW_PUBLISH_EVERY = 32;
const RAW_SPIN_MICROS = 200;
const BATCH = 64;
const RING_CAPACITY = 1 << 18;
const MB = 1e6;


// ---------------------------------------------------------------------------------------------
// The workers (this module, started with a role).

type Role =
  | { readonly role: 'ring-producer'; readonly ring: SharedArrayBuffer }
  | { readonly role: 'ring-consumer'; readonly ring: SharedArrayBuffer }
  | { readonly role: 'pm-producer'; readonly port: MessagePort; readonly batch: number }
  | { readonly role: 'pm-consumer'; readonly port: MessagePort }
  | { readonly role: 'raw-producer'; readonly ring: SharedArrayBuffer }
  | { readonly role: 'raw-consumer'; readonly ring: SharedArrayBuffer }
  | { readonly role: 'ring-ping' | 'ring-pong'; readonly out: SharedArrayBuffer; readonly in: SharedArrayBuffer }
  | { readonly role: 'pm-ping' | 'pm-pong'; readonly port: MessagePort }
  | { readonly role: 'raw-ping' | 'raw-pong'; readonly out: SharedArrayBuffer; readonly in: SharedArrayBuffer };

/** From main to a worker: start a round of `n` messages (or round trips). */
interface Go {
  readonly n: number;
}

/** From a worker to main. */
type Reply = { readonly ready: true } | { readonly t0: number } | { readonly t1: number; readonly error?: string } | { readonly rtts: Float64Array };

type Control = NonNullable<typeof parentPort>;

function onRound(control: Control, run: (n: number) => void): void {
  control.on('message', (go: Go) => run(go.n));
}

/** Consumers: count `n` in-order messages, then report when the last one arrived. */
function counter(control: Control): { expect(n: number): void; got(seq: number): void } {
  let expected = 0;
  let next = 0;
  let error: string | undefined;
  return {
    expect(n: number): void {
      expected += n;
      control.postMessage({ ready: true } satisfies Reply);
    },
    got(seq: number): void {
      if (seq !== next && error === undefined) error = `expected seq ${next}, got ${seq}`;
      next++;
      if (next === expected) control.postMessage((error === undefined ? { t1: now() } : { t1: now(), error }) satisfies Reply);
    },
  };
}

/** Spin up to `micros`, then sleep on the ring's wait protocol: the raw ring's wake-up. */
function serveRaw(consumer: RingConsumer, visit: (bytes: Uint8Array, start: number) => void): void {
  const visitor = (bytes: Uint8Array, start: number): void => visit(bytes, start);
  const loop = (): void => {
    for (;;) {
      if (consumer.poll(visitor) > 0) continue;
      if (consumer.spin(RAW_SPIN_MICROS)) continue;
      if (!consumer.prepareSleep()) continue;
      const woken = consumer.sleep();
      if (woken === undefined) {
        consumer.awake();
        continue;
      }
      void woken.then(() => {
        consumer.awake();
        loop();
      });
      return;
    }
  };
  loop();
}

function readSeq(bytes: Uint8Array, start: number): number {
  return ((bytes[start] as number) | ((bytes[start + 1] as number) << 8) | ((bytes[start + 2] as number) << 16) | ((bytes[start + 3] as number) << 24)) >>> 0;
}

function writeSeq(bytes: Uint8Array, seq: number): void {
  bytes[0] = seq & 0xff;
  bytes[1] = (seq >>> 8) & 0xff;
  bytes[2] = (seq >>> 16) & 0xff;
  bytes[3] = (seq >>> 24) & 0xff;
}

async function writeRaw(producer: RingProducer, record: Uint8Array): Promise<void> {
  while (!producer.write(record)) await producer.waitForSpace();
}

function worker(data: Role, control: Control): void {
  switch (data.role) {
    case 'ring-producer': {
      const tx = ringTx<Envelope>(data.ring);
      let seq = 0;
      onRound(control, (n) => {
        void (async () => {
          control.postMessage({ t0: now() } satisfies Reply);
          for (let i = 0; i < n; i++) {
            tx.post(envelope(seq++));
            if (tx.queueLength > 4096) await tx.flush();
          }
          await tx.flush();
        })();
      });
      break;
    }
    case 'ring-consumer': {
      const rx = ringRx<Envelope>(data.ring);
      const count = counter(control);
      rx.onMessage((m) => count.got(m.seq));
      onRound(control, (n) => count.expect(n));
      break;
    }
    case 'pm-producer': {
      let seq = 0;
      const port = data.port;
      onRound(control, (n) => {
        control.postMessage({ t0: now() } satisfies Reply);
        if (data.batch === 1) {
          for (let i = 0; i < n; i++) port.postMessage(envelope(seq++));
        } else {
          for (let i = 0; i < n; i += data.batch) {
            const batch: Envelope[] = [];
            for (let j = 0; j < data.batch && i + j < n; j++) batch.push(envelope(seq++));
            port.postMessage(batch);
          }
        }
      });
      break;
    }
    case 'pm-consumer': {
      const count = counter(control);
      data.port.on('message', (m: Envelope | Envelope[]) => {
        if (Array.isArray(m)) for (const e of m) count.got(e.seq);
        else count.got(m.seq);
      });
      onRound(control, (n) => count.expect(n));
      break;
    }
    case 'raw-producer': {
      const producer = new RingProducer(RingBuffer.attach(data.ring));
      const record = new Uint8Array(RAW_RECORD_BYTES).fill(7);
      let seq = 0;
      onRound(control, (n) => {
        void (async () => {
          control.postMessage({ t0: now() } satisfies Reply);
          for (let i = 0; i < n; i++) {
            writeSeq(record, seq++);
            if (!producer.write(record)) await writeRaw(producer, record);
            if ((i & (RAW_PUBLISH_EVERY - 1)) === RAW_PUBLISH_EVERY - 1) producer.publish();
          }
          producer.publish();
        })();
      });
      break;
    }
    case 'raw-consumer': {
      const consumer = new RingConsumer(RingBuffer.attach(data.ring));
      const count = counter(control);
      serveRaw(consumer, (bytes, start) => count.got(readSeq(bytes, start)));
      onRound(control, (n) => count.expect(n));
      break;
    }
    case 'ring-pong': {
      const tx = ringTx<Envelope>(data.out);
      ringRx<Envelope>(data.in).onMessage((m) => tx.post(m));
      break;
    }
    case 'ring-ping': {
      const tx = ringTx<Envelope>(data.out);
      const rx = ringRx<Envelope>(data.in);
      let rtts = new Float64Array(0);
      let i = 0;
      let sentAt = 0;
      rx.onMessage(() => {
        rtts[i++] = (performance.now() - sentAt) * 1000;
        if (i === rtts.length) control.postMessage({ rtts } satisfies Reply);
        else {
          sentAt = performance.now();
          tx.post(envelope(i));
        }
      });
      onRound(control, (n) => {
        rtts = new Float64Array(n);
        i = 0;
        sentAt = performance.now();
        tx.post(envelope(0));
      });
      break;
    }
    case 'pm-pong': {
      const port = data.port;
      port.on('message', (m: Envelope) => port.postMessage(m));
      break;
    }
    case 'pm-ping': {
      const port = data.port;
      let rtts = new Float64Array(0);
      let i = 0;
      let sentAt = 0;
      port.on('message', () => {
        rtts[i++] = (performance.now() - sentAt) * 1000;
        if (i === rtts.length) control.postMessage({ rtts } satisfies Reply);
        else {
          sentAt = performance.now();
          port.postMessage(envelope(i));
        }
      });
      onRound(control, (n) => {
        rtts = new Float64Array(n);
        i = 0;
        sentAt = performance.now();
        port.postMessage(envelope(0));
      });
      break;
    }
    case 'raw-pong': {
      const producer = new RingProducer(RingBuffer.attach(data.out));
      const record = new Uint8Array(RAW_RECORD_BYTES);
      serveRaw(new RingConsumer(RingBuffer.attach(data.in)), (bytes, start) => {
        record.set(bytes.subarray(start, start + RAW_RECORD_BYTES));
        producer.tryWrite(record);
      });
      break;
    }
    case 'raw-ping': {
      const producer = new RingProducer(RingBuffer.attach(data.out));
      const record = new Uint8Array(RAW_RECORD_BYTES);
      let rtts = new Float64Array(0);
      let i = 0;
      let sentAt = 0;
      const send = (seq: number): void => {
        writeSeq(record, seq);
        sentAt = performance.now();
        producer.tryWrite(record);
      };
      serveRaw(new RingConsumer(RingBuffer.attach(data.in)), () => {
        rtts[i++] = (performance.now() - sentAt) * 1000;
        if (i === rtts.length) control.postMessage({ rtts } satisfies Reply);
        else send(i);
      });
      onRound(control, (n) => {
        rtts = new Float64Array(n);
        i = 0;
        send(0);
      });
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The driver (main thread).

const MODULE_URL = new URL(import.meta.url);

interface Peer {
  readonly worker: Worker;
  next(): Promise<Reply>;
}

function startPeer(data: Role, transfer: MessagePort[] = []): Peer {
  const worker = new Worker(MODULE_URL, { workerData: data, transferList: transfer });
  const queue: Reply[] = [];
  const waiting: ((reply: Reply) => void)[] = [];
  let failure: Error | undefined;
  worker.on('message', (reply: Reply) => {
    const resolve = waiting.shift();
    if (resolve !== undefined) resolve(reply);
    else queue.push(reply);
  });
  worker.on('error', (error) => (failure = error));
  return {
    worker,
    next(): Promise<Reply> {
      if (failure !== undefined) return Promise.reject(failure);
      const reply = queue.shift();
      if (reply !== undefined) return Promise.resolve(reply);
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
}

interface OneWayPair {
  readonly producer: Peer;
  readonly consumer: Peer;
}

function oneWayPair(impl: RingImpl): OneWayPair {
  if (impl === 'ring' || impl === 'raw ring') {
    const ring = RingBuffer.create({ capacity: RING_CAPACITY }).buffer;
    const prefix = impl === 'ring' ? 'ring' : 'raw';
    return {
      consumer: startPeer({ role: `${prefix}-consumer`, ring } as Role),
      producer: startPeer({ role: `${prefix}-producer`, ring } as Role),
    };
  }
  const { port1, port2 } = new MessageChannel();
  return {
    consumer: startPeer({ role: 'pm-consumer', port: port2 }, [port2]),
    producer: startPeer({ role: 'pm-producer', port: port1, batch: impl === 'postMessage' ? 1 : BATCH }, [port1]),
  };
}

/** One round of `n` one-way messages; msgs/s. */
async function oneWayRound(pair: OneWayPair, n: number): Promise<number> {
  pair.consumer.worker.postMessage({ n } satisfies Go);
  await pair.consumer.next(); // ready
  pair.producer.worker.postMessage({ n } satisfies Go);
  const started = (await pair.producer.next()) as { t0: number };
  const finished = (await pair.consumer.next()) as { t1: number; error?: string };
  if (finished.error !== undefined) throw new Error(`one-way round failed: ${finished.error}`);
  return n / ((finished.t1 - started.t0) / 1000);
}

interface PingPair {
  readonly pinger: Peer;
  readonly others: readonly Worker[];
}

function pingPair(impl: RingImpl): PingPair {
  if (impl === 'ring' || impl === 'raw ring') {
    const there = RingBuffer.create({ capacity: RING_CAPACITY }).buffer;
    const back = RingBuffer.create({ capacity: RING_CAPACITY }).buffer;
    const prefix = impl === 'ring' ? 'ring' : 'raw';
    const pong = startPeer({ role: `${prefix}-pong`, out: back, in: there } as Role);
    return { pinger: startPeer({ role: `${prefix}-ping`, out: there, in: back } as Role), others: [pong.worker] };
  }
  const { port1, port2 } = new MessageChannel();
  const pong = startPeer({ role: 'pm-pong', port: port2 }, [port2]);
  return { pinger: startPeer({ role: 'pm-ping', port: port1 }, [port1]), others: [pong.worker] };
}

async function pingRound(pair: PingPair, n: number): Promise<{ median: number; p99: number }> {
  pair.pinger.worker.postMessage({ n } satisfies Go);
  const { rtts } = (await pair.pinger.next()) as { rtts: Float64Array };
  rtts.sort();
  return { median: percentile(rtts, 0.5), p99: percentile(rtts, 0.99) };
}

/** Run the ring scenarios; resolves to the figures as data. */
export async function runRingBench(options: RingBenchOptions = {}): Promise<RingBenchReport> {
  const runs = options.runs ?? 5;
  const scale = options.quick === true ? 0.1 : 1;
  const oneWayCounts: Record<RingImpl, number> = {
    ring: 1_000_000 * scale,
    postMessage: 200_000 * scale,
    'postMessage x64': 1_000_000 * scale,
    'raw ring': 10_000_000 * scale,
  };
  const pingCounts: Partial<Record<RingImpl, number>> = { ring: 20_000 * scale, postMessage: 5_000 * scale, 'raw ring': 50_000 * scale };
  const packr = new Packr({ useRecords: true, sequential: true });
  packr.pack(envelope(0));
  const envelopeBytes = packr.pack(envelope(1)).length;
  const rows: RingBenchRow[] = [];
  const workers: Worker[] = [];
  try {
    const oneWayImpls: RingImpl[] = ['ring', 'postMessage', 'postMessage x64', 'raw ring'];
    const pairs = oneWayImpls.map((impl) => oneWayPair(impl));
    for (const pair of pairs) workers.push(pair.producer.worker, pair.consumer.worker);
    const rates = oneWayImpls.map(() => [] as number[]);
    for (let run = -1; run < runs; run++) {
      for (let k = 0; k < oneWayImpls.length; k++) {
        const impl = oneWayImpls[k] as RingImpl;
        const n = run < 0 ? Math.ceil(oneWayCounts[impl] / 10) : oneWayCounts[impl];
        const rate = await oneWayRound(pairs[k] as OneWayPair, n);
        if (run >= 0) rates[k]?.push(rate);
      }
    }
    oneWayImpls.forEach((impl, k) => {
      const values = rates[k] as number[];
      const med = median(values);
      rows.push({ scenario: 'one-way small', impl, runs: values, median: med, mbPerSec: (med * (impl === 'raw ring' ? RAW_RECORD_BYTES : envelopeBytes)) / MB });
    });
    for (const pair of pairs) await Promise.all([pair.producer.worker.terminate(), pair.consumer.worker.terminate()]);

    const pingImpls: RingImpl[] = ['ring', 'postMessage', 'raw ring'];
    const pings = pingImpls.map((impl) => pingPair(impl));
    for (const pair of pings) workers.push(pair.pinger.worker, ...pair.others);
    const results = pingImpls.map(() => [] as { median: number; p99: number }[]);
    for (let run = -1; run < runs; run++) {
      for (let k = 0; k < pingImpls.length; k++) {
        const n = pingCounts[pingImpls[k] as RingImpl] as number;
        const result = await pingRound(pings[k] as PingPair, run < 0 ? Math.ceil(n / 10) : n);
        if (run >= 0) results[k]?.push(result);
      }
    }
    pingImpls.forEach((impl, k) => {
      const values = results[k] as { median: number; p99: number }[];
      const medians = values.map((v) => v.median);
      const p99s = values.map((v) => v.p99);
      rows.push({ scenario: 'ping-pong small', impl, runs: medians, p99Runs: p99s, median: median(medians), p99: median(p99s) });
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return {
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, commit: gitCommit() },
    runs,
    envelopeBytes,
    rows,
  };
}

function fmtRate(value: number | undefined): string {
  if (value === undefined) return '-';
  return value >= 1e6 ? `${(value / 1e6).toFixed(2)} M` : `${(value / 1e3).toFixed(0)} k`;
}

function fmtUs(value: number | undefined): string {
  return value === undefined ? '-' : value < 10 ? value.toFixed(2) : value.toFixed(1);
}

function ratio(a: number | undefined, b: number | undefined): string {
  return a === undefined || b === undefined ? '-' : `${(a / b).toFixed(a / b < 0.1 ? 3 : 2)}x`;
}

/** The report as Markdown tables with ratios to the peers and to the raw ring. */
export function ringBenchMarkdown(report: RingBenchReport): string {
  const m = report.machine;
  const row = (scenario: RingScenario, impl: RingImpl): RingBenchRow | undefined =>
    report.rows.find((r) => r.scenario === scenario && r.impl === impl);
  const pm = row('one-way small', 'postMessage');
  const pmBatch = row('one-way small', 'postMessage x64');
  const raw = row('one-way small', 'raw ring');
  const lines = [
    `ring channel, worker to worker: ${m.cpu}, ${m.cores} cores, Node ${m.node}, commit ${m.commit}; median of ${report.runs} interleaved runs`,
    '',
    `One-way throughput, small envelopes (${report.envelopeBytes} B as msgpackr records; raw ring: ${RAW_RECORD_BYTES} B records)`,
    '',
    '| implementation | msgs/s | MB/s | vs postMessage | vs postMessage x64 | vs raw ring | runs (msgs/s) |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const impl of ['ring', 'postMessage', 'postMessage x64', 'raw ring'] as const) {
    const r = row('one-way small', impl);
    lines.push(
      `| ${impl} | ${fmtRate(r?.median)} | ${r?.mbPerSec?.toFixed(1) ?? '-'} | ${ratio(r?.median, pm?.median)} | ${ratio(r?.median, pmBatch?.median)} | ${ratio(r?.median, raw?.median)} | ${r?.runs.map(fmtRate).join(', ') ?? '-'} |`,
    );
  }
  const pmRtt = row('ping-pong small', 'postMessage');
  const rawRtt = row('ping-pong small', 'raw ring');
  lines.push('', 'Ping-pong round trip, one small envelope (µs)', '');
  lines.push('| implementation | median | p99 | median vs postMessage | median vs raw ring | p99 vs postMessage | run medians |');
  lines.push('|---|---|---|---|---|---|---|');
  for (const impl of ['ring', 'postMessage', 'raw ring'] as const) {
    const r = row('ping-pong small', impl);
    lines.push(
      `| ${impl} | ${fmtUs(r?.median)} | ${fmtUs(r?.p99)} | ${ratio(r?.median, pmRtt?.median)} | ${ratio(r?.median, rawRtt?.median)} | ${ratio(r?.p99, pmRtt?.p99)} | ${r?.runs.map(fmtUs).join(', ') ?? '-'} |`,
    );
  }
  return lines.join('\n');
}

if (!isMainThread && parentPort !== null && (workerData as Role | undefined)?.role !== undefined) {
  worker(workerData as Role, parentPort);
}

const invokedDirectly = isMainThread && process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const runsAt = args.indexOf('--runs');
  const report = await runRingBench({ ...(runsAt >= 0 ? { runs: Number(args[runsAt + 1]) } : {}), quick: args.includes('--quick') });
  console.log(ringBenchMarkdown(report));
  const jsonAt = args.indexOf('--json');
  if (jsonAt >= 0) {
    const path = args[jsonAt + 1];
    const json = JSON.stringify(report, null, 2);
    if (path !== undefined && !path.startsWith('--')) writeFileSync(path, json);
    else console.log(json);
  }
  process.exit(0);
}
