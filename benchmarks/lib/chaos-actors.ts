/**
 * benchmarks/lib/chaos-actors.ts: the actor types of `pnpm chaos` (benchmarks/chaos-streams.ts, issue 11's
 * reliability suite): a source that streams numbered messages by `ActorRef` and counts what comes
 * back undeliverable, and a sink that counts what it handled and, at the seeded points of a shared
 * kill schedule, ends its own thread in one of the ways a worker can die.
 *
 * Every count lives in SharedArrayBuffers the driver owns (the `ChaosLedger`), so the counts
 * outlive a dead thread and a restarted sink (HO-3 spawns it again from the same parameters)
 * goes on with the same schedule. The payload codec carries no SharedArrayBuffer: the buffers come
 * over a `BroadcastChannel` (`fetchChaosLedger` / `serveChaosLedger`), or straight from the driver
 * for a source on the main thread.
 *
 * The source paces itself through the ledger (at most `window` messages neither handled nor
 * returned) and backs off a few ms after a return, as an application resending later would: so a
 * stream goes on through a death and its restart instead of being sent whole into the gap.
 */
import type { Actor, ActorRef, Context, Instance, Undeliverable } from '@procmesh/core';
import { decodePayload } from '@procmesh/core/transport';
import { registerActor } from '@procmesh/worker-host';
import { BroadcastChannel } from 'node:worker_threads';

/**
 * How a sink dies at a scheduled point: `process.exit` in its handler, an uncaught error in its
 * thread, a failed handler (the host's failure policy tears the proc down), or its worker
 * terminated from outside (`ProcHost.killProc`) while a handler is running.
 */
export type DeathKind = 'exit' | 'uncaught' | 'teardown' | 'terminate';
export const DEATH_KINDS: readonly DeathKind[] = ['exit', 'uncaught', 'teardown', 'terminate'];

/** Words of `ChaosLedger.control`. */
export const CTRL = {
  /** Messages handled so far, all streams (the kill schedule's clock). */
  TOTAL: 0,
  /** Handled messages whose seq was not above the stream's last handled seq. */
  REORDERED: 1,
  /** Kills carried out (the index of the next scheduled kill). */
  KILLS_DONE: 2,
  /** Scheduled kills. */
  KILLS: 3,
  /** Sink incarnations that started (`init` ran). */
  INCARNATIONS: 4,
  /** 1 while a sink handler is parked, waiting for the driver to terminate its worker. */
  TERMINATE: 5,
  /** Never written: what a parked handler waits on. */
  PARK: 6,
  /** From here: `KILLS` thresholds (a kill when TOTAL reaches it), then `KILLS` kinds. */
  SCHEDULE: 8,
} as const;

/** The shared counters of one scenario. */
export interface ChaosLedger {
  /** Int32 per (stream, seq): `stream * perStream + seq`: times handled. */
  readonly handled: SharedArrayBuffer;
  /** Int32 per (stream, seq): times returned to the source. */
  readonly returned: SharedArrayBuffer;
  /** Int32 per stream: [handled, returned, sent, last handled seq]. */
  readonly streams: SharedArrayBuffer;
  /** Int32 words, `CTRL`. */
  readonly control: SharedArrayBuffer;
}

export const STREAM_WORDS = 4;
export const S_HANDLED = 0;
export const S_RETURNED = 1;
export const S_SENT = 2;
export const S_LAST = 3;

/** Ask the driver for its ledger on channel `name` (it answers every 'want'). */
export function fetchChaosLedger(name: string): Promise<ChaosLedger> {
  const channel = new BroadcastChannel(name);
  return new Promise<ChaosLedger>((resolve) => {
    channel.onmessage = (event: unknown) => {
      const data = (event as { data: unknown }).data;
      if (typeof data === 'object' && data !== null && 'control' in data) {
        channel.close();
        resolve(data as ChaosLedger);
      }
    };
    channel.postMessage('want');
  });
}

/** The driver's side: answer every 'want' on channel `name` with `ledger`. Returns a closer. */
export function serveChaosLedger(name: string, ledger: ChaosLedger): () => void {
  const channel = new BroadcastChannel(name);
  channel.onmessage = (event: unknown) => {
    if ((event as { data: unknown }).data === 'want') channel.postMessage(ledger);
  };
  return () => channel.close();
}

