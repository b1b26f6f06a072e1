/**
 * channel/ring/tx.ts: `RingTx<M>`, the producer side of a ring as a channel `Tx` (types.ts).
 *
 * ## Sending
 *
 * `post` encodes the message straight into the ring (wire/record.ts) when nothing is queued ahead of
 * it, and publishes WRITE once per `publishEvery` records or at the end of the current
 * synchronous run (a microtask), whichever comes first: a loop of posts costs one store per
 * batch, a lone post is visible before the thread goes idle. The first record of a synchronous
 * run is published at once (a reply, a request: latency). A RingRx of the same thread spins in
 * microtask steps (rx.ts), so the publish of what its listener sent runs before its next step:
 * no reply waits behind a spin. (An earlier `publishPending`, which published every Tx of the
 * thread before a spin, cost batches without gaining latency once the loop was stepped: removed
 * after A/B runs of actors.bench, all-to-all ~+17%, one-way and ping-pong not worse.)
 *
 * ## Backpressure (RING-6, RING-7)
 *
 * When the ring is full, messages wait, unencoded and in order, in an overflow queue of at most
 * `maxQueued` messages, plus at most one record that was already encoded (a large record being
 * fragmented, or an encoding that landed outside the ring and did not fit). Once anything waits,
 * every later post queues behind it. A pump waits for space with the ring's space protocol
 * (`RingProducer.waitForSpace`, no lost resume: RING-5) and drains the queue in order; while it
 * waits it holds the thread open (a pending `Atomics.waitAsync` does not, nodejs/node#44729).
 * Past `maxQueued`, `post` hands the message back with `SendError` code `full`.
 *
 * ## Close (RING-9, RING-10, CH-4)
 *
 * `close()` publishes what is in the ring, marks the end of the stream, and hands every queued
 * message back with code `closed`. When the consumer closes (or is marked dead), the Tx sees it
 * on its next post, in its pump, or at once if someone listens with `onClose` (a watcher sleeps
 * on the STATE word); from then on it is `closed` and hands everything back. Records already in
 * the ring when the consumer closes are discarded by the consumer that chose to close.
 *
 * ## Delivery
 *
 * `send` resolves once the message is in the ring and published (the transport's "enqueued");
 * `flush` resolves once everything posted before it is. Encode failures hand the message back
 * with code `rejected`; a record over `MAX_RECORD_BYTES` with code `frame-too-large`.
 */
import type { ChannelAddr } from '../../addr.js';
import { SendError, type ReturnCallback, type Tx, type TxStatus } from '../types.js';
import type { RecordCodec } from '../../wire/record.js';
import { RingConsumer, type RecordVisitor } from './consumer.js';
import { RingProducer } from './producer.js';
import {
  RECORD_TAG_CODEC_RESET,
  RECORD_TAG_MESSAGE,
  align,
  MAX_RECORD_BYTES,
  RECORD_HEADER_BYTES,
  STATE_CONSUMER_CLOSED,
  STATE_CONSUMER_DIED,
  STATE_INDEX,
  STATE_PRODUCER_DIED,
  STATE_PRODUCER_END,
  type RingBuffer,
} from './ring.js';
import { waitAsync } from './wait.js';

export interface RingTxOptions {
  /** Messages the overflow queue holds before `post` answers `full` (RING-6). Default 65536. */
  readonly maxQueued?: number;
  /** Publish WRITE at least every this many records. Default 32. */
  readonly publishEvery?: number;
  /** Hold the thread open while messages wait for space. Default true. */
  readonly keepAlive?: boolean;
  /** Told when the overflow queue is over `high`, and when it is back at or under `low` (flow control). */
  readonly watermarks?: QueueWatermarks;
}

/**
 * Flow control's view of the overflow queue (mailbox/flow.ts FC-6): `over()` on each post that
 * queues while more than `high` wait, `under()` once at most `low` wait (or the Tx closed).
 */
