/**
 * channel/nats/tx.ts: `NatsTx`, the sending end of a `nats:` channel: upstream's session promise
 * (spec §7.3: ordered, exactly once per session, delivery timeout) over core NATS, which by
 * itself delivers at most once: a message in a server that dies, published while the receiver's
 * connection is moving to another server, or dropped by a server for a slow consumer, is gone.
 *
 * Why core NATS and not JetStream: a stream would persist every envelope and answer every
 * publish with an ack from its leader, one round trip per message (benchmarks/nats.bench.ts
 * measures it beside core publish); the session protocol below needs one ack per thousand
 * messages, and the receiving proc is the only place where an envelope must survive.
 *
 * One `NatsTx` is one session: a random id in every message (wire.ts), sequence numbers from 0
 * assigned at post (the envelope is encoded then: the receiver never sees a later mutation). The
 * pending messages are a ring indexed by seq (pending.ts): seqs `[head, sent)` written,
 * `[sent, tail)` not yet; messages posted in one synchronous run go out together in DATA messages
 * of up to 128 KiB (the server's `max_payload` at most), published with the Tx's inbox as reply
 * subject; their bytes are kept in the outbox (outbox.ts), from which a first write is published
 * without a copy. A channel of envelopes (`envelopeTupleCodec`) carries them as interned records
 * of the session instead (records.ts).
 *
 * ## Invariants
 *
 * - NX-1 Sequence numbers are assigned at post, consecutive from 0, never change; a resend
 *   carries the original number (NT-1).
 * - NX-2 Acks are cumulative (`ACK next`: everything below `next` arrived) and prune the queue,
 *   also entries written before a rewind and not written again since.
 * - NX-3 Go-back-N: a `NAK next` (the receiver saw a gap) or a reconnect of the connection
 *   rewinds `sent` to the first unacked message, which is written again with everything after
 *   it; a NAK for the same `next` within `NAK_HOLD_MS` of a rewind is the same loss seen twice
 *   and is ignored. A tail loss shows no gap: a PROBE (the Tx's next seq) goes out when written
 *   messages stay unacked for 50 ms, then 100, 200 ... 1 000 ms; the answer (an ACK, or a NAK
 *   when something below the probe's seq is missing) resumes the stream. NATS keeps one
 *   publisher's messages in order, so a probe arrives after everything written before it.
 * - NX-4 At most `natsWindow` messages (default 8192) are written and unacked: the bound on
 *   what one session has in flight (the server drops messages for a slow consumer otherwise).
 * - NX-5 Delivery timeout (NT-4): the oldest pending message older than
 *   `messageDeliveryTimeoutMs` closes the Tx ("failed to receive ack within timeout ..." when it
 *   was written, "failed to deliver message within timeout ..." when it never was). No
 *   receiver on the subject (the server's no-responders status on the inbox) is not final: the
 *   receiver may be coming back (a restart keeps its address); the probes go on until then.
 * - NX-6 Close (app `close()`, the receiver's `CLOSED` or `REJECT`, the timeout, the connection
 *   closed for good, failing to connect: `unauthorized`, `unreachable`): `status()` turns
 *   `closed` and every pending and later message is returned with a `SendError` of code
 *   `closed` (NT-5); `closeError` keeps the cause's code.
 * - NX-7 A message the codec cannot encode is returned at once (`protocol`); one larger than the
 *   server's `max_payload` allows is returned at once (`frame-too-large`); the Tx stays open.
 * - NX-8 Time (delivery timer, probes, the NAK hold) comes from `DialOptions.clock`; timers keep
 *   the process alive only while messages are pending. The clock is read once per synchronous
 *   run of posts (the first post's time stamps the run: NX-5 counts from at most one run early).
 * - NX-9 Backpressure: `post` never refuses a message, but once more than `natsMaxPending`
 *   (default 4 x `natsWindow`) are pending (posted, not acked: NX-4's written ones and those
 *   waiting for the window) the Tx is over: `natsWatermarks.over()` on each such post, and
 *   `ready()` waits; once at most half are pending (acks, or the Tx closed), `under()` and the
 *   waiters resolve. A sender that waits for `ready()` keeps the queue, the resend buffer, at most
 *   `natsMaxPending` + 1; the receiver's bound (NS-8) is what stops the acks.
 * - NX-10 Flow control (`DialOptions.watermarks`, mailbox/flow.ts FC-6; dialMailbox DM-4): the
 *   pending messages (the ring: posted and not acked, written or not) are watched like a NetTx's
 *   queue (NT-12): `over()` on each post while more than `high` are pending, `under()` once acks
 *   prune them to `low` or fewer, or the Tx closed (its envelopes then come back, NX-6). They stay
 *   pending while the receiver holds the session (rx.ts NS-9: its proc is over bound, it stops
 *   acking), so the actors sending over this Tx are muted at `high` plus what their running
 *   handlers send.
 */
