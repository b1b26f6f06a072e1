/**
 * channel/ring/hold.ts: `RecordHold`, the held-record side of a holding `RingRx` (RL-3, RING-15;
 * rx.ts states RL-3a..RL-3f): the receipt sink its deliveries carry (channel/receipt.ts), the
 * batched release walk (RL-3c), and the stall escape (RL-3e), with how a flow-control pause of
 * the Rx suspends that escape (RL-3g). Kept apart from rx.ts, whose subject is the drain loop.
 *
 * ## Invariants
 *
 * - RL-3g (pause, mailbox/flow.ts FC-6): while the Rx is paused by flow control, the stall escape
 *   of RL-3e does not fire, and the time paused does not count as a stall (the watch restarts
 *   when the drain loop next finds the ring empty after `resume`). A paused Rx reads nothing, so
 *   room that a force release made would only fill with more unread records: it would give up
 *   the protection of unhandled records (a thread death would lose them) for no progress. The
 *   liveness RL-3e provides is kept by flow control's own escape: the actor whose queue paused
 *   the link releases it when it handles nothing for `flowStallMs` (FC-5), the Rx resumes, and a
 *   handler waiting for a reply through the same, full link is then covered by RL-3e as before
 *   (the wait is at most `flowStallMs` plus `stallMs`).
 */
import type { Clock, Timer } from '../../clock.js';
import { rootLogger } from '../../log.js';
import type { ReceiptSink } from '../receipt.js';
import type { RingConsumer } from './consumer.js';
import { PRODUCER_WAITING_INDEX, type RingBuffer } from './ring.js';

/** The counters of force releases (RingRxStats). */
export interface HoldStats {
  /** RL-3e: force releases of held records. */
  forcedReleases: number;
  /** RL-3e: unhandled records whose protection a force release gave up. */
  unprotected: number;
}

const RESOLVED = Promise.resolve();

export class RecordHold implements ReceiptSink {
  private releaseScheduled = false;
  /** RL-3e: release walks that freed something, and its value when the stall timer was armed. */
  private releases = 0;
  private stallMark = 0;
  private stallTimer: Timer | undefined;
  /** RL-3g: the Rx is paused by flow control. */
  private paused = false;
  private ended = false;

  constructor(
    private readonly consumer: RingConsumer,
    private readonly ring: RingBuffer,
    private readonly clock: Clock,
    private readonly stallMs: number,
    private readonly stats: HoldStats,
  ) {}

  /**
   * RC-1 (channel/receipt.ts): the message of the record at [start, end) was handled or
   * returned. Marks it DONE (RL-3b) and releases in a microtask, once per batch (RL-3c).
   */
  settle(start: number, end: number): void {
    if (this.ended) return;
    if (this.consumer.markDone(start, end) && !this.releaseScheduled) {
      this.releaseScheduled = true;
      void RESOLVED.then(this.releaseTask);
    }
  }

  /** RL-3d: the record just read is not held (nobody queues its message). */
  settleCurrent(): void {
    this.settle(this.consumer.recordStart, this.consumer.recordEnd);
  }

  /** The drain loop found the ring empty: watch for a stall while records are held (RL-3e). */
  idle(): void {
    if (this.stallTimer === undefined && !this.paused && this.consumer.heldBytes() > 0) this.armStall();
  }

  /** RL-3g: flow control paused the Rx: no stall escape until it resumes. */
  pause(): void {
    this.paused = true;
    this.cancelStall();
  }

  /** RL-3g: the Rx resumed; the stall watch restarts at its next idle poll. */
  resume(): void {
    this.paused = false;
  }

  /** The Rx ended: nothing more is released or watched. */
  end(): void {
    this.ended = true;
    this.cancelStall();
  }

  private readonly releaseTask = (): void => {
    this.releaseScheduled = false;
    if (!this.ended && this.consumer.releaseDone() > 0) this.releases++;
  };

  private armStall(): void {
    this.stallMark = this.releases;
    this.stallTimer = this.clock.setTimeout(this.onStall, this.stallMs).unref();
  }

  private cancelStall(): void {
    this.stallTimer?.cancel();
    this.stallTimer = undefined;
  }

  /** RL-3e: nothing released for `stallMs` while the producer waits: release the oldest anyway. */
  private readonly onStall = (): void => {
    this.stallTimer = undefined;
    if (this.ended || this.paused || this.consumer.heldBytes() === 0) return; // RL-3g
    // Pairs with the producer's Q1 store; a stale 0 only delays the escape by one period.
    const need = Atomics.load(this.ring.i32, PRODUCER_WAITING_INDEX);
    if (this.releases === this.stallMark && need > 0) {
      const unprotected = this.consumer.forceRelease(need);
      this.releases++;
      this.stats.forcedReleases++;
      this.stats.unprotected += unprotected;
      rootLogger().warn(
        { channel: String(this.ring.addr), unprotected, stallMs: this.stallMs },
        'inbound ring: nothing was handled for a while and the sender waits for space; released held records early (a thread death now loses these unhandled messages)',
      );
    }
    if (this.consumer.heldBytes() > 0) this.armStall();
  };
}
