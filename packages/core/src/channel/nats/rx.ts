/**
 * channel/nats/rx.ts: `NatsRx`, the serving end of a `nats:` channel: one subscription on the
 * address's subject, the sessions of every Tx that writes to it, in-order delivery into the Rx
 * queue, acks to each Tx's inbox (the reply subject of its messages). `serveNats` makes one.
 *
 * ## Invariants
 *
 * - NS-1 Exactly once, in order, per session (as net/rx.ts NR-1): a message with `seq < next` is a resend and
 *   is dropped; `seq == next` is delivered and `next` advances; `seq > next` is a gap (core NATS
 *   lost something): the rest of that DATA is dropped and the Tx is told `NAK next`, once per
 *   `next` within `NAK_HOLD_MS` (NX-3 rewinds it). Unlike the net channel a gap is not fatal:
 *   NATS, not the sender, lost the message.
 * - NS-2 Acks are cumulative `ACK next` (as net/rx.ts NR-2): once `next - ackedNext >= ackEveryN`, or when
 *   behind and `ackIntervalMs` passed since the last ack (a timer makes sure it happens). A
 *   PROBE is answered at once: `NAK next` when the probe says something below its seq was
 *   written and `next` is below it, else `ACK next`.
 * - NS-3 Incarnations: each Rx has a random one, in every answer. A session it does not know
 *   starts at `next = 0` when the Tx has heard from no receiver yet (incarnation 0 in its
 *   messages: its first messages may have been lost, NS-1 recovers them); a Tx that heard from
 *   another incarnation (this subject's receiver restarted and lost its sessions) is answered
 *   `REJECT` (as upstream answers a reconnecting session the restarted server does not know).
 * - NS-4 Bad input is dropped with a log line and never stops the Rx (as net/rx.ts NR-4): a frame too short,
 *   of an unknown kind, or without a reply subject; a DATA whose item lengths overrun it, or a
 *   payload the codec cannot decode, rejects its session (`REJECT reason`).
 * - NS-5 `close()` flushes each session's ack, answers `CLOSED` (the Tx closes), unsubscribes and
 *   releases the connection; messages already received can still be taken with `recv()`, which
 *   then rejects with `closed` (CH-5). `join()` resolves once the connection was released.
 * - NS-6 A subject has one receiver: `serveNats` first asks the subject (HELLO); an answer, or a
 *   subscriber that does not answer within 1 s, is `ChannelError('address-in-use')`.
 * - NS-7 Time (ack interval, NAK hold) comes from `ServeOptions.clock` (default `realClock`).
 * - NS-8 Backpressure: at most `rxBufferSize` messages (default 8192) wait in the Rx. An item
 *   that arrives while it is full is not delivered (nor decoded): `next` stays, the rest of its
 *   DATA is dropped and the session is marked starved; it is not NAKed (a gap seen while full,
 *   or a probe then, is answered with a plain `ACK next`, which does not rewind the Tx). So the
 *   sender's window (NX-4) fills with unacked messages and it stops writing, probing at its
 *   backoff; its own queue is bounded by NX-9. Once half of the buffer was taken, each starved
 *   session is sent `NAK next` and resends from there (NX-3). Nothing is lost: what was dropped
 *   is still in the sender's queue, unacked.
 *
 * A session of envelopes sends RECORDS frames (records.ts, NRC-1..3): NS-1 decodes each item once
 * and in seq order, which is what keeps the session's record decoder in step with its encoder.
 */
import type { Msg, Subscription } from '@nats-io/transport-node';
import type { ChannelAddr } from '../../addr.js';
import { realClock, type Clock, type Timer } from '../../clock.js';
import { rootLogger, type Logger } from '../../log.js';
import { defaultCodec, resolveTimings, type Codec, type ResolvedTimings, type ServeOptions } from '../net/options.js';
import { ChannelError, type Rx } from '../types.js';
import { acquireLink, type NatsLink } from './client.js';
import type { NatsChannelOptions } from './options.js';
import { ITEM_LENGTH_MASK, ITEM_RESET, RecordDecoder, carriesRecords } from './records.js';
import { NAK_HOLD_MS } from './tx.js';
import {
  DATA_HEAD_LEN,
  ITEM_HEAD_LEN,
  KIND_ACK,
  KIND_CLOSED,
  KIND_DATA,
  KIND_HELLO,
  KIND_HELLO_REPLY,
  KIND_NAK,
  KIND_PROBE,
  KIND_RECORDS,
  encodeBare,
  encodeReject,
  encodeWithSeq,
  randomIncarnation,
  readHead,
  readSeq,
  readU32,
  type Head,
} from './wire.js';
import { readU64 } from '../net/wire.js';

/** The default of `rxBufferSize` for a `nats:` Rx (NS-8): room for a few DATA messages. */
export const DEFAULT_NATS_RX_BUFFER = 8192;

