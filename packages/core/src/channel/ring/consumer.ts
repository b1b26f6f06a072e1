/**
 * channel/ring/consumer.ts: the reading side of the ring, in bytes (layout and proofs: ring.ts).
 *
 * One `RingConsumer` per ring, on one thread (RING-2). `poll` loads WRITE once, visits every
 * complete record up to it (reassembling fragments in private memory, skipping wrap markers),
 * then stores READ once for the whole batch and wakes a producer that waits for that much
 * space. The sleep protocol (C1-C3 of ring.ts) is split into `prepareSleep`, `sleep` and
 * `awake` so the channel (rx.ts) and the tests can drive each step.
 *
 * Never throws of its own accord (RING-11): a malformed record sets `corruption` and stops the
 * batch. A visitor that throws stops the batch too; READ still covers the records visited.
 *
 * ## Holding records (RING-15)
 *
 * Built with `hold`, `poll` stores no READ: it only moves the private read position, and tells
 * the visitor where the record lies in the ring (`recordStart`, `recordEnd`, free-running
 * counters). The owner calls `markDone(start, end)` once the record's envelope was handled or
 * returned, then `releaseDone()` (once per batch of completions: one READ store) to hand the DONE
 * records at the front back to the producer. `forceRelease(need)` hands back the oldest records
 * whether done or not, until a waiting producer has `need` bytes. A fragmented record larger
 * than half the ring is not held (its fragments go as they are read, or it could never
 * complete): `unheldRecords` counts those.
 */
import {
  align,
  DATA_OFFSET,
  INFO_DONE,
  FIRST_PREFIX_BYTES,
  KIND_DATA,
  KIND_FIRST,
  KIND_MASK,
  KIND_MORE,
  KIND_PAD,
  MAX_RECORD_BYTES,
  NOTIFY_TIME_F64_INDEX,
  CONSUMER_SLEEPING_INDEX,
  CONSUMER_ASLEEP,
  CONSUMER_PARKED,
  PRODUCER_WAITING_INDEX,
  READ_INDEX,
  RECORD_HEADER_BYTES,
  STATE_CONSUMER_ATTACHED,
  STATE_CONSUMER_CLOSED,
  STATE_CONSUMER_DIED,
  STATE_CONSUMER_END,
  STATE_PRODUCER_CLOSED,
  STATE_PRODUCER_DIED,
  STATE_INDEX,
  TAG_MASK,
  TAG_SHIFT,
  WRITE_INDEX,
  RingError,
  type RingBuffer,
} from './ring.js';
import { KeepAlive, waitAsync } from './wait.js';

/**
 * Called once per record, in order, with the record's bytes at `bytes[start, end)`. For a
 * whole record `bytes` is the ring's shared memory and is valid only during the call (copy
 * what you keep); for a reassembled record it is a private buffer that the visitor may keep.
 * `done` is the record's DONE bit (RING-15: a holding consumer handled it; a takeover skips it).
 * Return `false` to stop the batch after this record.
 */
export type RecordVisitor = (bytes: Uint8Array, start: number, end: number, tag: number, done: boolean) => boolean | void;

const HEADER_WORDS = RECORD_HEADER_BYTES >> 2;
/** How many spin iterations between clock reads. */
const SPIN_CHECK_EVERY = 64;

export class RingConsumer {
  readonly ring: RingBuffer;
  readonly capacity: number;
  /** Set when a malformed record was found; the stream cannot continue. */
  corruption: string | undefined;

  private readonly i32: Int32Array;
  private readonly data: Buffer;
  private readonly mask: number;
  /** Bytes ever consumed (mod 2^32); equals READ after each poll (unless holding: RING-15). */
  private read: number;
  /** RING-15: records stay in the ring until `markDone` + `release`; READ is `released`. */
  readonly holding: boolean;
  /** RING-15: the released position (what READ holds), <= `read`. */
  private released: number;
  /** Where the record being visited lies: [recordStart, recordEnd), free-running counters. */
  recordStart = 0;
  recordEnd = 0;
  private assemblyStart = 0;
  private assemblyDone = false;
  /** RING-15: the record being assembled is larger than half the ring: its fragments go as read. */
  private assemblyUnheld = false;
  private passThrough = false;
  /** RING-15: fragmented records too large to hold (not protected against this thread's death). */
  unheldRecords = 0;
  /** Fragment reassembly (RING-8). */
  private assembly: Uint8Array | undefined;
  private assembled = 0;
  private assemblyTag = 0;
  private readonly keepAlive = new KeepAlive();
  /** Takeover only: no record began yet, so a `more` fragment is the tail of a partly read one. */
  private leadingTail: boolean;
  /** Takeover only: fragments of a record the dead consumer had partly read, skipped. */
  skippedPartial = 0;

