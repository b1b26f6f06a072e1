/**
 * channel/ring/ring.ts: the shared-memory layout of procmesh's single-producer single-consumer
 * byte ring (DESIGN.md decision 8), and the operations any thread may perform on it.
 *
 * Models: ringbuf.js `js/ringbuf.js` (SPSC contract and byte layout up front), piscina
 * `src/symbols.ts` (named field offsets), rigtorp's SPSCQueue (cached peer indices).
 *
 * ## Byte layout (all offsets in bytes from the start of the SharedArrayBuffer)
 *
 * ```
 * line  offset  word                      written by            read by
 * 0     0       MAGIC ('PMRG')            create()              attach()
 *       4       VERSION                   create()              attach()
 *       8       CAPACITY (data bytes)     create()              everyone (immutable)
 *       12      RING_ID                   create()              everyone (immutable)
 * 1     64      WRITE  (producer cursor)  producer only         consumer
 * 2     128     READ   (consumer cursor)  consumer only         producer (RING-15: "released")
 * 3     192     CONSUMER_SLEEPING         consumer; wakers      producer, closers
 *       200     NOTIFY_TIME (f64 µs)      wakers, before P3     consumer (spin tuning)
 * 4     256     PRODUCER_WAITING (need)   producer; consumer    consumer, closers
 * 5     320     STATE (bit set)           anyone (Atomics.or)   everyone
 *       324     PRODUCER_EXIT             markProducerDied()    consumer
 *       328     CONSUMER_EXIT             markConsumerDied()    producer
 * 6     384     DATA[CAPACITY]            producer (free part)  consumer (unread part)
 * ```
 *
 * Each mutable word lives on its own 64-byte cache line (lines 1-5): the producer's WRITE and
 * the consumer's READ are hammered by different cores, and two hot counters on one line cost
 * ~8x per access (BENCHMARKS.md, nodejs/help#5065).
 *
 * WRITE and READ are free-running byte counters modulo 2^32 (stored in Int32 words): the number
 * of unread bytes is `(WRITE - READ) | 0`, always in [0, CAPACITY]; a byte's index in DATA is
 * `counter & (CAPACITY - 1)`. CAPACITY is a power of two (64 B .. 1 GiB), so no slot is wasted
 * to tell full from empty (unlike ringbuf.js's one empty slot).
 *
 * ## Records
 *
 * DATA holds records aligned to 8 bytes. A record is an 8-byte header and a payload:
 *
 * ```
 * +0  u32 LENGTH   payload bytes (not counting the header or the alignment padding)
 * +4  u32 INFO     KIND in bits 0-7, TAG (a user byte, 0 for channel messages) in bits 8-15,
 *                  DONE in bit 16 (set by a holding consumer on a handled record: RING-15)
 * +8  payload, then zero to seven bytes of padding up to the next multiple of 8
 * ```
 *
 * - `KIND_DATA`: a whole record; it never wraps (its bytes are contiguous in DATA).
 * - `KIND_PAD`: the wrap marker; the rest of DATA up to its end is skipped. LENGTH is unused.
 * - `KIND_FIRST` / `KIND_MORE`: fragments of a record too large to sit contiguously in the ring
 *   (larger than `maxInlineBytes` = CAPACITY / 4, or larger than the ring itself). A FIRST
 *   payload starts with an 8-byte prefix (u32 total length, u32 reserved); the consumer
 *   reassembles the fragments in private memory and delivers the record once complete.
 *   Fragments of one record are written back to back: nothing interleaves (RING-8).
 *
 * Headers are read and written through an Int32Array in the platform's byte order: both sides
 * of a ring are threads of one process, so they agree on it.
 *
 * ## The SPSC contract (RING-2)
 *
 * Exactly one producer thread and one consumer thread per ring, enforced by the ATTACHED bits
 * of STATE (`claim`): a second `RingProducer` or `RingConsumer` on the same buffer throws. Only
 * the producer stores WRITE and writes DATA outside the unread window [READ, WRITE); only the
 * consumer stores READ and reads inside it. Any thread may set STATE bits (close, peer death)
 * and wake either side.
 *
 * ## Memory ordering (every Atomics operation, in one place)
 *
 * JavaScript `Atomics` operations are sequentially consistent and synchronize-with each other;
 * plain typed-array accesses to the shared buffer are ordered by them (happens-before).
 *
 * - Producer `Atomics.store(WRITE)` publishes every record written before it (RING-3); it pairs
 *   with the consumer's `Atomics.load(WRITE)`, after which the consumer may read those bytes.
 * - Consumer `Atomics.store(READ)` hands the bytes it has finished reading back to the
 *   producer; it pairs with the producer's `Atomics.load(READ)` (done only when the producer's
 *   cached copy says the ring is too full), after which the producer may overwrite them.
 * - `CONSUMER_SLEEPING`, `PRODUCER_WAITING` and `STATE` implement the wake-ups below.
 *
 * ## Wake-up protocol and the proof that no wake-up is lost (RING-4)
 *
 * Consumer, when it found nothing to read and has spun its budget (consumer.ts):
 *
 * ```
 * C1  Atomics.store(CONSUMER_SLEEPING, 1)            advertise: "I may sleep"
 * C2  w = Atomics.load(WRITE); s = Atomics.load(STATE)
 *     if w != cursor or s has an end bit: Atomics.store(CONSUMER_SLEEPING, 0); go read
 * C3  Atomics.waitAsync(CONSUMER_SLEEPING, 1)        sleep while the flag is still 1
 * ```
 *
 * (A parked consumer stores 2 at C1 and waits synchronously with a timeout at C3; a publish may
 * leave it be, RING-16: the proof below is for the flag 1, and for 2 with the timeout's own look.)
 *
 * Producer, after writing records (producer.ts `publish`), and any closer (`wakeConsumer`):
 *
 * ```
 * P1  Atomics.store(WRITE, w')                       (a closer: Atomics.or(STATE, bit))
 * P2  if Atomics.load(CONSUMER_SLEEPING) != 0:       costs one load on a quiet line when busy
 * P3    if Atomics.exchange(CONSUMER_SLEEPING, 0) != 0: Atomics.notify(CONSUMER_SLEEPING)
 * ```
 *
 * Proof. All six steps are sequentially consistent, so they fall in one total order. Suppose
 * the consumer waits at C3 while record w' is unseen. Then C2's load of WRITE came before P1,
 * so C1 < C2 < P1 < P2 and P2 reads the 1 stored at C1 (the only other writers of the flag
 * store 0 and notify, which would wake the consumer anyway). So P3 runs: it sets the flag to 0,
 * then notifies. `waitAsync` compares the flag with 1 and enqueues the waiter atomically with
 * respect to `notify`: if C3 compares after P3's exchange it sees 0 and returns `not-equal` at
 * once; if before, the waiter is enqueued before P3's notify, which wakes it. Either way the
 * consumer runs C2 again and sees w'. The same holds for a closer with STATE in place of WRITE.
 * The load at P2 is what makes the idle path free: a busy consumer never has the flag set, so
 * the producer never calls `notify` (which takes a global mutex in V8, nodejs/performance#5).
 *
 * ## Space protocol: the producer waiting for room (RING-5)
 *
 * The mirror image, with the number of bytes needed instead of 1:
 *
 * ```
 * Q1  Atomics.store(PRODUCER_WAITING, need)          need <= CAPACITY, so an empty ring suffices
 * Q2  r = Atomics.load(READ); s = Atomics.load(STATE)
 *     if free(r) >= need or s has an end bit: Atomics.store(PRODUCER_WAITING, 0); go write
 * Q3  Atomics.waitAsync(PRODUCER_WAITING, need)
 * R1  consumer: Atomics.store(READ, r')              after every batch it consumed
 * R2  n = Atomics.load(PRODUCER_WAITING); if n > 0 and free(r') >= n:
 * R3    if Atomics.compareExchange(PRODUCER_WAITING, n, 0) == n: Atomics.notify(PRODUCER_WAITING)
 * ```
 *
 * The same argument shows the producer is woken once `need` bytes are free: if Q2 missed r',
 * R2 sees `need`. A batch that frees less than `need` does not wake it, but the consumer keeps
 * reading while the ring is not empty, and an empty ring has CAPACITY >= need bytes free; a
 * consumer that stops reading (closed, dead) is handled by the closer, which wakes both sides.
 *
 * ## Close and peer death (RING-9, RING-10)
 *
 * STATE bits: PRODUCER_CLOSED (end of stream after the published records), CONSUMER_CLOSED (the
 * producer must stop and hand queued messages back), PRODUCER_DIED / CONSUMER_DIED (the host saw
 * the thread exit). A thread that was terminated runs no more code, and nothing in shared memory
 * changes when it dies, so the surviving side cannot detect it on its own: the host that owns
 * the `Worker` must call `markProducerDied` / `markConsumerDied` from its 'exit' handler. Every
 * STATE change stores the bit, then wakes both sides and notifies STATE watchers.
 *
 * ## Invariants (cited from code and tests)
 *
 * - RING-1 FIFO: records are read in the order written, each exactly once, byte for byte,
 *   across wrap-around and fragmentation.
 * - RING-2 SPSC: one producer and one consumer per ring (enforced by `claim`).
 * - RING-3 Publication: a record's bytes are complete before WRITE covers them; the producer
 *   never writes a byte in [READ, WRITE).
 * - RING-4 No lost wake-up of a sleeping consumer (proof above).
 * - RING-5 No lost resume of a producer waiting for space (proof above).
 * - RING-6 Bounded memory: a `RingTx` queues at most `maxQueued` messages (plus one encoded
 *   record in flight) when the ring is full; past that `post` hands the message back with
 *   `SendError` code `full`.
 * - RING-7 Order across overflow: once a message is queued, later posts queue behind it.
 * - RING-8 Large records: larger than `maxInlineBytes` (or than the ring) are split into
 *   fragments written back to back and reassembled; up to `MAX_RECORD_BYTES`; a larger one is
 *   handed back with code `frame-too-large`, never dropped silently.
 * - RING-9 Close: after the producer closes, the consumer delivers every published record, then
 *   ends with `closed`; after the consumer closes, queued and later messages go back to their
 *   senders with `closed` (CH-4, CH-5).
 * - RING-10 Peer death: a consumer told its producer died delivers the complete records, drops
 *   a partial fragmented one (reporting it), and ends with `closed`; likewise for the producer.
 * - RING-11 The hot path never throws: `tryWrite`, `tryPush`, `reserve`, `poll` and `post`
 *   report by return value or callback (CH-3).
 * - RING-12 Encoding in place writes only inside the reserved free region, and where the codec
 *   put the bytes is checked; bytes that landed elsewhere are copied in (or fragmented).
 * - RING-13 Takeover: once a consumer is marked dead, a `RingConsumer` built with `takeover`
 *   (on the producer's thread) may read the records the dead consumer never read, so they go
 *   back to their senders rather than vanish with the thread.
 * - RING-14 Time: the ring never reads the injected `Clock` (clock.ts). Its three time reads
 *   are real by necessity: `NOTIFY_TIME` (`nowMicros`) is written by one thread and read by
 *   another, so it needs the process-wide monotonic clock that both threads share (a
 *   `SimulatedClock` is per thread, and a simulated time in shared memory would mean nothing
 *   to the reader); the consumer's spin deadline is checked inside a synchronous busy loop, where
 *   simulated time cannot move (it would never end); the keep-alive of wait.ts is a liveness
 *   token for the event loop, which only a real timer handle is. None of them decides what is
 *   delivered or returned, only how long a side spins or stays alive, so tests need not control
 *   them.
 * - RING-15 Held records (a consumer built with `hold`, the inbound links of a proc): READ
 *   means "released", not "read". The consumer keeps its read position privately; a record it
 *   read stays in the ring, unwritable by the producer, until its envelope was handled or
 *   returned (`markDone` sets its DONE bit), and `releaseDone` moves READ over the DONE records
 *   (and wrap markers) at the front, then does R2-R3. So a takeover (RING-13), which starts at
 *   READ, finds every record that was read but not handled, and knows the handled ones by their
 *   DONE bit. `forceRelease` gives up that protection for the oldest records when they block a
 *   waiting producer (the deadlock escape of rx.ts, RL-3e); `markDone` then ignores them.
 * - RING-16 Parked consumers (issue 16): a consumer that waits synchronously with a timeout
 *   (`RingConsumer.park`, spin-policy.ts SPIN-5) advertises `CONSUMER_PARKED` (2) instead of 1 at
 *   C1. A publish in the middle of a burst (`publish(false)`: RingTx's batch publishes, rx.ts is
 *   the consumer) leaves a parked consumer be: it looks at WRITE again when its park times out
 *   (`PARK_SLICE_MICROS`, 100 µs), so the skipped P3 delays those records by at most one park
 *   slice and is never lost (a parked consumer that goes on to sleep passes C1-C2 again, which
 *   sees the publish). Every other publish (the first of a run, the end of a run, before the
 *   producer waits for space) and every closer wakes both kinds. Reason: under load the consumer
 *   of a burst parks between batches, and a futex wake per 32 records was 12% of the sender's
 *   profile (the notify, an inter-processor interrupt on a VM); the first record of a run keeps
 *   its wake, so a hop's latency is unchanged.
 */
