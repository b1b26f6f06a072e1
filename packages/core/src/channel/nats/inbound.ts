/**
 * channel/nats/inbound.ts: what a `NatsRx` received and its proc did not take yet, one queue per
 * session, and each session's hold: flow control's sender for the envelopes the session brings
 * (rx.ts NS-9; mailbox/flow.ts FC-6 over NATS; mailbox/senders/server.ts SR-3).
 *
 * All sessions of a subject arrive on one subscription, so unlike a socket (channel/net/hold.ts
 * pauses the session's own connection) a held session cannot be stopped at the source: its
 * messages are kept here, not taken, and not acked (rx.ts), while the other sessions go on. The
 * session's sender then stops at its window (tx.ts NX-4), its pending messages stay unacked, and
 * its own gate mutes the actors that send over it (NX-10).
 *
 * Written here, not taken from a library: the queue is the Rx's own accounting (NS-8's bound,
 * the holds, the waiting `recv()`), a few arrays without an object per message.
 *
 * ## Invariants
 *
 * - NFC-1 Order: each session's messages are taken in the order they were put (its seq order,
 *   NS-1). Sessions are taken from in the order they got something to take; a session's messages
 *   are taken until its queue is empty or it is held.
 * - NFC-2 A held session's messages are not taken until every gate that held it released it. The
 *   hold comes while the proc delivers the message that put a gate over its high watermark, so one
 *   message per session goes past that bound (FC-1's "one message per inbound link").
 * - NFC-3 Held room: messages of held sessions take at most half of the buffer; the other half is
 *   for sessions that are not held, so a held session never starves the others (their system
 *   traffic, FC-4, keeps arriving). What finds no room is not put (rx.ts NS-8: not acked, resent).
 * - NFC-4 A waiting `recv()` gets a message as soon as one can be taken: one put for a session not
 *   held with nothing queued before it, or the release of a held session with messages queued.
 * - NFC-5 Closed: holds no longer stop `take()` (CH-5: what was received and acked can still be
 *   taken); a waiting `recv()` is rejected. What the Rx did not ack is cut off first (`truncate`,
 *   rx.ts NS-9: its sender returns it), so nothing is both taken and returned.
 * - NFC-6 A session's queue holds consecutive seqs, the last one its `next - 1` (rx.ts), so what
 *   was taken of it is everything below `next - size`, and its last `k` messages are those from
 *   `next - k` on. The Rx is told when the queue is taken empty (an ack may be due).
 */

/** One session's queue, and the session as a flow sender (structurally `FlowSender`). */
export class SessionQueue<M> {
  /** @internal */
  items: M[] = [];
  /** @internal */
  head = 0;
  /** @internal in the inbound's list of sessions to take from. */
  queued = false;
  private holds = 0;

  constructor(
    private readonly inbound: Inbound<M>,
    /** Told when the last gate let go, and when the queue was taken empty. */
    readonly events: { released(): void; emptied(): void },
  ) {}

  /** Messages put and not taken. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Some gate holds this session now (NFC-2). */
  get held(): boolean {
    return this.holds > 0;
  }

  /** @internal a gate holds this session (once per gate until it releases). */
  flowHold(): void {
    if (this.holds++ === 0) this.inbound.held(this);
  }

  /** @internal a gate that held this session released it. */
  flowRelease(): void {
    if (this.holds === 0 || --this.holds > 0) return;
    this.inbound.released(this);
    this.events.released();
  }
}

interface Waiter<M> {
  readonly resolve: (m: M) => void;
  readonly reject: (e: Error) => void;
}

export class Inbound<M> {
  /** Messages put and not taken, all sessions. */
  total = 0;
  /** The most `total` was. */
  peak = 0;
  /** The session of the message taken (or handed to a waiter) last (SR-3's flow sender). */
  last: SessionQueue<M> | undefined;
  /** NFC-3: messages queued in held sessions. */
  private inHeld = 0;
  private ready: SessionQueue<M>[] = [];
  private readyHead = 0;
  private waiter: Waiter<M> | undefined;
  private closed = false;