  /**
   * With `takeover`, the consumer role is taken over from a consumer whose thread died
   * (`markConsumerDied` was called; RING-13): the producer's thread uses it to read back the
   * records that were never read, so they can be returned to their senders instead of lost.
   * Reading resumes at READ: the rest of a fragmented record the dead consumer had partly read
   * (its leading `more` fragments, before any first fragment or whole record) is expected, not
   * corruption: it is skipped and counted in `skippedPartial`, and the takeover goes on.
   */
  constructor(ring: RingBuffer, options: { readonly takeover?: boolean; readonly hold?: boolean } = {}) {
    if (options.takeover === true) {
      if ((ring.state() & STATE_CONSUMER_DIED) === 0) {
        throw new RingError('ring-already-attached', `ring ${ring.addr}: takeover needs a consumer marked dead`);
      }
    } else {
      ring.claim(STATE_CONSUMER_ATTACHED, 'consumer');
    }
    this.ring = ring;
    this.i32 = ring.i32;
    this.data = ring.data;
    this.capacity = ring.capacity;
    this.mask = ring.capacity - 1;
    this.read = Atomics.load(this.i32, READ_INDEX);
    this.released = this.read;
    this.holding = options.hold === true;
    this.leadingTail = options.takeover === true;
  }

  /** RING-15: bytes read but not released yet (0 unless holding). */
  heldBytes(): number {
    return (this.read - this.released) | 0;
  }

  /** True if published records are waiting (one load of WRITE). */
  available(): boolean {
    return Atomics.load(this.i32, WRITE_INDEX) !== this.read;
  }

  /** Why the stream ended, from the ring's STATE bits (and any partial record dropped). */
  endReason(state: number): string {
    let reason: string;
    if ((state & STATE_PRODUCER_DIED) !== 0) reason = `sender thread exited with code ${this.ring.producerExitCode()}`;
    else if ((state & STATE_PRODUCER_CLOSED) !== 0) reason = 'sender closed';
    else if ((state & STATE_CONSUMER_DIED) !== 0) reason = 'receiver marked dead';
    else reason = 'receiver closed';
    const partial = this.partialRecord();
    if (partial !== undefined) reason += `; dropped a partial record (${partial.received} of ${partial.total} bytes)`;
    return reason;
  }

  /** Bytes of a fragmented record received so far and its total, or undefined. */
  partialRecord(): { readonly received: number; readonly total: number } | undefined {
    return this.assembly === undefined ? undefined : { received: this.assembled, total: this.assembly.length };
  }

  /**
   * Visit up to `max` complete records (fragments count when their record completes). Returns
   * how many records were visited. One load of WRITE and one store of READ per call.
   */
  poll(visit: RecordVisitor, max = 0x7fffffff): number {
    // Pairs with the producer's Atomics.store(WRITE): records before it are complete (RING-3).
    const write = Atomics.load(this.i32, WRITE_INDEX);
    let read = this.read;
    if (write === read || this.corruption !== undefined) return 0;
    const i32 = this.i32;
    let count = 0;
    try {
      while (read !== write && count < max) {
        const at = read & this.mask;
        const h = (DATA_OFFSET + at) >> 2;
        const length = i32[h] as number;
        const info = i32[h + 1] as number;
        const kind = info & KIND_MASK;
        if (kind === KIND_PAD) {
          if (this.capacity - at > ((write - read) | 0)) {
            this.corruption = malformedWrap(at);
            break;
          }
          read = (read + (this.capacity - at)) | 0;
          continue;
        }
        const size = align(RECORD_HEADER_BYTES + length);
        if (length < 0 || at + RECORD_HEADER_BYTES + length > this.capacity || size > ((write - read) | 0)) {
          this.corruption = malformedRecord(at, length, kind);
          break;
        }
        const start = at + RECORD_HEADER_BYTES;
        const tag = (info >>> TAG_SHIFT) & TAG_MASK;
        if (kind === KIND_DATA) {
          this.leadingTail = false;
          this.recordStart = read;
          read = (read + size) | 0;
          this.recordEnd = read;
          count++;
          if (visit(this.data, start, start + length, tag, (info & INFO_DONE) !== 0) === false) break;
        } else if (kind === KIND_FIRST || kind === KIND_MORE) {
          if (kind === KIND_FIRST) {
            this.assemblyStart = read;
            this.assemblyDone = (info & INFO_DONE) !== 0;
          }
          read = (read + size) | 0;
          const record = this.reassemble(kind, h, start, length);
          if (record === undefined) {
            if (this.corruption !== undefined) break;
            continue;
          }
          this.recordStart = this.assemblyStart;
          this.recordEnd = read;
          count++;
          if (visit(record, 0, record.length, this.assemblyTag, this.assemblyDone) === false) break;
        } else {
          this.corruption = unknownKind(at, kind);
          break;
        }
      }
    } finally {
      this.consumed(read, write);
    }
    return count;
  }