import { ChannelAddr } from '../../addr.js';
import { ProcmeshError } from '../../errors.js';

// ---- layout -------------------------------------------------------------------------------

/** Bytes per cache line; every mutable header word sits on its own line. */
export const CACHE_LINE_BYTES = 64;

/** Line 0: immutable configuration, written once by `create` before the buffer is shared. */
export const MAGIC_OFFSET = 0;
export const VERSION_OFFSET = 4;
export const CAPACITY_OFFSET = 8;
export const RING_ID_OFFSET = 12;
/** Line 1: the producer's cursor (bytes ever written, mod 2^32). Stored only by the producer. */
export const WRITE_OFFSET = 1 * CACHE_LINE_BYTES;
/** Line 2: the consumer's cursor (bytes ever consumed, mod 2^32). Stored only by the consumer. */
export const READ_OFFSET = 2 * CACHE_LINE_BYTES;
/** Line 3: 1 while the consumer is (about to be) asleep in `Atomics.waitAsync`, else 0. */
export const CONSUMER_SLEEPING_OFFSET = 3 * CACHE_LINE_BYTES;
/**
 * Line 3: when the last waker woke the consumer (µs on the process-wide monotonic clock,
 * `nowMicros`), a Float64. Written before P3's exchange, read by the consumer after its load of
 * the flag, so the exchange orders it. Only the spin tuning of rx.ts uses it.
 */
