/**
 * benchmarks/slow-consumer-actors.ts: the actor types of `slow-consumer.ts` (issue 11's slow
 * consumer), registered in both worker procs.
 *
 * - `SlowConsumerProducer`: on `flood`, streams small numbered messages by `ActorRef` as fast as
 *   its turns go: `chunk` sends per turn, then a self-sent `more` (so flow control's muting,
 *   which takes effect between handlers, can hold it). No user-level pacing, unless `flushEvery`
 *   is set: then it awaits `proc.flush()` every that many sends (the workaround a user had to
 *   know about before flow control; the issue's reference run). It stops when the driver sets
 *   the `STOP` counter.
 * - `SlowConsumerSink`: busy-waits `spinMicros` per message (the slow stage), checks the order.
 * - `SlowConsumerProbe`: answers its thread's V8 heap in use after a full GC, or how busy its
 *   thread's event loop was since the last ask (`busy`, `Busy`: a consumer that waits for input is
 *   idle; and how much of the time it ran on a core, or waited for one).
 *
 * Counts go to a SharedArrayBuffer the driver owns (indices `SC_*`), handed out over a
 * `BroadcastChannel` (the payload codec carries no SharedArrayBuffer), so reading them costs the
 * measured threads nothing.
 */
import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readFileSync } from 'node:fs';
import { BroadcastChannel } from 'node:worker_threads';
import type { Actor, ActorRef, Context, Instance, OncePortRef } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';

/** Int32 indices of the shared counters. */
export const SC_SENT = 0;
export const SC_HANDLED = 1;
export const SC_ORDER_ERRORS = 2;
/** Set to 1 by the driver: the producer sends no more. */
export const SC_STOP = 3;
export const SC_COUNTERS = 4;

/** `global.gc` in any thread, without `--expose-gc` on the command line. */
export function fullGc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g !== undefined) {
    g();
    return;
  }
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

/** Ask the driver for the counters on channel `name`. */
function fetchCounters(name: string): Promise<Int32Array> {
  const channel = new BroadcastChannel(name);
  return new Promise<Int32Array>((resolve) => {
    channel.onmessage = (event: unknown) => {
      const data = (event as { data: unknown }).data;
      if (data instanceof SharedArrayBuffer) {
        channel.close();
        resolve(new Int32Array(data));
      }
    };
    channel.postMessage('want');
  });
}

/** The driver's side: answer every 'want' on `name` with `counters`. Returns a closer. */
export function serveCounters(name: string, counters: SharedArrayBuffer): () => void {
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: unknown) => {
    if ((event as { data: unknown }).data === 'want') channel.postMessage(counters);
  };
  return () => channel.close();
}

export type SinkMsg = { type: 'item'; seq: number; payload: { x: number; y: string } } | { type: 'ping'; reply: OncePortRef<number> };

export type ProducerMsg =
  | { type: 'ping'; target: ActorRef<SinkMsg>; reply: OncePortRef<number> }
  | { type: 'flood'; target: ActorRef<SinkMsg>; chunk: number; flushEvery?: number }
  | { type: 'more' };

export type ProbeMsg = { type: 'heap'; reply: OncePortRef<number> } | { type: 'busy'; reply: OncePortRef<Busy> };

/**
 * Where a thread's time went since the previous `busySince()`, as fractions of the wall time:
 * `busy`, its event loop was not idle (`eventLoopUtilization`; idle: waiting for input); `cpu`,
 * it ran on a core, and `wait`, it was runnable but waited for a core (Linux
 * `/proc/thread-self/schedstat`: the machine's load; NaN elsewhere).
 */
export interface Busy {
  readonly busy: number;
  readonly cpu: number;
  readonly wait: number;
}

/** No answer. */
export const NO_BUSY: Busy = { busy: Number.NaN, cpu: Number.NaN, wait: Number.NaN };

function schedstat(): [number, number] {
  try {
    const [cpu, wait] = readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ').map(Number);
    return [cpu ?? Number.NaN, wait ?? Number.NaN];
  } catch {
    return [Number.NaN, Number.NaN];
  }
}

let lastUtilization = performance.eventLoopUtilization();
let lastSched = schedstat();
let lastAt = performance.now();