import type { Msg, Subscription } from '@nats-io/transport-node';
import type { ChannelAddr } from '../../addr.js';
import type { QueueWatermarks } from '../ring/tx.js';
import { realClock, type Clock, type Timer } from '../../clock.js';
import { rootLogger, type Logger } from '../../log.js';
import type { MessageEnvelope } from '../../mailbox/envelope.js';
import { writeU64 } from '../net/wire.js';
import { defaultCodec, formatDuration, resolveTimings, type Codec, type DialOptions, type ResolvedTimings } from '../net/options.js';
import { ChannelError, SendError, type ChannelErrorCode, type ReturnCallback, type Tx, type TxStatus } from '../types.js';
import { acquireLink, type NatsLink } from './client.js';
import type { NatsChannelOptions, NatsOptions, PendingWatermarks } from './options.js';
import { Outbox } from './outbox.js';
import { PendingRing } from './pending.js';
import { ITEM_RESET, RecordEncoder, carriesRecords } from './records.js';
import {
  DATA_HEAD_LEN,
  ITEM_HEAD_LEN,
  KIND_ACK,
  KIND_CLOSED,
  KIND_DATA,
  KIND_NAK,
  KIND_PROBE,
  KIND_RECORDS,
  KIND_REJECT,
  encodeWithSeq,
  randomSession,
  readHead,
  readReason,
  readSeq,
  writeHead,
  writeU32,
} from './wire.js';

/** Upper bound of one DATA message (the server's max_payload when smaller). */
const BATCH_BYTES = 128 * 1024;
/** NX-3: the first probe delay, and its cap. */
const PROBE_FIRST_MS = 50;
const PROBE_MAX_MS = 1_000;
/** NX-3: a NAK for the seq just rewound to, within this time, is ignored. */
export const NAK_HOLD_MS = 50;
/** The default of `NatsChannelOptions.natsWindow` (NX-4). */
export const DEFAULT_NATS_WINDOW = 8192;

export type NatsDialOptions<M> = DialOptions<M> & NatsChannelOptions;

export class NatsTx<M> implements Tx<M> {
  /** Random per Tx, in every message it writes. */
  readonly sessionId = randomSession();
  private readonly codec: Codec<M>;
  private readonly timings: ResolvedTimings;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly window: number;
  /** NX-9. */
  private readonly maxPending: number;
  private readonly watermarks: PendingWatermarks | undefined;
  private over = false;
  private readyWaiters: (() => void)[] = [];
  private peak = 0;
  /** NX-10: flow control's view of the pending messages, and whether `over()` was called since `under()`. */
  private readonly flow: QueueWatermarks | undefined;
  private flowOver = false;
  private readonly natsOptions: NatsOptions | undefined;
  /** NRC-1: envelopes go as interned records of this session. */
  private readonly records: RecordEncoder | undefined;
  private readonly dataKind: number;
  private readonly outbox = new Outbox(BATCH_BYTES);
  /** Items below this seq were written at least once (OX-2: a resend is copied). */
  private written = 0;

  /** PR-1: seqs `[q.head, sent)` are written, `[sent, q.tail)` not yet. */
  private readonly q = new PendingRing<M>();
  private sent = 0;
  /** NX-8: the clock as of this synchronous run of posts (-1: read it at the next post). */
  private stamp = -1;