/** NS-6: how long a silent subscriber of the subject has to answer the serve-time HELLO. */
const HELLO_TIMEOUT_MS = 1_000;

interface Session {
  readonly id: number;
  next: number;
  ackedNext: number;
  replyTo: string;
  lastAckAt: number;
  ackTimer: Timer | undefined;
  nakFor: number;
  nakAt: number;
  rejected: string | undefined;
  /** NRC-1: the session's record decoder, from its first RECORDS frame. */
  records: RecordDecoder | undefined;
  /** NS-8: items were dropped because the buffer was full; NAKed once it is half empty. */
  starved: boolean;
}

export type NatsServeOptions<M> = ServeOptions<M> & NatsChannelOptions;

export class NatsRx<M> implements Rx<M> {
  /** NS-3: random per Rx, in every answer. */
  readonly incarnation = randomIncarnation();
  private readonly codec: Codec<M>;
  /** NRC-1: the codec is the envelope codec, so sessions may send records. */
  private readonly recordsAllowed: boolean;
  private readonly timings: ResolvedTimings;
  /** NS-8. */
  private readonly rxBufferSize: number;
  private starvedCount = 0;
  private peak = 0;
  private readonly clock: Clock;
  private readonly log: Logger;
  private sub: Subscription | undefined;

  private queue: M[] = [];
  private qhead = 0;
  private waiter: { resolve: (m: M) => void; reject: (e: Error) => void } | undefined;
  private closedReason: string | undefined;
  private readonly sessions = new Map<number, Session>();
  private dropped = 0;
  private resolveJoined!: () => void;
  private readonly joined = new Promise<void>((resolve) => (this.resolveJoined = resolve));

  private constructor(
    readonly addr: ChannelAddr,
    private readonly link: NatsLink,
    options: NatsServeOptions<M>,
  ) {
    this.codec = options.codec ?? defaultCodec<M>();
    this.recordsAllowed = carriesRecords(this.codec);
    this.timings = resolveTimings(options);
    this.rxBufferSize = Math.max(1, options.rxBufferSize ?? DEFAULT_NATS_RX_BUFFER);
    this.clock = options.clock ?? realClock;
    this.log = (options.logger ?? rootLogger()).child({ channel: 'nats', addr: String(addr) });
  }

  /** `serveNats`: connect, check the subject is free (NS-6), subscribe. */
  static async serve<M>(addr: ChannelAddr, options: NatsServeOptions<M> = {}): Promise<NatsRx<M>> {
    const link = await acquireLink(addr, options.nats);
    try {
      await checkFree(link, addr);
      const rx = new NatsRx<M>(addr, link, options);
      rx.sub = link.subscribe(addr.subject, (msg) => rx.onMessage(msg));
      await link.nc.flush();
      return rx;
    } catch (error) {
      await link.release();
      throw error;
    }
  }

  /** Sessions this Rx has seen. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Resent messages dropped as duplicates so far (NS-1). */
  get duplicatesDropped(): number {
    return this.dropped;
  }

  /** Messages received and not yet taken with `recv()`. */
  get buffered(): number {
    return this.queue.length - this.qhead;
  }

  /** The most messages that waited in the Rx at once so far (NS-8: at most `rxBufferSize`). */
  get peakBuffered(): number {
    return this.peak;
  }

  /** Sessions that are waiting for room in the buffer (NS-8). */
  get starvedSessions(): number {
    return this.starvedCount;
  }

  recv(): Promise<M> {
    if (this.qhead < this.queue.length) return Promise.resolve(this.take());
    if (this.closedReason !== undefined) return Promise.reject(this.closedError());
    if (this.waiter !== undefined) return Promise.reject(new ChannelError('protocol', 'concurrent recv on one Rx'));
    return new Promise<M>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * The next buffered message without waiting, or undefined when none is buffered: a DATA
   * message carries many, and a receive loop takes them all without a promise each
   * (mailbox/senders/server.ts).
   */
  poll(): M | undefined {
    return this.qhead < this.queue.length ? this.take() : undefined;
  }

  private take(): M {
    const message = this.queue[this.qhead++] as M;
    if (this.qhead === this.queue.length) {
      this.queue = [];
      this.qhead = 0;
    } else if (this.qhead >= 1024 && this.qhead * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.qhead);
      this.qhead = 0;
    }
    if (this.starvedCount > 0 && this.buffered <= this.rxBufferSize >> 1) this.unstarve();
    return message;
  }

  /** NS-8: room again: every starved session resends from its `next`. */
  private unstarve(): void {
    this.starvedCount = 0;
    for (const session of this.sessions.values()) {
      if (!session.starved) continue;
      session.starved = false;
      if (session.rejected !== undefined) continue;
      session.nakFor = -1; // not the same loss seen twice: always sent
      this.nak(session);
    }
  }

