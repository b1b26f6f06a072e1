/**
 * channel/net/rx.ts: `NetRx`, the serving end of a net channel (upstream `net/server.rs` +
 * `net/session.rs` `recv_connected`; spec §7.3).
 *
 * The server accepts connections, reads each one's preamble and attaches it to the session its
 * id names (creating the session on first sight). A session outlives its connections: it keeps
 * `next` (the next expected seq) and `ackedNext` (everything below was acked), so a sender that
 * reconnects continues exactly where the server stands.
 *
 * ## Invariants
 *
 * - NR-1 Exactly once, in order, per session: a frame with `seq < next` is a retransmit and is
 *   dropped; `seq == next` is delivered and `next` advances; `seq > next` is a gap: the session
 *   is answered `Reject("out-of-sequence message, expected seq X, got Y")` and ended (later
 *   connections of that session get the same Reject).
 * - NR-2 Acks are cumulative `Ack(next - 1)`: sent once `next - ackedNext >= ackEveryN`, or when
 *   behind and `ackIntervalMs` passed since the last ack (a timer makes sure it happens), on the
 *   peer's end of the connection, and before `Reject`/`Closed`.
 * - NR-3 A connection that joins a session with `next > 0` is acked at once, so a reconnecting
 *   sender learns what arrived even when the last ack was lost with the old connection
 *   (upstream waits for the timer or new traffic). A newer connection of a session supersedes
 *   (closes) an older one still open.
 * - NR-4 A peer that sends a bad preamble, an unknown tag, a frame without a seq, or garbage is
 *   cut off (socket destroyed) with a logged reason; a frame above `codecMaxFrameLength` or a
 *   payload the codec cannot decode (a `CodecError`: malformed, or over the decode limits of
 *   wire/limits.ts, `limit-exceeded`, checked before anything is allocated) rejects its session
 *   with the reason and ends the connection. No peer can stop the server or affect another
 *   session.
 * - NR-5 Backpressure: when `rxBufferSize` messages wait in the Rx, the server stops reading the
 *   sockets that deliver; reading resumes when the Rx is half drained. Delivered = acked-able
 *   (NR-10: handled = acked-able). In `onDeliver` mode nothing waits in the Rx: each message
 *   goes to the listener as its frame is decoded (a `MailboxServer`, SR-4).
 * - NR-6 `close()` stops accepting, flushes each session's ack, sends `Closed` (the sender's Tx
 *   closes) and ends every connection; messages already received can still be taken with
 *   `recv()`, which then rejects with `closed` (CH-5). `join()` resolves when the listener and
 *   every connection are closed.
 * - NR-7 Sessions are kept for the life of the Rx (as upstream), so a sender may reconnect at any
 *   time within its delivery timeout.
 * - NR-8 Time: the ack interval (`lastAckAt`, the ack timer), the hold escape (NR-10d) and the
 *   linger timer come from `ServeOptions.clock` (default `realClock`); under a `SimulatedClock`
 *   an interval ack is sent only during `advance` (CK-2).
 * - NR-9 Flow control (mailbox/flow.ts FC-6 over sockets): each session is a flow sender, its
 *   `SessionHold` (hold.ts); `lastSender` is the hold of the session whose message `recv()`
 *   returned (or `onDeliver` pushed) last, which the mailbox server sets as `flowContext.sender`
 *   while it delivers that message. Held (the delivery put an actor over its bound), the session's connection stops being
 *   read until released, also across a reconnect; NR-5's resume leaves a held session paused.
 *   Messages of the session already buffered here are still delivered (at most `rxBufferSize`).
 *
 * ## Acks after handling (procmesh; `ServeOptions.sessions`)
 *
 * Upstream acks a frame once it is delivered (NR-2), so a receiver whose thread dies loses what
 * it had received and not yet handled. A server given a `NetSessionTable` (a worker host gives
 * each serving worker one, worker-host HO-3) holds every frame until its envelope is handled:
 *
 * - NR-10 Ack after handling: in `onDeliver` mode each delivery carries a receipt (RC-1,
 *   channel/receipt.ts; held.ts): (a) the ack point of a session is `handled`, the seq below
 *   which every frame's receipt was settled (its handler ran, or it was returned, or nobody took
 *   the receipt during the delivery call), not `next`; cumulative acks as NR-2, sent from one
 *   microtask per burst of settlements; (b) NR-3's join ack is `Ack(handled - 1)`, so a
 *   reconnecting sender (NT-11) resends from the first frame not handled, and the frames received
 *   but not handled are dropped as retransmits (NR-1); (c) a message taken by `recv()` counts as
 *   handled when it is buffered (there is no receipt to carry); (d) escape: held frames delivered
 *   `holdMs` ago or earlier (default half the delivery timeout) and still unhandled are acked
 *   anyway, logged and counted in `unprotectedFrames`, so a slow actor with a long queue does not
 *   make the sender's delivery timeout (NT-4) fire and its link fail; (e) `close()` acks every delivered frame
 *   (the proc has them, as upstream).
 * - NR-11 Sessions that outlive the thread: each session's `handled` is stored in the table as
 *   it advances (TB-1, TB-2, resume-table.ts), before the next handler runs; a server built on a
 *   table that holds sessions (a worker restarted with the same `ProcId`) starts each at
 *   `next = handled`: resent frames it handled are dropped (NR-1), the rest are accepted; a
 *   session rejected before the restart stays rejected.
 */