/** One numbered message of stream `stream`. */
export type ChaosItem = { type: 'item'; stream: number; seq: number };

export interface ChaosSinkParams {
  readonly ledger: string;
  readonly perStream: number;
  /** Handlers await: a microtask each, a macrotask every 64th. */
  readonly awaits: boolean;
}

function kindCode(kind: DeathKind): number {
  return DEATH_KINDS.indexOf(kind);
}

/** The kind of scheduled kill `k` in `control`. */
export function scheduledKind(control: Int32Array, k: number): DeathKind {
  return DEATH_KINDS[Atomics.load(control, CTRL.SCHEDULE + Atomics.load(control, CTRL.KILLS) + k)] as DeathKind;
}

/** Write the kill schedule (`thresholds` increasing) into `control`. */
export function writeSchedule(control: Int32Array, thresholds: readonly number[], kinds: readonly DeathKind[]): void {
  Atomics.store(control, CTRL.KILLS, thresholds.length);
  thresholds.forEach((t, k) => {
    Atomics.store(control, CTRL.SCHEDULE + k, t);
    Atomics.store(control, CTRL.SCHEDULE + thresholds.length + k, kindCode(kinds[k] as DeathKind));
  });
}

/**
 * Claim the next kill if it is due (TOTAL reached its threshold): exactly one handler carries out
 * each kill (compare-and-exchange on KILLS_DONE).
 */
export function claimKill(control: Int32Array): DeathKind | undefined {
  const k = Atomics.load(control, CTRL.KILLS_DONE);
  if (k >= Atomics.load(control, CTRL.KILLS)) return undefined;
  if (Atomics.load(control, CTRL.TOTAL) < Atomics.load(control, CTRL.SCHEDULE + k)) return undefined;
  return Atomics.compareExchange(control, CTRL.KILLS_DONE, k, k + 1) === k ? scheduledKind(control, k) : undefined;
}