  /** NS-8: the buffer is full (a waiting `recv()` takes the next message at once). */
  private full(): boolean {
    return this.waiter === undefined && this.queue.length - this.qhead >= this.rxBufferSize;
  }

  private starve(session: Session): void {
    if (session.starved) return;
    session.starved = true;
    this.starvedCount++;
  }

  /** NS-5. */
  close(reason = 'NatsRx closed'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.log.info({ reason }, 'stopping nats server');
    try {
      this.sub?.unsubscribe();
    } catch {
      // the connection is closed already
    }
    for (const session of this.sessions.values()) {
      session.ackTimer?.cancel();
      session.ackTimer = undefined;
      if (session.rejected !== undefined) continue;
      this.sendAck(session);
      this.publish(session.replyTo, encodeBare(KIND_CLOSED, session.id, this.incarnation));
    }
    void this.link.release().then(this.resolveJoined, this.resolveJoined);
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.closedError());
  }

  join(): Promise<void> {
    return this.joined;
  }

  private onMessage(msg: Msg): void {
    if (this.closedReason !== undefined) return;
    let head: Head;
    try {
      head = readHead(msg.data);
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'dropping malformed nats frame'); // NS-4
      return;
    }
    const reply = msg.reply;
    if (reply === undefined || reply.length === 0) {
      this.log.warn({ kind: head.kind }, 'dropping nats frame without a reply subject');
      return;
    }
    switch (head.kind) {
      case KIND_HELLO:
        this.publish(reply, encodeBare(KIND_HELLO_REPLY, 0, this.incarnation));
        return;
      case KIND_DATA:
      case KIND_RECORDS:
      case KIND_PROBE: {
        const session = this.sessionFor(head, reply);
        if (session === undefined) return;
        if (head.kind === KIND_PROBE) this.onProbe(session, msg.data);
        else this.onData(session, msg.data, head.kind === KIND_RECORDS);
        return;
      }
      default:
        this.log.warn({ kind: head.kind }, 'dropping nats frame of unknown kind');
    }
  }

  /** NS-3. */
  private sessionFor(head: Head, reply: string): Session | undefined {
    let session = this.sessions.get(head.session);
    if (session === undefined) {
      if (head.incarnation !== 0) {
        const reason = `session ${head.session.toString(16)} is unknown to this receiver (incarnation ${head.incarnation.toString(16)} restarted as ${this.incarnation.toString(16)})`;
        this.log.warn(reason);
        this.publish(reply, encodeReject(head.session, this.incarnation, reason));
        return undefined;
      }
      session = {
        id: head.session,
        next: 0,
        ackedNext: 0,
        replyTo: reply,
        lastAckAt: this.clock.monotonic(),
        ackTimer: undefined,
        nakFor: -1,
        nakAt: -Infinity,
        rejected: undefined,
        records: undefined,
        starved: false,
      };
      this.sessions.set(head.session, session);
    }
    session.replyTo = reply;
    if (session.rejected !== undefined) {
      this.publish(reply, encodeReject(session.id, this.incarnation, session.rejected));
      return undefined;
    }
    return session;
  }

  private onData(session: Session, data: Uint8Array, records: boolean): void {
    if (data.length < DATA_HEAD_LEN) {
      this.reject(session, `DATA frame of ${data.length} bytes`);
      return;
    }
    let decoder: RecordDecoder | undefined;
    if (records) {
      if (!this.recordsAllowed) {
        this.reject(session, 'envelope records sent to a channel whose codec is not the envelope codec'); // NRC-1
        return;
      }
      decoder = session.records ??= new RecordDecoder();
    }
    const first = readU64(data, 13);
    const count = readU32(data, 21);
    let off = DATA_HEAD_LEN;
    for (let i = 0; i < count; i++) {
      if (off + ITEM_HEAD_LEN > data.length) {
        this.reject(session, `DATA frame overrun at item ${i} of ${count}`);
        return;
      }
      const raw = readU32(data, off);
      const len = decoder !== undefined ? raw & ITEM_LENGTH_MASK : raw;
      const start = off + ITEM_HEAD_LEN;
      off = start + len;
      if (off > data.length) {
        this.reject(session, `DATA frame overrun at item ${i} of ${count}`);
        return;
      }
      const seq = first + i;
      if (seq < session.next) {
        this.dropped++; // NS-1: a resend
        continue;
      }
      if (seq > session.next || this.full()) {
        if (this.full()) {
          this.starve(session); // NS-8: no room; NAKed when there is
          break;
        }
        this.nak(session); // NS-1: a gap
        return;
      }
      let message: M;
      try {
        message =
          decoder !== undefined
            ? (decoder.decode(data, start, off, (raw & ITEM_RESET) !== 0) as M) // NRC-3
            : this.codec.decode(data.subarray(start, off));
      } catch (error) {
        this.reject(session, `failed to decode message seq ${seq}: ${errorText(error)}`);
        return;
      }
      session.next = seq + 1;
      this.deliver(message);
    }
    this.maybeAck(session);
  }

  /** NS-2. */
  private onProbe(session: Session, data: Uint8Array): void {
    let upTo: number;
    try {
      upTo = readSeq(data);
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'dropping malformed probe');
      return;
    }
    if (session.next < upTo && this.full()) this.starve(session); // NS-8: the NAK waits for room
    if (session.next < upTo && !session.starved) this.nak(session);
    else this.sendAck(session, true);
  }

  private deliver(message: M): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      waiter.resolve(message);
      return;
    }
    this.queue.push(message);
    const buffered = this.queue.length - this.qhead;
    if (buffered > this.peak) this.peak = buffered;
  }

  private nak(session: Session): void {
    const now = this.clock.monotonic();
    if (session.nakFor === session.next && now - session.nakAt < NAK_HOLD_MS) return;
    session.nakFor = session.next;
    session.nakAt = now;
    if (session.starved) {
      session.starved = false; // NS-8: the NAK it waited for
      this.starvedCount--;
    }
    this.publish(session.replyTo, encodeWithSeq(KIND_NAK, session.id, this.incarnation, session.next));
    this.acknowledged(session, now);
  }

  private maybeAck(session: Session): void {
    if (session.ackedNext >= session.next) return;
    const now = this.clock.monotonic();
    if (session.next - session.ackedNext >= this.timings.ackEveryN || now - session.lastAckAt >= this.timings.ackIntervalMs) {
      this.sendAck(session);
      return;
    }
    if (session.ackTimer === undefined) {
      session.ackTimer = this.clock.setTimeout(() => {
        session.ackTimer = undefined;
        if (this.closedReason === undefined) this.maybeAck(session);
      }, session.lastAckAt + this.timings.ackIntervalMs - now);
      session.ackTimer.unref();
    }
  }

  private sendAck(session: Session, always = false): void {
    if (!always && session.ackedNext >= session.next) return;
    this.publish(session.replyTo, encodeWithSeq(KIND_ACK, session.id, this.incarnation, session.next));
    this.acknowledged(session, this.clock.monotonic());
  }

  private acknowledged(session: Session, now: number): void {
    session.ackedNext = session.next;
    session.lastAckAt = now;
    session.ackTimer?.cancel();
    session.ackTimer = undefined;
  }

  /** NS-4: end a session that sent what cannot be read. */
  private reject(session: Session, reason: string): void {
    this.log.error({ session: session.id.toString(16) }, reason);
    this.sendAck(session);
    session.rejected = reason;
    this.publish(session.replyTo, encodeReject(session.id, this.incarnation, reason));
  }

  private publish(subject: string, data: Uint8Array): void {
    try {
      this.link.nc.publish(subject, data);
    } catch (error) {
      this.log.debug({ err: errorText(error) }, 'publish failed');
    }
  }

  private closedError(): ChannelError {
    return new ChannelError('closed', `channel ${this.addr} is closed: ${this.closedReason ?? ''}`);
  }
}

