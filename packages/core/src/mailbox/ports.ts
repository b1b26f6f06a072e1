/**
 * mailbox/ports.ts: ports, the typed endpoints of a mailbox (spec §1.3, §3.1).
 *
 * - `PortHandle<T>`: local, synchronous sends (no envelope, no serialization); errors throw.
 * - `OncePortHandle<T>`: a single-value port; a bound once port is unbound after its first
 *   delivery.
 * - `PortReceiver<T>` (`recv`, `tryRecv`, `drain`) and `OncePortReceiver<T>` (`recv`).
 * - `postMessage` / `postSerialized`: the ref-send path (the refs themselves, `PortRef<T>` and
 *   `OncePortRef<T>`, are plain data in `ref.ts`; their sends come here through `Instance`).
 *
 * Ports sit below `mailbox.ts`: a port knows its mailbox only as a `PortOwner` (the mailbox
 * implements it), and a sender's first hop only as a `MailboxSender`.
 *
 * ## Invariants
 *
 * - PT-1: a handle send to a port whose owning mailbox is closed throws `MailboxSenderError`
 *   with code `owner-terminated` and the owner's status.
 * - PT-2: user port indices are allocated per mailbox from 1024, one per open/contramap.
 * - PT-3: `bind()` is idempotent; binding an actor port index twice throws `already-bound`.
 * - PT-4: a bound handle's sends carry `SEQ_INFO` `session`; an unbound one's carry `direct`.
 * - PT-5: a ref send never shares the sender's message with its receiver (DESIGN decision 3):
 *   to another proc it is serialized; to the sender's own proc plain data is copied instead
 *   (mailbox/local-copy.ts LC-1, EN-2), and anything else serialized.
 * - PT-6: a port opened with a `PayloadGuard` (the system ports, SP-1) checks every delivered
 *   payload after decoding it; one it refuses throws `MailboxSenderError` `invalid` and never
 *   reaches the sink.
 * - PSR-1: a send (ref or handle) from an instance with a flight recorder records its
 *   destination (the `PortId`, or the unbound port's location) and message type (FR-2: no
 *   string is built); with none, the cost is one `undefined` test (FR-4).
 * - PSR-2: while an SDK is registered (`telemetry.active`, TS-3) a send is counted
 *   (`procmesh.messages.sent`) and, while tracing, carries the sender's trace context (TR-1);
 *   without one, the cost is that one test.
 * - PT-7: a receiver leaves its mailbox once it cannot receive any more (a once port that got its
 *   value or was closed, a closed port): a mailbox holds only receivers still open (issue 11:
 *   a requester kept every once port's receiver until it stopped).
 * - PT-8: the `send_timestamp` of a send made by a handler is the wall-clock start of the batch
 *   it runs in (`SendContext.batchNow`, actor/run.ts ST-3: every item of a batch is `processing`
 *   since then): not after the send, not before its message was taken. A clock read costs ~100 ns
 *   on this machine, a third of a local message (issue 16). Outside a batch (a client, a handler's
 *   continuation after an await) it is the sender's clock when it sends.
 */
import type { Clock } from '../clock.js';
import { config } from '../config.js';
import { ProcError } from '../errors.js';
import type { ActorId, PortId } from '../id.js';
import { decodeLocalPayload, decodePayload, encodePayload } from '../wire/payload.js';
import { transferPending } from '../wire/attachments.js';
import { OncePortRef, PortRef, type PostContext } from '../ref.js';
import type { ActorStatus } from '../status.js';
import { DIRECT_HEADERS, MessageEnvelope, SeqInfo, Undeliverable, type Headers } from './envelope.js';
import { NOT_PLAIN, copyPlain } from './local-copy.js';
import { MailboxError, MailboxSenderError } from './errors.js';
import { encodeMessage, messageArm } from './encode-message.js';
import type { MailboxSender, ReturnHandle } from './sender.js';
import type { Sequencer } from '../sequencing.js';
import type { FlightRecorder } from '../flight-recorder.js';
import { countSent } from '../telemetry/metrics.js';
import { telemetry } from '../telemetry/switch.js';
import { tracedHeaders, traceSend } from '../telemetry/tracing.js';
import { flowContext, type FlowSender } from './flow.js';

/** What a send context may have (an `Instance` does): its flight recorder (FR-4, PSR-1). */
interface RecordingContext {
  readonly flightRecorder?: FlightRecorder | undefined;
}

/**
 * What every send needs from its caller (upstream `context::Actor`): the sender's id, its
 * sequencer, its clock (`send_timestamp`), its mailbox (the first hop), and its return handle.
 * `Instance` implements it; `postMessage` is the ref-send entry (`PostContext`, ref.ts).
 */