import type net from 'node:net';
import { realClock, type Clock, type Timer } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { ChannelAddr } from '../../addr.js';
import { ChannelError, type Rx } from '../types.js';
import { receipt } from '../receipt.js';
import { AdmissionGate } from './admission.js';
import { FrameReader } from './framed.js';
import { SessionHold } from './hold.js';
import { HeldFrames } from './held.js';
import { REJECTED, type NetSessionTable } from './resume-table.js';
import { defaultCodec, netLogger, resolveTimings, type Codec, type ResolvedTimings, type ServeOptions } from './options.js';
import { listen } from './transport.js';
import { SEQ_LEN, TAG_SIMPLEX, encodeResponse, readU64 } from './wire.js';

/** How long an ended connection may linger before it is destroyed. */
const LINGER_MS = 1_000;

interface Session {
  readonly id: bigint;
  next: number;
  ackedNext: number;
  conn: Conn | undefined;
  rejected: string | undefined;
  /** NR-9 */
  readonly hold: SessionHold;
  /** NR-10: the frames delivered and not yet handled (a server with a session table). */
  readonly held: HeldFrames | undefined;
}

interface Conn {
  readonly socket: net.Socket;
  readonly peer: string;
  reader: FrameReader;
  session: Session | undefined;
  lastAckAt: number;
  ackTimer: Timer | undefined;
  /** When `ackTimer` fires. */
  ackTimerAt: number;
  /** Nothing more is read or acked: a terminal response was sent, or the peer was cut off. */
  done: boolean;
}

export class NetRx<M> implements Rx<M> {
  private server: net.Server | undefined;
  private readonly codec: Codec<M>;
  private readonly timings: ResolvedTimings;
  private readonly clock: Clock;
  private readonly rxBufferSize: number;
  private readonly log: Logger;

  private queue: M[] = [];
  /** NR-9: the session of each queued message (parallel to `queue`). */
  private queueFrom: Session[] = [];
  private qhead = 0;
  private lastFrom: Session | undefined;
  private waiter: { resolve: (m: M) => void; reject: (e: Error) => void } | undefined;
  private closedReason: string | undefined;
  private readonly sessions = new Map<bigint, Session>();
  private readonly conns = new Set<Conn>();
  private readonly paused = new Set<Conn>();
  private serverClosed = false;
  private readonly joined: Promise<void>;
  private resolveJoined!: () => void;
  /** `onDeliver` mode: every message goes here, synchronously, with its receipt (NR-10). */
  private listener: ((message: M) => void) | undefined;
  /** NR-11: where the sessions' handled seqs are kept across restarts. */
  private readonly table: NetSessionTable | undefined;
  private readonly holdMs: number;
  private unprotected = 0;
  private resumed = 0;
  private tableFullLogged = false;