/**
 * Serve the `nats:` address `addr`: connect (or share a connection, NC-1), make sure nobody
 * serves the subject yet (NS-6), subscribe. Resolves to the address and the Rx once the server
 * has the subscription. Rejects with `ChannelError` `unauthorized`, `unreachable`, `io` (NC-2)
 * or `address-in-use`.
 */
export async function serveNats<M>(addr: ChannelAddr, options: NatsServeOptions<M> = {}): Promise<[ChannelAddr, NatsRx<M>]> {
  return [addr, await NatsRx.serve<M>(addr, options)];
}

/** NS-6. */
async function checkFree(link: NatsLink, addr: ChannelAddr): Promise<void> {
  try {
    await link.nc.request(addr.subject, encodeBare(KIND_HELLO, 0, 0), { timeout: HELLO_TIMEOUT_MS });
  } catch (error) {
    if (isNoResponders(error)) return;
    if (isTimeout(error)) throw new ChannelError('address-in-use', `serve: ${addr}: the subject has a subscriber that does not answer`);
    throw new ChannelError('io', `serve: ${addr}: ${errorText(error)}`, { cause: error });
  }
  throw new ChannelError('address-in-use', `serve: ${addr}: another receiver serves the subject`);
}

function isNoResponders(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NoRespondersError') return true;
  const probe = error as Error & { isNoResponders?: () => boolean };
  return typeof probe.isNoResponders === 'function' && probe.isNoResponders();
}

function isTimeout(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error.name === 'TimeoutError' || (error.cause instanceof Error && error.cause.name === 'TimeoutError');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
