/**
 * ring-link.ts: fabric links over a SharedArrayBuffer SPSC ring (`@procmesh/core/ring`,
 * DESIGN decision 8): one ring per direction, created by the host on the first send.
 *
 * ## Sending
 *
 * `RingOutboundLink` posts envelopes to a `RingTx` whose codec is an `EnvelopeCodec`
 * (envelope-codec.ts: interned ids, a fixed binary header and the payload written straight
 * into the ring). The Tx keeps an ordered overflow queue when the ring is full, without bound
 * (fabric.ts FB-4): no drop, no reorder. The Tx publishes once per 32 records or at the end of
 * the synchronous run; the first envelope of a run is published at once (a reply, a request:
 * latency), the rest of a burst in batches.
 *
 * ## Receiving
 *
 * `RingInboundLink` runs its own drain loop over a `RingConsumer` instead of a `RingRx`, for one
 * reason: the handlers of what it delivers run in microtasks (an actor's loop resumes in a
 * microtask after its work queue was fed), and `RingRx` spins synchronously when the ring goes
 * empty, so a handler's reply could only be sent once the spin gave up, and a ping-pong between
 * actors paid a sleep and a wake-up (~100 µs here) per hop. This loop:
 *
 * 1. Drains up to `MAX_BATCH` records, decoding each and posting it into the proc through its
 *    `MailboxServer`, then continues in a microtask, so the handlers of that batch run first.
 *    Once it delivered `TURN_RECORDS` records or ran `TURN_MS` in one event-loop turn, it
 *    continues in `setImmediate` instead: timers, I/O and the control plane of this thread
 *    still run, and, as an actor yields to the event loop after 1024 messages (core's
 *    `YIELD_EVERY`), a link must not deliver more per turn than its actors handle, or their
 *    work queues grow without bound (up to 4 links feeding one actor stay within it).
 * 2. When the ring is empty, spins in microtask steps (a busy-wait of `SPIN_SLICE_MICROS` each),
 *    so handlers and their replies (a `RingTx` publishes in a microtask) keep running while it
 *    waits. The
 *    spin budget adapts as `RingRx`'s does (from the waker's NOTIFY_TIME). A spin holds the
 *    event loop, and another link of this thread that sleeps, or that yielded the turn, goes
 *    on in a task of that loop: so a spin step that sees records waiting in such a link's ring
 *    yields the turn.
 * 3. Sleeps on the ring's protocol (`prepareSleep`, `sleep` holding the thread open, `awake`).
 *
 * ## Invariants
 *
 * - RL-1: per link FIFO (the ring's RING invariants, plus the overflow queue in order; one
 *   consumer loop per link delivers in record order).
 * - RL-2: an envelope the ring hands back (closed, peer died) is returned
 *   to its sender as `BrokenLink`. When the consumer's thread died (the host marked the ring,
 *   then `fail`), the records it never read are read back on this side (RING-13) with the
 *   codec's takeover decoder (EC-4) and returned the same way, through the proc's
 *   `MailboxServer` return handle; records that cannot be decoded are counted in the log.
 * - RL-3: a malformed record or a decode failure ends the inbound link (logged); the producer
 *   sees it closed and returns what it still holds.
 */
import {
  DeliveryError,
  rootLogger,
  type MessageEnvelope,
  type ProcId,
  type ReturnHandle,
  type SendError,
} from '@procmesh/core';
import { returnUndeliverable, type MailboxServer } from '@procmesh/core/transport';
import {
  RECORD_TAG_CODEC_RESET,
  RECORD_TAG_MESSAGE,
  RingBuffer,
  RingConsumer,
  RingTx,
  STATE_CONSUMER_DIED,
  STATE_CONSUMER_END,
  nowMicros,
  type RecordVisitor,
} from '@procmesh/core/transport';
import type { MessagePort } from 'node:worker_threads';
import { EnvelopeCodec } from './envelope-codec.js';
import type { InboundLink, OutboundLink } from './fabric.js';