  /** @internal use `serveNet`. */
  constructor(
    readonly addr: ChannelAddr,
    options: ServeOptions<M>,
  ) {
    this.codec = options.codec ?? defaultCodec<M>();
    this.timings = resolveTimings(options);
    this.clock = options.clock ?? realClock;
    this.rxBufferSize = Math.max(1, options.rxBufferSize ?? 1024);
    this.log = netLogger(options.logger, { addr: String(addr) });
    this.joined = new Promise((resolve) => (this.resolveJoined = resolve));
    this.table = options.sessions;
    this.holdMs = Math.max(1, options.holdMs ?? Math.floor(this.timings.deliveryTimeoutMs / 2));
    for (const { slot, id, handled } of this.table?.entries() ?? []) {
      // NR-11: a session of the server this one replaces
      const next = handled === REJECTED ? 0 : handled;
      const rejected = handled === REJECTED ? 'session was rejected before the server restarted' : undefined;
      this.sessions.set(id, { id, next, ackedNext: 0, conn: undefined, rejected, hold: new SessionHold(this.pausedSocket), held: this.heldFrames(id, next, slot) });
      this.resumed++;
    }
    if (this.resumed > 0) this.log.info({ sessions: this.resumed }, 'resuming the sessions of the server this one replaces (NR-11)');
  }

  private heldFrames(id: bigint, start: number, slot: number): HeldFrames {
    return new HeldFrames(start, this.table, slot, () => {
      const conn = this.sessions.get(id)?.conn;
      if (conn !== undefined && !conn.done) this.maybeAck(conn);
    });
  }

  /**
   * Deliver every message to `listener`, synchronously, as its frame is decoded (those already
   * buffered first); with a session table each delivery carries a receipt (NR-10). `recv()` is
   * not used after this.
   */
  onDeliver(listener: (message: M) => void): void {
    this.listener = listener;
    while (this.qhead < this.queue.length) listener(this.queue[this.qhead++] as M);
    this.queue = [];
    this.qhead = 0;
    this.resumeAll();
  }

  /** Frames acked before they were handled by the hold escape (NR-10d). */
  get unprotectedFrames(): number {
    return this.unprotected;
  }

  /** Sessions taken over from the table at construction (NR-11). */
  get resumedSessions(): number {
    return this.resumed;
  }

  /** @internal `onClose`: NA-7 (the admission gate lets go of the connections it holds). */
  attach(server: net.Server, onClose?: () => void): void {
    this.server = server;
    this.onCloseHook = onClose;
  }

  private onCloseHook: (() => void) | undefined;

  /** Retransmitted frames dropped so far (NR-1). */
  private dropped = 0;

  /** Number of sessions this server has seen (NR-7). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Retransmitted frames dropped as duplicates so far (NR-1). */
  get duplicatesDropped(): number {
    return this.dropped;
  }

  /** Messages received and not yet taken with `recv()`. */
  get buffered(): number {
    return this.queue.length - this.qhead;
  }

  /** @internal NR-9: the flow sender of the message `recv()` returned last (its session's hold). */
  get lastSender(): { flowHold(): void; flowRelease(): void } | undefined {
    return this.lastFrom?.hold;
  }

  recv(): Promise<M> {
    if (this.qhead < this.queue.length) {
      this.lastFrom = this.queueFrom[this.qhead];
      const message = this.queue[this.qhead++] as M;
      if (this.qhead === this.queue.length) {
        this.queue = [];
        this.queueFrom = [];
        this.qhead = 0;
      } else if (this.qhead >= 1024 && this.qhead * 2 >= this.queue.length) {
        this.queue = this.queue.slice(this.qhead);
        this.queueFrom = this.queueFrom.slice(this.qhead);
        this.qhead = 0;
      }
      if (this.paused.size > 0 && this.queue.length - this.qhead <= this.rxBufferSize >> 1) this.resumeAll();
      return Promise.resolve(message);
    }
    if (this.closedReason !== undefined) return Promise.reject(this.closedError());
    if (this.listener !== undefined) return Promise.reject(new ChannelError('protocol', 'recv on an Rx in onDeliver mode'));
    if (this.waiter !== undefined) return Promise.reject(new ChannelError('protocol', 'concurrent recv on one Rx'));
    return new Promise<M>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  close(reason = 'NetRx closed'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    this.log.info({ reason }, 'stopping server');
    this.onCloseHook?.();
    if (this.server !== undefined) {
      this.server.close(() => {
        this.serverClosed = true;
        this.checkJoined();
      });
    } else {
      this.serverClosed = true;
    }
    for (const session of this.sessions.values()) session.held?.force(); // NR-10e
    for (const conn of this.conns) {
      if (conn.session !== undefined && !conn.done) {
        this.flushAck(conn);
        conn.socket.write(encodeResponse({ kind: 'closed' }));
        this.finish(conn);
      } else if (!conn.done) {
        this.finish(conn);
      }
    }
    this.resumeAll();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.closedError());
    this.checkJoined();
  }

