/**
 * channel/net/tx.ts: `NetTx`, the sending end of a net channel (upstream `net/client.rs` +
 * `net/session.rs` `client_run`/`send_connected`; spec §7.3).
 *
 * One `NetTx` is one session: a random u64 id sent in the preamble of every connection it makes,
 * so the server can tell a reconnection from a new sender. Messages are encoded when posted (the
 * receiver never sees later mutation) and get a sequence number from 0.
 *
 * ## Queue
 *
 * One ordered array `queue[head..)` holds every message not yet acked or returned:
 * `queue[head..sent)` were written on a connection (upstream's Unacked), `queue[sent..)` were
 * not (the Outbox). An ack `n` drops every entry with `seq <= n`. On (re)connect `sent` goes back
 * to `head`: the unacked are written again, first, with their original sequence numbers.
 *
 * ## Writing
 *
 * `post` schedules one flush per microtask: every message posted in the same synchronous run goes
 * out in one corked write; small frames are packed into one buffer (up to 256 KiB), a payload of
 * 64 KiB or more is written as its own chunk without a copy. The flush stops while the socket
 * needs a drain and resumes on `drain`, so the kernel, not Node's buffer, holds the backlog.
 *
 * ## Invariants
 *
 * - NT-1 Sequence numbers are assigned at post, consecutive from 0, and never change; a resend
 *   carries the original number.
 * - NT-2 Acks are cumulative: an ack below the largest one seen is ignored (logged); an ack for a
 *   message not yet written acks it as soon as it is written (upstream
 *   `test_ack_before_redelivery_in_net_tx`).
 * - NT-3 Connection loss keeps the unacked; they are written again first after the reconnect.
 *   Reconnects back off exponentially (1 ms x2 up to 1 s, jitter 0.1) without a cap on
 *   attempts, until the delivery timeout.
 * - NT-4 Delivery timeout: when the oldest pending message is older than
 *   `messageDeliveryTimeoutMs`, the Tx closes ("failed to receive ack within timeout {d}; link is
 *   currently connected|broken" when it was written, "failed to deliver message within timeout
 *   {d}" when it never was).
 * - NT-5 Close (app `close()`, server `Closed`, `Reject`, timeout, oversized frame, refusal): `status()`
 *   turns `closed`, every pending and later message is returned with a `SendError` of code
 *   `closed` and the reason; `closeError` keeps the cause's own code (`closed`, `rejected`,
 *   `timeout`, `frame-too-large`, `unauthorized`).
 * - NT-6 A message whose frame would exceed `codecMaxFrameLength` closes the Tx (upstream: the
 *   client checks before writing, because the server would cut every resend).
 * - NT-7 A message the codec cannot encode is returned at once (code `protocol`); the Tx stays open.
 * - NT-8 Lifetime: the socket and timers keep the process alive only while messages are pending.
 * - NT-9 Time: the post times, the delivery timer and the reconnect timer all come from
 *   `DialOptions.clock` (default `realClock`); under a `SimulatedClock` a timeout or a reconnect
 *   happens only during `advance` (CK-2).
 * - NT-11 Resume (procmesh; upstream resends at once): a reconnection of a session that already
 *   wrote frames holds its resend until the server's first ack on the new connection (NR-3: a
 *   server that holds `next > 0` acks at join), or `RESUME_WAIT_MS` at most (a server that got
 *   nothing sends no ack), then writes from the first message past that ack. So every
 *   connection starts where the server stands: a link cut more often than the unacked backlog
 *   takes to write still makes progress (`pnpm chaos` found the livelock: each connection
 *   spent its life rewriting what the server already had, while the join ack was lost with it).
 * - NT-10 Credentials (`DialOptions.auth.token`): every connection starts with the admission
 *   hello, before the preamble (admission.ts, NA-1). A refusal (the server's refusal frame, or a
 *   TLS alert refusing the client certificate) closes the Tx with code `unauthorized`, for good
 *   (NA-6): the credentials cannot change, so a reconnect would only be refused again. An
 *   unusable token (empty, over 1024 bytes) makes `dialNet` throw `invalid-auth`.
 * - NT-12 Flow control (`DialOptions.watermarks`, mailbox/flow.ts FC-6): the queue (unacked and
 *   not yet written) is watched like a ring Tx's overflow queue: `over()` on each post while more
 *   than `high` are queued, `under()` once at most `low` are (after an ack prunes) or the Tx
 *   closed. The queue grows when the receiver stops reading the socket (NR-9: its proc is over
 *   bound): the kernel's buffers fill, the flush waits for `drain`, acks stop.
 * - NT-13 The gate does not count one ack batch: `over()` while more than `high + ackEveryN` are
 *   queued, `under()` at `low + ackEveryN` or fewer. The receiver acks every `ackEveryN`
 *   delivered messages or after its ack interval (NR-2), so up to `ackEveryN` it has taken stay
 *   unacked here; watermarks under that would keep the sender muted until the interval ack,
 *   each cycle (with high 500 and the default ackEveryN 1000, a tcp consumer idled to ~1,000
 *   msgs/s: one ack per 500 ms). The Tx's bound is so `high + ackEveryN` messages.
 * - NT-14 A flush of one small message (a round trip's) writes its one frame buffer without
 *   `cork`/`uncork`: one `socket.write`, without the stream's buffering (~1 µs of CPU per
 *   message, `benchmarks/net-hops.ts`). Several messages, or a large one, go out corked.
 */
