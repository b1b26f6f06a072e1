/**
 * channel/ring/producer.ts: the writing side of the ring, in bytes (layout and proofs: ring.ts).
 *
 * One `RingProducer` per ring, on one thread (RING-2). It keeps a local write cursor and a cached
 * copy of the consumer's READ (reloaded only when the cache says the ring is too full), writes
 * records with plain stores, and publishes them with one `Atomics.store(WRITE)` per batch.
 *
 * ## API (never throws once constructed: RING-11)
 *
 * - `reserve(minPayload)` / `commit(length, tag)` / `publish()`: write a record in place (the
 *   codec path): `reserve` returns the payload offset in `bytes`, the payload may use
 *   [offset, `reservedEnd`); nothing is visible to the consumer before `publish`.
 * - `write(bytes, tag)` (no publish) and `tryWrite(bytes, tag)` (publishes): copy a record in.
 *   `true` means accepted: written whole, or, for a record larger than `maxInlineBytes`, begun
 *   as fragments that later `write`/`resume` calls finish before anything else (RING-8; the
 *   producer keeps a reference to `bytes` until `busy` turns false: do not mutate it).
 *   `false` means not accepted now: wait with `waitForSpace()` and retry.
 * - `tryPush(records)`: as many whole records as fit, one publish; returns the count.
 * - `waitForSpace()`: the space protocol (Q1-Q3 of ring.ts); resolves `false` once the ring ended.
 *
 * @example
 * ```ts
 * const producer = new RingProducer(RingBuffer.attach(sab));
 * let i = 0;
 * while (i < records.length) {
 *   i += producer.tryPush(records, i);
 *   if (i < records.length && !(await producer.waitForSpace())) break; // consumer gone
 * }
 * ```
 */
import {
  align,
  DATA_OFFSET,
  FIRST_PREFIX_BYTES,
  KIND_DATA,
  KIND_FIRST,
  KIND_MORE,
  KIND_PAD,
  MAX_RECORD_BYTES,
  MIN_FRAGMENT_BYTES,
  PRODUCER_WAITING_INDEX,
  READ_INDEX,
  RECORD_HEADER_BYTES,
  STATE_INDEX,
  STATE_PRODUCER_ATTACHED,
  STATE_PRODUCER_CLOSED,
  STATE_PRODUCER_END,
  TAG_MASK,
  TAG_SHIFT,
  WRITE_INDEX,
  wakeConsumer,
  type RingBuffer,
} from './ring.js';
import { KeepAlive, waitAsync } from './wait.js';

const HEADER_WORDS = RECORD_HEADER_BYTES >> 2;

export class RingProducer {
  readonly ring: RingBuffer;
  /** The record area; `reserve` offsets index into it. */
  readonly bytes: Buffer;
  readonly capacity: number;
  /** Records up to this many payload bytes are written whole; larger ones are fragmented. */
  readonly maxInlineBytes: number;
  /** The largest `minPayload` that `reserve` can ever satisfy (on an empty ring). */
  readonly maxReserveBytes: number;
  /** End (exclusive) of the payload region granted by the last successful `reserve`. */
  reservedEnd = 0;

  private readonly i32: Int32Array;
  private readonly f64: Float64Array;
  private readonly mask: number;
  private readonly minFragment: number;
  /** Bytes ever written (mod 2^32); ahead of WRITE by what is not yet published. */
  private cursor: number;
  private published: number;
  /** Last READ loaded from shared memory; the consumer may be further ahead. */
  private readCache: number;
  private reservedAt = -1;
  /** Free bytes (counting a wrap pad) the last failed write needed. */
  private shortfall = 0;
  private ended = false;
  /** A fragmented record in progress (RING-8). */
  private partial: Uint8Array | undefined;
  private partialOffset = 0;
  private partialTag = 0;
  private readonly keepAlive = new KeepAlive();

  constructor(ring: RingBuffer) {
    ring.claim(STATE_PRODUCER_ATTACHED, 'producer');
    this.ring = ring;
    this.i32 = ring.i32;
    this.f64 = ring.f64;
    this.bytes = ring.data;
    this.capacity = ring.capacity;
    this.mask = ring.capacity - 1;
    this.maxInlineBytes = ring.maxInlineBytes;
    this.maxReserveBytes = (ring.capacity >>> 1) - RECORD_HEADER_BYTES;
    this.minFragment = Math.min(MIN_FRAGMENT_BYTES, ring.capacity >>> 3);
    // Pairs with nothing yet: a fresh ring has both cursors at 0.
    this.cursor = Atomics.load(this.i32, WRITE_INDEX);
    this.published = this.cursor;
    this.readCache = Atomics.load(this.i32, READ_INDEX);
  }

  /** Bytes ever written (mod 2^32): the cursor past the last record written. */
  get writeCursor(): number {
    return this.cursor;
  }