  join(): Promise<void> {
    return this.joined;
  }

  /** @internal a socket the listener accepted. */
  accept(socket: net.Socket): void {
    if (this.closedReason !== undefined) {
      socket.destroy();
      return;
    }
    const peer = socket.remoteAddress !== undefined ? `${socket.remoteAddress}:${socket.remotePort}` : String(this.addr);
    const conn: Conn = {
      socket,
      peer,
      reader: undefined as unknown as FrameReader,
      session: undefined,
      lastAckAt: this.clock.monotonic(),
      ackTimer: undefined,
      ackTimerAt: 0,
      done: false,
    };
    conn.reader = new FrameReader(this.timings.maxFrameLength, true, {
      onPreamble: (id) => this.onPreamble(conn, id),
      onFrame: (tag, bytes, start, end) => this.onFrame(conn, tag, bytes, start, end),
    });
    this.conns.add(conn);
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('end', () => this.onEnd(conn));
    socket.on('error', (error) => this.log.debug({ peer, err: error.message }, 'connection error'));
    socket.on('close', () => this.onClosed(conn));
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (conn.done) return;
    try {
      conn.reader.feed(chunk);
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      if (error instanceof ChannelError && error.code === 'frame-too-large' && conn.session !== undefined) {
        this.reject(conn, text);
      } else {
        this.cut(conn, text);
      }
      return;
    }
    if (!conn.done) this.maybeAck(conn);
  }

  private onPreamble(conn: Conn, id: bigint): void {
    let session = this.sessions.get(id);
    if (session === undefined) {
      session = this.newSession(id);
      this.sessions.set(id, session);
    }
    if (session.rejected !== undefined) {
      conn.socket.write(encodeResponse({ kind: 'reject', reason: session.rejected }));
      this.finish(conn);
      return;
    }
    const previous = session.conn;
    if (previous !== undefined && previous !== conn) {
      this.log.debug({ session: id.toString(16), peer: previous.peer }, 'connection superseded by a newer one');
      previous.session = undefined;
      previous.done = true;
      previous.reader.stop();
      previous.socket.destroy();
    }
    session.conn = conn;
    conn.session = session;
    session.hold.attach(conn.socket); // NR-9: paused at once while the session is held
    conn.lastAckAt = this.clock.monotonic();
    if (ackPoint(session) > 0) this.sendAck(conn); // NR-3, NR-10b
    if (session.held !== undefined && session.held.held > 0) this.maybeAck(conn); // NR-10d: the hold clock
  }

  private newSession(id: bigint): Session {
    const slot = this.table?.add(id) ?? -1;
    if (this.table !== undefined && slot < 0 && !this.tableFullLogged) {
      this.tableFullLogged = true;
      this.log.warn({ capacity: this.table.capacity }, 'session table full: new sessions are not resumed after a restart (TB-3)');
    }
    const held = this.table !== undefined ? this.heldFrames(id, 0, slot) : undefined;
    return { id, next: 0, ackedNext: 0, conn: undefined, rejected: undefined, hold: new SessionHold(this.pausedSocket), held };
  }

