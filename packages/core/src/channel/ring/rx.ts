/**
 * channel/ring/rx.ts: `RingRx<M>`, the consumer side of a ring as a channel `Rx` (types.ts).
 *
 * ## Receiving
 *
 * Two modes: `onMessage(listener)` delivers every message synchronously as it is decoded (the
 * fast path a proc's dispatcher uses); `recv()` returns one message per call from a small
 * prefetch queue (`prefetch` messages; the ring holds the rest, so backpressure reaches the
 * producer). Both start on first use.
 *
 * ## The drain loop and its wake-ups (RING-4)
 *
 * 1. Drain: `poll` up to `maxBatch` records, one READ store per batch; after `yieldEvery`
 *    busy batches, continue in `setImmediate` so timers and I/O of this thread still run.
 * 2. Spin: when the ring is empty, busy-wait up to the spin budget for the next record. The
 *    budget adapts to the idle gaps seen (how long after the ring went empty the waker came,
 *    from the NOTIFY_TIME word): twice the gap when a spin of at most `maxSpinMicros` would have
 *    caught it, halved after a few that it would not have, 0 when spinning does not pay.
 * 3. Sleep: the C1-C3 protocol of ring.ts on `Atomics.waitAsync`, so the event loop stays free;
 *    the producer notifies only because the consumer advertised it sleeps. While asleep with a
 *    listener or a pending `recv`, the Rx holds a ref'd handle so the thread stays alive
 *    (`Atomics.waitAsync` alone does not: nodejs/node#44729); `unref()` turns that off.
 *
 * ## End of stream (RING-9, RING-10, CH-5)
 *
 * When the producer closed or was marked dead, the Rx delivers every published record, then
 * ends: `recv()` rejects with `ChannelError('closed')` once the prefetched messages are taken,
 * `join()` resolves, `onClose` listeners run. A consumer cannot see a producer thread die (a
 * terminated thread changes nothing in shared memory): the host that owns the producer's
 * `Worker` calls `RingBuffer.markProducerDied(code)` on its 'exit' event (from any thread), or
 * this thread calls `producerDied(code)` when told. A partial fragmented record is dropped and
 * the close reason says so. A malformed record or a decode failure ends the Rx with code
 * `protocol`; a listener that throws closes the Rx and the error is rethrown.
 */
import type { ChannelAddr } from '../../addr.js';
import { ChannelError, type Rx } from '../types.js';
import { RECORD_TAG_CODEC_RESET, RECORD_TAG_MESSAGE, type RecordCodec } from './codec.js';
import { RingConsumer } from './consumer.js';
import {
  nowMicros,
  STATE_CONSUMER_END,
  type RingBuffer,
} from './ring.js';
import { publishPending } from './tx.js';
import { KeepAlive } from './wait.js';

export interface RingRxOptions {
  /** Records per poll (one READ store each). Default 256. */
  readonly maxBatch?: number;
  /** Upper bound of the adaptive spin before sleeping, in µs; 0 never spins. Default 200. */
  readonly maxSpinMicros?: number;
  /** Messages decoded ahead of `recv()` calls. Default 1024. */
  readonly prefetch?: number;
  /** Busy batches before yielding to the event loop. Default 16. */
  readonly yieldEvery?: number;
  /** Hold the thread open while waiting for messages someone waits for. Default true. */
  readonly keepAlive?: boolean;
}

export interface RingRxStats {
  /** Messages decoded. */
  records: number;
  /** Polls that found records. */
  batches: number;
  /** Spins that ended with a record (no sleep needed). */
  spinHits: number;
  /** Times the consumer slept on `Atomics.waitAsync`. */
  sleeps: number;
}

export const DEFAULT_MAX_BATCH = 256;
export const DEFAULT_MAX_SPIN_MICROS = 200;
export const DEFAULT_PREFETCH = 1024;
export const DEFAULT_YIELD_EVERY = 16;
/** Below this the spin budget drops to 0. */
const MIN_SPIN_MICROS = 2;
/** Consecutive idle gaps longer than `maxSpinMicros` before the budget halves (one GC pause or
 * preemption should not cost the next hundred round trips a sleep). */
const LONG_GAPS_TO_SHRINK = 4;

const IDLE = 0;
const RUNNING = 1;
const SLEEPING = 2;
const DONE = 3;