  /** Copy of the next record's payload, or undefined (a convenience; `poll` allocates nothing). */
  tryRead(): { readonly bytes: Uint8Array; readonly tag: number } | undefined {
    let out: { bytes: Uint8Array; tag: number } | undefined;
    this.poll((bytes, start, end, tag) => {
      out = { bytes: new Uint8Array(bytes.subarray(start, end)), tag };
    }, 1);
    return out;
  }

  /**
   * Busy-wait up to `micros` for a record or a STATE change. True if one arrived. Blocks this
   * thread's event loop meanwhile: keep `micros` small (rx.ts adapts it).
   */
  spin(micros: number): boolean {
    const i32 = this.i32;
    const read = this.read;
    const state = Atomics.load(i32, STATE_INDEX);
    // RING-14: the real monotonic clock, not the injected one: this loop is synchronous, so a
    // simulated clock would never reach the deadline. performance.now() rather than nowMicros:
    // the deadline stays on this thread, and it costs no BigInt per check.
    const deadline = performance.now() + micros / 1000;
    for (;;) {
      for (let i = 0; i < SPIN_CHECK_EVERY; i++) {
        if (Atomics.load(i32, WRITE_INDEX) !== read) return true;
      }
      if (Atomics.load(i32, STATE_INDEX) !== state) return true;
      if (performance.now() >= deadline) return false;
    }
  }

  /**
   * SPIN-5 (spin-policy.ts): wait up to `micros` for a record or a STATE change without holding a
   * core: C1-C3 with `Atomics.wait` and a timeout, so a producer's P3 wakes this thread through the
   * kernel (~5-10 µs) while the peer thread can run on the core this one gave up. The flag is
   * `CONSUMER_PARKED` (RING-16): a producer in the middle of a burst leaves it be. Blocks this
   * thread's event loop meanwhile, like `spin`. True if a record may have arrived (poll).
   */
  park(micros: number): boolean {
    if (!this.prepareSleep(CONSUMER_PARKED)) return true; // RING-16
    Atomics.wait(this.i32, CONSUMER_SLEEPING_INDEX, CONSUMER_PARKED, micros / 1000);
    // Lower the flag if no waker did (a P3 racing with this store only sends a notify nobody waits for).
    if (Atomics.load(this.i32, CONSUMER_SLEEPING_INDEX) !== 0) Atomics.store(this.i32, CONSUMER_SLEEPING_INDEX, 0);
    return Atomics.load(this.i32, WRITE_INDEX) !== this.read;
  }

  /**
   * C1-C2: advertise sleep, then re-check WRITE and STATE. True: the caller may `sleep()`;
   * false: something arrived (the flag is cleared again) and the caller should poll. `flag` is
   * ring.ts's `CONSUMER_ASLEEP` (1, the default), or `CONSUMER_PARKED` (2) for `park` (RING-16).
   */
  prepareSleep(flag: number = CONSUMER_ASLEEP): boolean {
    // C1: pairs with the producer's P2 load of the flag (RING-16: 2 for a park).
    Atomics.store(this.i32, CONSUMER_SLEEPING_INDEX, flag);
    // C2: seq-cst loads after C1, so either we see P1 or the producer sees our flag.
    if (Atomics.load(this.i32, WRITE_INDEX) !== this.read || (Atomics.load(this.i32, STATE_INDEX) & STATE_CONSUMER_END) !== 0) {
      Atomics.store(this.i32, CONSUMER_SLEEPING_INDEX, 0);
      return false;
    }
    return true;
  }

