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
 * One loop, stepped in microtasks, for every consumer (a proc's inbound link, a channel user).
 * What it delivers usually runs in microtasks (an actor's loop resumes in a microtask after its
 * work queue was fed), and a loop that spun synchronously when the ring went empty would hold
 * those handlers, and the replies they send, until the spin gave up: a ping-pong between actors
 * would pay a sleep and a wake-up (~100 µs here) per hop. So:
 *
 * 1. Drain: `poll` up to `maxBatch` records (one READ store per batch), then continue two
 *    microtask hops later, so the handlers of that batch and the publish of what they sent run
 *    first. Once it delivered `turnRecords` records or ran `turnMs` in one event-loop turn, it
 *    continues in `setImmediate` instead: timers, I/O and the control plane of this thread
 *    still run, and, as an actor yields to the event loop after 1024 messages (`YIELD_EVERY`),
 *    a link must not deliver more per turn than its actors handle, or their work queues grow.
 * 2. Spin: when the ring is empty, busy-wait in microtask steps (`SPIN_SLICE_MICROS` each) up
 *    to the spin budget, so handlers keep running while it waits. The budget adapts to the idle
 *    gaps seen (how long after the ring went empty the waker came, from the NOTIFY_TIME word):
 *    spin-policy.ts, SPIN-1..SPIN-4: twice the gap while gaps stay within a band of `maxSpinMicros`
 *    (2 ms: wide enough for a peer's own wake-up, so a hop chain does not settle into both sides
 *    sleeping), 0 after a few gaps beyond it (an idle link costs no CPU). A spin holds the event loop, and
 *    another Rx of this thread that sleeps, or that yielded the turn, goes on in a task of that
 *    loop: a spin step that sees records waiting in such an Rx's ring yields the turn.
 * 3. Sleep: the C1-C3 protocol of ring.ts on `Atomics.waitAsync`, so the event loop stays free;
 *    the producer notifies only because the consumer advertised it sleeps. While asleep with a
 *    listener or a pending `recv`, the Rx holds a ref'd handle so the thread stays alive
 *    (`Atomics.waitAsync` alone does not: nodejs/node#44729); `unref()` turns that off.
 *
 * Turn and spin deadlines read the injected clock (`clock`, monotonic); the idle gaps are on
 * `nowMicros`, the process-wide clock both threads of a ring share.
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
 *
 * ## Holding records until they are handled (RL-3, RING-15)
 *
 * With `hold` (a proc's inbound links), a record leaves the ring's accounting only once its
 * message was handled or returned, not when it was read: a thread that dies with read but
 * unhandled messages in its actors' work queues leaves those records in the ring, where the
 * takeover of the producer's side (RING-13, LL-2) finds them and returns them to their senders.
 * The listener call carries a receipt (channel/receipt.ts): the actor that queues the message
 * takes it and settles it once the item is handled; a receipt nobody takes is settled when the
 * listener returns.
 *
 * - RL-3a: a record is released (READ moves past it) only after its receipt was settled, or by
 *   the force release of RL-3e; so at any moment [READ, read position) holds every record read
 *   whose message was not yet handled.
 * - RL-3b: a settled record is marked DONE in the ring before the next work item of its actor
 *   runs (actor/run.ts settles per item), so a takeover never returns a message that was
 *   handled (no duplicate), and returns every one that was not (no loss).
 * - RL-3c: READ is stored once per batch of settlements (a release walk in a microtask over the
 *   DONE records at the front), not once per message; it wakes a waiting producer (R2-R3).
 * - RL-3d: messages that do not reach a work queue (ports, forwards, returns, codec resets,
 *   `recv()` mode) are settled as soon as their delivery returns: held records are only those
 *   an actor will handle.
 * - RL-3e (no deadlock): a handler that awaits a reply which must come through the same, full
 *   link would wait forever for records it holds itself. So when records are held, nothing was
 *   released for `stallMs` (on this Rx's clock) and the producer waits for space, the oldest
 *   held records are released anyway, as many as the producer needs, with a warning that counts
 *   the unhandled ones that lost their protection (`stats.forcedReleases`).
 * - RL-3f: a fragmented record larger than half the ring is not held (it could never complete
 *   while its own first fragments were), so the ring protects it only until its first fragment
 *   is read (`consumer.unheldRecords` counts them); raise the ring's capacity for such records.
 *
 * The receipt sink, the release walk and the stall escape are channel/ring/hold.ts, with RL-3g:
 * a pause (below) suspends the escape.
 *
 * ## Pausing (flow control, mailbox/flow.ts FC-6)
 *
 * `pause()` stops delivery after the record being delivered, until `resume()`: the ring keeps
 * the rest, so it fills and the producer queues. A pause never releases a held record (RL-3g).
 */
import { realClock, type Clock } from '../../clock.js';
import { receipt } from '../receipt.js';
import type { ChannelAddr } from '../../addr.js';
import { ChannelError, type Rx } from '../types.js';
import type { RecordCodec } from '../../wire/record.js';
import { RingConsumer } from './consumer.js';
import { RecordHold } from './hold.js';
import { RECORD_TAG_CODEC_RESET, RECORD_TAG_MESSAGE, nowMicros, STATE_CONSUMER_END, type RingBuffer } from './ring.js';
import { HOT_SPIN_MICROS, PARK_SLICE_MICROS, SpinPolicy } from './spin-policy.js';
import { KeepAlive } from './wait.js';

export interface RingRxOptions {
  /** Records per poll (one READ store each). Default 256. */
  readonly maxBatch?: number;
  /** Upper bound of the adaptive spin before sleeping, and its band (SPIN-1, SPIN-2), in µs; 0 never spins. Default 2000. */
  readonly maxSpinMicros?: number;
  /** Messages decoded ahead of `recv()` calls. Default 1024. */
  readonly prefetch?: number;
  /** Records delivered in one event-loop turn before continuing in `setImmediate`. Default 256. */
  readonly turnRecords?: number;
  /** Milliseconds of draining and spinning in one event-loop turn. Default 1. */
  readonly turnMs?: number;
  /** Hold the thread open while waiting for messages someone waits for. Default true. */
  readonly keepAlive?: boolean;
  /** The clock of the turn and spin deadlines and of `stallMs` (monotonic). Default `realClock`. */
  readonly clock?: Clock;
  /**
   * RL-3: keep each record in the ring until its message was handled (its receipt settled,
   * channel/receipt.ts), so a takeover after this thread died returns it. Default false.
   */
  readonly hold?: boolean;
  /** RL-3e: milliseconds without a release, with the producer waiting, before a force release. Default 1000. */
  readonly stallMs?: number;
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
  /** RL-3e: force releases of held records. */
  forcedReleases: number;
  /** RL-3e: unhandled records whose protection a force release gave up. */
  unprotected: number;
}

export const DEFAULT_MAX_BATCH = 256;
export const DEFAULT_MAX_SPIN_MICROS = 2000;
export const DEFAULT_PREFETCH = 1024;
export const DEFAULT_TURN_RECORDS = 256;
export const DEFAULT_TURN_MS = 1;
export const DEFAULT_STALL_MS = 1000;
/** Busy-wait of one spin step (one microtask), µs. */
const SPIN_SLICE_MICROS = 2;
const HOT_SPIN_MS = HOT_SPIN_MICROS / 1000;

/**
 * Continue in a microtask. Not `queueMicrotask`: Node wraps each callback in an
 * `AsyncResource` (an allocation and a bind per call: ~390 ns per callback here, against
 * ~210-270 ns for a reaction on a resolved promise).
 */
const RESOLVED = Promise.resolve();
function microtask(fn: () => void): void {
  void RESOLVED.then(fn);
}

const IDLE = 0;
const RUNNING = 1;
const SPINNING = 2;
const SLEEPING = 3;
const DONE = 4;

/**
 * This thread's Rxs that wait for the event loop (asleep, or continuing in `setImmediate`): a
 * spinning Rx yields the turn when one of them has records.
 */
const waiting = new Set<RingRx<unknown>>();

function waitingRxHasRecords(): boolean {
  for (const rx of waiting) if (rx.hasRecords()) return true;
  return false;
}

export class RingRx<M> implements Rx<M> {
  readonly addr: ChannelAddr;
  readonly consumer: RingConsumer;
  readonly stats: RingRxStats = { records: 0, batches: 0, spinHits: 0, sleeps: 0, forcedReleases: 0, unprotected: 0 };
  private readonly ring: RingBuffer;
  private readonly codec: RecordCodec<M>;
  private readonly clock: Clock;
  private readonly maxBatch: number;
  private readonly prefetch: number;
  private readonly turnRecordsMax: number;
  private readonly turnMs: number;
  private readonly keepAlive = new KeepAlive();
  /** RING-4 spin budget (SPIN-1..SPIN-4). */
  private readonly spin: SpinPolicy;
  private phase = IDLE;
  /** When this event-loop turn began for the loop (`clock.monotonic()`), and what it delivered. */
  private turnStart = 0;
  private turnRecords = 0;
  private spinUntil = 0;
  private spinState = 0;
  /** When this spin began (`performance.now()`, real: SPIN-5 is about the CPU, not the injected clock). */
  private spinStart = 0;
  /** When the ring last went empty (µs, `nowMicros`), or -1 while records flow. */
  private idleSince = -1;
  private listener: ((message: M) => void) | undefined;
  private queue: M[] = [];
  private head = 0;
  private waiter: { resolve: (message: M) => void; reject: (error: Error) => void } | undefined;
  private decodeError: unknown;
  private endError: ChannelError | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  private readonly joined: Promise<void>;
  private resolveJoin!: () => void;
  /** RL-3: records stay in the ring until handled (hold.ts); undefined without `hold`. */
  private readonly hold: RecordHold | undefined;
  /** Flow control (`pause`): deliver nothing until `resume`. */
  private paused = false;

  constructor(ring: RingBuffer, codec: RecordCodec<M>, options: RingRxOptions = {}) {
    const holding = options.hold === true;
    this.consumer = new RingConsumer(ring, { hold: holding });
    this.ring = ring;
    this.addr = ring.addr;
    this.codec = codec;
    this.clock = options.clock ?? realClock;
    this.hold = holding ? new RecordHold(this.consumer, ring, this.clock, options.stallMs ?? DEFAULT_STALL_MS, this.stats) : undefined;
    this.maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    this.spin = new SpinPolicy(options.maxSpinMicros ?? DEFAULT_MAX_SPIN_MICROS);
    this.prefetch = Math.max(1, options.prefetch ?? DEFAULT_PREFETCH);
    this.turnRecordsMax = options.turnRecords ?? DEFAULT_TURN_RECORDS;
    this.turnMs = options.turnMs ?? DEFAULT_TURN_MS;
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
      if (this.phase === IDLE && this.endError === undefined) this.runTask();
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

  /** @internal Records wait in this Rx's ring. */
  hasRecords(): boolean {
    return this.consumer.available();
  }

  /**
   * Stop delivering after the record being delivered, until `resume()` (flow control,
   * mailbox/flow.ts FC-6: the ring keeps the rest, so it fills and the producer queues; RL-3g).
   */
  pause(): void {
    this.paused = true;
    this.hold?.pause();
  }

  /** Deliver again after `pause()`. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.hold?.resume();
    if (this.phase === IDLE) this.runTask();
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
    if (this.phase === IDLE) this.runTask();
    else if (this.phase === SLEEPING && this.interested()) this.keepAlive.hold();
  }

  private interested(): boolean {
    return this.listener !== undefined || this.waiter !== undefined;
  }

  /** `run` at the start of an event-loop turn (or of a kick). */
  private readonly runTask = (): void => {
    waiting.delete(this as RingRx<unknown>);
    this.turnStart = this.clock.monotonic();
    this.turnRecords = 0;
    this.run();
  };

  private readonly run = (): void => {
    if (this.phase === DONE) return;
    this.phase = RUNNING;
    if (this.paused || (this.listener === undefined && this.queue.length - this.head >= this.prefetch)) {
      this.phase = IDLE;
      return;
    }
    const consumer = this.consumer;
    let count: number;
    try {
      count = consumer.poll(this.visit, this.maxBatch);
    } catch (error) {
      if (receipt.sink === this.hold) receipt.sink = undefined; // RC-2
      this.close(`message listener threw: ${describe(error)}`);
      throw error;
    }
    if (this.phase === DONE) return;
    if (this.decodeError !== undefined || consumer.corruption !== undefined) {
      const what = consumer.corruption ?? `cannot decode: ${describe(this.decodeError)}`;
      consumer.close();
      this.end(new ChannelError('protocol', `channel ${this.addr}: ${what}`, { cause: this.decodeError }));
      return;
    }
    if (count > 0) {
      this.idleSince = -1;
      this.stats.batches++;
      // Let the handlers of this batch run first (microtasks), or the event loop have a turn.
      this.turnRecords += count;
      if (this.turnRecords >= this.turnRecordsMax || this.clock.monotonic() - this.turnStart >= this.turnMs) this.yieldTurn(this.runTask);
      else microtask(this.afterHandlers);
      return;
    }
    const state = this.ring.state();
    if ((state & STATE_CONSUMER_END) !== 0) {
      // The producer published before it set the bit: one more look drains everything.
      if (consumer.available()) {
        microtask(this.run);
        return;
      }
      this.end(new ChannelError('closed', `channel ${this.addr} is closed: ${consumer.endReason(state)}`));
      return;
    }
    this.hold?.idle(); // RL-3e
    if (this.idleSince < 0) this.idleSince = nowMicros();
    const budget = this.spin.budget;
    if (budget > 0) {
      this.phase = SPINNING;
      this.spinState = state;
      this.spinUntil = this.clock.monotonic() + budget / 1000;
      this.spinStart = performance.now();
      microtask(this.spinStep);
      return;
    }
    this.sleep();
  };

  /**
   * `run` after the microtasks the batch's deliveries queued (an actor resuming, then the
   * `RingTx` publish of what its handler sent): one hop more, so a reply is published before
   * this loop polls and starts spinning again.
   */
  private readonly afterHandlers = (): void => microtask(this.run);

  /**
   * One step of the spin: a busy-wait of `SPIN_SLICE_MICROS` at most (for records or a STATE
   * change), then the next step in a microtask (or in the next event-loop turn once this one
   * ran `turnMs`, or when another Rx of this thread waits in the event loop with records).
   */
  private readonly spinStep = (): void => {
    if (this.phase !== SPINNING) return;
    // (`spin` sees STATE change only within its slice: compare with the spin's start too)
    const consumer = this.consumer;
    // SPIN-5: busy-wait while the spin is young, then wait parked (the core goes to the peer)
    const parked = performance.now() - this.spinStart >= HOT_SPIN_MS;
    if ((parked ? consumer.park(PARK_SLICE_MICROS) : consumer.spin(SPIN_SLICE_MICROS)) || this.ring.state() !== this.spinState) {
      if (consumer.available()) this.stats.spinHits++;
      this.run();
      return;
    }
    const now = this.clock.monotonic();
    if (now >= this.spinUntil) this.sleep();
    else if (now - this.turnStart >= this.turnMs || (waiting.size > 0 && waitingRxHasRecords())) this.yieldTurn(this.spinTask);
    else microtask(this.spinStep);
  };

  /** The spin, continued at the start of an event-loop turn. */
  private readonly spinTask = (): void => {
    waiting.delete(this as RingRx<unknown>);
    this.turnStart = this.clock.monotonic();
    this.turnRecords = 0;
    this.spinStep();
  };

  /** Continue in the next event-loop turn (visible to the spins of other Rxs meanwhile). */
  private yieldTurn(task: () => void): void {
    waiting.add(this as RingRx<unknown>);
    setImmediate(task);
  }

  private sleep(): void {
    const consumer = this.consumer;
    if (!consumer.prepareSleep()) {
      microtask(this.run);
      return;
    }
    const woken = consumer.sleep(false);
    if (woken === undefined) {
      consumer.awake();
      microtask(this.run);
      return;
    }
    this.phase = SLEEPING;
    this.stats.sleeps++;
    waiting.add(this as RingRx<unknown>);
    if (this.interested()) this.keepAlive.hold();
    void woken.then(this.onWake);
  }

  /**
   * Adapt the spin budget to the idle gap the waker saw (RING-4's cheap path), then drain. The
   * length of the sleep itself cannot be used: it includes the wake-up, ~100 µs or more.
   */
  private readonly onWake = (): void => {
    waiting.delete(this as RingRx<unknown>);
    const notifiedAt = this.consumer.awake();
    this.keepAlive.release();
    if (this.phase !== SLEEPING) return;
    this.spin.observeGap(notifiedAt - this.idleSince); // SPIN-1, SPIN-3
    this.runTask();
  };

  private readonly visit = (bytes: Uint8Array, start: number, end: number, tag: number): boolean => {
    if (tag !== RECORD_TAG_MESSAGE) {
      if (tag === RECORD_TAG_CODEC_RESET) this.codec.resetDecoder?.();
      this.hold?.settleCurrent(); // RL-3d
      return true;
    }
    let message: M;
    try {
      message = this.codec.decode(bytes, start, end);
    } catch (error) {
      this.decodeError = error ?? new ChannelError('protocol', 'decode failed');
      return false;
    }
    this.stats.records++;
    const listener = this.listener;
    if (listener !== undefined) {
      const hold = this.hold;
      if (hold !== undefined) {
        // RC-2: the receipt of this record, for whoever queues the message (RL-3)
        const consumer = this.consumer;
        receipt.sink = hold;
        receipt.start = consumer.recordStart;
        receipt.end = consumer.recordEnd;
        listener(message);
        if (receipt.sink === hold) {
          receipt.sink = undefined;
          hold.settle(consumer.recordStart, consumer.recordEnd); // RL-3d: nobody took it
        }
      } else {
        listener(message);
      }
      return this.phase !== DONE && !this.paused;
    }
    this.hold?.settleCurrent(); // RL-3d
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
    this.hold?.end();
    waiting.delete(this as RingRx<unknown>);
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
