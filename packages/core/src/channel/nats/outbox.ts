/**
 * channel/nats/outbox.ts: `Outbox`, where a `NatsTx` keeps the bytes of the messages it has not
 * had acked: each item as DATA carries it (`[len u32][payload]`, wire.ts), written once at post
 * into slabs laid out as DATA messages, with room for a DATA head before each run of items. The
 * first write of such a run is published straight from the slab (the client copies it into its
 * own buffer anyway); only resends, and runs the window or the batch size cuts, are copied into
 * a DATA message of their own. Written here, not taken from a library: it is the layout of this
 * channel's own frames.
 *
 * ## Invariants
 *
 * - OX-1 Bytes of an item never change after it was written (a resend reads what was sent
 *   first); a slab is never written again below its `at`.
 * - OX-2 An item that `opens` a frame has `DATA_HEAD_LEN` unwritten bytes before it, written
 *   once, when its run is first published (the Tx checks it is a first write).
 * - OX-3 `seal()` after everything so far was published: the next item opens a new frame.
 * - OX-4 A slab is written again (taken from the pool by a later `fresh`) only once every item in
 *   it was acked: items fill slabs in seq order, so the slabs before the one holding the oldest
 *   pending item are free (`recycle`). An ack means the receiver has the bytes, so the client has
 *   written them to its socket and holds no view of the slab any more.
 */
import { DATA_HEAD_LEN, ITEM_HEAD_LEN, writeU32 } from './wire.js';

const FIRST_SLAB = 4 * 1024;
/** Below this much room after a seal, the next item goes to a new slab. */
const MIN_TAIL = 256;
/** OX-4: full-size slabs kept for reuse. */
const POOL_SLABS = 4;

export class Outbox {
  private slab: Uint8Array = new Uint8Array(0);
  private at = 0;
  private frameStart = 0;
  private nextSlab = FIRST_SLAB;
  /** Slabs holding items, oldest first (the last is `slab`). */
  private readonly inUse: Uint8Array[] = [];
  /** OX-4: free full-size slabs. */
  private readonly pool: Uint8Array[] = [];
  /** The slab, start, end and `opens` of the item put last (no object per item). */
  lastBuf: Uint8Array = this.slab;
  lastStart = 0;
  lastEnd = 0;
  lastOpens = false;

  constructor(
    /** The largest slab (one DATA message of the Tx). */
    private readonly frameBytes: number,
  ) {}

  /** The slab the next item's payload is written into in place, at `payloadAt`. */
  get target(): Uint8Array {
    return this.slab;
  }

  get payloadAt(): number {
    return this.at + ITEM_HEAD_LEN;
  }

  /** Make room for a payload of at least `min` bytes in place (a new slab when there is none). */
  place(min: number): void {
    if (this.slab.length - this.at - ITEM_HEAD_LEN < min) this.fresh(DATA_HEAD_LEN + ITEM_HEAD_LEN + min);
  }

  /** The payload was written in place up to `end`: its length goes before it. */
  commit(end: number, flags: number): void {
    const start = this.at;
    writeU32(this.slab, start, ((end - start - ITEM_HEAD_LEN) | flags) >>> 0);
    this.note(start, end);
  }

  /** A payload encoded elsewhere: copied in (a new slab when it does not fit). */
  append(payload: Uint8Array, flags: number): void {
    const need = ITEM_HEAD_LEN + payload.length;
    if (this.slab.length - this.at < need) this.fresh(DATA_HEAD_LEN + need);
    const start = this.at;
    writeU32(this.slab, start, (payload.length | flags) >>> 0);
    this.slab.set(payload, start + ITEM_HEAD_LEN);
    this.note(start, start + need);
  }

  /** Whether `end` of `buf` is where the next item goes (the run ends at the tail). */
  isTail(buf: Uint8Array, end: number): boolean {
    return buf === this.slab && end === this.at;
  }

  /** OX-3. */
  seal(): void {
    if (this.at === this.frameStart + DATA_HEAD_LEN) return; // nothing in the open frame
    if (this.slab.length - this.at < DATA_HEAD_LEN + ITEM_HEAD_LEN + MIN_TAIL) {
      this.at = this.slab.length; // the next item takes a new slab
      return;
    }
    this.frameStart = this.at;
    this.at += DATA_HEAD_LEN;
  }

  private note(start: number, end: number): void {
    this.lastBuf = this.slab;
    this.lastStart = start;
    this.lastEnd = end;
    this.lastOpens = start === this.frameStart + DATA_HEAD_LEN;
    this.at = end;
  }

  /**
   * OX-4: every item before `oldest` (the slab of the oldest pending item; undefined when none is
   * pending) was acked: the slabs before it are free.
   */
  recycle(oldest: Uint8Array | undefined): void {
    const inUse = this.inUse;
    while (inUse.length > 1 && inUse[0] !== oldest) {
      const free = inUse.shift()!;
      if (free.length === this.frameBytes && this.pool.length < POOL_SLABS) this.pool.push(free);
    }
  }

  /** A new slab, at least `bytes` long; slabs grow to `frameBytes` as they fill. */
  private fresh(bytes: number): void {
    const size = Math.max(bytes, Math.min(this.nextSlab, this.frameBytes));
    this.nextSlab = Math.min(this.nextSlab * 2, this.frameBytes);
    this.slab = size === this.frameBytes && this.pool.length > 0 ? this.pool.pop()! : new Uint8Array(size); // OX-4
    this.inUse.push(this.slab);
    this.frameStart = 0;
    this.at = DATA_HEAD_LEN;
  }
}