  /**
   * C3: sleep until a waker clears the flag. Returns a promise, or undefined when the flag was
   * already cleared (a wake-up came between C2 and now). Call `awake()` after either. While it
   * sleeps it holds the thread open unless `holdThread` is false (nodejs/node#44729).
   */
  sleep(holdThread = true): Promise<unknown> | undefined {
    // C3: pairs with a waker's exchange-then-notify (P3) on the same word.
    const woken = waitAsync(this.i32, CONSUMER_SLEEPING_INDEX, 1);
    if (woken === undefined || !holdThread) return woken;
    this.keepAlive.hold();
    return woken.then(this.release);
  }

  private readonly release = (): void => this.keepAlive.release();

  /**
   * After `sleep`: make sure the flag is down (a waker normally did it already). Returns when
   * the waker woke us (µs, `nowMicros` clock; stale if nobody wrote it since).
   */
  awake(): number {
    // The load that sees the waker's exchange orders its NOTIFY_TIME store before our read.
    if (Atomics.load(this.i32, CONSUMER_SLEEPING_INDEX) !== 0) Atomics.store(this.i32, CONSUMER_SLEEPING_INDEX, 0);
    return this.ring.f64[NOTIFY_TIME_F64_INDEX] as number;
  }

  /** Mark the ring closed by the consumer; wakes a producer waiting for space (RING-9). */
  close(): void {
    this.ring.setState(STATE_CONSUMER_CLOSED);
  }

  // ---- internals --------------------------------------------------------------------------

  /**
   * RING-15: the record at [start, end) was handled or returned: set the DONE bit of its header
   * (every fragment's, for a fragmented record). Returns true when it is the oldest record held,
   * so a `releaseDone()` would free space. Ignores records, or the fragments of one, that are no
   * longer held (force-released, or not read by this consumer): their bytes may be the
   * producer's again.
   */
  markDone(start: number, end: number): boolean {
    // (not checked against `read`: during a poll it moves only at the batch's end)
    if (((end - this.released) | 0) <= 0 || ((end - this.released) | 0) > this.capacity) return false;
    const i32 = this.i32;
    // a force release may have stopped inside a fragmented record (always at a header)
    if (((start - this.released) | 0) < 0) start = this.released;
    let p = start;
    while (p !== end) {
      const at = p & this.mask;
      const h = (DATA_OFFSET + at) >> 2;
      const info = i32[h + 1] as number;
      if ((info & KIND_MASK) === KIND_PAD) {
        p = (p + (this.capacity - at)) | 0;
        continue;
      }
      // A plain store: the producer reads no header in [READ, WRITE), and a takeover reads it
      // only after this thread is gone (its exit orders our writes before the host's mark).
      i32[h + 1] = info | INFO_DONE;
      p = (p + align(RECORD_HEADER_BYTES + (i32[h] as number))) | 0;
    }
    if (start === this.released) return true;
    // RING-15: a wrap marker at the front (this consumer had read up to it before the producer
    // wrapped) comes before the oldest record: that record is the front, its release is due
    // (without this, nothing at the front ever said so and the records waited for RL-3e).
    const at = this.released & this.mask;
    const info = i32[((DATA_OFFSET + at) >> 2) + 1] as number;
    return (info & KIND_MASK) === KIND_PAD && ((this.released + (this.capacity - at)) | 0) === start;
  }

  /**
   * RING-15: move READ over the DONE records and wrap markers at the front of the held region,
   * then R2-R3. Returns the bytes released (0: the oldest held record is not done yet).
   */
  releaseDone(): number {
    const i32 = this.i32;
    const from = this.released;
    let p = from;
    const read = this.read;
    while (p !== read) {
      const at = p & this.mask;
      const h = (DATA_OFFSET + at) >> 2;
      const info = i32[h + 1] as number;
      if ((info & KIND_MASK) === KIND_PAD) p = (p + (this.capacity - at)) | 0;
      else if ((info & INFO_DONE) !== 0) p = (p + align(RECORD_HEADER_BYTES + (i32[h] as number))) | 0;
      else break;
    }
    if (p === from) return 0;
    this.released = p;
    this.storeRead(p, Atomics.load(i32, WRITE_INDEX));
    return (p - from) | 0;
  }