export const NOTIFY_TIME_OFFSET = CONSUMER_SLEEPING_OFFSET + 8;
/** Line 4: bytes of free space the waiting producer needs, or 0 when it is not waiting. */
export const PRODUCER_WAITING_OFFSET = 4 * CACHE_LINE_BYTES;
/** Line 5: lifecycle bits (`STATE_*`) and the exit codes of dead peers. */
export const STATE_OFFSET = 5 * CACHE_LINE_BYTES;
export const PRODUCER_EXIT_OFFSET = STATE_OFFSET + 4;
export const CONSUMER_EXIT_OFFSET = STATE_OFFSET + 8;
/** Line 6 onwards: the record area. */
export const DATA_OFFSET = 6 * CACHE_LINE_BYTES;

/** Int32Array indices of the words above (what every `Atomics.*` call uses). */
export const MAGIC_INDEX = MAGIC_OFFSET >> 2;
export const VERSION_INDEX = VERSION_OFFSET >> 2;
export const CAPACITY_INDEX = CAPACITY_OFFSET >> 2;
export const RING_ID_INDEX = RING_ID_OFFSET >> 2;
export const WRITE_INDEX = WRITE_OFFSET >> 2;
export const READ_INDEX = READ_OFFSET >> 2;
export const CONSUMER_SLEEPING_INDEX = CONSUMER_SLEEPING_OFFSET >> 2;
export const PRODUCER_WAITING_INDEX = PRODUCER_WAITING_OFFSET >> 2;
export const STATE_INDEX = STATE_OFFSET >> 2;
export const PRODUCER_EXIT_INDEX = PRODUCER_EXIT_OFFSET >> 2;
export const CONSUMER_EXIT_INDEX = CONSUMER_EXIT_OFFSET >> 2;
/** Float64Array index of NOTIFY_TIME. */
export const NOTIFY_TIME_F64_INDEX = NOTIFY_TIME_OFFSET >> 3;