export { EnvelopeCodec } from './envelope-codec.js';

export class RingOutboundLink implements OutboundLink {
  private readonly ring: RingBuffer;
  private readonly codec = new EnvelopeCodec();
  private readonly tx: RingTx<MessageEnvelope>;
  private failed: string | undefined;
  // The return callback of the last return handle (a stream from one sender allocates none).
  private lastHandle: ReturnHandle | undefined;
  private lastOnReturn: ((err: SendError<MessageEnvelope>) => void) | undefined;
  /** True from the first send of a synchronous run to its end. */
  private inRun = false;
  private readonly endRun = (): void => {
    this.inRun = false;
  };

  /**
   * `takeBackHandle`: where envelopes read back from the ring of a dead consumer are returned
   * (RL-2; the proc's `MailboxServer.returnHandle`, which bounces them to their senders).
   */
  constructor(
    ring: SharedArrayBuffer,
    private readonly port: MessagePort,
    private readonly takeBackHandle?: ReturnHandle,
  ) {
    this.ring = RingBuffer.attach(ring);
    // FB-4: no bound on the overflow queue (a full ring would otherwise bounce envelopes)
    this.tx = new RingTx(this.ring, this.codec, { maxQueued: Number.POSITIVE_INFINITY });
  }

  send(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    if (this.failed !== undefined) {
      returnUndeliverable(envelope, DeliveryError.brokenLink(this.failed), returnHandle);
      return;
    }
    let onReturn = this.lastOnReturn;
    if (returnHandle !== this.lastHandle || onReturn === undefined) {
      onReturn = (err) => returnUndeliverable(err.value, DeliveryError.brokenLink(this.failed ?? `ring to peer ${err.code}: ${err.reason}`), returnHandle);
      this.lastHandle = returnHandle;
      this.lastOnReturn = onReturn;
    }
    this.tx.post(envelope, onReturn);
    if (!this.inRun) {
      this.inRun = true;
      microtask(this.endRun);
      this.tx.publish();
    }
  }

  flush(): Promise<void> {
    return this.tx.flush();
  }

  fail(reason: string): void {
    this.failed = reason;
    this.tx.close(reason);
    this.takeBack(reason);
    this.port.close();
  }

  /** RL-2: return the records a dead consumer never read (RING-13, EC-4). */
  private takeBack(reason: string): void {
    const handle = this.takeBackHandle;
    if (handle === undefined || (this.ring.state() & STATE_CONSUMER_DIED) === 0) return;
    let consumer: RingConsumer;
    try {
      consumer = new RingConsumer(this.ring, { takeover: true });
    } catch (err) {
      rootLogger().warn({ err }, 'ring to a dead peer: cannot take the consumer role over');
      return;
    }
    const decoder = this.codec.takeoverDecoder();
    let returned = 0;
    let lost = 0;
    const visit: RecordVisitor = (bytes, start, end, tag) => {
      if (tag !== RECORD_TAG_MESSAGE) {
        if (tag === RECORD_TAG_CODEC_RESET) decoder.resetDecoder();
        return true;
      }
      let envelope: MessageEnvelope;
      try {
        envelope = decoder.decode(bytes, start, end);
      } catch {
        lost++;
        return true;
      }
      returned++;
      returnUndeliverable(envelope, DeliveryError.brokenLink(reason), handle);
      return true;
    };
    while (consumer.poll(visit) > 0);
    if (lost > 0 || consumer.corruption !== undefined) {
      rootLogger().warn({ returned, lost, corruption: consumer.corruption }, 'ring to a dead peer: some unread envelopes could not be returned');
    }
  }

  close(): void {
    this.tx.close('link closed');
    this.port.close();
  }
}