  /**
   * RING-15, the deadlock escape (rx.ts RL-3e): release the oldest held records, done or not,
   * until a producer waiting for `need` bytes has them (or nothing is held). Returns how many
   * records that were not done lost their protection (they can no longer be taken back).
   */
  forceRelease(need: number): number {
    const i32 = this.i32;
    const read = this.read;
    const write = Atomics.load(i32, WRITE_INDEX);
    let p = this.released;
    let unprotected = 0;
    while (p !== read) {
      const at = p & this.mask;
      const h = (DATA_OFFSET + at) >> 2;
      const info = i32[h + 1] as number;
      const kind = info & KIND_MASK;
      if (kind === KIND_PAD) {
        p = (p + (this.capacity - at)) | 0;
        continue;
      }
      // enough room, and not inside a fragmented record
      if (kind !== KIND_MORE && this.capacity - ((write - p) | 0) >= need) break;
      if ((info & INFO_DONE) === 0 && kind !== KIND_MORE) unprotected++;
      p = (p + align(RECORD_HEADER_BYTES + (i32[h] as number))) | 0;
    }
    // whatever follows (DONE records, markers) goes too
    this.released = p;
    this.releaseDone();
    if (this.released === p) this.storeRead(p, write);
    return unprotected;
  }

  /** Store READ for the batch, then R2-R3 (RING-15: a holding consumer stores in `release`). */
  private consumed(read: number, write: number): void {
    if (read === this.read) return;
    this.read = read;
    if (this.holding) {
      if (this.passThrough) {
        this.passThrough = false;
        this.releaseDone();
      }
      return;
    }
    this.released = read;
    this.storeRead(read, write);
  }

  /** R1-R3: store READ, then wake a producer waiting for this much space. */
  private storeRead(read: number, write: number): void {
    // R1: hands the bytes back; pairs with the producer's load of READ in `ensure`.
    Atomics.store(this.i32, READ_INDEX, read);
    // R2: one load of a quiet line per batch.
    const need = Atomics.load(this.i32, PRODUCER_WAITING_INDEX);
    if (need > 0 && this.capacity - ((write - read) | 0) >= need) {
      // R3: whoever swaps `need` for 0 notifies; pairs with the producer's Q3 waitAsync.
      if (Atomics.compareExchange(this.i32, PRODUCER_WAITING_INDEX, need, 0) === need) {
        Atomics.notify(this.i32, PRODUCER_WAITING_INDEX);
      }
    }
  }

  /** Add a fragment; returns the record once complete. */
  private reassemble(kind: number, h: number, start: number, length: number): Uint8Array | undefined {
    let from = start;
    let chunk = length;
    if (kind === KIND_FIRST) {
      this.leadingTail = false;
      const total = this.i32[h + HEADER_WORDS] as number;
      if (this.assembly !== undefined || length < FIRST_PREFIX_BYTES || total <= 0 || total > MAX_RECORD_BYTES) {
        this.corruption = `malformed first fragment: total ${total}, length ${length}`;
        return undefined;
      }
      this.assembly = new Uint8Array(total);
      this.assembled = 0;
      // RING-15: a record that cannot sit in the ring whole cannot be held by it
      this.assemblyUnheld = this.holding && total > this.capacity >>> 1;
      if (this.assemblyUnheld) this.unheldRecords++;
      this.assemblyTag = ((this.i32[h + 1] as number) >>> TAG_SHIFT) & TAG_MASK;
      from += FIRST_PREFIX_BYTES;
      chunk -= FIRST_PREFIX_BYTES;
    } else if (this.assembly === undefined) {
      if (this.leadingTail) {
        this.skippedPartial++;
        return undefined;
      }
      this.corruption = 'fragment without a first fragment';
      return undefined;
    }
    const assembly = this.assembly;
    if (this.assembled + chunk > assembly.length) {
      this.corruption = `fragment overflows its record: ${this.assembled + chunk} > ${assembly.length}`;
      return undefined;
    }
    assembly.set(this.data.subarray(from, from + chunk), this.assembled);
    this.assembled += chunk;
    if (this.assemblyUnheld) {
      // released with the batch (`consumed`): the producer needs the room to write the rest
      this.i32[h + 1] = (this.i32[h + 1] as number) | INFO_DONE;
      this.passThrough = true;
    }
    if (this.assembled < assembly.length) return undefined;
    this.assembly = undefined;
    return assembly;
  }
}

// Messages of the corruptions `poll` detects, built in functions of their own: inlined in the
// loop, TurboFan may convert the numbers to strings ahead of the branch, on every record.

function malformedWrap(at: number): string {
  return `malformed wrap marker at ${at}`;
}

function malformedRecord(at: number, length: number, kind: number): string {
  return `malformed record at ${at}: length ${length}, kind ${kind}`;
}

function unknownKind(at: number, kind: number): string {
  return `malformed record at ${at}: unknown kind ${kind}`;
}