import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { realClock, type Clock, type Timer } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ChannelAddr } from '../../addr.js';
import { ChannelError, SendError, type ChannelErrorCode, type ReturnCallback, type Tx, type TxStatus } from '../types.js';
import type { QueueWatermarks } from '../ring/tx.js';
import { TAG_ADMISSION, decodeRefusal, encodeHello, isCertificateRefusal } from './admission.js';
import { FrameReader } from './framed.js';
import {
  defaultCodec,
  formatDuration,
  netLogger,
  resolveBackoff,
  resolveTimings,
  type Codec,
  type DialOptions,
  type ResolvedBackoff,
  type ResolvedTimings,
  type TlsDialOptions,
} from './options.js';
import { connect } from './transport.js';
import {
  MESSAGE_OVERHEAD,
  SEQ_LEN,
  TAG_SIMPLEX,
  decodeResponse,
  encodePreamble,
  writeFrameHeader,
  writeU64,
} from './wire.js';

/** Frames with smaller payloads are copied into one batch buffer per write. */
const LARGE_PAYLOAD = 64 * 1024;
/** Upper bound of one batch buffer. */
const BATCH_BYTES = 256 * 1024;
/** Compact the queue once this many acked entries sit before `head`. */
const COMPACT_AT = 4096;
/** NT-11: the longest a reconnection waits for the server's join ack before it resends. */
const RESUME_WAIT_MS = 100;
/** What `scheduleFlush` chains the flush on. */
const RESOLVED: Promise<void> = Promise.resolve();

interface Entry<M> {
  readonly seq: number;
  readonly payload: Uint8Array;
  readonly message: M;
  readonly onReturn: ReturnCallback<M> | undefined;
  readonly onAck: (() => void) | undefined;
  readonly postedAt: number;
}

export class NetTx<M> implements Tx<M> {
  /** Random per Tx; the same on every connection this Tx makes. */
  readonly sessionId: bigint;
  private readonly codec: Codec<M>;
  private readonly timings: ResolvedTimings;
  private readonly backoff: ResolvedBackoff;
  private readonly tlsOptions: TlsDialOptions | undefined;
  /** The admission hello written first on each connection (NT-10), when the Tx has a token. */
  private readonly hello: Buffer | undefined;
  private readonly log: Logger;
  private readonly logId: string;

  private queue: Entry<M>[] = [];
  private head = 0;
  private sent = 0;
  private nextSeq = 0;
  private largestAcked = -1;

