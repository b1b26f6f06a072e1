/**
 * benchmarks/slow-consumer-tcp.ts: the tcp link of `slow-consumer.ts` (`--link tcp`). The
 * producer and the consumer each run in a worker thread of their own, in a `Proc.direct` served
 * on `tcp:127.0.0.1:0`, so every item crosses a real tcp connection (a NetTx and a NetRx, the
 * envelope codec) instead of a ring: flow control's path is the NetTx queue's gate
 * (channel/net/tx.ts NT-12) and the consumer proc's session hold, which stops reading the socket
 * (rx.ts NR-9). Same actors (`slow-consumer-actors.ts`), same counters, same samples; a thread's
 * heap after a full GC is asked of the worker over its `parentPort` (no actor on that path).
 *
 * Plain worker threads rather than a `ProcHost`: the procs of one host reach each other over
 * rings, and a host's worker keeps its `local:N` id, so a send between two of them never takes
 * the socket. `startDirectSetup` takes any address a `Proc.direct` serves on: the NATS link
 * (`slow-consumer-nats.ts`) is this setup on a nats-server's subjects.
 */
import { getHeapStatistics } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ActorId, ActorRef, Proc, rootLogger, type ActorHandle } from '@procmesh/core';
import { busySince, fullGc, NO_BUSY, Producer, Sink, type Busy, type ProducerMsg, type SinkMsg } from './slow-consumer-actors.js';

/** What the driver needs of a setup (ring: a `ProcHost`; tcp: this file). */
export interface SlowConsumerSetup {
  /** Make the link (a ping through the producer to the consumer and back). */
  ping(): Promise<void>;
  /** Start the flood (`flushEvery`: the `paced` mode; `limit`: the `alone` mode). */
  flood(chunk: number, flushEvery: number | undefined, limit?: number): void;
  /** Heap in use after a full GC in the producer's and the consumer's thread, bytes (NaN: no answer within `timeoutMs`). */
  heaps(timeoutMs: number): Promise<[number, number]>;
  /** Where the consumer's thread's time went since the last ask (NaN: no answer within `timeoutMs`). */
  consumerBusy(timeoutMs: number): Promise<Busy>;
  shutdown(): Promise<void>;
}

interface DirectInit {
  readonly role: 'producer' | 'consumer';
  /** What the worker's `Proc.direct` serves on (`tcp:127.0.0.1:0`, `nats://...`). */
  readonly addr: string;
  readonly counters: string;
  readonly spinMicros: number;
  readonly flowControl: boolean;
}

type ToWorker = { type: 'ping'; sink: string } | { type: 'flood'; sink: string; chunk: number; flushEvery?: number; limit?: number } | { type: 'heap' } | { type: 'busy' } | { type: 'stop' };
type FromWorker = { type: 'ready'; sink?: string } | { type: 'pinged' } | { type: 'heap'; bytes: number } | { type: 'busy'; busy: Busy } | { type: 'stopped' };