export interface SendContext extends PostContext {
  readonly selfId: ActorId;
  readonly sequencer: Sequencer;
  /** The sender's clock: the `send_timestamp` of what it sends (its proc's clock). */
  readonly clock: Clock;
  readonly mailbox: MailboxSender;
  /** The sender's bound `Undeliverable` port, or its proc's monitored return handle. */
  returnHandle(): ReturnHandle;
  /** The initial TTL of envelopes it sends (default: the `messageTtlDefault` configuration). */
  readonly messageTtl?: number;
  /** @internal What flow control holds for its sends (mailbox/flow.ts FC-1); none: never held. */
  readonly flow?: FlowSender | undefined;
  /** @internal PT-8: the wall-clock start of the handler batch it is in (actor/run.ts), else undefined. */
  readonly batchNow?: number | undefined;
}

/**
 * What a port needs from the mailbox that owns it (`Mailbox` implements it): its id, its
 * closed status, its port table, and the clock and sequencer of returns to its ports (MS-2).
 */
export interface PortOwner {
  readonly actorId: ActorId;
  /** The owner's terminal status once closed (PT-1). */
  readonly closedStatus: ActorStatus | undefined;
  allocatePort(): number;
  bindEntry(index: number, entry: PortEntry): void;
  unbindEntry(index: number): void;
  /** The owner's clock: the `send_timestamp` of returns (its proc's clock). */
  readonly clock: Clock;
  /** Numbers the returns (`Undeliverable`s) sent to this mailbox's bound ports (MS-2). */
  returnSequencer(): Sequencer;
  /** PT-7: a receiver that settled or closed is no longer the owner's to close. */
  forgetReceiver(receiver: object): void;
}

/** Enqueue a value with its headers; throws `MailboxSenderError` when the receiver is gone. */
/** `sender`: who sent it, when known (a ref send's envelope, a handle send's context). */
export type Sink<T> = (value: T, headers: Headers, sender?: ActorId) => void;

/** An accumulator for accum/reduce ports. */
export interface Accumulator<U, S> {
  readonly initial: () => S;
  readonly reduce: (state: S, update: U) => S;
  /** A name that identifies the reducer across procs (upstream `ReducerSpec`). */
  readonly spec?: string;
}

/** A bound port's entry in its mailbox: delivers serialized envelopes. */
export interface PortEntry {
  readonly once: boolean;
  readonly typeName: string;
  /** Decode and enqueue; throws `MailboxSenderError` (enqueue) or `CodecError` (decode). */
  deliver(envelope: MessageEnvelope): void;
  /** @internal MB-9: enqueue a local envelope's value without the envelope (ports without a guard). */
  readonly deliverValue?: Sink<unknown> | undefined;
  /** The local handle behind this entry (for `boundReturnHandle`). */
  readonly handle: PortHandle<never> | undefined;
}

/**
 * PT-6: what a port accepts of a delivered payload, checked after decoding and before its sink
 * sees it (system ports: wire values are untyped, and a peer may send anything).
 */
export type PayloadGuard<T> = (value: unknown) => value is T;

export class PortHandle<T> implements ReturnHandle {
  private boundRef: PortRef<T> | undefined;
  private portId: PortId | undefined;
  constructor(
    readonly mailbox: PortOwner,
    readonly index: number,
    private readonly sink: Sink<T>,
    readonly typeName = 'unknown',
    private readonly reducerSpec: string | undefined = undefined,
    private readonly accepts: PayloadGuard<T> | undefined = undefined,
  ) {}

  /** PT-1, PT-4: synchronous local send. */
  send(cx: SendContext, message: T): void {
    const mailbox = this.mailbox;
    if (mailbox.closedStatus !== undefined) {
      throw new MailboxSenderError(this.location(), 'owner-terminated', `owner terminated: ${String(mailbox.closedStatus)}`, {
        cause: MailboxError.ownerTerminated(mailbox.actorId, mailbox.closedStatus),
        status: mailbox.closedStatus,
      });
    }
    const portId = this.portId;
    const rec = (cx as RecordingContext).flightRecorder;
    if (rec !== undefined) rec.sent(portId ?? this, messageArm(message) ?? this.typeName); // PSR-1
    let headers: Headers =
      portId === undefined ? DIRECT_HEADERS : { send_timestamp: sendTime(cx), message_type: this.typeName, seq_info: cx.sequencer.assignSeq(portId) };
    if (telemetry.active) headers = observeHandleSend(cx, headers); // TS-3, PSR-2
    // FC-1 (mailbox/flow.ts): a gate the sink pushes over its bound holds the sender
    const flow = flowContext;
    const outer = flow.sender;
    flow.sender = cx.flow;
    try {
      this.sink(message, headers, cx.selfId);
    } finally {
      flow.sender = outer;
    }
  }

