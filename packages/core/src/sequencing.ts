/**
 * sequencing.ts: per-sender sequence numbers (spec §1.13, upstream `ordering.rs`).
 *
 * Each `Instance` owns a `Sequencer` whose session id is a UUIDv7 (also the instance id).
 * `assignSeq(port)` numbers messages per destination *actor* for actor ports (all handler
 * ports of one actor share a sequence) and per *port* for user ports; sequences start at 1.
 *
 * ## Invariants
 *
 * - SQ-1: for one sender session and one destination key, assigned seqs are 1, 2, 3, ... in
 *   send order.
 * - SQ-2: different senders have independent sessions.
 * - SQ-3 (reorder buffer, upstream `OrderedSender`, on when `enableDestActorReorderingBuffer`):
 *   per sender session, the destination's work queue receives seq `last + 1` at once (then every
 *   buffered successor), buffers a seq beyond it, and drops a seq it already passed (duplicate).
 *   `direct` messages bypass it; a message without `SEQ_INFO` or with seq 0 is rejected.
 * - SQ-4: a sequencer draws its session id on first use (a send, or a read of `sessionId`), then
 *   keeps it: an actor that never sends by ref costs no UUID and no counter map.
 */
import { randomFillSync } from 'node:crypto';
import { ProcmeshError } from './errors.js';
import type { PortId } from './id.js';
import { SeqInfo } from './mailbox/envelope.js';

/** A time-ordered UUID (version 7). */
export function uuidv7(): string {
  const bytes = new Uint8Array(16);
  randomFillSync(bytes, 6);
  const ms = Date.now(); // realClock: ids are unique per thread, whatever a proc's clock says
  const hi = Math.floor(ms / 2 ** 16);
  bytes[0] = (hi >>> 24) & 0xff;
  bytes[1] = (hi >>> 16) & 0xff;
  bytes[2] = (hi >>> 8) & 0xff;
  bytes[3] = hi & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Sequencer {
  /** The last sequence number per destination (an actor for actor ports, else the port); created on first use. */
  private counters: Map<string, { seq: number }> | undefined;
  /** The destination of the previous call and its counter (a stream to one ref skips the map). */
  private lastPort: PortId | undefined;
  private lastCounter: { seq: number } | undefined;
  /** SQ-4: drawn on first use (an actor that never sends by ref never draws one). */
  private session: string | undefined;
  constructor(sessionId?: string) {
    this.session = sessionId;
  }

  /** The session's UUIDv7 (SQ-4: drawn on first read, then fixed). */
  get sessionId(): string {
    return (this.session ??= uuidv7());
  }

  /**
   * @internal The destinations that have a counter (the soak, benchmarks/soak.ts, checks this
   * stays bounded: RF-4, a once port never gets one).
   */
  get counterCount(): number {
    return this.counters?.size ?? 0;
  }

  /** SQ-1: the next `SeqInfo` for a message to `port`. */
  assignSeq(port: PortId): SeqInfo {
    let counter = this.lastCounter;
    if (port !== this.lastPort || counter === undefined) {
      const key = port.isActorPort ? port.actor.key : port.key;
      const counters = (this.counters ??= new Map());
      const known = counters.get(key);
      if (known !== undefined) counter = known;
      else counters.set(key, (counter = { seq: 0 }));
      this.lastPort = port;
      this.lastCounter = counter;
    }
    return SeqInfo.session(this.sessionId, ++(counter as { seq: number }).seq);
  }
}

/** A message the reorder buffer cannot place (SQ-3). */
export class SequenceError extends ProcmeshError {
  readonly code = 'invalid-sequence' as const;
}

/** What `ReorderBuffer.accept` did with a message. */
export type ReorderOutcome = 'delivered' | 'buffered' | 'duplicate';

/** SQ-3: restores per-session send order at the destination. */
export class ReorderBuffer<T> {
  private readonly sessions = new Map<string, { last: number; pending: Map<number, T> }>();

  constructor(private readonly deliver: (item: T) => void) {}

  /** Deliver, buffer or drop `item` according to its `SeqInfo`; throws `SequenceError`. */
  accept(info: SeqInfo | undefined, item: T): ReorderOutcome {
    if (info === undefined) throw new SequenceError('message without SEQ_INFO rejected by the reorder buffer');
    if (info.kind === 'direct') {
      this.deliver(item);
      return 'delivered';
    }
    if (info.seq === 0) throw new SequenceError(`invalid sequence number 0 in session ${info.sessionId}`);
    let session = this.sessions.get(info.sessionId);
    if (session === undefined) {
      session = { last: 0, pending: new Map() };
      this.sessions.set(info.sessionId, session);
    }
    if (info.seq <= session.last || session.pending.has(info.seq)) return 'duplicate';
    if (info.seq > session.last + 1) {
      session.pending.set(info.seq, item);
      return 'buffered';
    }
    session.last = info.seq;
    this.deliver(item);
    for (;;) {
      const next = session.pending.get(session.last + 1);
      if (next === undefined) break;
      session.pending.delete(session.last + 1);
      session.last++;
      this.deliver(next);
    }
    return 'delivered';
  }

  /** Messages waiting for a predecessor. */
  get buffered(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.pending.size;
    return n;
  }
}