  /** True while a fragmented record is partly written. */
  get busy(): boolean {
    return this.partial !== undefined;
  }

  /** True once the ring was closed or a side died (STATE_PRODUCER_END); sticky. */
  isEnded(): boolean {
    if (!this.ended && (Atomics.load(this.i32, STATE_INDEX) & STATE_PRODUCER_END) !== 0) this.ended = true;
    return this.ended;
  }

  /** Bytes free for writing as far as this side knows (refreshes READ). */
  freeBytes(): number {
    this.readCache = Atomics.load(this.i32, READ_INDEX);
    return this.capacity - ((this.cursor - this.readCache) | 0);
  }

  /** Records written but not yet published. */
  get unpublishedBytes(): number {
    return (this.cursor - this.published) | 0;
  }

  /**
   * Reserve room for a record of at least `minPayload` bytes, contiguous in `bytes`. Returns
   * the payload offset, or -1 if there is no room now (or `minPayload > maxReserveBytes`, or a
   * fragmented record is in progress). The payload may extend to `reservedEnd`.
   */
  reserve(minPayload: number): number {
    if (this.partial !== undefined || this.ended || minPayload > this.maxReserveBytes) return -1;
    if (!this.ensure(align(RECORD_HEADER_BYTES + minPayload))) return -1;
    const at = this.cursor & this.mask;
    this.reservedAt = at;
    this.reservedEnd = at + this.room(at);
    return at + RECORD_HEADER_BYTES;
  }

  /**
   * Seal the reserved record with `length` payload bytes and `tag` (0-255). Not yet visible:
   * see `publish`. Returns false (and writes nothing) if there is no reservation or the record
   * would pass `reservedEnd`.
   */
  commit(length: number, tag = 0): boolean {
    const at = this.reservedAt;
    if (at < 0 || length < 0 || at + RECORD_HEADER_BYTES + length > this.reservedEnd) return false;
    this.reservedAt = -1;
    const h = (DATA_OFFSET + at) >> 2;
    this.i32[h] = length;
    this.i32[h + 1] = KIND_DATA | ((tag & TAG_MASK) << TAG_SHIFT);
    this.cursor = (this.cursor + align(RECORD_HEADER_BYTES + length)) | 0;
    return true;
  }

  /**
   * Make every record written so far visible to the consumer, and wake it if it sleeps.
   * One store per batch (BENCHMARKS.md: 13.9 M to 38 M records/s with batching). With
   * `wakeParked` false a consumer that only parked is left to look again by itself (RING-16).
   */
  publish(wakeParked = true): void {
    if (this.cursor === this.published) return;
    this.published = this.cursor;
    // P1 (RING-3, RING-4): publishes the records' bytes; pairs with the consumer's load of WRITE.
    Atomics.store(this.i32, WRITE_INDEX, this.cursor);
    // P2-P3: notify only a consumer that advertised it sleeps (RING-16: a parked one looks again by itself).
    wakeConsumer(this.i32, this.f64, wakeParked);
  }

  /** Copy one record in (see the module doc for what true and false mean); no publish. */
  write(bytes: Uint8Array, tag = 0): boolean {
    if (this.partial !== undefined && !this.resume()) return false;
    if (this.ended) return false;
    const length = bytes.length;
    if (length <= this.maxInlineBytes) {
      const at = this.reserve(length);
      if (at < 0) return false;
      if (length <= 16) {
        for (let i = 0; i < length; i++) this.bytes[at + i] = bytes[i] as number;
      } else {
        this.bytes.set(bytes, at);
      }
      return this.commit(length, tag);
    }
    if (length > MAX_RECORD_BYTES) return false;
    if (!this.ensure(this.fragmentNeed(FIRST_PREFIX_BYTES, length))) return false;
    this.partial = bytes;
    this.partialOffset = 0;
    this.partialTag = tag & TAG_MASK;
    this.resume();
    return true;
  }

  /** `write` then `publish`. */
  tryWrite(bytes: Uint8Array, tag = 0): boolean {
    const ok = this.write(bytes, tag);
    this.publish();
    return ok;
  }

  /** Write `records[start..end)` while they fit; one publish. Returns how many were accepted. */
  tryPush(records: readonly Uint8Array[], start = 0, end = records.length, tag = 0): number {
    let i = start;
    while (i < end && this.write(records[i] as Uint8Array, tag)) i++;
    this.publish();
    return i - start;
  }

