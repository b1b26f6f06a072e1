/**
 * benchmarks/lib/large.ts: large messages (64 KiB, 1 MiB) from one proc to another, one way
 * (BENCHMARKS.md: the "large messages, cross-proc" row of the matrix).
 *
 * Implementations, set up once and measured interleaved (run 1 of each, then run 2 of each...):
 *
 * - `procmesh ring`: a `ProcHost` with two worker procs linked by SharedArrayBuffer rings (bodies
 *   of 16 KiB or more travel out of band: copied once into shared memory at the send, handed
 *   over on the link's side port; core wire/attachments.ts). A
 *   `BenchSource` actor on proc 1 sends `count` messages `{type, seq, body: Uint8Array}` by
 *   `ActorRef` to a `BenchSink` on proc 2 (`suite-actors.ts`): encode, route, ring, decode,
 *   handle.
 * - `procmesh ring, moved`: the same, the source moving each body (`send(cx, msg, { transfer:
 *   [body.buffer] })`): compared with `postMessage transfer`.
 * (`procmesh port`, the same over MessagePort links, went with `transport: 'port'` in issue 16.)
 * - `postMessage transfer`: two workers on a `MessageChannel`, each message `{seq, body}` with
 *   a new `ArrayBuffer` of the size moved by the transfer list (no copy): the peer.
 * - `postMessage copy`: the same, structured-cloned (copied).
 *
 * Every message's body is a new zeroed buffer of the size, on every side. The time runs from
 * the sender's first send to the receiver's last receive (both on the shared `timeOrigin`
 * epoch); MB/s counts body bytes (1 MB = 10^6 bytes).
 */
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { ProcHost } from '@procmesh/worker-host';
import type { ActorRef } from '@procmesh/core';
import type { SinkDone, SinkMsg, SourceMsg } from '../suite-actors.js';
import { median, now } from './stats.js';
import type { Figure } from './scenario.js';

export const LARGE_SIZES = [64 * 1024, 1024 * 1024] as const;

export type LargeImpl = 'procmesh ring' | 'procmesh ring, moved' | 'postMessage transfer' | 'postMessage copy';

export interface LargeResult {
  readonly bytes: number;
  /** MB/s figures; `procmesh ring` and `procmesh ring, moved` first. */
  readonly figures: readonly Figure[];
}

export interface LargeBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const MB = 1e6;

// ---------------------------------------------------------------------------------------------
// The postMessage workers (this module, started with a role).

type Role = { readonly largeRole: 'producer'; readonly port: MessagePort; readonly transfer: boolean } | { readonly largeRole: 'consumer'; readonly port: MessagePort };
type Go = { readonly count: number; readonly bytes: number };
type Reply = { readonly ready: true } | { readonly t0: number } | { readonly t1: number; readonly error?: string };
interface Message {
  readonly seq: number;
  readonly body: Uint8Array;
}

function runRole(role: Role, control: NonNullable<typeof parentPort>): void {
  const port = role.port;
  if (role.largeRole === 'producer') {
    let seq = 0;
    control.on('message', (go: Go) => {
      control.postMessage({ t0: now() } satisfies Reply);
      for (let i = 0; i < go.count; i++) {
        const body = new Uint8Array(go.bytes);
        port.postMessage({ seq: seq++, body } satisfies Message, role.transfer ? [body.buffer] : []);
      }
    });
    return;
  }
  let next = 0;
  let target = 0;
  let bytes = 0;
  let error: string | undefined;
  control.on('message', (go: Go) => {
    target += go.count;
    bytes = go.bytes;
    control.postMessage({ ready: true } satisfies Reply);
  });
  port.on('message', (m: Message) => {
    if (error === undefined) {
      if (m.seq !== next) error = `expected seq ${next}, got ${m.seq}`;
      else if (m.body.byteLength !== bytes) error = `message ${m.seq}: ${m.body.byteLength} bytes, expected ${bytes}`;
    }
    next++;
    if (next === target) control.postMessage((error === undefined ? { t1: now() } : { t1: now(), error }) satisfies Reply);
  });
}

if (!isMainThread && parentPort !== null && (workerData as Role | undefined)?.largeRole !== undefined) {
  runRole(workerData as Role, parentPort);
}

// ---------------------------------------------------------------------------------------------
// Contestants (main thread).

interface Contestant {
  readonly impl: LargeImpl;
  /** One round of `count` messages of `bytes`; msgs/s. */
  round(count: number, bytes: number): Promise<number>;
  teardown(): Promise<void>;
}

function rate(count: number, t0: number, t1: number, error: string | undefined, impl: LargeImpl): number {
  if (error !== undefined) throw new Error(`${impl}: ${error}`);
  return count / ((t1 - t0) / 1000);
}

