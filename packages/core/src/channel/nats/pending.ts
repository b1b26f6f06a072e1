/**
 * channel/nats/pending.ts: `PendingRing`, the messages a `NatsTx` has posted and not yet had acked
 * or returned: a ring indexed by sequence number, one column (array) per field instead of one
 * object per message. Written here, not taken from a library: it is the Tx's own bookkeeping,
 * and its point is what it does not allocate.
 *
 * Why columns: a sender that runs ahead of its receiver keeps tens of thousands of messages
 * pending; an entry object per message lived as long as the message (until acked), survived the
 * young generation's collections and was promoted, on top of the envelope itself
 * (`node --cpu-prof` and `--trace-gc` of benchmarks/nats.bench.ts one-way: the sender spent a
 * fifth of its time collecting). The columns allocate only when the ring grows.
 *
 * ## Invariants
 *
 * - PR-1 The message of sequence number `s` (NX-1: consecutive from 0) is at slot
 *   `s & (capacity - 1)`; the ring holds exactly the seqs `[head, tail)`, oldest first.
 * - PR-2 Taking messages off the head (`shift`) clears their message and ack callback: an acked
 *   or returned message is not kept alive by the ring (a return callback is one per sender and a
 *   slab is reused, OX-4: they stay in the slot until it is written again).
 * - PR-3 Growing keeps every pending message at its seq (capacity doubles, a power of two).
 */
import type { ReturnCallback } from '../types.js';

const FIRST_CAPACITY = 1024;

export class PendingRing<M> {
  private mask = FIRST_CAPACITY - 1;
  private messages: (M | undefined)[] = slots(FIRST_CAPACITY);
  private returns: (ReturnCallback<M> | undefined)[] = slots(FIRST_CAPACITY);
  private acks: ((() => void) | undefined)[] = slots(FIRST_CAPACITY);
  private bufs: (Uint8Array | undefined)[] = slots(FIRST_CAPACITY);
  private starts = new Int32Array(FIRST_CAPACITY);
  private ends = new Int32Array(FIRST_CAPACITY);
  private opens = new Uint8Array(FIRST_CAPACITY);
  private posted = new Float64Array(FIRST_CAPACITY);
  /** The oldest pending seq (PR-1). */
  head = 0;
  /** The next seq to post. */
  tail = 0;
  /** Pending messages with an ack callback (none: `shiftTo` clears slots in bulk). */
  private withAck = 0;

  get size(): number {
    return this.tail - this.head;
  }

  /** Append the message of seq `tail`; its item is `buf[start, end)` of the outbox (OX-1). */
  push(message: M, onReturn: ReturnCallback<M> | undefined, onAck: (() => void) | undefined, buf: Uint8Array, start: number, end: number, opens: boolean, postedAt: number): void {
    if (this.tail - this.head > this.mask) this.grow(); // PR-3
    const i = this.tail++ & this.mask;
    this.messages[i] = message;
    this.returns[i] = onReturn;
    this.acks[i] = onAck;
    if (onAck !== undefined) this.withAck++;
    this.bufs[i] = buf;
    this.starts[i] = start;
    this.ends[i] = end;
    this.opens[i] = opens ? 1 : 0;
    this.posted[i] = postedAt;
  }

  buf(seq: number): Uint8Array {
    return this.bufs[seq & this.mask]!;
  }

  start(seq: number): number {
    return this.starts[seq & this.mask]!;
  }

  end(seq: number): number {
    return this.ends[seq & this.mask]!;
  }

  /** OX-2: the item has a DATA head's room before it. */
  opensFrame(seq: number): boolean {
    return this.opens[seq & this.mask] === 1;
  }

  postedAt(seq: number): number {
    return this.posted[seq & this.mask]!;
  }

  /** Take the head message off (PR-2); its `onAck`, to call once the ring is consistent. */
  shift(): (() => void) | undefined {
    const i = this.head++ & this.mask;
    const onAck = this.acks[i];
    this.messages[i] = undefined;
    if (onAck !== undefined) {
      this.acks[i] = undefined;
      this.withAck--;
    }
    return onAck;
  }

  /** Take every message below `next` off the head (PR-2), calling their ack callbacks in order. */
  shiftTo(next: number): void {
    const to = Math.min(next, this.tail);
    if (this.withAck > 0) {
      while (this.head < to) this.shift()?.();
      return;
    }
    if (to <= this.head) return;
    const from = this.head & this.mask;
    const count = to - this.head;
    const first = Math.min(count, this.mask + 1 - from);
    this.messages.fill(undefined, from, from + first);
    if (count > first) this.messages.fill(undefined, 0, count - first); // wrapped
    this.head = to;
  }

  /** Empty the ring; what was pending, oldest first, with its return callback. */
  drain(): { readonly message: M; readonly onReturn: ReturnCallback<M> | undefined }[] {
    const out: { message: M; onReturn: ReturnCallback<M> | undefined }[] = [];
    while (this.head < this.tail) {
      const i = this.head & this.mask;
      out.push({ message: this.messages[i] as M, onReturn: this.returns[i] });
      this.shift();
    }
    return out;
  }

  /** PR-3: double the capacity, every pending message at its seq's new slot. */
  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const mask = capacity - 1;
    const messages = slots<M>(capacity);
    const returns = slots<ReturnCallback<M>>(capacity);
    const acks = slots<() => void>(capacity);
    const bufs = slots<Uint8Array>(capacity);
    const starts = new Int32Array(capacity);
    const ends = new Int32Array(capacity);
    const opens = new Uint8Array(capacity);
    const posted = new Float64Array(capacity);
    for (let s = this.head; s < this.tail; s++) {
      const from = s & this.mask;
      const to = s & mask;
      messages[to] = this.messages[from];
      returns[to] = this.returns[from];
      acks[to] = this.acks[from];
      bufs[to] = this.bufs[from];
      starts[to] = this.starts[from]!;
      ends[to] = this.ends[from]!;
      opens[to] = this.opens[from]!;
      posted[to] = this.posted[from]!;
    }
    this.mask = mask;
    this.messages = messages;
    this.returns = returns;
    this.acks = acks;
    this.bufs = bufs;
    this.starts = starts;
    this.ends = ends;
    this.opens = opens;
    this.posted = posted;
  }
}

/** A packed array of `n` empty slots. */
function slots<T>(n: number): (T | undefined)[] {
  return new Array<T | undefined>(n).fill(undefined);
}