/** Records per poll (one READ store each, and a notify when the producer waits for space). */
const MAX_BATCH = 256;
/** Records delivered in one event-loop turn before continuing in `setImmediate`. */
const TURN_RECORDS = 256;
/** Time in one event-loop turn (draining and spinning) before continuing in `setImmediate`. */
const TURN_MS = 1;
/** Upper bound of the adaptive spin, µs. */
const MAX_SPIN_MICROS = 200;
const MIN_SPIN_MICROS = 2;
/** Consecutive idle gaps longer than the maximum spin before the budget halves. */
const LONG_GAPS_TO_SHRINK = 4;
/** Busy-wait of one spin step (one microtask), µs. */
const SPIN_SLICE_MICROS = 2;

/**
 * Continue in a microtask. Not `queueMicrotask`: Node wraps each callback in an
 * `AsyncResource` (an allocation and a bind per call: ~390 ns per callback here, against
 * ~210-270 ns for a reaction on a resolved promise).
 */
const RESOLVED = Promise.resolve();
function microtask(fn: () => void): void {
  void RESOLVED.then(fn);
}

const RUNNING = 0;
const SPINNING = 1;
const SLEEPING = 2;
const DONE = 3;

/** Microseconds on the clock the ring's wakers write NOTIFY_TIME with (process-wide, monotonic). */

export interface RingInboundStats {
  records: number;
  batches: number;
  spinHits: number;
  sleeps: number;
}

/**
 * This thread's inbound links that wait for the event loop (asleep, or continuing in
 * `setImmediate`): a spinning link yields the turn when one of them has records.
 */
const waiting = new Set<RingInboundLink>();

function waitingLinkHasRecords(): boolean {
  for (const link of waiting) if (link.hasRecords()) return true;
  return false;
}

export class RingInboundLink implements InboundLink {
  readonly stats: RingInboundStats = { records: 0, batches: 0, spinHits: 0, sleeps: 0 };
  private readonly ring: RingBuffer;
  private readonly consumer: RingConsumer;
  private readonly codec: EnvelopeCodec;
  private phase = RUNNING;
  /** When this event-loop turn began for the loop (`performance.now()`), and what it delivered. */
  private turnStart = 0;
  private turnRecords = 0;
  private spinBudget = MAX_SPIN_MICROS;
  private spinUntil = 0;
  private spinState = 0;
  /** When the ring last went empty (µs, `nowMicros`), or -1 while records flow. */
  private idleSince = -1;
  private longGaps = 0;
  private decodeError: unknown;

  constructor(
    ring: SharedArrayBuffer,
    private readonly port: MessagePort,
    private readonly server: MailboxServer,
    localProc?: ProcId,
  ) {
    this.ring = RingBuffer.attach(ring);
    this.consumer = new RingConsumer(this.ring);
    this.codec = new EnvelopeCodec(localProc !== undefined ? { localProc } : {});
    this.runTask();
  }

  close(): void {
    if (this.phase !== DONE) {
      this.consumer.close();
      this.end('link closed');
    }
    this.port.close();
  }

  private readonly visit = (bytes: Uint8Array, start: number, end: number, tag: number): boolean => {
    if (tag !== RECORD_TAG_MESSAGE) {
      if (tag === RECORD_TAG_CODEC_RESET) this.codec.resetDecoder();
      return true;
    }
    let envelope: MessageEnvelope;
    try {
      envelope = this.codec.decode(bytes, start, end);
    } catch (error) {
      this.decodeError = error ?? new Error('decode failed');
      return false;
    }
    this.stats.records++;
    try {
      this.server.deliver(envelope);
    } catch (err) {
      rootLogger().error({ err, envelope: String(envelope) }, 'inbound ring: delivery threw');
    }
    return this.phase !== DONE;
  };