  private link: NatsLink | undefined;
  private linking = false;
  private inbox = '';
  private sub: Subscription | undefined;
  private unlisten: (() => void) | undefined;
  /** The receiver's incarnation, once it answered (wire.ts). */
  private incarnation = 0;
  private maxPayload = 1024 * 1024;

  private probeTimer: Timer | undefined;
  private probeDelay = PROBE_FIRST_MS;
  private deliveryTimer: Timer | undefined;
  private lastRewindSeq = -1;
  private lastRewindAt = -Infinity;
  private noReceiver = false;
  private flushScheduled = false;
  private closed: ChannelError | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();
  private flushWaiters: { readonly seq: number; readonly resolve: () => void }[] = [];
  private readonly flushBound = (): void => this.flushOutbox();
  /** Messages written again after a NAK, a probe's answer or a reconnect (NX-3). */
  private resent = 0;

  constructor(
    readonly addr: ChannelAddr,
    options: NatsDialOptions<M> = {},
  ) {
    this.codec = options.codec ?? defaultCodec<M>();
    this.timings = resolveTimings(options);
    this.clock = options.clock ?? realClock;
    this.window = Math.max(1, options.natsWindow ?? DEFAULT_NATS_WINDOW);
    this.maxPending = Math.max(1, options.natsMaxPending ?? 4 * this.window);
    this.watermarks = options.natsWatermarks;
    this.flow = options.watermarks;
    this.natsOptions = options.nats;
    this.records = carriesRecords(this.codec) ? new RecordEncoder() : undefined;
    this.dataKind = this.records !== undefined ? KIND_RECORDS : KIND_DATA;
    this.log = (options.logger ?? rootLogger()).child({ channel: 'nats', dest: String(addr), session: this.sessionId.toString(16) });
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

  /** Why the Tx closed, with the cause's code (NX-6); undefined while active. */
  get closeError(): ChannelError | undefined {
    return this.closed;
  }

  /** Messages posted and neither acked nor returned yet. */
  get pending(): number {
    return this.q.size;
  }

  /** The most messages pending at once so far (NX-9). */
  get peakPending(): number {
    return this.peak;
  }

  /** NX-9: more than `natsMaxPending` messages are pending (and not yet back at half). */
  get overloaded(): boolean {
    return this.over;
  }

  /** NX-9: resolves once at most half of `natsMaxPending` is pending (at once when not over). */
  ready(): Promise<void> {
    if (!this.over) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Messages written more than once so far (NX-3). */
  get resentCount(): number {
    return this.resent;
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

  /** Resolves once everything posted so far was acked or returned; asks for an ack at once. */
  flush(): Promise<void> {
    if (this.closed !== undefined || this.q.size === 0) return Promise.resolve();
    const seq = this.q.tail - 1;
    if (this.sent > this.q.head) this.probe();
    return new Promise((resolve) => this.flushWaiters.push({ seq, resolve }));
  }

  close(reason = 'NatsTx is closed'): void {
    this.closeWith(reason, 'closed');
  }

  private enqueue(message: M, onReturn: ReturnCallback<M> | undefined, onAck: (() => void) | undefined): void {
    if (this.closed !== undefined) {
      onReturn?.(new SendError('closed', message, this.closed.message));
      return;
    }
    const records = this.records;
    const box = this.outbox;
    let encoded: number | Uint8Array;
    try {
      if (records !== undefined) {
        box.place(records.minEncodeBytes);
        encoded = records.encodeInto(message as MessageEnvelope, box.target, box.payloadAt, box.target.length); // NRC-2
      } else encoded = this.codec.encode(message);
    } catch (error) {
      onReturn?.(new SendError('protocol', message, `serialization error: ${errorText(error)}`)); // NX-7
      return;
    }
    const size = typeof encoded === 'number' ? encoded - box.payloadAt : encoded.length;
    const limit = this.maxPayload - DATA_HEAD_LEN - ITEM_HEAD_LEN;
    if (size > limit || size > this.timings.maxFrameLength) {
      records?.drop(); // NRC-3
      const max = Math.min(limit, this.timings.maxFrameLength);
      onReturn?.(new SendError('frame-too-large', message, `message of ${size} bytes exceeds the nats limit of ${max} bytes`));
      return;
    }
    const flags = records !== undefined && records.lastReset ? ITEM_RESET : 0;
    if (records === undefined) {
      if (typeof encoded === 'number') box.commit(encoded, flags);
      else box.append(encoded, flags);
    } else if (typeof encoded === 'number') box.commit(records.packInPlace(box.target, box.payloadAt, encoded), flags); // NRC-4
    else box.append(records.pack(encoded), flags);
    const q = this.q;
    const wasIdle = q.size === 0;
    let stamp = this.stamp;
    if (stamp < 0) stamp = this.stamp = this.clock.monotonic(); // NX-8
    q.push(message, onReturn, onAck, box.lastBuf, box.lastStart, box.lastEnd, box.lastOpens, stamp);
    const pending = q.size;
    if (pending > this.peak) this.peak = pending;
    if (pending > this.maxPending) {
      this.over = true; // NX-9
      this.watermarks?.over();
    }
    const flow = this.flow;
    if (flow !== undefined && pending > flow.high) {
      this.flowOver = true; // NX-10
      flow.over();
    }
    if (wasIdle) this.armDeliveryTimer();
    this.scheduleFlush();
    if (this.link === undefined && !this.linking) this.startLink();
  }

  private startLink(): void {
    this.linking = true;
    acquireLink(this.addr, this.natsOptions).then(
      (link) => {
        this.linking = false;
        if (this.closed !== undefined) {
          void link.release();
          return;
        }
        this.link = link;
        this.maxPayload = link.maxPayload;
        this.inbox = link.mod.createInbox();
        this.sub = link.subscribe(this.inbox, (msg) => this.onResponse(msg));
        this.unlisten = link.listen({
          onReconnect: () => this.onReconnect(),
          onClosed: (reason) => this.closeWith(`${this.addr}: ${reason}`, 'closed'),
        });
        this.scheduleFlush();
      },
      (error: unknown) => {
        this.linking = false;
        const code = error instanceof ChannelError ? error.code : 'io';
        const reason = errorText(error);
        this.log.error(reason);
        this.closeWith(reason, code); // NX-6, NC-2
      },
    );
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(this.flushBound);
  }

  private flushOutbox(): void {
    this.flushScheduled = false;
    this.stamp = -1; // NX-8: the run of posts is over
    const link = this.link;
    if (link === undefined || this.closed !== undefined) return;
    const q = this.q;
    const end = Math.min(q.tail, q.head + this.window); // NX-4
    const batchBytes = Math.min(BATCH_BYTES, this.maxPayload);
    let i = this.sent;
    if (i >= end) return;
    const subject = this.addr.subject;
    while (i < end) {
      let j = i + 1;
      let frame: Uint8Array;
      if (q.opensFrame(i) && i >= this.written) {
        // OX-2: a first write of a run of items in one slab: published from the outbox itself
        const buf = q.buf(i);
        const from = q.start(i) - DATA_HEAD_LEN;
        let to = q.end(i);
        while (j < end) {
          if (q.opensFrame(j) || q.buf(j) !== buf || q.start(j) !== to || q.end(j) - from > batchBytes) break;
          to = q.end(j);
          j++;
        }
        frame = buf.subarray(from, to);
        if (this.outbox.isTail(buf, to)) this.outbox.seal(); // OX-3
      } else {
        let bytes = DATA_HEAD_LEN + q.end(i) - q.start(i);
        while (j < end) {
          const next = bytes + q.end(j) - q.start(j);
          if (next > batchBytes) break;
          bytes = next;
          j++;
        }
        frame = new Uint8Array(bytes);
        let o = DATA_HEAD_LEN;
        for (let k = i; k < j; k++) {
          const start = q.start(k);
          const len = q.end(k) - start;
          frame.set(q.buf(k).subarray(start, start + len), o);
          o += len;
        }
      }
      writeHead(frame, this.dataKind, this.sessionId, this.incarnation);
      writeU64(frame, 13, i);
      writeU32(frame, 21, j - i);
      try {
        link.nc.publish(subject, frame, { reply: this.inbox });
      } catch (error) {
        // a closed or draining connection: its `closed` event closes this Tx (NX-6)
        this.log.debug({ err: errorText(error) }, 'publish failed');
        break;
      }
      i = j;
      if (j > this.written) this.written = j;
    }
    this.sent = i;
    if (i === q.tail) this.outbox.seal(); // OX-3: the next post opens a frame
    this.armProbe();
  }

  private onResponse(msg: Msg): void {
    if (this.closed !== undefined) return;
    if (msg.headers?.code === 503) {
      this.noReceiver = true; // NX-5: nobody serves the subject now; the probes go on
      return;
    }
    let head;
    try {
      head = readHead(msg.data);
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'malformed response dropped');
      return;
    }
    if (head.session !== this.sessionId) return;
    switch (head.kind) {
      case KIND_ACK:
      case KIND_NAK: {
        let next: number;
        try {
          next = readSeq(msg.data);
        } catch (error) {
          this.log.warn({ err: errorText(error) }, 'malformed ack dropped');
          return;
        }
        if (this.incarnation === 0) this.incarnation = head.incarnation;
        this.noReceiver = false;
        this.acked(next);
        if (head.kind === KIND_NAK) this.rewind(next);
        return;
      }
      case KIND_REJECT: {
        const reason = `server rejected connection due to: ${readReason(msg.data)}`;
        this.log.error(reason);
        this.closeWith(reason, 'rejected');
        return;
      }
      case KIND_CLOSED:
        this.log.info('server closed the channel');
        this.closeWith('server closed the channel', 'closed');
        return;
      default:
        this.log.warn({ kind: head.kind }, 'unexpected response kind dropped');
    }
  }

  /** NX-2: everything below `next` arrived. */
  private acked(next: number): void {
    const q = this.q;
    if (q.head >= q.tail || q.head >= next) return;
    q.shiftTo(next); // PR-2
    if (this.closed !== undefined) return;
    if (this.sent < q.head) this.sent = q.head;
    this.outbox.recycle(q.size > 0 ? q.buf(q.head) : undefined); // OX-4
    if (this.over && q.size <= this.maxPending >> 1) this.underHalf();
    if (this.flowOver && q.size <= (this.flow as QueueWatermarks).low) this.underLow(); // NX-10
    if (this.closed !== undefined) return;
    this.probeDelay = PROBE_FIRST_MS;
    this.probeTimer?.cancel();
    this.probeTimer = undefined;
    this.settleFlushWaiters();
    if (q.size === 0) {
      this.deliveryTimer?.cancel();
      this.deliveryTimer = undefined;
      return;
    }
    this.armProbe();
    if (this.sent < q.tail) this.scheduleFlush(); // the window moved (NX-4)
  }

  /** NX-3: write everything from the first unacked message again. */
  private rewind(next: number): void {
    const head = this.q.head;
    if (head >= this.q.tail || this.sent === head) return;
    const now = this.clock.monotonic();
    if (next === this.lastRewindSeq && now - this.lastRewindAt < NAK_HOLD_MS) return;
    this.lastRewindSeq = next;
    this.lastRewindAt = now;
    this.resent += this.sent - head;
    this.log.debug({ from: next, count: this.sent - head }, 'resending');
    this.sent = head;
    this.scheduleFlush();
  }

  private onReconnect(): void {
    this.probeDelay = PROBE_FIRST_MS;
    if (this.sent > this.q.head) this.probe();
  }

  private armProbe(): void {
    if (this.probeTimer !== undefined || this.sent === this.q.head || this.closed !== undefined) return;
    this.probeTimer = this.clock.setTimeout(() => {
      this.probeTimer = undefined;
      if (this.sent === this.q.head || this.closed !== undefined) return;
      this.probe();
      this.probeDelay = Math.min(this.probeDelay * 2, PROBE_MAX_MS);
      this.armProbe();
    }, this.probeDelay);
  }

  /** NX-3: ask the receiver where it stands. */
  private probe(): void {
    const link = this.link;
    if (link === undefined || this.closed !== undefined) return;
    const upTo = this.sent > this.q.head ? this.sent : this.q.tail;
    try {
      link.nc.publish(this.addr.subject, encodeWithSeq(KIND_PROBE, this.sessionId, this.incarnation, upTo), { reply: this.inbox });
    } catch (error) {
      this.log.debug({ err: errorText(error) }, 'probe failed');
    }
  }

  private settleFlushWaiters(): void {
    const waiters = this.flushWaiters;
    if (waiters.length === 0) return;
    const firstPending = this.q.size > 0 ? this.q.head : Infinity;
    let n = 0;
    while (n < waiters.length && waiters[n]!.seq < firstPending) n++;
    if (n === 0) return;
    for (const waiter of waiters.splice(0, n)) waiter.resolve();
  }

  private armDeliveryTimer(): void {
    if (this.deliveryTimer !== undefined || this.q.size === 0) return;
    const wait = this.q.postedAt(this.q.head) + this.timings.deliveryTimeoutMs - this.clock.monotonic();
    this.deliveryTimer = this.clock.setTimeout(() => this.onDeliveryTimer(), Math.max(0, wait));
  }

  /** NX-5. */
  private onDeliveryTimer(): void {
    this.deliveryTimer = undefined;
    if (this.closed !== undefined || this.q.size === 0) return;
    const timeout = this.timings.deliveryTimeoutMs;
    if (this.clock.monotonic() - this.q.postedAt(this.q.head) < timeout) {
      this.armDeliveryTimer();
      return;
    }
    const d = formatDuration(timeout);
    const state = this.link?.connected === true ? (this.noReceiver ? 'connected, no receiver on the subject' : 'connected') : 'broken';
    const message =
      this.q.head < this.sent || this.resent > 0
        ? `failed to receive ack within timeout ${d}; link is currently ${state}`
        : `failed to deliver message within timeout ${d}`;
    this.log.error(message);
    this.closeWith(`session ${this.addr}.${this.sessionId.toString(16)}: ${message}`, 'timeout');
  }

  /** NX-9: back at half. */
  private underHalf(): void {
    this.over = false;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    this.watermarks?.under();
    for (const resolve of waiters) resolve();
  }

  /** NX-10: back at `low` (or closed): the muted senders go free. */
  private underLow(): void {
    this.flowOver = false;
    (this.flow as QueueWatermarks).under();
  }

  private closeWith(reason: string, code: ChannelErrorCode): void {
    if (this.closed !== undefined) return;
    this.closed = new ChannelError(code, reason);
    this.deliveryTimer?.cancel();
    this.probeTimer?.cancel();
    this.deliveryTimer = undefined;
    this.probeTimer = undefined;
    this.unlisten?.();
    try {
      this.sub?.unsubscribe();
    } catch {
      // the connection is closed already
    }
    const link = this.link;
    this.link = undefined;
    if (link !== undefined) void link.release();
    const pending = this.q.drain();
    this.sent = this.q.head;
    this.log.info({ reason, returned: pending.length }, 'NatsTx closed');
    for (const entry of pending) entry.onReturn?.(new SendError('closed', entry.message, reason));
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const waiter of waiters) waiter.resolve();
    if (this.over) this.underHalf();
    if (this.flowOver) this.underLow(); // NX-10: the muted senders go free, their envelopes came back
    const listeners = [...this.closeListeners];
    this.closeListeners.clear();
    for (const listener of listeners) listener(reason);
  }
}

/** Dial the `nats:` address `addr`: connects (or shares a connection, NC-1) on the first post. */
export function dialNats<M>(addr: ChannelAddr, options: NatsDialOptions<M> = {}): NatsTx<M> {
  return new NatsTx(addr, options);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