  /**
   * MS-2 (`ReturnHandle`): enqueue a failed envelope as an `Undeliverable`, numbered by the
   * owner's return sequencer (upstream: sent by the runtime's global return client). Throws
   * `MailboxSenderError` when the owner is gone. The port's type is the caller's claim: only
   * `PortHandle<Undeliverable>`s are return handles.
   */
  returnEnvelope(envelope: MessageEnvelope): void {
    const mailbox = this.mailbox;
    if (mailbox.closedStatus !== undefined) {
      throw new MailboxSenderError(this.location(), 'owner-terminated', `owner terminated: ${String(mailbox.closedStatus)}`, {
        status: mailbox.closedStatus,
      });
    }
    const message = new Undeliverable(envelope) as T;
    const portId = this.portId;
    if (portId === undefined) {
      this.sink(message, DIRECT_HEADERS);
    } else {
      this.sink(message, { send_timestamp: mailbox.clock.now(), message_type: this.typeName, seq_info: mailbox.returnSequencer().assignSeq(portId) });
    }
  }

  /** Send with explicit headers (the runtime's own plumbing). */
  sendWithHeaders(message: T, headers: Headers): void {
    if (this.mailbox.closedStatus !== undefined) {
      throw new MailboxSenderError(this.location(), 'owner-terminated', `owner terminated: ${String(this.mailbox.closedStatus)}`, {
        status: this.mailbox.closedStatus,
      });
    }
    this.sink(message, headers);
  }

  /** PT-3: register under this handle's index; returns the serializable ref. */
  bind(): PortRef<T> {
    if (this.boundRef === undefined) {
      const portId = this.mailbox.actorId.portId(this.index);
      this.mailbox.bindEntry(this.index, this.entry(false));
      this.portId = portId;
      this.boundRef = new PortRef<T>(portId, this.reducerSpec);
    }
    return this.boundRef;
  }

  /** Bound at a well-known actor port index (`index` < 1024). */
  bindActorPort(): PortRef<T> {
    if (this.boundRef !== undefined) throw new ProcError('already-bound', `port ${this.location()} is already bound`);
    return this.bind();
  }

  get isBound(): boolean {
    return this.boundRef !== undefined;
  }

  /** `{port_id}` when bound, else `{actor_id}<{type}>`. */
  location(): string {
    return this.portId !== undefined ? String(this.portId) : `${this.mailbox.actorId}<${this.typeName}>`;
  }

  /** `location()` (a flight recorder shows a handle send's destination so). */
  toString(): string {
    return this.location();
  }

  /** A new handle (new index) that maps `R` to `T` and feeds the same sink. */
  contramap<R>(f: (value: R) => T): PortHandle<R> {
    const sink = this.sink;
    return new PortHandle<R>(this.mailbox, this.mailbox.allocatePort(), (v, h, s) => sink(f(v), h, s), this.typeName);
  }

  /** @internal the entry registered in the mailbox when bound. */
  entry(once: boolean): PortEntry {
    const sink = this.sink;
    const accepts = this.accepts;
    return {
      once,
      typeName: this.typeName,
      handle: this as unknown as PortHandle<never>,
      deliverValue: accepts === undefined ? (sink as Sink<unknown>) : undefined, // MB-9 (PT-6: a guarded port checks every payload)
      deliver:
        accepts === undefined
          ? (envelope) => sink(decodeDelivered(envelope) as T, envelope.headers, envelope.sender)
          : (envelope) => {
              const value = decodeDelivered(envelope);
              // PT-6, SP-1: refused here, the sink never sees it (MB-4 keeps the port bound)
              if (!accepts(value)) throw new MailboxSenderError(this.location(), 'invalid', `payload is not of the port's type ${this.typeName}`);
              sink(value, envelope.headers, envelope.sender);
            },
    };
  }
}

/** PT-8: a send's `send_timestamp`: its handler batch's start, else the sender's clock now. */
function sendTime(cx: SendContext): number {
  return cx.batchNow ?? cx.clock.now();
}

/** What a local envelope's `data` is until read (EN-2). */
const NO_BYTES = new Uint8Array(0);

/** PSR-2: a handle send while an SDK is registered: counted, and its headers carry the trace context (TR-1). */
function observeHandleSend(cx: SendContext, headers: Headers): Headers {
  countSent(cx.selfId.proc);
  return telemetry.tracing ? tracedHeaders(cx, headers) : headers;
}