export interface QueueWatermarks {
  readonly high: number;
  readonly low: number;
  over(): void;
  under(): void;
}

export const DEFAULT_MAX_QUEUED = 65536;
export const DEFAULT_PUBLISH_EVERY = 32;
const SCRATCH_BYTES = 65536;
const EMPTY = new Uint8Array(0);

/** Outcome of one attempt to write a message. */
const WROTE = 0;
const FULL = 1;
const TAKEN = 2;

type Done = (() => void) | undefined;

/** A message whose encoding is (partly) out of the ring: `bytes` not yet accepted, or fragmenting. */
interface InFlight<M> {
  readonly message: M;
  readonly onReturn: ReturnCallback<M> | undefined;
  readonly done: Done;
  bytes: Uint8Array | undefined;
}

export class RingTx<M> implements Tx<M> {
  readonly addr: ChannelAddr;
  readonly producer: RingProducer;
  private readonly ring: RingBuffer;
  private readonly i32: Int32Array;
  private readonly codec: RecordCodec<M>;
  private readonly written: RecordCodec<M>['written'];
  private readonly maxQueued: number;
  private readonly publishEvery: number;
  /** What `reserve` must find for an in-place encode; 0 when the ring is too small for that. */
  private readonly encodeRoom: number;
  private readonly holdThread: boolean;
  private readonly watermarks: QueueWatermarks | undefined;
  /** `watermarks.over()` was called since the last `under()`. */
  private overHigh = false;
  private scratch = new Uint8Array(SCRATCH_BYTES);

  // The overflow queue: parallel arrays from `head` (no object per message).
  private readonly queued: M[] = [];
  private readonly queuedReturns: (ReturnCallback<M> | undefined)[] = [];
  private readonly queuedDone: Done[] = [];
  private head = 0;
  private flight: InFlight<M> | undefined;

  private unpublished = 0;
  private publishScheduled = false;
  private resetPending = false;
  /** True from the first record of a synchronous run to its end. */
  private inRun = false;
  private pumping = false;
  private watching = false;
  private closedReason: string | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  private flushWaiters: (() => void)[] = [];

  constructor(ring: RingBuffer, codec: RecordCodec<M>, options: RingTxOptions = {}) {
    this.producer = new RingProducer(ring);
    this.ring = ring;
    this.i32 = ring.i32;
    this.addr = ring.addr;
    this.codec = codec;
    this.written = codec.written;
    this.maxQueued = options.maxQueued ?? DEFAULT_MAX_QUEUED;
    this.publishEvery = options.publishEvery ?? DEFAULT_PUBLISH_EVERY;
    this.encodeRoom = codec.minEncodeBytes <= this.producer.maxReserveBytes ? codec.minEncodeBytes : 0;
    this.holdThread = options.keepAlive !== false;
    this.watermarks = options.watermarks;
  }

  /** Messages waiting for space (not counting one encoded record in flight). */
  get queueLength(): number {
    return this.queued.length - this.head;
  }

  post(message: M, onReturn?: ReturnCallback<M>): void {
    this.postWith(message, onReturn, undefined);
  }

  send(message: M): Promise<void> {
    return new Promise<void>((resolve, reject) => this.postWith(message, reject, resolve));
  }