  /**
   * Continue a fragmented record (RING-8) as far as space allows; no publish. Returns true when
   * no fragmented record is in progress any more.
   */
  resume(): boolean {
    const record = this.partial;
    if (record === undefined) return true;
    const info = this.partialTag << TAG_SHIFT;
    while (this.partialOffset < record.length) {
      if (this.ended) return false;
      const first = this.partialOffset === 0;
      const prefix = first ? FIRST_PREFIX_BYTES : 0;
      const remaining = record.length - this.partialOffset;
      if (!this.ensure(this.fragmentNeed(prefix, remaining))) return false;
      const at = this.cursor & this.mask;
      const room = this.room(at);
      // room, the header and the prefix are multiples of 8, so the aligned chunk fits.
      const chunk = Math.min(remaining, room - RECORD_HEADER_BYTES - prefix, this.maxInlineBytes);
      const h = (DATA_OFFSET + at) >> 2;
      this.i32[h] = prefix + chunk;
      this.i32[h + 1] = (first ? KIND_FIRST : KIND_MORE) | info;
      if (first) {
        this.i32[h + HEADER_WORDS] = record.length;
        this.i32[h + HEADER_WORDS + 1] = 0;
      }
      this.bytes.set(record.subarray(this.partialOffset, this.partialOffset + chunk), at + RECORD_HEADER_BYTES + prefix);
      this.partialOffset += chunk;
      this.cursor = (this.cursor + align(RECORD_HEADER_BYTES + prefix + chunk)) | 0;
    }
    this.partial = undefined;
    return true;
  }

  /**
   * Resolve once the consumer has freed enough space for the write that last failed (at least
   * `lowWatermark` bytes, so a woken producer writes a real batch), or `false` once the ring has
   * ended. Publishes first: a consumer cannot free what it cannot see. Space protocol Q1-Q3.
   * While it sleeps it holds the thread open unless `holdThread` is false (a pending
   * `Atomics.waitAsync` alone does not: nodejs/node#44729).
   */
  async waitForSpace(lowWatermark = this.capacity >>> 2, holdThread = true): Promise<boolean> {
    this.publish();
    const need = Math.min(this.capacity, Math.max(this.shortfall, lowWatermark, RECORD_HEADER_BYTES));
    for (;;) {
      if (this.isEnded()) return false;
      if (this.freeBytes() >= need) {
        this.shortfall = 0;
        return true;
      }
      // Q1: advertise what we need; pairs with the consumer's R2 load after it stores READ.
      Atomics.store(this.i32, PRODUCER_WAITING_INDEX, need);
      // Q2: re-check READ and STATE after advertising (both seq-cst loads).
      if (this.freeBytes() >= need || this.isEnded()) {
        Atomics.store(this.i32, PRODUCER_WAITING_INDEX, 0);
        continue;
      }
      // Q3: sleep while the word still holds `need`; the consumer's compareExchange or a
      // closer's store of 0 precedes its notify, so a wake-up that came first returns at once.
      const woken = waitAsync(this.i32, PRODUCER_WAITING_INDEX, need);
      if (woken !== undefined) {
        if (holdThread) this.keepAlive.hold();
        await woken;
        this.keepAlive.release();
      }
      Atomics.store(this.i32, PRODUCER_WAITING_INDEX, 0);
    }
  }

  /** Publish, then mark the end of the stream (STATE_PRODUCER_CLOSED) and wake the consumer. */
  close(): void {
    this.publish();
    this.ring.setState(STATE_PRODUCER_CLOSED);
    this.ended = true;
  }

  // ---- internals --------------------------------------------------------------------------

  /** Contiguous free bytes at data index `at`, per the cached READ. */
  private room(at: number): number {
    const free = this.capacity - ((this.cursor - this.readCache) | 0);
    const toEnd = this.capacity - at;
    return free < toEnd ? free : toEnd;
  }

  /** Bytes a fragment needs at minimum: header, prefix and a worthwhile chunk. */
  private fragmentNeed(prefix: number, remaining: number): number {
    return align(RECORD_HEADER_BYTES + prefix + Math.min(remaining, this.minFragment));
  }

  /**
   * Make `need` contiguous bytes available at the write cursor, reloading READ and writing a
   * wrap marker (KIND_PAD) when that helps. False (with `shortfall` set) if not possible now.
   */
  private ensure(need: number): boolean {
    const at = this.cursor & this.mask;
    if (this.room(at) >= need) return true;
    // Pairs with the consumer's Atomics.store(READ): bytes before it may be overwritten.
    this.readCache = Atomics.load(this.i32, READ_INDEX);
    if (this.room(at) >= need) return true;
    const toEnd = this.capacity - at;
    const free = this.capacity - ((this.cursor - this.readCache) | 0);
    if (toEnd < need && free - toEnd >= need) {
      // Wrap: mark the tail as skipped; the record starts at index 0.
      const h = (DATA_OFFSET + at) >> 2;
      this.i32[h] = 0;
      this.i32[h + 1] = KIND_PAD;
      this.cursor = (this.cursor + toEnd) | 0;
      return true;
    }
    this.shortfall = toEnd < need ? toEnd + need : need;
    if ((Atomics.load(this.i32, STATE_INDEX) & STATE_PRODUCER_END) !== 0) this.ended = true;
    return false;
  }
}