/**
 * The payload of a delivered envelope: walked before msgpackr when it came from another thread
 * or process (EN-1, wire/limits.ts), as is when this thread encoded it.
 */
function decodeDelivered(envelope: MessageEnvelope): unknown {
  if (envelope.isLocal) return envelope.localValue; // EN-2
  return envelope.foreign ? decodePayload(envelope.data) : decodeLocalPayload(envelope.data);
}

/**
 * The ref-send path (upstream `MailboxExt::post`): serialize, build the envelope with
 * `SEND_TIMESTAMP` and `SEQ_INFO`, post it through the sender's mailbox (the first hop).
 */
export function postMessage(cx: SendContext, dest: PortId, message: unknown, extra: Headers | undefined, returnUndeliverable: boolean, once = false): void {
  const destProc = dest.actor.proc;
  if (extra === undefined && (destProc === cx.selfId.proc || destProc.key === cx.selfId.proc.key) && !transferPending()) {
    const copy = copyPlain(message); // PT-5: inside one proc, plain data is copied, not encoded
    if (copy !== NOT_PLAIN) return postSerialized(cx, dest, NO_BYTES, undefined, returnUndeliverable, messageArm(copy), once, copy);
  }
  const arm = messageArm(message);
  postSerialized(cx, dest, encodeMessage(dest, message, arm), extra, returnUndeliverable, arm, once); // EM-1
}

/**
 * Post already-serialized bytes (upstream `PortId::send` / `Instance::post`). `messageType`
 * (the message's `type` arm, upstream `RUST_MESSAGE_TYPE`) goes into the `message_type` header
 * unless the caller set one.
 */
export function postSerialized(
  cx: SendContext,
  dest: PortId,
  data: Uint8Array,
  extra: Headers | undefined,
  returnUndeliverable = true,
  messageType?: string,
  once = false,
  /** @internal EN-2: the copy a local envelope carries instead of `data` (mailbox/local-copy.ts). */
  local: unknown = NOT_PLAIN,
): void {
  let headers: Headers;
  if (extra === undefined) {
    // one literal, one hidden class: the common case of the ref send hot path
    const seq = once ? SeqInfo.direct : cx.sequencer.assignSeq(dest); // RF-4 (ref.ts)
    headers =
      messageType === undefined
        ? { send_timestamp: sendTime(cx), seq_info: seq }
        : { send_timestamp: sendTime(cx), message_type: messageType, seq_info: seq };
  } else {
    if (extra.seq_info !== undefined) {
      throw new MailboxSenderError(String(dest), 'invalid', 'SEQ_INFO must not be set by the caller');
    }
    headers = { ...extra };
    headers.send_timestamp ??= sendTime(cx);
    if (messageType !== undefined) headers.message_type ??= messageType;
    headers.seq_info = once ? SeqInfo.direct : cx.sequencer.assignSeq(dest);
  }
  if (telemetry.active) {
    // TS-3, PSR-2: the one test of the send path while no SDK is registered
    countSent(cx.selfId.proc);
    if (telemetry.tracing) traceSend(cx, headers);
  }
  const rec = (cx as RecordingContext).flightRecorder;
  if (rec !== undefined) rec.sent(dest, headers.message_type); // PSR-1
  const ttl = cx.messageTtl ?? config().messageTtlDefault;
  // FC-1 (mailbox/flow.ts): a gate on the way (a local work queue, a link's queue) holds the sender
  const flow = flowContext;
  const outer = flow.sender;
  flow.sender = cx.flow;
  try {
    const mailbox = cx.mailbox;
    const returns = cx.returnHandle();
    if (local === NOT_PLAIN) mailbox.post(new MessageEnvelope(cx.selfId, dest, data, headers, ttl, returnUndeliverable), returns);
    // MB-9 (mailbox.ts): to another actor of this proc, the copy goes without an envelope
    else if (mailbox.postLocal?.(cx.selfId, dest, local, headers, ttl, returnUndeliverable, returns) !== true) {
      mailbox.post(MessageEnvelope.local(cx.selfId, dest, local, encodePayload, headers, ttl, returnUndeliverable), returns);
    }
  } finally {
    flow.sender = outer;
  }
}

export class OncePortHandle<T> {
  private used = false;
  constructor(
    readonly mailbox: PortOwner,
    readonly index: number,
    private readonly sink: Sink<T>,
    readonly typeName = 'unknown',
  ) {}