/** 'PMRG' little-endian, and the layout version. */
export const RING_MAGIC = 0x47524d50;
export const RING_VERSION = 1;

/** STATE bits. */
export const STATE_PRODUCER_CLOSED = 1 << 0;
export const STATE_CONSUMER_CLOSED = 1 << 1;
export const STATE_PRODUCER_DIED = 1 << 2;
export const STATE_CONSUMER_DIED = 1 << 3;
export const STATE_PRODUCER_ATTACHED = 1 << 4;
export const STATE_CONSUMER_ATTACHED = 1 << 5;
/** Bits after which the consumer, once drained, ends the stream. */
export const STATE_CONSUMER_END = STATE_PRODUCER_CLOSED | STATE_PRODUCER_DIED | STATE_CONSUMER_CLOSED | STATE_CONSUMER_DIED;
/** Bits after which the producer stops writing and hands messages back. */
export const STATE_PRODUCER_END = STATE_CONSUMER_CLOSED | STATE_CONSUMER_DIED | STATE_PRODUCER_CLOSED | STATE_PRODUCER_DIED;

/** Record header: u32 LENGTH, u32 INFO (KIND | TAG << 8). */
export const RECORD_HEADER_BYTES = 8;
export const RECORD_LENGTH_WORD = 0;
export const RECORD_INFO_WORD = 1;
export const RECORD_ALIGN = 8;
export const KIND_MASK = 0xff;
export const TAG_SHIFT = 8;
export const TAG_MASK = 0xff;
export const KIND_DATA = 1;
export const KIND_PAD = 2;
export const KIND_FIRST = 3;
export const KIND_MORE = 4;
/** Record tags (the TAG byte of INFO) used by RingTx/RingRx: a message, or the in-band codec reset. */
export const RECORD_TAG_MESSAGE = 0;
export const RECORD_TAG_CODEC_RESET = 1;
/** INFO bit 16: a holding consumer handled this record (RING-15); the producer writes it 0. */
export const INFO_DONE = 1 << 16;
/** A FIRST fragment's payload starts with u32 total length and u32 reserved. */
export const FIRST_PREFIX_BYTES = 8;
/** Smallest fragment payload worth writing before wrapping instead (keeps headers < 1/8). */
export const MIN_FRAGMENT_BYTES = 64;

