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
 *   releases the connection; messages already received and acked can still be taken with
 *   `recv()` (those not acked, NS-9, are dropped: their Tx returns them), which then rejects with
 *   `closed` (CH-5). `join()` resolves once the connection was released.
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
 * - NS-9 Flow control (mailbox/flow.ts FC-6; inbound.ts NFC-1..6): each session is a flow sender
 *   (`lastSender`: the session of the message `recv()`/`poll()` returned last; the mailbox server
 *   posts it with that sender, SR-3). A gate that the delivery put over its high watermark holds
 *   the session: its messages are not taken (NFC-2). A session is acked for what arrived (NS-2),
 *   except while it is held, or while a message that arrived while it was held is still queued:
 *   then only for what the proc took (NFC-6), and it is not NAKed (a NAK acks everything below
 *   `next`). Acking at arrival alone would prune its Tx's queue however full the proc is; held,
 *   its Tx's pending messages stay unacked, its window (NX-4) fills and its gate mutes the
 *   producing actors (NX-10); released, what it sent meanwhile is acked as the proc takes it, so
 *   the Rx never holds acked messages beyond what it held when the hold began. Messages that
 *   arrive while it is held are kept while there is held room (NFC-3), else dropped unread; a gap
 *   or a lost tail seen then marks it starved too: NAKed once an ack may cover `next` (when there
 *   is room). How a held receiver is not taken for a dead one: a probe (NX-3, the sender's resend
 *   timer) is answered with an `ACK` of what the proc took, which prunes nothing new and rewinds
 *   nothing (no resend of the window), and tells the Tx that a receiver is there (NX-5's "no
 *   receiver" is cleared). The delivery timeout (NX-5) still counts, as over sockets (a paused
 *   session, channel/net NR-9): a hold lasts while the consumer brings its queue from high to
 *   low, and FC-5 ends it after `flowStallMs` without progress. Closing (NS-5) or rejecting (NS-4)
 *   a session cuts off what it did not ack (NFC-5): its Tx returns those as undeliverable (NX-6),
 *   so none is both delivered and returned; what it acked stays takeable, and the mailbox server
 *   posts it when it stops (SR-5).
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
import { Inbound, SessionQueue } from './inbound.js';
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

interface Session<M> {
  readonly id: number;
  /** NS-9: its messages not yet taken, and its hold. */
  readonly queue: SessionQueue<M>;
  /** NS-9: the seq of the last message that arrived while the session was held (-1: none). */
  lastHeldSeq: number;
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
  private readonly clock: Clock;
  private readonly log: Logger;
  private sub: Subscription | undefined;