  status(): TxStatus {
    if (this.closedReason === undefined) this.checkEnded();
    return this.closedReason === undefined ? 'active' : 'closed';
  }

  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) {
      listener(this.closedReason);
      return () => {};
    }
    this.closeListeners.add(listener);
    this.watch();
    return () => this.closeListeners.delete(listener);
  }

  flush(): Promise<void> {
    this.publish();
    if (this.idle() || this.closedReason !== undefined) return Promise.resolve();
    return new Promise<void>((resolve) => this.flushWaiters.push(resolve));
  }

  close(reason = 'sender closed'): void {
    if (this.closedReason !== undefined) return;
    this.producer.close();
    this.finish(reason);
  }

  /**
   * RING-13 takeover: when the consumer's thread died (`STATE_CONSUMER_DIED`), read back the
   * records it never read, decode them with the codec's `takeoverDecoder` and hand each message
   * to `visit` (to return it to its sender). Call after `close`. `undefined` when there is
   * nothing to take back (the consumer did not die, or the codec cannot decode its own records);
   * `lost` counts records that could not be decoded; `partial` is true when the rest of a record
   * the dead consumer had partly read was skipped (expected of a thread that died mid-record).
   * Records a holding consumer marked DONE (RING-15, RL-3b: handled) are decoded, as the codec's
   * tables follow every record, but not visited; `handled` counts them.
   */
  takeBack(visit: (message: M) => void): {
    readonly returned: number;
    readonly handled: number;
    readonly lost: number;
    readonly partial: boolean;
    readonly corruption: string | undefined;
  } | undefined {
    const makeDecoder = this.codec.takeoverDecoder;
    if (makeDecoder === undefined || (this.ring.state() & STATE_CONSUMER_DIED) === 0) return undefined;
    const consumer = new RingConsumer(this.ring, { takeover: true });
    const decoder = makeDecoder.call(this.codec);
    let returned = 0;
    let handled = 0;
    let lost = 0;
    const read: RecordVisitor = (bytes, start, end, tag, done) => {
      if (tag !== RECORD_TAG_MESSAGE) {
        if (tag === RECORD_TAG_CODEC_RESET) decoder.resetDecoder?.();
        return true;
      }
      let message: M;
      try {
        message = decoder.decode(bytes, start, end);
      } catch {
        if (done) handled++;
        else lost++;
        return true;
      }
      if (done) {
        handled++; // RL-3b: handled before the thread died: never returned
        return true;
      }
      returned++;
      visit(message);
      return true;
    };
    while (consumer.poll(read) > 0);
    return { returned, handled, lost, partial: consumer.skippedPartial > 0, corruption: consumer.corruption };
  }

  // ---- internals --------------------------------------------------------------------------

  private postWith(message: M, onReturn: ReturnCallback<M> | undefined, done: Done): void {
    if (this.closedReason !== undefined || ((Atomics.load(this.i32, STATE_INDEX) & STATE_PRODUCER_END) !== 0 && this.checkEnded())) {
      onReturn?.(new SendError('closed', message, this.closedReason ?? 'closed'));
      return;
    }
    if (this.head === this.queued.length && this.flight === undefined) {
      if (this.writeMessage(message, onReturn, done) !== FULL) return;
    }
    if (this.queueLength >= this.maxQueued) {
      onReturn?.(new SendError('full', message, queueFull(this.addr, this.maxQueued)));
      return;
    }
    this.queued.push(message);
    this.queuedReturns.push(onReturn);
    this.queuedDone.push(done);
    const marks = this.watermarks;
    if (marks !== undefined && this.queued.length - this.head > marks.high) {
      this.overHigh = true;
      marks.over();
    }
    this.pump();
  }

  /** Encode one message into the ring (RING-12). WROTE, FULL (nothing consumed) or TAKEN. */
  private writeMessage(message: M, onReturn: ReturnCallback<M> | undefined, done: Done): number {
    const producer = this.producer;
    if (this.resetPending) {
      if (!producer.write(EMPTY, RECORD_TAG_CODEC_RESET)) return FULL;
      this.resetPending = false;
    }
    let target: Uint8Array;
    let start: number;
    let end: number;
    const at = this.encodeRoom > 0 ? producer.reserve(this.encodeRoom) : -1;
    if (at >= 0) {
      target = producer.bytes;
      start = at;
      end = producer.reservedEnd;
    } else if (this.encodeRoom === 0 && !producer.busy && producer.freeBytes() >= align(RECORD_HEADER_BYTES + 1)) {
      // The ring is too small for in-place encoding: encode privately, then copy.
      target = this.scratch;
      start = 0;
      end = target.length;
    } else {
      return FULL;
    }
    let encoded: number | Uint8Array;
    try {
      encoded = this.codec.encodeInto(message, target, start, end);
    } catch (error) {
      this.codecFailed();
      onReturn?.(new SendError('rejected', message, `cannot encode: ${describe(error)}`));
      return TAKEN;
    }
    if (typeof encoded === 'number') {
      if (target === producer.bytes) {
        producer.commit(encoded - start, RECORD_TAG_MESSAGE);
        this.wrote(done);
        return WROTE;
      }
      encoded = target.subarray(start, encoded);
    }
    return this.writeEncoded(message, onReturn, done, encoded);
  }

  /** An encoding outside the ring: copy it in, fragment it, or keep it in flight. */
  private writeEncoded(message: M, onReturn: ReturnCallback<M> | undefined, done: Done, bytes: Uint8Array): number {
    if (bytes.length > MAX_RECORD_BYTES) {
      this.codecFailed();
      onReturn?.(new SendError('frame-too-large', message, `record of ${bytes.length} bytes exceeds ${MAX_RECORD_BYTES}`));
      return TAKEN;
    }
    const producer = this.producer;
    // The producer keeps a reference to a fragmented record, and the codec reuses its buffer.
    const owned = bytes.length > producer.maxInlineBytes ? bytes.slice() : bytes;
    if (producer.write(owned, RECORD_TAG_MESSAGE)) {
      if (!producer.busy) {
        this.wrote(done);
        return WROTE;
      }
      this.flight = { message, onReturn, done, bytes: undefined };
    } else {
      this.flight = { message, onReturn, done, bytes: owned === bytes ? bytes.slice() : owned };
    }
    this.pump();
    return TAKEN;
  }

  private wrote(done: Done): void {
    this.written?.call(this.codec, this.producer.writeCursor);
    if (!this.inRun) {
      // The first record of a synchronous run is published at once (a reply, a request:
      // latency); the rest of a burst in batches.
      this.inRun = true;
      microtask(this.endRun);
      this.publish();
    } else if (++this.unpublished >= this.publishEvery) {
      // RING-16: in the middle of a burst a parked consumer looks again by itself, within a
      // park slice (what the end of the run, `publishTask`, or a wait for space publishes wakes it)
      this.unpublished = 0;
      this.producer.publish(false);
    } else {
      if (!this.publishScheduled) {
        this.publishScheduled = true;
        queueMicrotask(this.publishTask);
      }
    }
    done?.();
  }

  private readonly endRun = (): void => {
    this.inRun = false;
  };

  private readonly publishTask = (): void => {
    this.publishScheduled = false;
    this.publish();
  };

  /** @internal Publish what was written. */
  publish(): void {
    this.unpublished = 0;
    this.producer.publish();
  }

  /** Write the in-flight record and the queue in order while space lasts. True when empty. */
  private drain(): boolean {
    const producer = this.producer;
    for (;;) {
      const flight = this.flight;
      if (flight !== undefined) {
        if (flight.bytes !== undefined) {
          if (!producer.write(flight.bytes, RECORD_TAG_MESSAGE)) return false;
          flight.bytes = undefined;
        }
        if (!producer.resume()) return false;
        this.flight = undefined;
        this.wrote(flight.done);
      }
      if (this.head === this.queued.length) return true;
      const i = this.head;
      const result = this.writeMessage(this.queued[i] as M, this.queuedReturns[i], this.queuedDone[i]);
      if (result === FULL) return false;
      this.dequeue();
    }
  }

  private dequeue(): void {
    if (this.overHigh && this.queued.length - this.head - 1 <= (this.watermarks as QueueWatermarks).low) this.underLow();
    const i = this.head++;
    (this.queued as (M | undefined)[])[i] = undefined;
    this.queuedReturns[i] = undefined;
    this.queuedDone[i] = undefined;
    // compact when the queue is empty, or when the consumed prefix is half of it (amortized O(1))
    if (this.head === this.queued.length || (this.head >= 4096 && this.head * 2 >= this.queued.length)) {
      this.queued.splice(0, this.head);
      this.queuedReturns.splice(0, this.head);
      this.queuedDone.splice(0, this.head);
      this.head = 0;
    }
  }

  /** Drain until empty, sleeping on the space protocol when full. One pump at a time. */
  private pump(): void {
    if (this.pumping || this.closedReason !== undefined) return;
    this.pumping = true;
    void this.pumpLoop();
  }

  private async pumpLoop(): Promise<void> {
    try {
      while (this.closedReason === undefined) {
        const empty = this.drain();
        this.publish();
        if (empty) break;
        if (!(await this.producer.waitForSpace(undefined, this.holdThread))) {
          this.checkEnded();
          break;
        }
      }
    } finally {
      this.pumping = false;
      if (this.idle()) this.resolveFlushes();
    }
  }

  private idle(): boolean {
    return this.head === this.queued.length && this.flight === undefined;
  }

  private codecFailed(): void {
    if (this.codec.resetEncoder === undefined) return;
    this.codec.resetEncoder();
    this.resetPending = true;
  }

  /** If the ring has ended (consumer closed or died), close this Tx. Returns true if closed. */
  private checkEnded(): boolean {
    if (this.closedReason !== undefined) return true;
    const state = this.ring.state();
    if ((state & STATE_PRODUCER_END) === 0) return false;
    let reason = 'sender closed';
    if ((state & STATE_CONSUMER_DIED) !== 0) reason = `receiver thread exited with code ${this.ring.consumerExitCode()}`;
    else if ((state & STATE_CONSUMER_CLOSED) !== 0) reason = 'receiver closed';
    else if ((state & STATE_PRODUCER_DIED) !== 0) reason = 'sender marked dead';
    this.finish(reason);
    return true;
  }

  /** Become closed: hand back everything not in the ring, tell the listeners. */
  private finish(reason: string): void {
    this.closedReason = reason;
    const flight = this.flight;
    this.flight = undefined;
    if (flight !== undefined) flight.onReturn?.(new SendError('closed', flight.message, reason));
    const messages = this.queued;
    const returns = this.queuedReturns;
    for (let i = this.head; i < messages.length; i++) returns[i]?.(new SendError('closed', messages[i] as M, reason));
    messages.length = 0;
    returns.length = 0;
    this.queuedDone.length = 0;
    this.head = 0;
    if (this.overHigh) this.underLow();
    for (const listener of this.closeListeners) listener(reason);
    this.closeListeners.clear();
    this.resolveFlushes();
  }

  private underLow(): void {
    this.overHigh = false;
    (this.watermarks as QueueWatermarks).under();
  }

  private resolveFlushes(): void {
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Sleep on the STATE word while someone listens for close; does not hold the thread open. */
  private watch(): void {
    if (this.watching || this.closedReason !== undefined) return;
    this.watching = true;
    const check = (): void => {
      const state = Atomics.load(this.i32, STATE_INDEX);
      if (((state & STATE_PRODUCER_END) !== 0 && this.checkEnded()) || this.closedReason !== undefined || this.closeListeners.size === 0) {
        this.watching = false;
        return;
      }
      // Pairs with `RingBuffer.setState`'s notify(STATE); a change since the load returns at once.
      const woken = waitAsync(this.i32, STATE_INDEX, state);
      if (woken === undefined) queueMicrotask(check);
      else void woken.then(check);
    };
    check();
  }
}

/** Continue in a microtask (a reaction on a resolved promise: cheaper than `queueMicrotask`). */
const RESOLVED = Promise.resolve();
function microtask(fn: () => void): void {
  void RESOLVED.then(fn);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Built apart from `postWith`: inlined, TurboFan may convert the number on every post. */
function queueFull(addr: ChannelAddr, queued: number): string {
  return `ring ${addr} is full and ${queued} messages are queued`;
}