export const MIN_CAPACITY = 64;
export const MAX_CAPACITY = 1 << 30;
export const DEFAULT_CAPACITY = 1 << 18;
/** The largest record a ring carries (fragmented). The reassembly buffer is allocated whole. */
export const MAX_RECORD_BYTES = 1 << 30;

/** Round `n` up to a multiple of `RECORD_ALIGN`. */
export function align(n: number): number {
  return (n + (RECORD_ALIGN - 1)) & ~(RECORD_ALIGN - 1);
}

// ---- errors -----------------------------------------------------------------------------------

export type RingErrorCode = 'invalid-ring-option' | 'invalid-ring-buffer' | 'ring-already-attached';

/** Misuse of the ring API (bad options, a foreign buffer, a second producer or consumer). */
export class RingError extends ProcmeshError {
  readonly code: RingErrorCode;
  constructor(code: RingErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

// ---- the shared buffer ------------------------------------------------------------------------

export interface RingOptions {
  /** Data bytes: a power of two in [64, 2^30]. Default 256 KiB. */
  readonly capacity?: number;
  /** The ring's id, shown in its address `local:<id>`. Default: random 31-bit. */
  readonly id?: number;
}

/**
 * A view of one ring's SharedArrayBuffer. Cheap to create on either thread from the buffer
 * (`RingBuffer.attach`); holds no role. `RingProducer` and `RingConsumer` claim the roles.
 *
 * @example
 * ```ts
 * const ring = RingBuffer.create({ capacity: 1 << 20 });
 * worker.postMessage({ ring: ring.buffer });          // the other thread: RingBuffer.attach(buf)
 * worker.on('exit', (code) => ring.markProducerDied(code));
 * ```
 */
export class RingBuffer {
  readonly capacity: number;
  readonly id: number;
  readonly addr: ChannelAddr;
  /** @internal Header words and record headers. */
  readonly i32: Int32Array;
  /** @internal NOTIFY_TIME. */
  readonly f64: Float64Array;
  /** @internal The record area (a Buffer, so codecs can use its native string writers). */
  readonly data: Buffer;

  private constructor(readonly buffer: SharedArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer, 0, DATA_OFFSET >> 3);
    this.capacity = this.i32[CAPACITY_INDEX] as number;
    this.id = (this.i32[RING_ID_INDEX] as number) >>> 0;
    this.addr = ChannelAddr.local(this.id);
    this.data = Buffer.from(buffer, DATA_OFFSET, this.capacity);
  }

  /** Allocate and initialise a ring. Throws `RingError('invalid-ring-option')`. */
  static create(options: RingOptions = {}): RingBuffer {
    const capacity = options.capacity ?? DEFAULT_CAPACITY;
    if (!Number.isInteger(capacity) || capacity < MIN_CAPACITY || capacity > MAX_CAPACITY || (capacity & (capacity - 1)) !== 0) {
      throw new RingError('invalid-ring-option', `ring capacity must be a power of two in [${MIN_CAPACITY}, ${MAX_CAPACITY}]: ${capacity}`);
    }
    const id = options.id ?? randomId();
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff) {
      throw new RingError('invalid-ring-option', `ring id must be an integer in [0, 2^31): ${id}`);
    }
    const buffer = new SharedArrayBuffer(DATA_OFFSET + capacity);
    const i32 = new Int32Array(buffer);
    // Plain stores: the buffer is not shared yet; postMessage of the buffer publishes them.
    i32[VERSION_INDEX] = RING_VERSION;
    i32[CAPACITY_INDEX] = capacity;
    i32[RING_ID_INDEX] = id;
    i32[MAGIC_INDEX] = RING_MAGIC;
    return new RingBuffer(buffer);
  }