export function busySince(): Busy {
  const now = performance.eventLoopUtilization();
  const delta = performance.eventLoopUtilization(now, lastUtilization);
  const sched = schedstat();
  const at = performance.now();
  const wallNs = (at - lastAt) * 1e6;
  const busy = { busy: delta.utilization, cpu: (sched[0] - lastSched[0]) / wallNs, wait: (sched[1] - lastSched[1]) / wallNs };
  lastUtilization = now;
  lastSched = sched;
  lastAt = at;
  return busy;
}

export interface CountersParams {
  readonly counters: string;
}

export interface SinkParams extends CountersParams {
  /** Busy time per message, µs. */
  readonly spinMicros: number;
}

export class Sink implements Actor<SinkMsg> {
  private counters: Int32Array<ArrayBufferLike> = new Int32Array(SC_COUNTERS);
  private next = 0;
  constructor(private readonly params: SinkParams) {}
  async init(): Promise<void> {
    this.counters = await fetchCounters(this.params.counters);
  }
  handle(cx: Context<SinkMsg>, msg: SinkMsg): void {
    if (msg.type === 'ping') {
      msg.reply.send(cx, this.next);
      return;
    }
    if (msg.seq !== this.next) Atomics.add(this.counters, SC_ORDER_ERRORS, 1);
    this.next = msg.seq + 1;
    const until = performance.now() + this.params.spinMicros / 1000;
    while (performance.now() < until);
    Atomics.add(this.counters, SC_HANDLED, 1);
  }
}

export class Producer implements Actor<ProducerMsg> {
  private counters: Int32Array<ArrayBufferLike> = new Int32Array(SC_COUNTERS);
  private target: ActorRef<SinkMsg> | undefined;
  private sent = 0;
  private chunk = 0;
  private flushEvery = 0;
  constructor(private readonly params: CountersParams) {}
  async init(cx: Instance<ProducerMsg>): Promise<void> {
    cx.bind();
    this.counters = await fetchCounters(this.params.counters);
  }
  handle(cx: Context<ProducerMsg>, msg: ProducerMsg): void | Promise<void> {
    switch (msg.type) {
      case 'ping':
        msg.target.send(cx, { type: 'ping', reply: msg.reply }); // makes the link (LZ-1)
        return;
      case 'flood':
        this.target = msg.target;
        this.chunk = msg.chunk;
        this.flushEvery = msg.flushEvery ?? 0;
        return this.sendChunk(cx);
      case 'more':
        return this.sendChunk(cx);
    }
  }
  private sendChunk(cx: Context<ProducerMsg>): void | Promise<void> {
    if (Atomics.load(this.counters, SC_STOP) !== 0) return;
    if (this.flushEvery > 0) return this.sendPaced(cx);
    const target = this.target as ActorRef<SinkMsg>;
    const end = this.sent + this.chunk;
    for (; this.sent < end; this.sent++) target.send(cx, { type: 'item', seq: this.sent, payload: { x: 1, y: 'hello' } });
    Atomics.store(this.counters, SC_SENT, this.sent);
    cx.handle().send(cx, { type: 'more' });
  }
  private async sendPaced(cx: Context<ProducerMsg>): Promise<void> {
    const target = this.target as ActorRef<SinkMsg>;
    const end = this.sent + this.chunk;
    while (this.sent < end) {
      target.send(cx, { type: 'item', seq: this.sent, payload: { x: 1, y: 'hello' } });
      if (++this.sent % this.flushEvery === 0) {
        Atomics.store(this.counters, SC_SENT, this.sent);
        await cx.proc.flush();
      }
    }
    Atomics.store(this.counters, SC_SENT, this.sent);
    cx.handle().send(cx, { type: 'more' });
  }
}

class Probe implements Actor<ProbeMsg> {
  handle(cx: Context<ProbeMsg>, msg: ProbeMsg): void {
    if (msg.type === 'busy') {
      msg.reply.send(cx, busySince());
      return;
    }
    fullGc();
    msg.reply.send(cx, getHeapStatistics().used_heap_size);
  }
}

registerActor('SlowConsumerSink', (params: SinkParams) => new Sink(params));
registerActor('SlowConsumerProducer', (params: CountersParams) => new Producer(params));
registerActor('SlowConsumerProbe', () => new Probe());