  private readonly inbound: Inbound<M>;
  private closedReason: string | undefined;
  private readonly sessions = new Map<number, Session<M>>();
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
    this.inbound = new Inbound<M>(this.rxBufferSize, () => {
      if (this.starvedCount > 0 && this.inbound.total <= this.rxBufferSize >> 1) this.unstarve();
    });
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
    return this.inbound.total;
  }

  /** The most messages that waited in the Rx at once so far (NS-8: at most `rxBufferSize`). */
  get peakBuffered(): number {
    return this.inbound.peak;
  }

  /** @internal NS-9: the flow sender of the message `recv()`/`poll()` returned last (its session). */
  get lastSender(): { flowHold(): void; flowRelease(): void } | undefined {
    return this.inbound.last;
  }

  /** Sessions held by flow control now (NS-9). */
  get heldSessions(): number {
    let n = 0;
    for (const session of this.sessions.values()) if (session.queue.held) n++;
    return n;
  }

  /** Sessions that are waiting for room in the buffer (NS-8). */
  get starvedSessions(): number {
    return this.starvedCount;
  }

  recv(): Promise<M> {
    const message = this.inbound.take();
    if (message !== undefined) return Promise.resolve(message);
    if (this.closedReason !== undefined) return Promise.reject(this.closedError());
    if (this.inbound.waiting) return Promise.reject(new ChannelError('protocol', 'concurrent recv on one Rx'));
    return this.inbound.wait();
  }

  /**
   * The next buffered message without waiting, or undefined when none is buffered: a DATA
   * message carries many, and a receive loop takes them all without a promise each
   * (mailbox/senders/server.ts).
   */
  poll(): M | undefined {
    return this.inbound.take();
  }

  /**
   * NS-9: what an ack may say arrived: everything received (`next`); but while the session is
   * held, or a message that arrived while it was held is still queued, what the proc took (NFC-6).
   */
  private ackPoint(session: Session<M>): number {
    const taken = session.next - session.queue.size;
    if (!session.queue.held && session.lastHeldSeq < taken) return session.next;
    return Math.max(session.ackedNext, taken);
  }

  /** NS-9: a NAK acks everything below `next`: only when an ack may; NS-8: only with room. */
  private canNak(session: Session<M>): boolean {
    return this.ackPoint(session) === session.next && this.inbound.hasRoom(session.queue);
  }

  /** NS-8: room again: every starved session that can be NAKed resends from its `next`. */
  private unstarve(): void {
    for (const session of this.sessions.values()) if (session.starved && this.canNak(session)) this.resume(session);
  }

  /** NS-8, NS-9: a starved session is NAKed (it resends from its `next`). */
  private resume(session: Session<M>): void {
    if (session.rejected !== undefined) {
      session.starved = false;
      this.starvedCount--;
      return;
    }
    session.nakFor = -1; // not the same loss seen twice: always sent
    this.nak(session);
  }

  /** NS-9: the last gate that held `session` let go, or its queue was taken empty: NAK (when starved) or ack. */
  private progressed(session: Session<M>, now: boolean): void {
    if (this.closedReason !== undefined || session.rejected !== undefined) return;
    if (session.starved && this.canNak(session)) this.resume(session);
    else if (now) this.sendAck(session);
    else this.maybeAck(session);
  }

  /** NS-9, NFC-6: drop the messages of `session` that were not acked (its Tx returns them). */
  private cutUnacked(session: Session<M>): void {
    this.inbound.truncate(session.queue, session.queue.size - (session.next - session.ackedNext));
  }

  private starve(session: Session<M>): void {
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
      this.cutUnacked(session); // NS-9: what came while held comes back to its sender
      this.publish(session.replyTo, encodeBare(KIND_CLOSED, session.id, this.incarnation));
    }
    this.inbound.close(
      [...this.sessions.values()].map((session) => session.queue),
      this.closedError(),
    ); // NFC-5
    void this.link.release().then(this.resolveJoined, this.resolveJoined);
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
  private sessionFor(head: Head, reply: string): Session<M> | undefined {
    let session = this.sessions.get(head.session);
    if (session === undefined) {
      if (head.incarnation !== 0) {
        const reason = `session ${head.session.toString(16)} is unknown to this receiver (incarnation ${head.incarnation.toString(16)} restarted as ${this.incarnation.toString(16)})`;
        this.log.warn(reason);
        this.publish(reply, encodeReject(head.session, this.incarnation, reason));
        return undefined;
      }
      const created: Session<M> = {
        id: head.session,
        queue: new SessionQueue<M>(this.inbound, { released: () => this.progressed(created, true), emptied: () => this.progressed(created, false) }),
        lastHeldSeq: -1,
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
      session = created;
      this.sessions.set(head.session, session);
    }
    session.replyTo = reply;
    if (session.rejected !== undefined) {
      this.publish(reply, encodeReject(session.id, this.incarnation, session.rejected));
      return undefined;
    }
    return session;
  }

  private onData(session: Session<M>, data: Uint8Array, records: boolean): void {
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
    const queue = session.queue;
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
      const room = this.inbound.hasRoom(queue);
      if (seq > session.next || !room) {
        if (room && !queue.held) {
          this.nak(session); // NS-1: a gap
          return;
        }
        this.starve(session); // NS-8: no room (NFC-3); NS-9: held; NAKed once it can be
        break;
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
      if (queue.held) session.lastHeldSeq = seq; // NS-9: acked once taken
      this.inbound.put(queue, message);
    }
    this.maybeAck(session);
  }

  /** NS-2. */
  private onProbe(session: Session<M>, data: Uint8Array): void {
    let upTo: number;
    try {
      upTo = readSeq(data);
    } catch (error) {
      this.log.warn({ err: errorText(error) }, 'dropping malformed probe');
      return;
    }
    if (session.next < upTo) {
      if (this.canNak(session)) {
        this.nak(session);
        return;
      }
      this.starve(session); // NS-8, NS-9: the NAK waits for room, and for the release
    }
    this.sendAck(session, true); // NS-9: held, this acks what came before the hold only: no resend
  }

  private nak(session: Session<M>): void {
    const now = this.clock.monotonic();
    if (session.nakFor === session.next && now - session.nakAt < NAK_HOLD_MS) return;
    session.nakFor = session.next;
    session.nakAt = now;
    if (session.starved) {
      session.starved = false; // NS-8: the NAK it waited for
      this.starvedCount--;
    }
    this.publish(session.replyTo, encodeWithSeq(KIND_NAK, session.id, this.incarnation, session.next));
    this.acknowledged(session, now, session.next);
  }

  private maybeAck(session: Session<M>): void {
    const upTo = this.ackPoint(session); // NS-9
    if (session.ackedNext >= upTo) return;
    const now = this.clock.monotonic();
    if (upTo - session.ackedNext >= this.timings.ackEveryN || now - session.lastAckAt >= this.timings.ackIntervalMs) {
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

  private sendAck(session: Session<M>, always = false): void {
    const upTo = this.ackPoint(session); // NS-9
    if (!always && session.ackedNext >= upTo) return;
    this.publish(session.replyTo, encodeWithSeq(KIND_ACK, session.id, this.incarnation, upTo));
    this.acknowledged(session, this.clock.monotonic(), upTo);
  }

  private acknowledged(session: Session<M>, now: number, upTo: number): void {
    session.ackedNext = upTo;
    session.lastAckAt = now;
    session.ackTimer?.cancel();
    session.ackTimer = undefined;
  }

  /** NS-4: end a session that sent what cannot be read. */
  private reject(session: Session<M>, reason: string): void {
    this.log.error({ session: session.id.toString(16) }, reason);
    this.sendAck(session);
    this.cutUnacked(session); // NS-9: not acked, so its Tx returns them (NX-6)
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
