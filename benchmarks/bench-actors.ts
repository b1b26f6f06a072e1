/**
 * benchmarks/bench-actors.ts: the actor types of `actors.bench.ts`, registered in every worker
 * proc (`ProcHost.start({ modules: [new URL('./bench-actors.js', import.meta.url)] })`).
 *
 * Every figure is measured inside the workers (timestamps on the shared `timeOrigin` epoch, or
 * round trips timed by the pinger) and reported to the main thread by a once port, so the main
 * thread's own latency is never in a figure.
 *
 * - `ActorsBenchPinger` / `ActorsBenchPonger`: a ping-pong of small messages by ref; the pinger
 *   times each round trip (both handlers included) and answers the median and p99.
 * - `ActorsBenchBlaster`: on `blast`, answers `started` with the time, then sends `count` small
 *   messages by ref to each of its `targets` (interleaved), awaiting the proc's `flush()` every
 *   `FLUSH_EVERY` messages: flow control, so a burst waits in the ring rather than in a
 *   link's (unbounded) overflow queue.
 * - `ActorsBenchSink`: counts messages; `expect` raises the count it waits for (answering
 *   `ready`), and when the count is reached it answers `done` with the time of the last arrival
 *   and the first per-sender order violation, if any.
 */
import type { Actor, ActorRef, Context, OncePortRef } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';

/** Wall-clock ms comparable across threads. */
const now = (): number => performance.timeOrigin + performance.now();

/** The small message of BENCHMARKS.md, as an actor message (the address is the envelope's). */
export interface SmallMsg {
  readonly type: 'm';
  readonly seq: number;
  readonly payload: { readonly x: number; readonly y: string };
}

export const small = (seq: number): SmallMsg => ({ type: 'm', seq, payload: { x: 1, y: 'hello' } });

export interface SinkDone {
  readonly lastAt: number;
  readonly received: number;
  readonly error?: string;
}

export type SinkMsg =
  | SmallMsg
  | { readonly type: 'expect'; readonly count: number; readonly ready: OncePortRef<boolean>; readonly done: OncePortRef<SinkDone> };

export type BlasterMsg = {
  readonly type: 'blast';
  readonly targets: readonly ActorRef<SinkMsg>[];
  /** Messages to each target. */
  readonly count: number;
  readonly started: OncePortRef<number>;
};

export type PongMsg = { readonly type: 'hello'; readonly pinger: ActorRef<PingMsg> } | { readonly type: 'ping'; readonly seq: number; readonly payload: SmallMsg['payload'] };

export type PingMsg =
  | { readonly type: 'start'; readonly count: number; readonly ponger: ActorRef<PongMsg>; readonly done: OncePortRef<PingResult> }
  | { readonly type: 'pong'; readonly seq: number; readonly payload: SmallMsg['payload'] };

/** Round-trip times of one round, µs. */
export interface PingResult {
  readonly median: number;
  readonly p99: number;
  readonly error?: string;
}

/** Messages between flow-control flushes of the blaster. */
export const FLUSH_EVERY = 4096;

class Blaster implements Actor<BlasterMsg> {
  private seq = 0;

  async handle(cx: Context<BlasterMsg>, msg: BlasterMsg): Promise<void> {
    msg.started.send(cx, now());
    const targets = msg.targets;
    let sent = 0;
    for (let i = 0; i < msg.count; i++) {
      const seq = this.seq++;
      for (const target of targets) {
        target.send(cx, small(seq));
        if (++sent % FLUSH_EVERY === 0) await cx.proc.flush();
      }
    }
  }
}

class Sink implements Actor<SinkMsg> {
  private received = 0;
  private target = 0;
  private done: OncePortRef<SinkDone> | undefined;
  private error: string | undefined;
  /** Last seq seen per sender (messages of one sender must arrive in order). */
  private readonly last = new Map<string, number>();
  private lastSender: string | undefined;
  private lastSeq = -1;

  handle(cx: Context<SinkMsg>, msg: SinkMsg): void {
    if (msg.type === 'm') {
      const sender = (cx.headers.seq_info?.kind === 'session' ? cx.headers.seq_info.sessionId : undefined) ?? '';
      if (sender !== this.lastSender) {
        if (this.lastSender !== undefined) this.last.set(this.lastSender, this.lastSeq);
        this.lastSender = sender;
        this.lastSeq = this.last.get(sender) ?? -1;
      }
      if (msg.seq <= this.lastSeq && this.error === undefined) this.error = `sender ${sender}: seq ${msg.seq} after ${this.lastSeq}`;
      this.lastSeq = msg.seq;
      if (++this.received === this.target) this.finish(cx);
      return;
    }
    this.target += msg.count;
    this.done = msg.done;
    msg.ready.send(cx, true);
    if (this.received >= this.target) this.finish(cx);
  }

  private finish(cx: Context<SinkMsg>): void {
    const done = this.done;
    this.done = undefined;
    const result: SinkDone = { lastAt: now(), received: this.received };
    done?.send(cx, this.error === undefined ? result : { ...result, error: this.error });
  }
}

class Ponger implements Actor<PongMsg> {
  private pinger: ActorRef<PingMsg> | undefined;

  handle(cx: Context<PongMsg>, msg: PongMsg): void {
    if (msg.type === 'hello') this.pinger = msg.pinger;
    else this.pinger?.send(cx, { type: 'pong', seq: msg.seq, payload: msg.payload });
  }
}

class Pinger implements Actor<PingMsg> {
  private rtts = new Float64Array(0);
  private next = 0;
  private sentAt = 0;
  private ponger: ActorRef<PongMsg> | undefined;
  private done: OncePortRef<PingResult> | undefined;
  private error: string | undefined;

  handle(cx: Context<PingMsg>, msg: PingMsg): void {
    if (msg.type === 'start') {
      this.rtts = new Float64Array(msg.count);
      this.next = 0;
      this.ponger = msg.ponger;
      this.done = msg.done;
      this.error = undefined;
      msg.ponger.send(cx, { type: 'hello', pinger: cx.bind() });
      this.ping(cx);
      return;
    }
    const rtt = (performance.now() - this.sentAt) * 1000;
    if (msg.seq !== this.next && this.error === undefined) this.error = `pong ${msg.seq}, expected ${this.next}`;
    this.rtts[this.next++] = rtt;
    if (this.next < this.rtts.length) {
      this.ping(cx);
      return;
    }
    const sorted = this.rtts.sort();
    const at = (p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] as number;
    const result: PingResult = { median: at(0.5), p99: at(0.99) };
    this.done?.send(cx, this.error === undefined ? result : { ...result, error: this.error });
    this.done = undefined;
  }

  private ping(cx: Context<PingMsg>): void {
    this.sentAt = performance.now();
    this.ponger?.send(cx, { type: 'ping', seq: this.next, payload: { x: 1, y: 'hello' } });
  }
}

registerActor('ActorsBenchBlaster', () => new Blaster());
registerActor('ActorsBenchSink', () => new Sink());
registerActor('ActorsBenchPonger', () => new Ponger());
registerActor('ActorsBenchPinger', () => new Pinger());