export class RingRx<M> implements Rx<M> {
  readonly addr: ChannelAddr;
  readonly consumer: RingConsumer;
  readonly stats: RingRxStats = { records: 0, batches: 0, spinHits: 0, sleeps: 0 };
  private readonly ring: RingBuffer;
  private readonly codec: RecordCodec<M>;
  private readonly maxBatch: number;
  private readonly maxSpin: number;
  private readonly prefetch: number;
  private readonly yieldEvery: number;
  private readonly keepAlive = new KeepAlive();
  private spinBudget: number;
  private phase = IDLE;
  /** When the ring last went empty (µs, `nowMicros`), or -1 while records flow. */
  private idleSince = -1;
  private longGaps = 0;
  private listener: ((message: M) => void) | undefined;
  private queue: M[] = [];
  private head = 0;
  private waiter: { resolve: (message: M) => void; reject: (error: Error) => void } | undefined;
  private decodeError: unknown;
  private endError: ChannelError | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly joined: Promise<void>;
  private resolveJoin!: () => void;

  constructor(ring: RingBuffer, codec: RecordCodec<M>, options: RingRxOptions = {}) {
    this.consumer = new RingConsumer(ring);
    this.ring = ring;
    this.addr = ring.addr;
    this.codec = codec;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.maxSpin = options.maxSpinMicros ?? DEFAULT_MAX_SPIN_MICROS;
    this.spinBudget = this.maxSpin;
    this.prefetch = Math.max(1, options.prefetch ?? DEFAULT_PREFETCH);
    this.yieldEvery = options.yieldEvery ?? DEFAULT_YIELD_EVERY;
    if (options.keepAlive === false) this.keepAlive.disallow();
    this.joined = new Promise<void>((resolve) => (this.resolveJoin = resolve));
  }

  /** Deliver every message to `listener`, synchronously, in order (prefetched ones first). */
  onMessage(listener: (message: M) => void): void {
    this.listener = listener;
    while (this.head < this.queue.length) listener(this.dequeue());
    this.kick();
  }

  recv(): Promise<M> {
    if (this.head < this.queue.length) {
      const message = this.dequeue();
      if (this.phase === IDLE && this.endError === undefined) this.run();
      return Promise.resolve(message);
    }
    if (this.endError !== undefined) return Promise.reject(this.endError);
    if (this.waiter !== undefined) return Promise.reject(new ChannelError('protocol', 'concurrent recv on one Rx'));
    if (this.listener !== undefined) return Promise.reject(new ChannelError('protocol', 'recv on an Rx in onMessage mode'));
    return new Promise<M>((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.kick();
    });
  }

  /** Stop receiving; the producer sees `closed` (RING-9). Unread records are discarded. */
  close(reason = 'receiver closed'): void {
    if (this.phase === DONE) return;
    this.consumer.close();
    this.end(new ChannelError('closed', `channel ${this.addr} is closed: ${reason}`));
  }

  /** This thread was told the producer's thread exited (RING-10); same as `markProducerDied`. */
  producerDied(exitCode = 1): void {
    this.ring.markProducerDied(exitCode);
    if (this.phase === IDLE && this.endError === undefined) this.kick();
  }

  join(): Promise<void> {
    return this.joined;
  }

  /** Called once when the Rx ends, with the reason. Returns an unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.endError !== undefined) {
      listener(this.endError.message);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  get isClosed(): boolean {
    return this.phase === DONE;
  }

  /** Let the thread exit even while this Rx waits (someone else keeps it alive). */
  unref(): this {
    this.keepAlive.disallow();
    return this;
  }

  /** Undo `unref`. */
  ref(): this {
    this.keepAlive.allow();
    if (this.phase === SLEEPING && this.interested()) this.keepAlive.hold();
    return this;
  }

  // ---- the drain loop ---------------------------------------------------------------------

  private kick(): void {
    if (this.phase === IDLE) this.run();
    else if (this.phase === SLEEPING && this.interested()) this.keepAlive.hold();
  }

  private interested(): boolean {
    return this.listener !== undefined || this.waiter !== undefined;
  }