  /** View an existing ring's buffer (any thread). Throws `RingError('invalid-ring-buffer')`. */
  static attach(buffer: SharedArrayBuffer): RingBuffer {
    if (!(buffer instanceof SharedArrayBuffer) || buffer.byteLength < DATA_OFFSET + MIN_CAPACITY) {
      throw new RingError('invalid-ring-buffer', 'not a procmesh ring: expected a SharedArrayBuffer made by RingBuffer.create');
    }
    const i32 = new Int32Array(buffer, 0, DATA_OFFSET >> 2);
    const capacity = i32[CAPACITY_INDEX] as number;
    if (i32[MAGIC_INDEX] !== RING_MAGIC || i32[VERSION_INDEX] !== RING_VERSION || buffer.byteLength !== DATA_OFFSET + capacity) {
      throw new RingError('invalid-ring-buffer', 'not a procmesh ring (bad magic, version or size)');
    }
    return new RingBuffer(buffer);
  }

  /** Largest record written contiguously; larger ones are fragmented (RING-8). */
  get maxInlineBytes(): number {
    return this.capacity >>> 2;
  }

  /** The STATE bits (sequentially consistent read). */
  state(): number {
    return Atomics.load(this.i32, STATE_INDEX);
  }

  /** Exit code recorded by `markProducerDied` (0 if none). */
  producerExitCode(): number {
    return Atomics.load(this.i32, PRODUCER_EXIT_INDEX);
  }

  /** Exit code recorded by `markConsumerDied` (0 if none). */
  consumerExitCode(): number {
    return Atomics.load(this.i32, CONSUMER_EXIT_INDEX);
  }