  /** One message frame, its body `bytes[start, end)` (framed.ts: a range, no view made yet). */
  private onFrame(conn: Conn, tag: number, bytes: Buffer, start: number, end: number): boolean {
    const session = conn.session;
    if (session === undefined || conn.done) return false;
    if (tag !== TAG_SIMPLEX) {
      this.cut(conn, `unexpected frame tag ${tag} on a simplex channel`);
      return false;
    }
    if (end - start < SEQ_LEN) {
      this.cut(conn, `message frame of ${end - start} bytes has no sequence number`);
      return false;
    }
    const seq = readU64(bytes, start);
    if (seq < session.next) {
      this.dropped++; // NR-1: a retransmit
      return true;
    }
    if (seq > session.next) {
      this.reject(conn, `out-of-sequence message, expected seq ${session.next}, got ${seq}`);
      return false;
    }
    let message: M;
    try {
      message = this.codec.decodeRange !== undefined ? this.codec.decodeRange(bytes, start + SEQ_LEN, end) : this.codec.decode(bytes.subarray(start + SEQ_LEN, end));
    } catch (error) {
      this.reject(conn, `failed to decode message seq ${seq}: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
    session.next = seq + 1;
    const held = session.held;
    const listener = this.listener;
    if (listener === undefined) {
      if (held !== undefined) held.settle(held.deliver(seq), 0); // NR-10c
      this.deliver(message, conn, session);
    } else if (held === undefined) {
      this.lastFrom = session; // NR-9
      listener(message);
    } else {
      // RC-2: the receipt of this frame, for whoever queues the envelope (NR-10a)
      const start = held.deliver(seq);
      this.lastFrom = session; // NR-9
      receipt.sink = held;
      receipt.start = start;
      receipt.end = 0;
      try {
        listener(message);
      } finally {
        if (receipt.sink === held) {
          receipt.sink = undefined;
          held.settle(start, 0); // nobody took it
        }
      }
    }
    if (ackPoint(session) - session.ackedNext >= this.timings.ackEveryN) this.sendAck(conn);
    return true;
  }

  private deliver(message: M, conn: Conn, session: Session): void {
    const waiter = this.waiter;
    if (waiter !== undefined) {
      this.waiter = undefined;
      this.lastFrom = session; // NR-9
      waiter.resolve(message);
      return;
    }
    this.queue.push(message);
    this.queueFrom.push(session);
    if (this.queue.length - this.qhead >= this.rxBufferSize && !this.paused.has(conn)) {
      conn.socket.pause();
      this.paused.add(conn);
    }
  }

  private resumeAll(): void {
    const paused = [...this.paused];
    this.paused.clear();
    for (const conn of paused) if (conn.session?.hold.held !== true) conn.socket.resume(); // NR-9
  }

  /** NR-9: NR-5 paused `socket` (a released session stays paused then). */
  private readonly pausedSocket = (socket: net.Socket): boolean => [...this.paused].some((conn) => conn.socket === socket);

  /**
   * NR-2: ack now if far enough behind or the interval passed; else make sure a timer will.
   * NR-10d: release the held frames of a session stuck for `holdMs`, else time that too.
   */
  private maybeAck(conn: Conn): void {
    const session = conn.session;
    if (session === undefined) return;
    const held = session.held;
    if (ackPoint(session) <= session.ackedNext && (held === undefined || held.held === 0)) return;
    const now = this.clock.monotonic();
    let due = Number.POSITIVE_INFINITY;
    if (held !== undefined && held.held > 0) {
      held.mark(now);
      if (now - held.oldestAt() >= this.holdMs) {
        const released = held.force(now - this.holdMs);
        this.unprotected += released;
        this.log.warn({ session: session.id.toString(16), frames: released, holdMs: this.holdMs }, 'frames unhandled for holdMs acked anyway: a thread that dies now loses them (NR-10d)');
      }
      if (held.held > 0) due = held.oldestAt() + this.holdMs;
    }
    if (ackPoint(session) > session.ackedNext) {
      if (ackPoint(session) - session.ackedNext >= this.timings.ackEveryN || now - conn.lastAckAt >= this.timings.ackIntervalMs) this.sendAck(conn);
      else due = Math.min(due, conn.lastAckAt + this.timings.ackIntervalMs);
    }
    if (due === Number.POSITIVE_INFINITY) return;
    if (conn.ackTimer !== undefined) {
      if (conn.ackTimerAt <= due) return;
      conn.ackTimer.cancel();
    }
    conn.ackTimerAt = due;
    conn.ackTimer = this.clock.setTimeout(() => {
      conn.ackTimer = undefined;
      if (!conn.done) this.maybeAck(conn);
    }, due - now);
    conn.ackTimer.unref();
  }

  private sendAck(conn: Conn): void {
    const session = conn.session;
    if (session === undefined || !conn.socket.writable) return;
    const point = ackPoint(session);
    if (point === 0) return;
    conn.socket.write(encodeResponse({ kind: 'ack', seq: point - 1 }));
    session.ackedNext = point;
    conn.lastAckAt = this.clock.monotonic();
  }

  private flushAck(conn: Conn): void {
    const session = conn.session;
    if (session !== undefined && session.ackedNext < ackPoint(session)) this.sendAck(conn);
  }

  /** NR-1/NR-4: answer `Reject(reason)`, end the session and the connection. */
  private reject(conn: Conn, reason: string): void {
    const session = conn.session;
    this.log.error({ peer: conn.peer, session: session?.id.toString(16) }, reason);
    if (session !== undefined) {
      session.rejected = reason;
      session.held?.reject(); // TB-2
      this.flushAck(conn);
    }
    conn.socket.write(encodeResponse({ kind: 'reject', reason }));
    this.finish(conn);
  }

  /** NR-4: a peer that does not speak the protocol. */
  private cut(conn: Conn, reason: string): void {
    this.log.warn({ peer: conn.peer }, `cutting off peer: ${reason}`);
    this.stopConn(conn);
    conn.socket.destroy();
  }

  /** End the connection after what was written; destroy it if the peer lingers. */
  private finish(conn: Conn): void {
    this.stopConn(conn);
    conn.socket.end();
    this.clock.setTimeout(() => conn.socket.destroy(), LINGER_MS).unref();
  }

  private stopConn(conn: Conn): void {
    conn.done = true;
    conn.reader.stop();
    conn.ackTimer?.cancel();
    conn.ackTimer = undefined;
    if (this.paused.delete(conn)) conn.socket.resume();
  }

  /** The peer ended its side: flush the final ack, then end ours (NR-2, NF-3). */
  private onEnd(conn: Conn): void {
    if (!conn.done) {
      if (conn.reader.midFrame) {
        this.log.warn({ peer: conn.peer }, 'cutting off peer: connection closed mid-frame (unexpected EOF)');
      }
      this.flushAck(conn);
      this.stopConn(conn);
    }
    conn.socket.end();
  }

  private onClosed(conn: Conn): void {
    conn.ackTimer?.cancel();
    conn.ackTimer = undefined;
    conn.done = true;
    this.conns.delete(conn);
    this.paused.delete(conn);
    if (conn.session !== undefined && conn.session.conn === conn) {
      conn.session.conn = undefined;
      conn.session.hold.attach(undefined); // NR-9
    }
    this.checkJoined();
  }

  private checkJoined(): void {
    if (this.closedReason !== undefined && this.serverClosed && this.conns.size === 0) this.resolveJoined();
  }

  private closedError(): ChannelError {
    return new ChannelError('closed', `channel ${this.addr} is closed: ${this.closedReason ?? ''}`);
  }
}

/** NR-2, NR-10a: what a session's acks may cover. */
function ackPoint(session: Session): number {
  return session.held !== undefined ? session.held.handled : session.next;
}

/**
 * Serve a net channel on `addr` (tcp, unix, tls). Resolves to the bound address (port 0 picks a
 * port; `unix:` picks an abstract name) and the Rx.
 */
export async function serveNet<M>(addr: ChannelAddr, options: ServeOptions<M> = {}): Promise<[ChannelAddr, NetRx<M>]> {
  let rx: NetRx<M> | undefined;
  const log = netLogger(options.logger, { addr: String(addr) });
  const gate = new AdmissionGate(addr, options.auth, options.tls?.requestCert === true, log); // NA-1
  const listener = await listen(
    addr,
    options.tls,
    (socket) =>
      gate.admit(socket, (admitted) => {
        if (rx !== undefined) rx.accept(admitted);
        else admitted.destroy();
      }),
    (error) => log.warn({ err: error.message }, 'cutting off peer: TLS handshake failed'),
  );
  rx = new NetRx<M>(listener.bound, options);
  rx.attach(listener.server, () => gate.close());
  return [listener.bound, rx];
}