  private readonly run = (): void => {
    if (this.phase === DONE) return;
    this.phase = RUNNING;
    const consumer = this.consumer;
    let batches = 0;
    for (;;) {
      if (this.listener === undefined && this.queue.length - this.head >= this.prefetch) {
        this.phase = IDLE;
        return;
      }
      let count: number;
      try {
        count = consumer.poll(this.visit, this.maxBatch);
      } catch (error) {
        this.close(`message listener threw: ${error instanceof Error ? error.message : String(error)}`);
        throw error;
      }
      if (this.phase === DONE) return;
      if (this.decodeError !== undefined || consumer.corruption !== undefined) {
        const what = consumer.corruption ?? `cannot decode: ${describe(this.decodeError)}`;
        this.consumer.close();
        this.end(new ChannelError('protocol', `channel ${this.addr}: ${what}`, { cause: this.decodeError }));
        return;
      }
      if (count > 0) {
        this.idleSince = -1;
        this.stats.batches++;
        if (++batches >= this.yieldEvery) {
          setImmediate(this.run);
          return;
        }
        continue;
      }
      const state = this.ring.state();
      if ((state & STATE_CONSUMER_END) !== 0) {
        // The producer published before it set the bit: one more look drains everything.
        if (consumer.available()) continue;
        this.end(new ChannelError('closed', `channel ${this.addr} is closed: ${this.consumer.endReason(state)}`));
        return;
      }
      // Replies our listener posted are published before we spin or sleep (tx.ts).
      publishPending();
      if (this.spin()) continue;
      if (!consumer.prepareSleep()) continue;
      const woken = consumer.sleep(false);
      if (woken === undefined) {
        consumer.awake();
        continue;
      }
      this.phase = SLEEPING;
      this.stats.sleeps++;
      if (this.interested()) this.keepAlive.hold();
      void woken.then(this.onWake);
      return;
    }
  };

  /**
   * Spin for the adaptive budget (RING-4's cheap path). The budget follows what a spin would
   * have caught: after a sleep, the waker's NOTIFY_TIME tells how long after going idle the
   * next record (or close) came. If within `maxSpinMicros`, the budget becomes twice that gap;
   * after a few gaps in a row that were longer, it halves, down to 0 (a slow or bursty peer,
   * or one core for two busy threads).
   * The length of the sleep itself cannot be used: it includes the wake-up, ~100 µs or more.
   */
  private spin(): boolean {
    if (this.idleSince < 0) this.idleSince = nowMicros();
    if (this.spinBudget > 0 && this.consumer.spin(this.spinBudget)) {
      this.stats.spinHits++;
      return true;
    }
    return false;
  }

  private readonly onWake = (): void => {
    const notifiedAt = this.consumer.awake();
    this.keepAlive.release();
    if (this.phase !== SLEEPING) return;
    const gap = notifiedAt - this.idleSince;
    if (gap >= 0 && gap <= this.maxSpin) {
      this.longGaps = 0;
      this.spinBudget = Math.min(this.maxSpin, Math.max(this.spinBudget, gap * 2, MIN_SPIN_MICROS));
    } else if (gap > this.maxSpin && ++this.longGaps >= LONG_GAPS_TO_SHRINK) {
      this.longGaps = 0;
      this.spinBudget = this.spinBudget / 2 < MIN_SPIN_MICROS ? 0 : this.spinBudget / 2;
    }
    this.phase = IDLE;
    this.run();
  };

  private readonly visit = (bytes: Uint8Array, start: number, end: number, tag: number): boolean => {
    if (tag !== RECORD_TAG_MESSAGE) {
      if (tag === RECORD_TAG_CODEC_RESET) this.codec.resetDecoder?.();
      return true;
    }
    let message: M;
    try {
      message = this.codec.decode(bytes, start, end);
    } catch (error) {
      this.decodeError = error ?? new Error('decode failed');
      return false;
    }
    this.stats.records++;
    const listener = this.listener;
    if (listener !== undefined) {
      listener(message);
      return this.phase !== DONE;
    }
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve(message);
      return true;
    }
    this.queue.push(message);
    return this.queue.length - this.head < this.prefetch;
  };

  private dequeue(): M {
    const message = this.queue[this.head] as M;
    (this.queue as (M | undefined)[])[this.head++] = undefined;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    return message;
  }


  private end(error: ChannelError): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    this.endError = error;
    this.keepAlive.dispose();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
    for (const listener of this.closeListeners) listener(error.message);
    this.closeListeners.clear();
    this.resolveJoin();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