  constructor(
    /** NS-8: at most this many messages wait. */
    readonly capacity: number,
    /** Called after each message taken (NS-8: a starved session may resume). */
    private readonly onTaken: () => void,
  ) {}

  /** A `recv()` waits (then a put message goes to it directly: NS-8 has room). */
  get waiting(): boolean {
    return this.waiter !== undefined;
  }

  /** Whether one more message of `q` has room (NS-8, NFC-3). */
  hasRoom(q: SessionQueue<M>): boolean {
    if (!q.held) return this.total < this.capacity || (this.waiter !== undefined && q.size === 0);
    return this.total < this.capacity && this.inHeld < this.capacity >> 1;
  }

  /** Queue `m` for `q` (NFC-1), or hand it to the waiting `recv()` (NFC-4). */
  put(q: SessionQueue<M>, m: M): void {
    const waiter = this.waiter;
    if (waiter !== undefined && q.size === 0 && (!q.held || this.closed)) {
      this.waiter = undefined;
      this.last = q;
      waiter.resolve(m);
      return;
    }
    q.items.push(m);
    if (++this.total > this.peak) this.peak = this.total;
    if (q.held) this.inHeld++;
    if (!q.queued && (!q.held || this.closed)) this.enqueue(q);
  }

  /** The next message to take (NFC-1, NFC-2), or undefined. */
  take(): M | undefined {
    while (this.readyHead < this.ready.length) {
      const q = this.ready[this.readyHead] as SessionQueue<M>;
      if ((q.held && !this.closed) || q.head === q.items.length) {
        q.queued = false; // NFC-2: back in the list at its release
        this.dequeue();
        continue;
      }
      const m = q.items[q.head++] as M;
      this.total--;
      if (q.held) this.inHeld--; // NFC-5: taken once closed
      this.last = q;
      if (q.head === q.items.length) {
        q.items = [];
        q.head = 0;
        q.queued = false;
        this.dequeue();
        q.events.emptied();
      } else if (q.head >= 1024 && q.head * 2 >= q.items.length) {
        q.items = q.items.slice(q.head);
        q.head = 0;
      }
      this.onTaken();
      return m;
    }
    return undefined;
  }

  /** Wait for the next message (the caller checked that none can be taken now). */
  wait(): Promise<M> {
    return new Promise<M>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** NFC-5: holds stop nothing any more; a waiting `recv()` is rejected with `error`. */
  close(queues: Iterable<SessionQueue<M>>, error: Error): void {
    this.closed = true;
    for (const q of queues) if (q.size > 0 && !q.queued) this.enqueue(q);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(error);
  }

  /** NFC-5, NFC-6: drop all but the first `keep` messages of `q` (the Rx did not ack them). */
  truncate(q: SessionQueue<M>, keep: number): void {
    const cut = q.size - Math.max(0, keep);
    if (cut <= 0) return;
    q.items.length -= cut;
    this.total -= cut;
    if (q.held) this.inHeld -= cut;
  }

  /** @internal `q` is held now (NFC-3: its queue counts as held room). */
  held(q: SessionQueue<M>): void {
    this.inHeld += q.size;
  }

  /** @internal `q` was released: takeable again; a waiting `recv()` gets its first message (NFC-4). */
  released(q: SessionQueue<M>): void {
    this.inHeld -= q.size;
    if (q.size === 0) return;
    if (!q.queued) this.enqueue(q);
    const waiter = this.waiter;
    if (waiter === undefined) return;
    const m = this.take();
    if (m === undefined) return;
    this.waiter = undefined;
    waiter.resolve(m);
  }

  private enqueue(q: SessionQueue<M>): void {
    q.queued = true;
    this.ready.push(q);
  }

  private dequeue(): void {
    if (++this.readyHead === this.ready.length) {
      this.ready = [];
      this.readyHead = 0;
    } else if (this.readyHead >= 64 && this.readyHead * 2 >= this.ready.length) {
      this.ready = this.ready.slice(this.readyHead);
      this.readyHead = 0;
    }
  }
}