class ChaosSink implements Actor<ChaosItem> {
  private handled : Int32Array<ArrayBufferLike> = new Int32Array(0);
  private streams : Int32Array<ArrayBufferLike> = new Int32Array(0);
  private control : Int32Array<ArrayBufferLike> = new Int32Array(0);
  constructor(private readonly params: ChaosSinkParams) {}
  async init(): Promise<void> {
    const ledger = await fetchChaosLedger(this.params.ledger);
    this.handled = new Int32Array(ledger.handled);
    this.streams = new Int32Array(ledger.streams);
    this.control = new Int32Array(ledger.control);
    Atomics.add(this.control, CTRL.INCARNATIONS, 1);
  }
  handle(_cx: Context<ChaosItem>, msg: ChaosItem): void | Promise<void> {
    if (!this.params.awaits) return this.count(msg);
    return this.later(msg);
  }
  private async later(msg: ChaosItem): Promise<void> {
    if (msg.seq % 64 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    else await Promise.resolve();
    this.count(msg);
  }
  /**
   * Die if a kill is due, else count `msg` as handled (its handler ran) and check its order. A
   * sink that exits or is terminated does so before counting: that message's handler never
   * completed, so it is one of those the runtime returns (RL-3). A failing handler (`teardown`)
   * counts its message first: it was delivered and handled, with a failure (supervision reports it).
   */
  private count(msg: ChaosItem): void {
    const kind = claimKill(this.control);
    if (kind === 'exit') process.exit(9);
    if (kind === 'terminate') {
      // the driver terminates this worker while its handler is parked here (`ProcHost.killProc`)
      Atomics.store(this.control, CTRL.TERMINATE, 1);
      Atomics.notify(this.control, CTRL.TERMINATE);
      for (;;) Atomics.wait(this.control, CTRL.PARK, 0);
    }
    const before = Atomics.add(this.handled, msg.stream * this.params.perStream + msg.seq, 1);
    const base = msg.stream * STREAM_WORDS;
    Atomics.add(this.streams, base + S_HANDLED, 1);
    // a duplicate is counted as such by the driver (handled twice), not as a reorder too
    if (msg.seq <= Atomics.load(this.streams, base + S_LAST)) {
      if (before === 0) Atomics.add(this.control, CTRL.REORDERED, 1);
    } else Atomics.store(this.streams, base + S_LAST, msg.seq);
    Atomics.add(this.control, CTRL.TOTAL, 1);
    if (kind === 'uncaught') {
      setImmediate(() => {
        throw new Error('chaos: uncaught error in the sink thread');
      });
    }
    if (kind === 'teardown') throw new Error('chaos: the sink handler failed (the failure policy tears its proc down)');
  }
}

export type ChaosSourceMsg =
  | { type: 'start'; target: ActorRef<ChaosItem>; stream: number; count: number }
  | { type: 'pump' };

export interface ChaosSourceParams {
  readonly ledger: string;
  readonly perStream: number;
  /** At most this many messages of the stream neither handled nor returned. */
  readonly window: number;
  /** Messages sent per handler run. */
  readonly chunk: number;
}

export class ChaosSource implements Actor<ChaosSourceMsg> {
  private returned : Int32Array<ArrayBufferLike> = new Int32Array(0);
  private streams : Int32Array<ArrayBufferLike> = new Int32Array(0);
  private target: ActorRef<ChaosItem> | undefined;
  private stream = 0;
  private count = 0;
  private next = 0;
  /** Returns counted by `handleUndeliverableMessage`, and as many as `pump` has seen. */
  private returns = 0;
  private returnsSeen = 0;
  /** Probing after a return: the delay between probes (0: not probing). */
  private probeMs = 0;
  private handledAtProbe = 0;
  /** `ledger`: the buffers themselves, for a source on the driver's thread. */
  constructor(
    private readonly params: ChaosSourceParams,
    private readonly ledger?: ChaosLedger,
  ) {}
  async init(cx: Instance<ChaosSourceMsg>): Promise<void> {
    cx.bind();
    const ledger = this.ledger ?? (await fetchChaosLedger(this.params.ledger));
    this.returned = new Int32Array(ledger.returned);
    this.streams = new Int32Array(ledger.streams);
  }
  handle(cx: Context<ChaosSourceMsg>, msg: ChaosSourceMsg): void {
    if (msg.type === 'start') {
      this.target = msg.target;
      this.stream = msg.stream;
      this.count = msg.count;
    }
    this.pump(cx);
  }
  /**
   * Send the next chunk, unless `window` messages are in flight. After a return the source probes:
   * one message per pump, waiting 2, 4, ... up to 128 ms between them, until one is handled again
   * (the sink is back, restarted); then chunks again.
   */
  private pump(cx: Context<ChaosSourceMsg>): void {
    const target = this.target;
    if (target === undefined || this.next >= this.count) return;
    const base = this.stream * STREAM_WORDS;
    const handled = Atomics.load(this.streams, base + S_HANDLED);
    if (this.returns > this.returnsSeen) {
      this.returnsSeen = this.returns;
      this.probeMs = Math.min(128, this.probeMs * 2 || 2);
      this.handledAtProbe = handled;
    } else if (this.probeMs > 0 && handled > this.handledAtProbe) this.probeMs = 0;
    if (this.probeMs > 0) {
      target.send(cx, { type: 'item', stream: this.stream, seq: this.next++ });
      Atomics.store(this.streams, base + S_SENT, this.next);
      cx.selfMessageWithDelay({ type: 'pump' }, this.probeMs);
      return;
    }
    const settled = handled + Atomics.load(this.streams, base + S_RETURNED);
    if (this.next - settled > this.params.window) {
      cx.selfMessageWithDelay({ type: 'pump' }, 1);
      return;
    }
    const end = Math.min(this.count, this.next + this.params.chunk);
    for (; this.next < end; this.next++) target.send(cx, { type: 'item', stream: this.stream, seq: this.next });
    Atomics.store(this.streams, base + S_SENT, this.next);
    if (this.next < this.count) cx.handle().send(cx, { type: 'pump' });
  }
  handleUndeliverableMessage(_cx: Context<ChaosSourceMsg>, u: Undeliverable): void {
    const item = decodePayload(u.envelope.data) as ChaosItem;
    Atomics.add(this.returned, item.stream * this.params.perStream + item.seq, 1);
    Atomics.add(this.streams, item.stream * STREAM_WORDS + S_RETURNED, 1);
    this.returns++;
  }
}

registerActor('ChaosSink', (params: ChaosSinkParams) => new ChaosSink(params));
registerActor('ChaosSource', (params: ChaosSourceParams) => new ChaosSource(params));
