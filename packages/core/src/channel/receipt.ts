/**
 * channel/receipt.ts: delivery receipts, how a receiving channel learns that the message it
 * delivered was handled (RL-3, channel/ring/rx.ts: a proc's inbound ring holds each record
 * until then, so a thread that dies takes nothing with it).
 *
 * A receipt travels ambiently, not as an argument: the layers between a channel and an actor's
 * work queue (the mailbox server, the proc's router, the mailbox, the port) stay as they are.
 * While a channel delivers one message it puts its receipt in the module-wide slot `receipt`;
 * whoever queues the message for later handling (an actor's `Instance`, actor/instance.ts)
 * takes it from the slot into its `ReceiptQueue` with a ticket, and settles it once the item is
 * handled. A receipt nobody took (the message went to a port, was forwarded, or was returned)
 * is settled by the channel as soon as its delivery call returns.
 *
 * Written by hand: three parallel arrays in a circular buffer, so holding a receipt allocates
 * nothing per message (AC-2).
 *
 * ## Invariants
 *
 * - RC-1: a receipt is settled exactly once: by its queue once its ticket is handled (tickets are
 *   settled in order), by `settleAll` when the queue's owner stops, or by the channel when nobody
 *   took it during the delivery.
 * - RC-2: the slot is empty outside a channel's delivery call: a taker empties it, and the channel
 *   empties it after the call whether or not someone took it.
 */

/** The channel side of a receipt: told once that the message at [start, end) was handled. */
export interface ReceiptSink {
  settle(start: number, end: number): void;
}

/** The ambient slot: the receipt of the message being delivered, if its channel wants one. */
export interface AmbientReceipt {
  sink: ReceiptSink | undefined;
  start: number;
  end: number;
}

/** RC-2: set by a channel around one delivery call, emptied by whoever takes it. */
export const receipt: AmbientReceipt = { sink: undefined, start: 0, end: 0 };

const INITIAL = 64;

/**
 * The receipts an actor holds for the items of its work queue, in queue order. `next` is the
 * oldest ticket (a work-queue push count), or +Infinity when empty, so the loop's check per
 * item is one comparison.
 */
export class ReceiptQueue {
  /** The oldest held ticket; +Infinity when nothing is held. */
  next = Number.POSITIVE_INFINITY;
  private sinks: (ReceiptSink | undefined)[] = new Array<ReceiptSink | undefined>(INITIAL).fill(undefined);
  private starts = new Int32Array(INITIAL);
  private ends = new Int32Array(INITIAL);
  private tickets = new Float64Array(INITIAL);
  private head = 0;
  private count = 0;

  /** Receipts held. */
  get size(): number {
    return this.count;
  }

  /** Take the ambient receipt (RC-2), to settle once `ticket` is handled. */
  take(ticket: number): void {
    const sink = receipt.sink as ReceiptSink;
    receipt.sink = undefined;
    if (this.count === this.sinks.length) this.grow();
    const i = (this.head + this.count) & (this.sinks.length - 1);
    this.sinks[i] = sink;
    this.starts[i] = receipt.start;
    this.ends[i] = receipt.end;
    this.tickets[i] = ticket;
    if (this.count++ === 0) this.next = ticket;
  }

  /** RC-1: settle every receipt whose ticket is at most `handled`, oldest first. */
  settleUpTo(handled: number): void {
    const mask = this.sinks.length - 1;
    while (this.count > 0) {
      const i = this.head;
      if ((this.tickets[i] as number) > handled) {
        this.next = this.tickets[i] as number;
        return;
      }
      const sink = this.sinks[i] as ReceiptSink;
      this.sinks[i] = undefined;
      this.head = (i + 1) & mask;
      this.count--;
      sink.settle(this.starts[i] as number, this.ends[i] as number);
    }
    this.next = Number.POSITIVE_INFINITY;
  }

  /** RC-1: the owner stops (its queued items are dropped): settle everything held. */
  settleAll(): void {
    this.settleUpTo(Number.POSITIVE_INFINITY);
  }

  private grow(): void {
    const n = this.sinks.length;
    const sinks = new Array<ReceiptSink | undefined>(n * 2).fill(undefined);
    const starts = new Int32Array(n * 2);
    const ends = new Int32Array(n * 2);
    const tickets = new Float64Array(n * 2);
    for (let k = 0; k < n; k++) {
      const i = (this.head + k) & (n - 1);
      sinks[k] = this.sinks[i];
      starts[k] = this.starts[i] as number;
      ends[k] = this.ends[i] as number;
      tickets[k] = this.tickets[i] as number;
    }
    this.sinks = sinks;
    this.starts = starts;
    this.ends = ends;
    this.tickets = tickets;
    this.head = 0;
  }
}
