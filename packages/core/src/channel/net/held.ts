/**
 * channel/net/held.ts: `HeldFrames`, the frames of one net session that were delivered and not
 * yet handled (NR-10, channel/net/rx.ts): the receipt sink (channel/receipt.ts, RC-1) the server
 * puts in the ambient slot while it delivers a frame, so the actor that queues the envelope
 * settles it once its handler ran (or the envelope was returned). The server acks a session only
 * up to `handled`, so a sender keeps, and resends after a reconnect, everything the receiver could
 * still lose with its thread; with a `NetSessionTable` each advance of `handled` is stored at once
 * (NR-11), so a restarted server knows where every session stands.
 *
 * Written by hand: settlements come out of order across actors (each actor settles its own queue
 * in order), so the frames in [handled, next) are a circular array of flags, grown by doubling;
 * nothing is allocated per frame.
 *
 * The age of the oldest held frame (NR-10d) comes from marks: after each burst of deliveries the
 * server marks `(next, now)` (one clock read per socket chunk, not per frame), so the oldest held
 * frame was delivered no later than the first mark above `handled`.
 *
 * A receipt carries `start = seq mod 2^31` (the receipt queue holds int32s); the full seq is
 * `handled + ((start - handled) mod 2^31)`, exact while fewer than 2^31 frames are outstanding. A
 * receipt whose seq is not in [handled, next) is stale (its frame was released by `force`) and is
 * ignored.
 */
import type { ReceiptSink } from '../receipt.js';
import { REJECTED, type NetSessionTable } from './resume-table.js';

const SEQ_MOD = 0x8000_0000;
const INITIAL = 256;

export class HeldFrames implements ReceiptSink {
  /** Every frame below this seq was handled or released. */
  handled: number;
  /** The next seq to be delivered: [handled, next) are held. */
  next: number;
  private flags = new Uint8Array(INITIAL);
  /** Marks, oldest first: every frame below `markSeq[i]` was delivered by `markAt[i]`. */
  private markSeq = new Float64Array(16);
  private markAt = new Float64Array(16);
  private markHead = 0;
  private marks = 0;
  private scheduled = false;
  private slot: number;

  constructor(
    start: number,
    private readonly table: NetSessionTable | undefined,
    slot: number,
    /** Told once per microtask in which `handled` advanced (the server acks: NR-2, NR-10). */
    private readonly onProgress: () => void,
  ) {
    this.handled = start;
    this.next = start;
    this.slot = table === undefined ? -1 : slot;
  }

  /** Frames delivered and not yet handled. */
  get held(): number {
    return this.next - this.handled;
  }

  /** Frame `seq` (== `next`) is being delivered: returns its receipt's `start`. */
  deliver(seq: number): number {
    if (this.next - this.handled >= this.flags.length) this.grow();
    this.next = seq + 1;
    return seq % SEQ_MOD;
  }

  /** RC-1: the frame whose receipt carries `start` was handled. */
  settle(start: number, _end: number): void {
    const handled = this.handled;
    const offset = (((start - (handled % SEQ_MOD)) % SEQ_MOD) + SEQ_MOD) % SEQ_MOD;
    if (offset >= this.next - handled) return; // stale: released by `force`
    const mask = this.flags.length - 1;
    if (offset !== 0) {
      this.flags[(handled + offset) & mask] = 1;
      return;
    }
    let h = handled + 1;
    while (h < this.next && this.flags[h & mask] === 1) {
      this.flags[h & mask] = 0;
      h++;
    }
    this.advance(h);
  }

  /** Every frame delivered so far was delivered by `now` (the server's clock). */
  mark(now: number): void {
    const mask = this.markSeq.length - 1;
    if (this.marks > 0 && (this.markSeq[(this.markHead + this.marks - 1) & mask] as number) >= this.next) return;
    if (this.marks === this.markSeq.length) this.growMarks();
    const i = (this.markHead + this.marks++) & (this.markSeq.length - 1);
    this.markSeq[i] = this.next;
    this.markAt[i] = now;
  }

  /** When the oldest held frame had been delivered at the latest; +Infinity when none is held. */
  oldestAt(): number {
    this.prune();
    return this.marks > 0 && this.next > this.handled ? (this.markAt[this.markHead] as number) : Number.POSITIVE_INFINITY;
  }

  /**
   * NR-10d: release the held frames delivered by `cutoff` (all of them without one) unhandled;
   * returns how many lost their protection.
   */
  force(cutoff = Number.POSITIVE_INFINITY): number {
    let upTo = this.handled;
    if (cutoff === Number.POSITIVE_INFINITY) upTo = this.next;
    else {
      const mask = this.markSeq.length - 1;
      for (let k = 0; k < this.marks && (this.markAt[(this.markHead + k) & mask] as number) <= cutoff; k++) upTo = this.markSeq[(this.markHead + k) & mask] as number;
    }
    let released = 0;
    const mask = this.flags.length - 1;
    for (let s = this.handled; s < upTo; s++) {
      if (this.flags[s & mask] === 1) this.flags[s & mask] = 0;
      else released++;
    }
    let h = upTo;
    while (h < this.next && this.flags[h & mask] === 1) {
      this.flags[h & mask] = 0;
      h++;
    }
    if (h > this.handled) this.advance(h);
    return released;
  }

  /** TB-2: the session was rejected; a restarted server rejects it too. Nothing is stored after. */
  reject(): void {
    if (this.slot >= 0) this.table?.store(this.slot, REJECTED);
    this.slot = -1;
  }

  private advance(handled: number): void {
    this.handled = handled;
    if (this.slot >= 0) this.table?.store(this.slot, handled); // NR-11: durable at once
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  private readonly flush = (): void => {
    this.scheduled = false;
    this.onProgress();
  };

  /** Drop the marks whose frames are all handled. */
  private prune(): void {
    const mask = this.markSeq.length - 1;
    while (this.marks > 0 && (this.markSeq[this.markHead] as number) <= this.handled) {
      this.markHead = (this.markHead + 1) & mask;
      this.marks--;
    }
  }

  private growMarks(): void {
    const n = this.markSeq.length;
    const seq = new Float64Array(n * 2);
    const at = new Float64Array(n * 2);
    for (let k = 0; k < n; k++) {
      seq[k] = this.markSeq[(this.markHead + k) & (n - 1)] as number;
      at[k] = this.markAt[(this.markHead + k) & (n - 1)] as number;
    }
    this.markSeq = seq;
    this.markAt = at;
    this.markHead = 0;
  }

  private grow(): void {
    const old = this.flags;
    const flags = new Uint8Array(old.length * 2);
    const oldMask = old.length - 1;
    const mask = flags.length - 1;
    for (let s = this.handled; s < this.next; s++) flags[s & mask] = old[s & oldMask] as number;
    this.flags = flags;
  }
}