/** One worker and a way to ask it one thing at a time of each kind. */
class DirectWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<string, (m: FromWorker) => void>();
  constructor(init: DirectInit) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: init });
    this.worker.on('message', (m: FromWorker) => {
      const resolve = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      resolve?.(m);
    });
    this.worker.on('error', (err) => process.stderr.write(`slow-consumer ${init.addr} worker: ${String(err)}\n`));
  }
  next<K extends FromWorker['type']>(type: K): Promise<Extract<FromWorker, { type: K }>> {
    return new Promise((resolve) => this.waiting.set(type, resolve as (m: FromWorker) => void));
  }
  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }
  heap(timeoutMs: number): Promise<number> {
    return this.ask('heap', timeoutMs, (m) => m.bytes, Number.NaN);
  }
  busy(timeoutMs: number): Promise<Busy> {
    return this.ask('busy', timeoutMs, (m) => m.busy, NO_BUSY);
  }
  private async ask<K extends 'heap' | 'busy', V>(type: K, timeoutMs: number, pick: (m: Extract<FromWorker, { type: K }>) => V, none: V): Promise<V> {
    const answer = this.next(type);
    this.post({ type });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<V>((resolve) => (timer = setTimeout(() => resolve(none), timeoutMs)));
    const value = await Promise.race([answer.then(pick), timeout]);
    clearTimeout(timer);
    return value;
  }
  async stop(): Promise<void> {
    const stopped = this.next('stopped');
    this.post({ type: 'stop' });
    await Promise.race([stopped, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await this.worker.terminate();
  }
}

/** The tcp setup. */
export function startTcpSetup(counters: string, spinMicros: number, flowControl: boolean): Promise<SlowConsumerSetup> {
  return startDirectSetup('tcp:127.0.0.1:0', counters, spinMicros, flowControl);
}

/**
 * Two direct procs served on `addr`: consumer worker first (its sink's id names its served
 * address), then the producer; `afterStop` runs once both stopped (the NATS link stops its server).
 */
export async function startDirectSetup(addr: string, counters: string, spinMicros: number, flowControl: boolean, afterStop?: () => void): Promise<SlowConsumerSetup> {
  const consumer = new DirectWorker({ role: 'consumer', addr, counters, spinMicros, flowControl });
  const sink = (await consumer.next('ready')).sink as string;
  const producer = new DirectWorker({ role: 'producer', addr, counters, spinMicros, flowControl });
  await producer.next('ready');
  return {
    async ping() {
      const pinged = producer.next('pinged');
      producer.post({ type: 'ping', sink });
      await pinged;
    },
    flood(chunk, flushEvery, limit) {
      producer.post({ type: 'flood', sink, chunk, ...(flushEvery !== undefined ? { flushEvery } : {}), ...(limit !== undefined ? { limit } : {}) });
    },
    async heaps(timeoutMs) {
      return Promise.all([producer.heap(timeoutMs), consumer.heap(timeoutMs)]);
    },
    consumerBusy: (timeoutMs) => consumer.busy(timeoutMs),
    async shutdown() {
      await producer.stop();
      await consumer.stop();
      afterStop?.();
    },
  };
}

/** A worker: a direct proc on `init.addr` with the producer or the sink. */
async function workerMain(init: DirectInit): Promise<void> {
  const port = parentPort as NonNullable<typeof parentPort>;
  // without flow control the millions queued at the end come back at shutdown, one log line each
  if (!init.flowControl) rootLogger().level = 'fatal';
  // a producer whose last sends come back at shutdown fails, and with no coordinator its proc "crashes": not measured
  const proc = await Proc.direct(init.addr, init.role, { config: { flowControl: init.flowControl }, onCrash: () => {} });
  const [client] = proc.instance('driver');
  let producer: ActorHandle<ProducerMsg> | undefined;
  if (init.role === 'consumer') {
    const sink = proc.spawn('sink', new Sink({ counters: init.counters, spinMicros: init.spinMicros }));
    sink.bind(); // its actor port, where refs from the producer's proc arrive
    port.postMessage({ type: 'ready', sink: String(sink.actorId) } satisfies FromWorker);
  } else {
    producer = proc.spawn('producer', new Producer({ counters: init.counters }));
    port.postMessage({ type: 'ready' } satisfies FromWorker);
  }
  const target = (sink: string): ActorRef<SinkMsg> => ActorRef.attest<SinkMsg>(ActorId.parse(sink));
  port.on('message', (m: ToWorker) => {
    switch (m.type) {
      case 'ping': {
        const [reply, answer] = client.openOncePort<number>();
        producer?.send(client, { type: 'ping', target: target(m.sink), reply: reply.bind() });
        void answer.recv().then(() => port.postMessage({ type: 'pinged' } satisfies FromWorker));
        return;
      }
      case 'flood':
        producer?.send(client, { type: 'flood', target: target(m.sink), chunk: m.chunk, ...(m.flushEvery !== undefined ? { flushEvery: m.flushEvery } : {}), ...(m.limit !== undefined ? { limit: m.limit } : {}) });
        return;
      case 'heap':
        fullGc();
        port.postMessage({ type: 'heap', bytes: getHeapStatistics().used_heap_size } satisfies FromWorker);
        return;
      case 'busy':
        port.postMessage({ type: 'busy', busy: busySince() } satisfies FromWorker);
        return;
      case 'stop':
        rootLogger().level = 'silent'; // the returns of what was still queued (not drained: `off`)
        void proc.stopServing('bench over').finally(() => port.postMessage({ type: 'stopped' } satisfies FromWorker));
        return;
    }
  });
}

if (!isMainThread && (workerData as Partial<DirectInit> | undefined)?.role !== undefined) await workerMain(workerData as DirectInit);