  private readonly run = (): void => {
    if (this.phase === DONE) return;
    this.phase = RUNNING;
    const consumer = this.consumer;
    const count = consumer.poll(this.visit, MAX_BATCH);
    if (this.phase === DONE) return;
    if (this.decodeError !== undefined || consumer.corruption !== undefined) {
      const what = consumer.corruption ?? `cannot decode: ${this.decodeError instanceof Error ? this.decodeError.message : String(this.decodeError)}`;
      rootLogger().error({ err: this.decodeError }, `inbound ring closed: ${what}`);
      consumer.close();
      this.end(what);
      return;
    }
    if (count > 0) {
      this.idleSince = -1;
      this.stats.batches++;
      // Let the handlers of this batch run first (microtasks), or the event loop have a turn.
      this.turnRecords += count;
      if (this.turnRecords >= TURN_RECORDS || performance.now() - this.turnStart >= TURN_MS) this.yieldTurn(this.runTask);
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
      this.end(this.consumer.endReason(state));
      return;
    }
    if (this.idleSince < 0) this.idleSince = nowMicros();
    if (this.spinBudget > 0) {
      this.phase = SPINNING;
      this.spinState = state;
      this.spinUntil = performance.now() + this.spinBudget / 1000;
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

  /** `run` at the start of an event-loop turn. */
  private readonly runTask = (): void => {
    waiting.delete(this);
    this.turnStart = performance.now();
    this.turnRecords = 0;
    this.run();
  };

  /**
   * One step of the spin: a busy-wait of `SPIN_SLICE_MICROS` at most (for records or a STATE
   * change), then the next step in a microtask (or in the next event-loop turn once this one
   * ran `TURN_MS`).
   */
  private readonly spinStep = (): void => {
    if (this.phase !== SPINNING) return;
    // (`spin` sees STATE change only within its slice: compare with the spin's start too)
    if (this.consumer.spin(SPIN_SLICE_MICROS) || this.ring.state() !== this.spinState) {
      if (this.consumer.available()) this.stats.spinHits++;
      this.run();
      return;
    }
    const now = performance.now();
    if (now >= this.spinUntil) this.sleep();
    else if (now - this.turnStart >= TURN_MS || (waiting.size > 0 && waitingLinkHasRecords())) this.yieldTurn(this.spinTask);
    else microtask(this.spinStep);
  };

  /** Continue in the next event-loop turn (visible to the spins of other links meanwhile). */
  private yieldTurn(task: () => void): void {
    waiting.add(this);
    setImmediate(task);
  }

  /** @internal Records wait in this link's ring. */
  hasRecords(): boolean {
    return this.consumer.available();
  }

  /** The spin, continued at the start of an event-loop turn. */
  private readonly spinTask = (): void => {
    waiting.delete(this);
    this.turnStart = performance.now();
    this.turnRecords = 0;
    this.spinStep();
  };

  private sleep(): void {
    const consumer = this.consumer;
    if (!consumer.prepareSleep()) {
      microtask(this.run);
      return;
    }
    const woken = consumer.sleep(true);
    if (woken === undefined) {
      consumer.awake();
      microtask(this.run);
      return;
    }
    this.phase = SLEEPING;
    this.stats.sleeps++;
    waiting.add(this);
    void woken.then(this.onWake);
  }

  /** Adapt the spin budget to the idle gap the waker saw (as `RingRx`), then drain. */
  private readonly onWake = (): void => {
    waiting.delete(this);
    if (this.phase !== SLEEPING) return;
    const notifiedAt = this.consumer.awake();
    const gap = notifiedAt - this.idleSince;
    if (gap >= 0 && gap <= MAX_SPIN_MICROS) {
      this.longGaps = 0;
      this.spinBudget = Math.min(MAX_SPIN_MICROS, Math.max(this.spinBudget, gap * 2, MIN_SPIN_MICROS));
    } else if (gap > MAX_SPIN_MICROS && ++this.longGaps >= LONG_GAPS_TO_SHRINK) {
      this.longGaps = 0;
      this.spinBudget = this.spinBudget / 2 < MIN_SPIN_MICROS ? 0 : this.spinBudget / 2;
    }
    this.runTask();
  };


  private end(reason: string): void {
    if (this.phase === DONE) return;
    this.phase = DONE;
    waiting.delete(this);
    rootLogger().debug({ reason }, 'inbound ring closed');
  }
}