  /** Unread bytes, as seen by any thread (a snapshot). */
  usedBytes(): number {
    return (Atomics.load(this.i32, WRITE_INDEX) - Atomics.load(this.i32, READ_INDEX)) | 0;
  }

  /**
   * Tell the consumer that the producer's thread is gone (call from the host's Worker 'exit'
   * handler, any thread). The consumer delivers what was published, then ends (RING-10).
   */
  markProducerDied(exitCode = 1): void {
    // Plain-ordered before the STATE bit by the seq-cst store below.
    Atomics.store(this.i32, PRODUCER_EXIT_INDEX, exitCode | 0);
    this.setState(STATE_PRODUCER_DIED);
  }

  /** Tell the producer that the consumer's thread is gone; queued messages go back (RING-10). */
  markConsumerDied(exitCode = 1): void {
    Atomics.store(this.i32, CONSUMER_EXIT_INDEX, exitCode | 0);
    this.setState(STATE_CONSUMER_DIED);
  }

  /**
   * Set STATE bits and wake everyone who might be waiting on the old state. Returns the
   * previous bits. The `Atomics.or` is the P1 of a closer in the wake-up proofs.
   */
  setState(bits: number): number {
    const previous = Atomics.or(this.i32, STATE_INDEX, bits);
    if ((previous | bits) !== previous) {
      wakeConsumer(this.i32, this.f64);
      wakeProducer(this.i32);
      // Pairs with `Atomics.waitAsync(STATE)` of a Tx watching for close (tx.ts).
      Atomics.notify(this.i32, STATE_INDEX);
    }
    return previous;
  }

  /**
   * Claim a role bit (RING-2). Throws `RingError('ring-already-attached')` if taken.
   * @internal
   */
  claim(bit: number, role: string): void {
    const previous = Atomics.or(this.i32, STATE_INDEX, bit);
    if ((previous & bit) !== 0) {
      throw new RingError('ring-already-attached', `ring ${this.addr} already has a ${role} (single producer, single consumer)`);
    }
  }
}

/** The `CONSUMER_SLEEPING` value of a consumer asleep on `Atomics.waitAsync` (C1). */
export const CONSUMER_ASLEEP = 1;
/** RING-16: the value of a consumer parked in a synchronous wait with a timeout (it looks again by itself). */
export const CONSUMER_PARKED = 2;

/**
 * P2-P3 of the wake-up protocol: wake the consumer only if it advertised it sleeps; with
 * `wakeParked` false, not if it only parked (RING-16: it looks again within a park slice).
 */
export function wakeConsumer(i32: Int32Array, f64: Float64Array, wakeParked = true): void {
  // P2: one load of a line the consumer writes only when it goes to sleep.
  const flag = Atomics.load(i32, CONSUMER_SLEEPING_INDEX);
  if (flag === CONSUMER_ASLEEP || (flag === CONSUMER_PARKED && wakeParked)) {
    f64[NOTIFY_TIME_F64_INDEX] = nowMicros();
    // P3: whoever swaps the flag for a 0 notifies; pairs with the consumer's C3 waitAsync (or park's wait).
    if (Atomics.exchange(i32, CONSUMER_SLEEPING_INDEX, 0) !== 0) Atomics.notify(i32, CONSUMER_SLEEPING_INDEX);
  }
}

/**
 * Microseconds on the process-wide monotonic clock (comparable between threads). Not the
 * injected `Clock`: its readings cross threads through `NOTIFY_TIME` (RING-14).
 */
export function nowMicros(): number {
  return Number(process.hrtime.bigint()) / 1000;
}

/** Wake a producer waiting for space, whatever it needs (closers use this). */
export function wakeProducer(i32: Int32Array): void {
  if (Atomics.load(i32, PRODUCER_WAITING_INDEX) !== 0) {
    // Pairs with the producer's Q3 waitAsync(PRODUCER_WAITING, need).
    Atomics.store(i32, PRODUCER_WAITING_INDEX, 0);
    Atomics.notify(i32, PRODUCER_WAITING_INDEX);
  }
}

function randomId(): number {
  const word = new Uint32Array(1);
  crypto.getRandomValues(word);
  return (word[0] as number) >>> 1;
}