  private link: net.Socket | undefined;
  private linkUp = false;
  private backoffMs: number;
  private readonly clock: Clock;
  private reconnectTimer: Timer | undefined;
  private deliveryTimer: Timer | undefined;
  private flushScheduled = false;
  private refed = true;
  private closed: ChannelError | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  private flushWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];
  private readonly flushBound = (): void => this.flushOutbox();
  /** NT-11: a frame was written on some connection of this session. */
  private everWritten = false;
  /** NT-11: the resend of the current connection waits for the server's join ack until this fires. */
  private resumeTimer: Timer | undefined;
  /** NT-12: flow control's view of the queue, and whether `over()` was called since `under()`. */
  private readonly watermarks: QueueWatermarks | undefined;
  private overHigh = false;
  /** NT-13: `high + ackEveryN`, `low + ackEveryN`. */
  private readonly overAt: number;
  private readonly underAt: number;

  constructor(
    readonly addr: ChannelAddr,
    options: DialOptions<M> = {},
  ) {
    this.sessionId = randomBytes(8).readBigUInt64BE(0);
    this.codec = options.codec ?? defaultCodec<M>();
    this.timings = resolveTimings(options);
    this.backoff = resolveBackoff(options.backoff);
    this.clock = options.clock ?? realClock;
    this.backoffMs = this.backoff.initialMs;
    this.tlsOptions = options.tls;
    this.hello = options.auth?.token !== undefined ? encodeHello(options.auth.token) : undefined;
    this.watermarks = options.watermarks;
    this.overAt = (options.watermarks?.high ?? 0) + this.timings.ackEveryN; // NT-13
    this.underAt = (options.watermarks?.low ?? 0) + this.timings.ackEveryN;
    this.logId = `session ${addr}.${this.sessionId.toString(16).padStart(16, '0')}`;
    this.log = netLogger(options.logger, { dest: String(addr), session: this.sessionId.toString(16) });
  }

  post(message: M, onReturn?: ReturnCallback<M>): void {
    this.enqueue(message, onReturn, undefined);
  }

  send(message: M): Promise<void> {
    return new Promise((resolve, reject) => this.enqueue(message, reject, resolve));
  }

  status(): TxStatus {
    return this.closed === undefined ? 'active' : 'closed';
  }

  /** Why the Tx closed, with the cause's code (NT-5); undefined while active. */
  get closeError(): ChannelError | undefined {
    return this.closed;
  }

  /** Messages posted and neither acked nor returned yet. */
  get pending(): number {
    return this.queue.length - this.head;
  }

  onClose(listener: (reason: string) => void): () => void {
    const closed = this.closed;
    if (closed !== undefined) {
      queueMicrotask(() => listener(closed.message));
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  flush(): Promise<void> {
    if (this.closed !== undefined || this.head === this.queue.length) return Promise.resolve();
    const seq = this.nextSeq - 1;
    return new Promise((resolve) => this.flushWaiters.push({ seq, resolve }));
  }

  close(reason = 'NetTx is closed'): void {
    this.closeWith(reason, 'closed');
  }

  private enqueue(message: M, onReturn: ReturnCallback<M> | undefined, onAck: (() => void) | undefined): void {
    if (this.closed !== undefined) {
      onReturn?.(new SendError('closed', message, this.closed.message));
      return;
    }
    let payload: Uint8Array;
    try {
      payload = this.codec.encode(message);
    } catch (error) {
      onReturn?.(new SendError('protocol', message, `serialization error: ${errorText(error)}`));
      return;
    }
    const wasIdle = this.head === this.queue.length;
    this.queue.push({ seq: this.nextSeq++, payload, message, onReturn, onAck, postedAt: this.clock.monotonic() });
    const marks = this.watermarks;
    if (marks !== undefined && this.queue.length - this.head > this.overAt) {
      this.overHigh = true; // NT-12
      marks.over();
    }
    const bodyLen = SEQ_LEN + payload.length;
    if (bodyLen > this.timings.maxFrameLength) {
      const reason =
        `rejecting oversize frame: len=${bodyLen} > max=${this.timings.maxFrameLength}. ` +
        'ack will not arrive before timeout; increase CODEC_MAX_FRAME_LENGTH to allow.';
      this.log.error('oversized frame was rejected. closing channel');
      this.closeWith(reason, 'frame-too-large');
      return;
    }
    if (wasIdle) {
      this.setRef(true);
      this.armDeliveryTimer();
    }
    if (this.linkUp) this.scheduleFlush();
    else if (this.link === undefined && this.reconnectTimer === undefined) this.connect();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // A reaction of a settled promise: the same microtask queue as `queueMicrotask`, without the
    // `AsyncResource` Node makes for each of those (~100 ns against ~40 here, twice a round trip).
    RESOLVED.then(this.flushBound);
  }

  private connect(): void {
    let connecting;
    try {
      connecting = connect(this.addr, this.tlsOptions);
    } catch (error) {
      // Bad TLS material and the like: retrying cannot help.
      const reason = `connection to ${this.addr} failed: ${errorText(error)}`;
      this.log.error(reason);
      this.closeWith(reason, 'io');
      return;
    }
    const { socket, readyEvent } = connecting;
    this.link = socket;
    this.linkUp = false;
    const reader = new FrameReader(this.timings.maxFrameLength, false, {
      onFrame: (tag, bytes, start, end) => this.onResponse(socket, tag, bytes.subarray(start, end)),
    });
    socket.once(readyEvent, () => {
      if (this.link !== socket) return;
      this.linkUp = true;
      this.backoffMs = this.backoff.initialMs;
      this.log.debug({ resend: this.sent - this.head }, 'connected');
      // NT-3: everything unacked goes out again, first, with its original seq.
      this.sent = this.head;
      socket.cork();
      if (this.hello !== undefined) socket.write(this.hello); // NT-10
      socket.write(encodePreamble(this.sessionId));
      if (this.everWritten && this.head < this.queue.length) {
        // NT-11: hold the resend until the server says where it stands
        this.resumeTimer = this.clock.setTimeout(() => this.resume(socket), RESUME_WAIT_MS);
        if (!this.refed) this.resumeTimer.unref();
      } else this.flushOutbox();
      socket.uncork();
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.link !== socket) return;
      try {
        reader.feed(chunk);
      } catch (error) {
        this.log.warn({ err: errorText(error) }, 'malformed data from server; reconnecting');
        this.linkLost(socket);
      }
    });
    socket.on('drain', () => {
      if (this.link === socket) this.flushOutbox();
    });
    socket.on('error', (error) => {
      if (this.link === socket && isCertificateRefusal(error)) {
        this.refused(`TLS: ${error.message}`); // NA-6
        return;
      }
      this.log.debug({ err: error.message }, 'connection error');
    });
    socket.on('close', () => this.linkLost(socket));
    if (!this.refed) socket.unref();
  }

  /** NT-11: end the hold of `socket`'s resend: skip what the server acked, write the rest. */
  private resume(socket: net.Socket): void {
    this.resumeTimer?.cancel();
    this.resumeTimer = undefined;
    if (this.link !== socket) return;
    const first = this.queue[this.head];
    if (first !== undefined && this.largestAcked >= first.seq) {
      this.sent = Math.min(this.queue.length, this.head + (this.largestAcked - first.seq + 1));
      this.prune();
    }
    if (this.closed === undefined) this.flushOutbox();
  }

  private linkLost(socket: net.Socket): void {
    if (this.link !== socket) return;
    this.link = undefined;
    this.linkUp = false;
    this.resumeTimer?.cancel();
    this.resumeTimer = undefined;
    if (!socket.destroyed) socket.destroy();
    if (this.closed !== undefined) return;
    if (this.head === this.queue.length) return; // idle: reconnect on the next post
    this.log.debug({ unacked: this.sent - this.head, retryMs: this.backoffMs }, 'connection lost; reconnecting');
    const base = this.backoffMs;
    const delay = base * (1 + this.backoff.jitter * (2 * Math.random() - 1));
    this.backoffMs = Math.min(base * this.backoff.multiplier, this.backoff.maxMs);
    this.reconnectTimer = this.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.closed === undefined && this.link === undefined && this.head < this.queue.length) this.connect();
    }, delay);
    if (!this.refed) this.reconnectTimer.unref();
  }

  private flushOutbox(): void {
    this.flushScheduled = false;
    const socket = this.link;
    if (socket === undefined || !this.linkUp || socket.destroyed || this.closed !== undefined || this.resumeTimer !== undefined) return;
    const q = this.queue;
    const end = q.length;
    let i = this.sent;
    if (i >= end || socket.writableNeedDrain) return;
    const single = end - i === 1 && q[i]!.payload.length < LARGE_PAYLOAD; // NT-14: no cork
    if (!single) socket.cork();
    while (i < end) {
      const first = q[i]!;
      if (first.payload.length >= LARGE_PAYLOAD) {
        const header = Buffer.allocUnsafe(MESSAGE_OVERHEAD);
        writeFrameHeader(header, 0, TAG_SIMPLEX, SEQ_LEN + first.payload.length);
        writeU64(header, 8, first.seq);
        socket.write(header);
        socket.write(first.payload);
        i++;
      } else {
        let bytes = 0;
        let j = i;
        while (j < end && bytes < BATCH_BYTES) {
          const size = q[j]!.payload.length;
          if (size >= LARGE_PAYLOAD) break;
          bytes += MESSAGE_OVERHEAD + size;
          j++;
        }
        const batch = Buffer.allocUnsafe(bytes);
        let o = 0;
        for (let k = i; k < j; k++) {
          const entry = q[k]!;
          const size = entry.payload.length;
          writeFrameHeader(batch, o, TAG_SIMPLEX, SEQ_LEN + size);
          writeU64(batch, o + 8, entry.seq);
          batch.set(entry.payload, o + MESSAGE_OVERHEAD);
          o += MESSAGE_OVERHEAD + size;
        }
        socket.write(batch);
        i = j;
      }
      if (socket.writableNeedDrain) break;
    }
    if (!single) socket.uncork();
    if (i > this.sent) this.everWritten = true;
    this.sent = i;
    // NT-2: acks that arrived before these messages were written.
    if (this.largestAcked >= q[this.head]!.seq) this.prune();
  }

  private onResponse(socket: net.Socket, tag: number, body: Buffer): boolean {
    if (this.link !== socket) return false;
    if (tag === TAG_ADMISSION) {
      let reason: string;
      try {
        reason = decodeRefusal(body);
      } catch (error) {
        this.log.warn({ err: errorText(error) }, 'malformed admission frame from server; reconnecting');
        this.linkLost(socket);
        return false;
      }
      this.refused(reason); // NA-6
      return false;
    }
    if (tag !== TAG_SIMPLEX) {
      this.log.warn({ tag }, 'unexpected frame tag from server; reconnecting');
      this.linkLost(socket);
      return false;
    }
    let response;
    try {
      response = decodeResponse(body);
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'malformed response from server; reconnecting');
      this.linkLost(socket);
      return false;
    }
    switch (response.kind) {
      case 'ack':
        if (response.seq < this.largestAcked) {
          this.log.warn(`received out-of-order ack; received: ${response.seq}; stored largest: ${this.largestAcked}`);
          return true;
        }
        this.largestAcked = response.seq;
        if (this.resumeTimer !== undefined) this.resume(socket); // NT-11
        else this.prune();
        return true;
      case 'reject': {
        const reason = `server rejected connection due to: ${response.reason}`;
        this.log.error(reason);
        this.closeWith(reason, 'rejected');
        return false;
      }
      case 'closed':
        this.log.info('server closed the channel');
        this.closeWith('server closed the channel', 'closed');
        return false;
    }
  }

  /** NA-6: the server refused this Tx's credentials; final. */
  private refused(reason: string): void {
    const text = `unauthorized: server refused the connection: ${reason}`;
    this.log.error(text);
    this.closeWith(text, 'unauthorized');
  }

  /** Drop written entries with `seq <= largestAcked`; settle their senders and flush waiters. */
  private prune(): void {
    const q = this.queue;
    const acked = this.largestAcked;
    while (this.head < this.sent && q[this.head]!.seq <= acked) {
      const entry = q[this.head++]!;
      entry.onAck?.();
      if (this.closed !== undefined) return;
    }
    if (this.head >= COMPACT_AT && this.head * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.sent -= this.head;
      this.head = 0;
    }
    if (this.overHigh && this.queue.length - this.head <= this.underAt) this.underLow(); // NT-12, NT-13
    this.settleFlushWaiters();
    if (this.head === this.queue.length) {
      this.deliveryTimer?.cancel();
      this.deliveryTimer = undefined;
      this.setRef(false);
    }
  }

  private settleFlushWaiters(): void {
    const waiters = this.flushWaiters;
    if (waiters.length === 0) return;
    const firstPending = this.head < this.queue.length ? this.queue[this.head]!.seq : Infinity;
    let n = 0;
    while (n < waiters.length && waiters[n]!.seq < firstPending) n++;
    if (n === 0) return;
    const done = waiters.splice(0, n);
    for (const waiter of done) waiter.resolve();
  }

  private armDeliveryTimer(): void {
    if (this.deliveryTimer !== undefined || this.head === this.queue.length) return;
    const oldest = this.queue[this.head]!;
    const wait = oldest.postedAt + this.timings.deliveryTimeoutMs - this.clock.monotonic();
    this.deliveryTimer = this.clock.setTimeout(() => this.onDeliveryTimer(), Math.max(0, wait));
  }

  private onDeliveryTimer(): void {
    this.deliveryTimer = undefined;
    if (this.closed !== undefined || this.head === this.queue.length) return;
    const oldest = this.queue[this.head]!;
    const timeout = this.timings.deliveryTimeoutMs;
    if (this.clock.monotonic() - oldest.postedAt < timeout) {
      this.armDeliveryTimer();
      return;
    }
    const d = formatDuration(timeout);
    const message =
      this.head < this.sent
        ? `failed to receive ack within timeout ${d}; link is currently ${this.linkUp ? 'connected' : 'broken'}`
        : `failed to deliver message within timeout ${d}`;
    this.log.error(message);
    this.closeWith(`${this.logId}: ${message}`, 'timeout');
  }

  private setRef(on: boolean): void {
    if (this.refed === on) return;
    this.refed = on;
    if (on) {
      this.link?.ref();
      this.reconnectTimer?.ref();
    } else {
      this.link?.unref();
      this.reconnectTimer?.unref();
    }
  }

  private underLow(): void {
    this.overHigh = false;
    (this.watermarks as QueueWatermarks).under();
  }

  private closeWith(reason: string, code: ChannelErrorCode): void {
    if (this.closed !== undefined) return;
    this.closed = new ChannelError(code, reason);
    this.deliveryTimer?.cancel();
    this.reconnectTimer?.cancel();
    this.resumeTimer?.cancel();
    this.resumeTimer = undefined;
    this.deliveryTimer = undefined;
    this.reconnectTimer = undefined;
    const socket = this.link;
    this.link = undefined;
    this.linkUp = false;
    if (socket !== undefined) {
      if (code === 'closed') socket.end();
      else socket.destroy();
      socket.unref();
    }
    const pending = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    this.sent = 0;
    this.refed = false;
    this.log.info({ reason, returned: pending.length }, 'NetTx closed');
    if (this.overHigh) this.underLow(); // NT-12: the muted senders go free, their envelopes come back
    for (const entry of pending) entry.onReturn?.(new SendError('closed', entry.message, reason));
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener(reason);
  }
}

/**
 * Dial `addr` (tcp, unix, tls): the connection is made on the first post (lazy connect). Throws
 * `ChannelError('invalid-auth')` for an unusable `auth.token` (NT-10).
 */
export function dialNet<M>(addr: ChannelAddr, options: DialOptions<M> = {}): NetTx<M> {
  return new NetTx(addr, options);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
