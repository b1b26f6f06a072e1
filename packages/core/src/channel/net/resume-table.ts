/**
 * channel/net/resume-table.ts: `NetSessionTable`, the part of a net server's session table that
 * outlives the thread serving it (NR-11, channel/net/rx.ts): per session id, the seq below which
 * every frame was handled (or returned), in a `SharedArrayBuffer`. A worker host keeps the buffer
 * of each serving worker and hands it to the worker that replaces it under the same `ProcId`
 * (worker-host `ProcHost`, HO-3), so the restarted server resumes each session where the dead one
 * had handled it instead of rejecting it.
 *
 * Written by hand: a fixed array of (id, handled) slots in shared memory; what it must guarantee
 * (a store is durable the moment it is made, whatever the thread does next) is not what a
 * general-purpose store offers, and it is a few lines.
 *
 * Layout: Int32 word 0 = slots used (`Atomics`), then `capacity` BigInt64 ids, then `capacity`
 * Float64 handled seqs (a float64 holds every seq a session reaches exactly, and one aligned
 * 8-byte store cannot be torn, so a thread that dies between two settlements leaves the last one).
 *
 * ## Invariants
 *
 * - TB-1 One writer: only the thread whose server uses the table writes it; a replacement starts
 *   after the previous writer is gone (its exit was observed), so reads see every store made.
 * - TB-2 A slot, once given to a session id, keeps it for the table's life; `handled` only grows
 *   (`REJECTED`, -1, is final: the session was rejected and stays so after a restart).
 * - TB-3 A full table gives no slot (`add` returns -1): that session works as before but is not
 *   resumed after a restart (the server logs it once).
 */

/** Sessions a table holds by default. */
export const DEFAULT_SESSION_SLOTS = 1024;

/** `handled` of a session that was rejected (TB-2). */
export const REJECTED = -1;

const HEADER_BYTES = 8;

/** One slot of a table, as read back by a restarted server. */
export interface SessionSlot {
  /** Its index in the table. */
  readonly slot: number;
  /** The session id (a `NetTx`'s `sessionId`). */
  readonly id: bigint;
  /** Every frame below this seq was handled; `REJECTED` for a rejected session. */
  readonly handled: number;
}

/**
 * Per net session, the seq below which every frame was handled, in shared memory that outlives
 * the thread of the server using it (`ServeOptions.sessions`; NR-11).
 */
export class NetSessionTable {
  /** The shared memory: hand it to the thread that replaces this one (`NetSessionTable.attach`). */
  readonly buffer: SharedArrayBuffer;
  /** Sessions it can hold (TB-3). */
  readonly capacity: number;
  private readonly used: Int32Array;
  private readonly ids: BigInt64Array;
  private readonly handled: Float64Array;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.capacity = Math.floor((buffer.byteLength - HEADER_BYTES) / 16);
    this.used = new Int32Array(buffer, 0, 1);
    this.ids = new BigInt64Array(buffer, HEADER_BYTES, this.capacity);
    this.handled = new Float64Array(buffer, HEADER_BYTES + this.capacity * 8, this.capacity);
  }

  /** A fresh table for `capacity` sessions. */
  static create(capacity = DEFAULT_SESSION_SLOTS): NetSessionTable {
    const slots = Math.max(1, Math.floor(capacity));
    return new NetSessionTable(new SharedArrayBuffer(HEADER_BYTES + slots * 16));
  }

  /** The table in `buffer` (from `create` in this or another thread). */
  static attach(buffer: SharedArrayBuffer): NetSessionTable {
    return new NetSessionTable(buffer);
  }

  /** Slots in use. */
  get size(): number {
    return Atomics.load(this.used, 0);
  }

  /** Every session recorded so far (a restarted server's starting point). */
  entries(): SessionSlot[] {
    const out: SessionSlot[] = [];
    const n = Math.min(this.size, this.capacity);
    for (let slot = 0; slot < n; slot++) out.push({ slot, id: BigInt.asUintN(64, this.ids[slot] as bigint), handled: this.handled[slot] as number });
    return out;
  }

  /** @internal A slot for a new session `id` (handled 0), or -1 when the table is full (TB-3). */
  add(id: bigint): number {
    const slot = Atomics.load(this.used, 0);
    if (slot >= this.capacity) return -1;
    this.ids[slot] = BigInt.asIntN(64, id);
    this.handled[slot] = 0;
    Atomics.store(this.used, 0, slot + 1);
    return slot;
  }

  /** @internal TB-2: every frame of the session in `slot` below `handled` was handled. */
  store(slot: number, handled: number): void {
    this.handled[slot] = handled;
  }
}