  /** Consumes the handle; throws `MailboxSenderError('closed')` if the receiver is gone. */
  send(_cx: SendContext, message: T): void {
    if (this.used) throw new MailboxSenderError(this.location(), 'closed', 'port closed');
    this.used = true;
    this.sink(message, DIRECT_HEADERS);
  }

  /** Registers a one-shot entry: unbound after its first delivery. */
  bind(): OncePortRef<T> {
    const portId = this.mailbox.actorId.portId(this.index);
    const sink = this.sink;
    this.mailbox.bindEntry(this.index, {
      once: true,
      typeName: this.typeName,
      handle: undefined,
      deliver: (envelope) => sink(decodeDelivered(envelope) as T, envelope.headers),
    });
    return new OncePortRef<T>(portId);
  }

  location(): string {
    return `${this.mailbox.actorId}[${this.index}]`;
  }
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (err: Error) => void;
}

/** The receiving end of a port: an unbounded FIFO (or coalescing, for accum ports). */
export class PortReceiver<T> {
  private queue: T[] = [];
  private head = 0;
  private waiter: Waiter<T> | undefined;
  private closedError: Error | undefined;
  constructor(
    readonly mailbox: PortOwner,
    readonly index: number,
    private readonly coalesce = false,
  ) {}

  /** @internal called by the port's sink. */
  push(value: T): void {
    if (this.closedError !== undefined) throw new MailboxSenderError(`${this.mailbox.actorId}[${this.index}]`, 'closed', 'port closed');
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w.resolve(value);
      return;
    }
    if (this.coalesce) {
      this.queue.length = 0;
      this.head = 0;
    }
    this.queue.push(value);
  }

  /** The next value; rejects with `MailboxError('closed')` once the port is closed and empty. */
  recv(): Promise<T> {
    if (this.head < this.queue.length) return Promise.resolve(this.take());
    if (this.closedError !== undefined) return Promise.reject(this.closedError);
    if (this.waiter !== undefined) return Promise.reject(new MailboxError(this.mailbox.actorId, 'recv', 'concurrent recv on one port'));
    return new Promise<T>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The next value if one is queued, else undefined. */
  tryRecv(): T | undefined {
    return this.head < this.queue.length ? this.take() : undefined;
  }

  /** Every value queued now. */
  drain(): T[] {
    const out = this.queue.slice(this.head);
    this.queue = [];
    this.head = 0;
    return out;
  }

  get length(): number {
    return this.queue.length - this.head;
  }

  private take(): T {
    const value = this.queue[this.head++] as T;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    return value;
  }

  /** Drop the receiver: its index is unbound; later sends fail (`port closed` / unroutable). */
  close(): void {
    if (this.closedError !== undefined) return;
    this.closedError = MailboxError.closed(this.mailbox.actorId);
    this.mailbox.unbindEntry(this.index);
    this.mailbox.forgetReceiver(this); // PT-7
    this.failWaiter(this.closedError);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal the owning mailbox closed. */
  ownerClosed(): void {
    if (this.closedError !== undefined) return;
    this.closedError = MailboxError.closed(this.mailbox.actorId);
    this.failWaiter(this.closedError);
  }

  private failWaiter(err: Error): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }
}

export class OncePortReceiver<T> {
  private settled = false;
  private value: T | undefined;
  private error: Error | undefined;
  private waiter: Waiter<T> | undefined;
  constructor(
    readonly mailbox: PortOwner,
    readonly index: number,
  ) {}

  /** @internal */
  push(value: T): void {
    if (this.settled) throw new MailboxSenderError(`${this.mailbox.actorId}[${this.index}]`, 'closed', 'port closed');
    this.settled = true;
    this.mailbox.unbindEntry(this.index);
    this.mailbox.forgetReceiver(this); // PT-7: nothing of the request outlives its reply
    if (this.waiter !== undefined) this.waiter.resolve(value);
    else this.value = value;
  }

  /** The value; rejects with `MailboxError('recv')` if the port closed first. */
  recv(): Promise<T> {
    if (this.error !== undefined) return Promise.reject(this.error);
    if (this.settled && this.waiter === undefined) {
      this.waiter = { resolve: () => {}, reject: () => {} };
      return Promise.resolve(this.value as T);
    }
    return new Promise<T>((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  close(): void {
    this.ownerClosed();
    this.mailbox.unbindEntry(this.index);
    this.mailbox.forgetReceiver(this); // PT-7
  }

  /** @internal */
  ownerClosed(): void {
    if (this.settled) return;
    this.settled = true;
    this.error = new MailboxError(this.mailbox.actorId, 'recv', `once port ${this.index} closed before a value arrived`);
    this.waiter?.reject(this.error);
  }
}