async function procmeshContestant(move: boolean): Promise<Contestant> {
  const host = await ProcHost.start({ procs: 2, modules: [new URL('../suite-actors.js', import.meta.url)] });
  const impl: LargeImpl = move ? 'procmesh ring, moved' : 'procmesh ring';
  try {
    const source: ActorRef<SourceMsg> = await host.spawn<SourceMsg>(1, 'BenchSource', 'source');
    const sink: ActorRef<SinkMsg> = await host.spawn<SinkMsg>(2, 'BenchSink', 'sink');
    return {
      impl,
      async round(count, bytes) {
        const [ready, readyRx] = host.client.openOncePort<boolean>();
        const [done, doneRx] = host.client.openOncePort<SinkDone>();
        sink.send(host.client, { type: 'expect', count, bytes, ready: ready.bind(), done: done.bind() });
        await readyRx.recv();
        const [started, startedRx] = host.client.openOncePort<number>();
        source.send(host.client, { type: 'blast', target: sink, count, bytes, move, started: started.bind() });
        const t0 = await startedRx.recv();
        const { lastAt, error } = await doneRx.recv();
        return rate(count, t0, lastAt, error, impl);
      },
      teardown: () => host.shutdown(),
    };
  } catch (err) {
    await host.shutdown();
    throw err;
  }
}

interface RolePeer {
  readonly worker: Worker;
  next(): Promise<Reply>;
}

function startRole(role: Role): RolePeer {
  const worker = new Worker(new URL(import.meta.url), { workerData: role, transferList: [role.port] });
  const queue: Reply[] = [];
  const waiting: { resolve: (r: Reply) => void; reject: (e: unknown) => void }[] = [];
  let failure: unknown;
  worker.on('message', (reply: Reply) => {
    const w = waiting.shift();
    if (w !== undefined) w.resolve(reply);
    else queue.push(reply);
  });
  worker.on('error', (err) => {
    failure = err;
    for (const w of waiting.splice(0)) w.reject(err);
  });
  return {
    worker,
    next: () => {
      const reply = queue.shift();
      if (reply !== undefined) return Promise.resolve(reply);
      if (failure !== undefined) return Promise.reject(failure);
      return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
    },
  };
}

function postMessageContestant(transfer: boolean): Contestant {
  const { port1, port2 } = new MessageChannel();
  const consumer = startRole({ largeRole: 'consumer', port: port2 });
  const producer = startRole({ largeRole: 'producer', port: port1, transfer });
  const impl: LargeImpl = transfer ? 'postMessage transfer' : 'postMessage copy';
  return {
    impl,
    async round(count, bytes) {
      consumer.worker.postMessage({ count, bytes } satisfies Go);
      await consumer.next(); // ready
      producer.worker.postMessage({ count, bytes } satisfies Go);
      const { t0 } = (await producer.next()) as { t0: number };
      const { t1, error } = (await consumer.next()) as { t1: number; error?: string };
      return rate(count, t0, t1, error, impl);
    },
    teardown: async () => {
      await Promise.all([producer.worker.terminate(), consumer.worker.terminate()]);
    },
  };
}

/** Messages per round for each size: about 128 MiB (quick: 64 MiB) per round. */
function countFor(bytes: number, quick: boolean): number {
  return Math.max(8, Math.round(((quick ? 64 : 128) * 1024 * 1024) / bytes));
}

export async function runLargeBench(options: LargeBenchOptions): Promise<LargeResult[]> {
  const contestants: Contestant[] = [];
  try {
    contestants.push(await procmeshContestant(false), await procmeshContestant(true), postMessageContestant(true), postMessageContestant(false));
    const rates = new Map<string, number[]>();
    for (let run = -1; run < options.runs; run++) {
      for (const bytes of LARGE_SIZES) {
        const count = countFor(bytes, options.quick);
        for (const c of contestants) {
          const msgsPerSec = await c.round(run < 0 ? Math.max(4, Math.ceil(count / 8)) : count, bytes);
          if (run < 0) continue;
          const key = `${c.impl}/${bytes}`;
          rates.set(key, [...(rates.get(key) ?? []), (msgsPerSec * bytes) / MB]);
        }
      }
    }
    return LARGE_SIZES.map((bytes) => ({
      bytes,
      figures: contestants.map((c) => {
        const runs = rates.get(`${c.impl}/${bytes}`) ?? [];
        return { impl: c.impl, unit: 'MB/s', median: median(runs), runs };
      }),
    }));
  } finally {
    for (const c of contestants) await c.teardown().catch(() => undefined);
  }
}
