/**
 * benchmarks/slow-consumer-nats.ts: the NATS link of `slow-consumer.ts` (`--link nats`). A real
 * `nats-server` on loopback (started here, stopped at shutdown); the producer and the consumer
 * each run in a worker thread of their own, in a `Proc.direct` on that server's subjects
 * (`nats://127.0.0.1:<port>/sc.<role>`), so every item crosses the server (a NatsTx and a NatsRx,
 * the envelope codec) instead of a ring: flow control's path is the NatsTx's gate on its pending
 * messages (channel/nats/tx.ts NX-10) and the consumer proc's session hold, which stops taking
 * from and acking the session (rx.ts NS-9). Same actors (`slow-consumer-actors.ts`), same
 * counters, same samples; a thread's heap after a full GC is asked of the worker over its
 * `parentPort`. Without `nats-server` the setup throws, with the reason.
 *
 * A file of its own beside slow-consumer-tcp.ts (same shape of worker): the two links differ in
 * the address and in the server this one starts.
 */
import { getHeapStatistics } from 'node:v8';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { ActorId, ActorRef, Proc, rootLogger, type ActorHandle } from '@procmesh/core';
import { natsServerVersion, startNatsServer } from './lib/nats-server.js';
import { busySince, fullGc, NO_BUSY, Producer, Sink, type Busy, type ProducerMsg, type SinkMsg } from './slow-consumer-actors.js';
import type { SlowConsumerSetup } from './slow-consumer-tcp.js';

interface NatsInit {
  readonly role: 'producer' | 'consumer';
  readonly url: string;
  readonly counters: string;
  readonly spinMicros: number;
  readonly flowControl: boolean;
}

type ToWorker = { type: 'ping'; sink: string } | { type: 'flood'; sink: string; chunk: number; flushEvery?: number } | { type: 'heap' } | { type: 'busy' } | { type: 'stop' };
type FromWorker = { type: 'ready'; sink?: string } | { type: 'pinged' } | { type: 'heap'; bytes: number } | { type: 'busy'; busy: Busy } | { type: 'stopped' };

/** One worker and a way to ask it one thing at a time of each kind. */
class NatsWorker {
  private readonly worker: Worker;
  private readonly waiting = new Map<string, (m: FromWorker) => void>();
  constructor(init: NatsInit) {
    this.worker = new Worker(new URL(import.meta.url), { workerData: { natsSlowConsumer: init } });
    this.worker.on('message', (m: FromWorker) => {
      const resolve = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      resolve?.(m);
    });
    this.worker.on('error', (err) => process.stderr.write(`slow-consumer nats worker: ${String(err)}\n`));
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

/** The NATS setup: a server, the consumer worker (its sink's id names its subject), then the producer. */
export async function startNatsSetup(counters: string, spinMicros: number, flowControl: boolean): Promise<SlowConsumerSetup> {
  if (natsServerVersion() === undefined) throw new Error('--link nats: nats-server is not installed (apt-get install nats-server)');
  const server = await startNatsServer();
  const consumer = new NatsWorker({ role: 'consumer', url: server.url, counters, spinMicros, flowControl });
  const sink = (await consumer.next('ready')).sink as string;
  const producer = new NatsWorker({ role: 'producer', url: server.url, counters, spinMicros, flowControl });
  await producer.next('ready');
  return {
    async ping() {
      const pinged = producer.next('pinged');
      producer.post({ type: 'ping', sink });
      await pinged;
    },
    flood(chunk, flushEvery) {
      producer.post({ type: 'flood', sink, chunk, ...(flushEvery !== undefined ? { flushEvery } : {}) });
    },
    async heaps(timeoutMs) {
      return Promise.all([producer.heap(timeoutMs), consumer.heap(timeoutMs)]);
    },
    consumerBusy: (timeoutMs) => consumer.busy(timeoutMs),
    async shutdown() {
      await producer.stop();
      await consumer.stop();
      server.stop();
    },
  };
}

/** A worker: a direct proc on the NATS server with the producer or the sink. */
async function workerMain(init: NatsInit): Promise<void> {
  const port = parentPort as NonNullable<typeof parentPort>;
  // without flow control the millions queued at the end come back at shutdown, one log line each
  if (!init.flowControl) rootLogger().level = 'fatal';
  // a producer whose last sends come back at shutdown fails, and with no coordinator its proc "crashes": not measured
  const proc = await Proc.direct(`${init.url}/sc`, init.role, { config: { flowControl: init.flowControl }, onCrash: () => {} });
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
        producer?.send(client, { type: 'flood', target: target(m.sink), chunk: m.chunk, ...(m.flushEvery !== undefined ? { flushEvery: m.flushEvery } : {}) });
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

const init = (workerData as { natsSlowConsumer?: NatsInit } | undefined)?.natsSlowConsumer;
if (!isMainThread && init !== undefined) await workerMain(init);
