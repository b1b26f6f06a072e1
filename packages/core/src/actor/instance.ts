/**
 * actor/instance.ts: `Instance<M>`, a running actor's capability object (its context: spec §1.6,
 * §4.1), the `Actor<M>` it runs, its local `ActorHandle<M>`, and `ProcServices`, what it asks of
 * its proc. These types refer to each other, so they live in one module; how work reaches the
 * loop (queues, reorder buffer, flow checks of a push, wake) is its base class `InstanceIntake`
 * (actor/intake.ts), the loop that drives a spawned actor actor/run.ts, its tree node
 * actor/cell.ts, the hooks' documentation actor/actor.ts.
 *
 * ## Invariants
 *
 * - AC-1: one message at a time: a handler (awaits included) completes before the next item is taken.
 * - AC-2: a synchronous handler costs no promise: queued items are handled in synchronous
 *   batches (`processBatch`), and the loop awaits only a handler that returned a thenable.
 * - AC-3: every terminated actor (not aborted, not a client) emits exactly one supervision event,
 *   stored in `cell.supervisionEvent` before its status turns terminal (FI-1).
 * - AC-4: children stop before their parent turns terminal (children-before-parent).
 * - AC-5: a failure propagates unchanged (same event, same `actorId`) to the nearest ancestor
 *   that absorbs it, else to the proc's coordinator.
 * - AC-6: the loop yields every `YIELD_EVERY` items, or `YIELD_AFTER_MS` of handling (run.ts): a busy actor starves no I/O or timer.
 * - AC-7: `Context` is the instance itself, with `headers` set to the current message's headers
 *   for the duration of the handler call (read them before awaiting if a detached task needs them).
 * - AC-8: an instance reads time only from its proc's clock (`ProcServices.clock`).
 * - AC-9: nothing delivered to a system port reaches the actor unless it is of that port's type
 *   (SP-1, id.ts): `handleUndeliverableMessage` only ever gets an `Undeliverable` of an envelope
 *   this actor sent, so no payload from a peer makes the default fail on anything but a return.
 * - IC-1 (memory): what only a sending or handling actor needs is made on first use: the
 *   sequencer (first ref send, or `instanceId`), the handler infos (first item handled); the
 *   instance is itself its mailbox's binder of the lazy system ports (MB-6: no closure).
 * - IC-2 (memory): `bind()` binds the handler port now and the Undeliverable port on its first
 *   use (MB-6): the first envelope addressed to it, or the first read of the return handle (a
 *   ref send from the actor, `returnHandle()`); until then it counts as bound. A bound actor that
 *   never sends and never gets a return (fjcreate's children) pays for neither its handle nor
 *   its entry (~600 bytes).
 * - IC-3 (memory): the handler port's handle (and the closure that enqueues into the work
 *   queue) is made on first use: `bind()`, a handle send, a read of `handlerPort`. Until then
 *   the port is unbound, as it was before `bind()`, so an actor that is spawned and left idle
 *   pays for neither (~180 bytes).
 *
 * Handles: `handle.send(cx, msg)` enqueues into the work queue, unserialized, and throws
 * `MailboxSenderError` (`owner-terminated`) on a stopped actor; `handle.bind()` is the `ActorRef<M>`
 * (ref.ts), whose sends serialize, route hop by hop (TTL) and come back as `Undeliverable`.
 */
import type { Logger } from 'pino';
import { ACTOR_PORT, ActorId, type PortId } from '../id.js';
import { Fifo } from './fifo.js';
import { ProcError } from '../errors.js';
import type { Headers } from '../mailbox/envelope.js';
import { DIRECT_HEADERS, Undeliverable } from '../mailbox/envelope.js';
import { MailboxSenderError } from '../mailbox/errors.js';
import type { LazyPortBinder, Mailbox } from '../mailbox/mailbox.js';
import {
  OncePortHandle,
  OncePortReceiver,
  PortHandle,
  PortReceiver,
  postMessage,
  postSerialized,
  type Accumulator,
  type SendContext,
} from '../mailbox/ports.js';
import { ActorRef, type AskContext, type AskOptions, type LocalActorHandle, type OncePortRef, type SendHeaders } from '../ref.js';
import { ask, AskTable } from './ask.js';
import type { Clock } from '../clock.js';
import type { ReturnHandle } from '../mailbox/sender.js';
import { Sequencer } from '../sequencing.js';
import { ActorSupervisionEvent } from '../supervision.js';
import type { ActorHooks } from './actor.js';
import { InstanceCell } from './cell.js';
import { UndeliverableMessageError } from './errors.js';
import { Signal } from './signal.js';
import { ActorStatus, type StatusWatch } from '../status.js';
import type { IntrospectResult } from '../introspect.js';
import type { Span } from '@opentelemetry/api';
import { flightRecorder, type FlightRecorder } from '../flight-recorder.js';
import type { ActorSpawnOptions } from './spawn-options.js';
import { countUndeliverable } from '../telemetry/metrics.js';
import { telemetry } from '../telemetry/switch.js';
import type { FlowLimits } from '../mailbox/flow.js';
import { InstanceIntake, WORK_MESSAGE, WORK_UNDELIVERABLE, type InstanceKind } from './intake.js';
import { HandlerInfos } from './handler-info.js';

/** What user code implements (actor/actor.ts documents the hooks), with the instance as context. */
export interface Actor<M> extends ActorHooks<M, Instance<M>> {}

/** The context passed to handlers: the instance, with `headers` of the message being handled. */
export type Context<M> = Instance<M>;

/**
 * The proc services an instance needs (upstream `Instance::proc()`): `Proc` implements them, so
 * actor/ never imports proc.ts.
 */
export interface ProcServices {
  readonly procId: ActorId['proc'];
  readonly logger: Logger;
  /** The proc's clock: every timestamp and timer of its instances (AC-8). */
  readonly clock: Clock;
  readonly cleanupTimeoutMs: number;
  readonly childStopWaitMs: number;
  /** The initial TTL of envelopes this proc's instances send. */
  readonly messageTtl: number;
  /** SQ-3: whether work queues restore per-session order (`enableDestActorReorderingBuffer`). */
  readonly reorderBuffer: boolean;
  /** Events each spawned actor's flight recorder keeps (`config.flightRecorder`); 0 = off. */
  readonly flightRecorderSize?: number;
  /** Flow control's watermarks (mailbox/flow.ts); undefined when off (FC-8). */
  readonly flowLimits?: FlowLimits | undefined;
  spawnChild<A>(parent: InstanceCell, actor: Actor<A>, name: string | undefined, options?: ActorSpawnOptions): ActorHandle<A>;
  childInstance(parent: InstanceCell): [Instance<never>, ActorHandle<never>];
  /** SU-1: the id of a supervised child named `name` of `owner` (supervise/supervisor.ts). */
  reserveSupervisedName(name: string, owner: ActorId): ActorId;
  /** SU-2: an incarnation of a supervised child under its reserved id. */
  spawnSupervised<A>(parent: InstanceCell, id: ActorId, actor: Actor<A>): ActorHandle<A>;
  handleUnhandledSupervisionEvent(cx: SendContext, event: ActorSupervisionEvent): void;
  /** The cell left the tree (upstream: the last strong reference was dropped). */
  releaseCell(cell: InstanceCell): void;
  storeTerminatedSnapshot(cell: InstanceCell): void;
  /** MX-1: the muxer may let an older closed mailbox go (mailbox/senders/muxer.ts). */
  mailboxClosed(mailbox: Mailbox): void;
  /** MB-6: bind `instance`'s lazy system port at `index` (its first envelope arrived). */
  bindSystemPort<A>(instance: Instance<A>, index: number): void;
  globalReturnHandle(): ReturnHandle;
  crash(message: string): void;
  resolveActorRef<A>(ref: ActorRef<A>): ActorHandle<A> | undefined;
  /** Resolves once envelopes posted so far were delivered or returned. */
  flush(): Promise<void>;
  destroyAndWait(timeoutMs: number, cx?: SendContext, reason?: string): Promise<{ stopped: ActorId[]; aborted: ActorId[] }>;
  destroyAndWaitExceptCurrent(timeoutMs: number, cx: SendContext | undefined, exceptCurrent: boolean, reason?: string): Promise<{ stopped: ActorId[]; aborted: ActorId[] }>;
}

export type { InstanceKind, InstanceIntake };

/** IC-2: the lazily bound port of `bind()`. */
const RETURNS_PORT: readonly number[] = [ACTOR_PORT.UNDELIVERABLE];

/** A unit of work for inverted actors (`Proc.actorInstance`): the caller runs it. */
export class WorkCell<M> {
  constructor(private readonly instance: Instance<M>, readonly tag: number, readonly message: unknown, readonly headers: Headers) {}

  /** Run the actor's handler for this item, with the instance as context. */
  handle(actor: Actor<M>): void | Promise<void> {
    return this.instance.runWork(actor, this.tag, this.message, this.headers);
  }
}

export class Instance<M> extends InstanceIntake implements SendContext, AskContext, LazyPortBinder {
  override readonly cell: InstanceCell;
  /** IC-1: made by the first ref send (or the first read of `instanceId`). */
  private seq: Sequencer | undefined;
  /** The numbering of this instance's ref sends (SQ-1; IC-1: made on first use). */
  get sequencer(): Sequencer {
    return (this.seq ??= new Sequencer());
  }
  /** AC-7: headers of the message being handled. */
  headers: Headers = DIRECT_HEADERS;
  /** IC-3: made on first use */
  private port: PortHandle<M> | undefined;
  /** The actor's handler port (`M`), made on first use (IC-3). */
  get handlerPort(): PortHandle<M> {
    return (this.port ??= this.mailbox.openEnqueuePort<M>(ACTOR_PORT.HANDLER, (m, h, s) => this.enqueue(WORK_MESSAGE, m, h, s), this.cell.typeName));
  }
  private disposed = false;
  /** @internal */
  childWaiter: (() => void) | undefined;
  private selfRef: ActorRef<M> | undefined;
  private selfHandle: ActorHandle<M> | undefined;
  /** Inverted actors: receivers the caller pulls from. */
  private inverted: { work: PortReceiver<WorkCell<M>>; signal: PortReceiver<Signal>; supervision: PortReceiver<ActorSupervisionEvent> } | undefined;
  /** @internal */
  handlerTypeName = 'unknown';
  private log: Logger | undefined;
  private asks: AskTable | undefined;

  /** `proc`: the owning proc's services (upstream `Instance::proc()`); `recorderSize`: its flight recorder's events (default the proc's). */
  constructor(override readonly proc: ProcServices, readonly mailbox: Mailbox, readonly kind: InstanceKind, typeName: string, parent: InstanceCell | undefined, recorderSize?: number) {
    super(proc.flowLimits, proc.reorderBuffer, kind);
    this.cell = new InstanceCell(mailbox.actorId, typeName, this, ActorStatus.created, proc.clock);
    this.handlerTypeName = typeName;
    if (kind === 'actor') {
      const recorder = flightRecorder(recorderSize ?? proc.flightRecorderSize, proc.clock);
      this.cell.flightRecorder = recorder;
      this.flightRecorder = recorder;
      if (recorder !== undefined) this.cell.status.onSet = (status) => recorder.status(status);
    }
    if (parent !== undefined) {
      this.cell.parent = parent;
      parent.addChild(this.cell);
    }
    if (kind === 'inverted') {
      const [, work] = mailbox.openPort<WorkCell<M>>('work');
      const [, signal] = mailbox.openPort<Signal>('Signal');
      const [, supervision] = mailbox.openPort<ActorSupervisionEvent>('ActorSupervisionEvent');
      this.inverted = { work, signal, supervision };
      this.invertedWork = (tag, message, headers) => work.push(new WorkCell(this, tag, message, headers));
    }
  }

  /** @internal MB-6 (`LazyPortBinder`, IC-1): its proc binds the system port at `index` (system-ports.ts). */
  bindLazyPort(index: number): void {
    if (index === ACTOR_PORT.UNDELIVERABLE) this.bindReturns((u, h) => this.enqueue(WORK_UNDELIVERABLE, u, h)); // IC-2
    else this.proc.bindSystemPort(this, index);
  }

  // ---- identity and accessors -----------------------------------------------------------

  /** This actor's logger (a child of the proc's with an `actor` field), made on first use. */
  override get logger(): Logger {
    return (this.log ??= this.proc.logger.child({ actor: String(this.mailbox.actorId) }));
  }

  get selfId(): ActorId {
    return this.mailbox.actorId;
  }

  /** The UUIDv7 of this instance (also its sequencer session id). */
  get instanceId(): string {
    return this.sequencer.sessionId;
  }

  get status(): ActorStatus {
    return this.cell.status.get();
  }

  /** The initial TTL of the envelopes this instance sends (the proc's `messageTtlDefault`). */
  get messageTtl(): number {
    return this.proc.messageTtl;
  }

  /** The proc's clock (timestamps, timers). */
  get clock(): Clock {
    return this.proc.clock;
  }

  // ---- sending --------------------------------------------------------------------------

  /** The sender's return handle: this mailbox's bound Undeliverable port, else the global one. */
  returnHandle(): ReturnHandle {
    return this.mailbox.boundReturnHandle() ?? this.proc.globalReturnHandle();
  }

  /** `PostContext` (ref.ts): the ref-send path, mailbox/ports.ts `postMessage` from this instance. */
  postMessage(dest: PortId, message: unknown, extra: SendHeaders | undefined, returnUndeliverable: boolean, once?: boolean): void {
    postMessage(this, dest, message, extra, returnUndeliverable, once);
  }

  /** Post serialized bytes to any port (upstream `Instance::post`). */
  post(dest: PortId, headers: Headers | undefined, data: Uint8Array): void {
    postSerialized(this, dest, data, headers);
  }

  /** A local handle to this actor. */
  handle(): ActorHandle<M> {
    this.selfHandle ??= new ActorHandle<M>(this);
    return this.selfHandle;
  }

  /**
   * Bind the actor's ports (handler, undeliverable) so it is addressable by ref; idempotent.
   * Until bound, envelopes this actor sends that bounce go to the global return handle (logged).
   */
  bind(): ActorRef<M> {
    if (this.selfRef === undefined) {
      this.handlerPort.bind();
      // IC-2: the Undeliverable port binds on its first use (a return, or a send that needs its handle)
      if (!this.mailbox.isBound(ACTOR_PORT.UNDELIVERABLE)) this.mailbox.bindLazily(RETURNS_PORT, this);
      this.selfRef = new ActorRef<M>(this.selfId);
    }
    return this.selfRef;
  }

  /** Bind the `Undeliverable` port: an ask's returned request goes to its ask (ASK-3), the rest to `sink`. */
  private bindReturns(sink: (u: Undeliverable, h: Headers) => void): void {
    const selfKey = this.selfId.key;
    // SP-1: a returned envelope this actor sent; anything else never reaches its hooks
    const ownReturn = (value: unknown): value is Undeliverable => value instanceof Undeliverable && value.envelope.sender.key === selfKey;
    const deliver = (u: Undeliverable, h: Headers): void => {
      this.flightRecorder?.undeliverable(u.envelope.dest, u.envelope.errorMessage());
      if (telemetry.metrics) countUndeliverable(this.selfId.proc);
      if (this.asks?.intercept(u) !== true) sink(u, h);
    };
    this.mailbox.openEnqueuePort<Undeliverable>(ACTOR_PORT.UNDELIVERABLE, deliver, 'Undeliverable', ownReturn).bind();
  }

  /** ASK-4 (actor/ask.ts): the pending asks; a client's returns other than asks' go to the proc's return handle. */
  askTable(): AskTable {
    if (this.asks === undefined) {
      this.asks = new AskTable();
      if (this.kind !== 'client') this.bind();
      else if (!this.mailbox.isBound(ACTOR_PORT.UNDELIVERABLE)) this.bindReturns((u) => this.proc.globalReturnHandle().returnEnvelope(u.envelope));
    }
    return this.asks;
  }

  /** `AskContext` (ref.ts): an ask from this instance (actor/ask.ts; `ActorRef.ask` is the typed form). */
  ask<R>(dest: PortId, build: (reply: OncePortRef<R>) => unknown, options?: AskOptions): Promise<R> {
    return ask(this, dest, build, options);
  }

  /** Open a user port (index from 1024). */
  openPort<T>(typeName?: string): [PortHandle<T>, PortReceiver<T>] {
    return this.mailbox.openPort<T>(typeName);
  }

  openOncePort<T>(typeName?: string): [OncePortHandle<T>, OncePortReceiver<T>] {
    return this.mailbox.openOncePort<T>(typeName);
  }

  openAccumPort<U, S>(accum: Accumulator<U, S>): [PortHandle<U>, PortReceiver<S>] {
    return this.mailbox.openAccumPort(accum);
  }

  openReducePort<U, S>(accum: Accumulator<U, S>, count: number): [PortHandle<U>, OncePortReceiver<S>] {
    return this.mailbox.openReducePort(accum, count);
  }

  /** Send `message` to this actor after `delayMs` (errors are logged). */
  selfMessageWithDelay(message: M, delayMs: number): void {
    this.proc.clock
      .setTimeout(() => {
        try {
          this.handlerPort.send(this, message);
        } catch (err) {
          this.logger.warn({ err }, 'delayed self message not delivered');
        }
      }, delayMs)
      .unref();
  }

  // ---- children -------------------------------------------------------------------------

  /** Spawn a child actor (pid from the root's counter). */
  spawn<C>(actor: Actor<C>, options?: ActorSpawnOptions): ActorHandle<C> {
    return this.proc.spawnChild(this.cell, actor, undefined, options);
  }

  /** Spawn a named child: pid from the parent's counter, then the name replaced. */
  spawnWithName<C>(name: string, actor: Actor<C>, options?: ActorSpawnOptions): ActorHandle<C> {
    return this.proc.spawnChild(this.cell, actor, name, options);
  }

  /**
   * A local handle to this instance's parent (upstream `parent_handle`), or undefined for roots
   * and orphans. The message type is the caller's claim.
   */
  parentHandle<P>(): ActorHandle<P> | undefined {
    return this.cell.parent?.instance.handle() as ActorHandle<P> | undefined;
  }

  /** A child client instance, linked to this one. */
  child(): [Instance<never>, ActorHandle<never>] {
    return this.proc.childInstance(this.cell);
  }

  // ---- control --------------------------------------------------------------------------

  /** Stop this actor after draining its queue (`DrainAndStop`). */
  stop(reason = 'stopped by request'): void {
    this.signal(Signal.drainAndStop(reason));
  }

  /** Fail this actor with `actor explicitly aborted due to: {reason}`. */
  abort(reason: string): void {
    this.signal(Signal.abort(reason));
  }

  /** Mark as a system actor (introspection). */
  setSystem(): void {
    this.cell.isSystem = true;
  }

  publishAttrs(attrs: Record<string, unknown>): void {
    this.cell.publishedAttrs = { ...(this.cell.publishedAttrs ?? {}), ...attrs };
  }

  publishAttr(key: string, value: unknown): void {
    this.publishAttrs({ [key]: value });
  }

  /** Answer `QueryChild` introspection for non-actor children. */
  setQueryChildHandler(fn: (child: string) => IntrospectResult | undefined): void {
    this.cell.queryChild = fn;
  }

  /** @internal Deliver a signal; throws if this instance has no loop (clients) or finished. */
  signal(signal: Signal): void {
    if (this.kind === 'client' || this.loopFinished || this.aborted) {
      throw new MailboxSenderError(`${this.selfId}<Signal>`, 'closed', `send error: cannot deliver ${Signal.display(signal)}`);
    }
    if (this.inverted !== undefined) {
      this.inverted.signal.push(signal);
      return;
    }
    this.signals = Fifo.pushTo(this.signals, signal); // FQ-3
    this.notify();
  }

  /** @internal A child's supervision event (AC-5). Returns false if it could not be delivered. */
  deliverSupervisionEvent(event: ActorSupervisionEvent): boolean {
    if (this.kind === 'client' || this.loopFinished || this.aborted) return false;
    this.cell.noteChildEvent(event); // ST-5
    if (this.inverted !== undefined) {
      this.inverted.supervision.push(event);
      return true;
    }
    this.supervisionEvents = Fifo.pushTo(this.supervisionEvents, event); // FQ-3
    this.notify();
    return true;
  }

  /** @internal A child left `cell.children`. */
  childUnlinked(): void {
    const w = this.childWaiter;
    if (w !== undefined && this.cell.children.size === 0) {
      this.childWaiter = undefined;
      w();
    }
  }

  /** @internal `abortRootActor`: detach without cleanup or event (DESIGN decision 5). */
  detach(): void {
    if (this.aborted) return;
    this.aborted = true;
    for (const child of this.cell.children.values()) child.parent = undefined;
    this.cell.clearChildren();
    if (!this.cell.status.isTerminal) this.cell.status.set(ActorStatus.stopped('instance is dropped'));
    this.receipts?.settleAll(); // RC-1: nothing more will be handled
    this.flowState?.gone(); // FC-1: its queue is gone, whoever it held goes free
    this.notify();
    this.proc.storeTerminatedSnapshot(this.cell);
    this.proc.releaseCell(this.cell);
  }

  /** Drop a client instance: status `stopped("instance is dropped")` (upstream `Drop`). */
  [Symbol.dispose](): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.kind === 'actor') return;
    if (!this.cell.status.isTerminal) this.cell.status.set(ActorStatus.stopped('instance is dropped'));
    this.cell.unlinkFromParent();
    this.proc.storeTerminatedSnapshot(this.cell);
    this.proc.releaseCell(this.cell);
  }

  // ---- the loop (actor/intake.ts queues the work, actor/run.ts handles it) ----------------

  /** @internal */
  protected override intakeLocation(): string {
    return this.handlerPort.location();
  }

  /** @internal The receivers of an inverted actor. */
  invertedReceivers(): { work: PortReceiver<WorkCell<M>>; signal: PortReceiver<Signal>; supervision: PortReceiver<ActorSupervisionEvent> } {
    if (this.inverted === undefined) throw new ProcError('not-inverted', 'not an inverted actor instance');
    return this.inverted;
  }

  /** @internal Mark a client/inverted instance as live. */
  markClient(): void {
    this.cell.status.set(ActorStatus.client);
  }

  /** The actor object (spawned actors), for `resolveActorRef` type checks. */
  actor: Actor<M> | undefined;

  /** @internal Items handled synchronously by the last `processBatch` call (actor/run.ts). */
  batchCount = 0;

  /** @internal PT-8 (mailbox/ports.ts): the wall-clock start of the batch being handled (actor/run.ts `processBatch`), else undefined. */
  batchNow: number | undefined = undefined;

  /** @internal TR-1 (telemetry/tracing.ts): the span of the message being handled, while tracing. */
  traceSpan: Span | undefined = undefined;

  /** @internal the flight recorder (FR-4: undefined when off), also `cell.flightRecorder`; sends record into it. */
  readonly flightRecorder: FlightRecorder | undefined;

  /** @internal one work item (actor/run.ts `processBatch`, `WorkCell.handle`) */
  runWorkItem(actor: Actor<M>, tag: number, message: unknown, headers: Headers, since: number): void | Promise<void> {
    this.headers = headers;
    const cell = this.cell;
    if (tag === WORK_MESSAGE) {
      const arm = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
      const info = (this.handlerInfos ??= new HandlerInfos()).get(this.handlerTypeName, typeof arm === 'string' ? arm : undefined);
      cell.lastHandler = info;
      cell.status.markProcessing(since, info);
      return actor.handle(this, message as M);
    }
    const info = (this.handlerInfos ??= new HandlerInfos()).get(this.handlerTypeName, 'Undeliverable');
    cell.lastHandler = info;
    cell.status.markProcessing(since, info);
    const undeliverable = message as Undeliverable;
    if (actor.handleUndeliverableMessage !== undefined) return actor.handleUndeliverableMessage(this, undeliverable);
    throw new UndeliverableMessageError(undeliverable.envelope);
  }

  /** IC-1: made by the first item handled. */
  private handlerInfos: HandlerInfos | undefined;

  /** @internal Used by `WorkCell.handle` (inverted actors). */
  runWork(actor: Actor<M>, tag: number, message: unknown, headers: Headers): void | Promise<void> {
    const r = this.runWorkItem(actor, tag, message, headers, this.proc.clock.now());
    this.cell.messagesProcessed++;
    return r;
  }

  /** A read-only view of the status cell. */
  statusWatch(): StatusWatch {
    return this.cell.status;
  }
}

export class ActorHandle<M> implements LocalActorHandle<M> {
  /** `instance` is @internal. */
  constructor(readonly instance: Instance<M>) {}

  get actorId(): ActorId {
    return this.instance.selfId;
  }

  /** Direct send (no envelope); throws on a stopped or failed actor. */
  send(cx: SendContext, message: M): void {
    this.instance.handlerPort.send(cx, message);
  }

  /** The actor's handler port. */
  port(): PortHandle<M> {
    return this.instance.handlerPort;
  }

  /** Stop after draining queued messages. Throws `MailboxSenderError` for client instances. */
  drainAndStop(reason = 'stopped by request'): void {
    this.instance.signal(Signal.drainAndStop(reason));
  }

  /** The current status. */
  get status(): ActorStatus {
    return this.instance.cell.status.get();
  }

  /** Observe status changes (latest value). */
  statusWatch(): StatusWatch {
    return this.instance.cell.status;
  }

  /** Resolves with the terminal status (upstream: awaiting the handle). */
  join(): Promise<ActorStatus> {
    return this.instance.cell.status.terminal();
  }

  /** Bind the actor's ports and return its serializable ref. */
  bind(): ActorRef<M> {
    return this.instance.bind();
  }

  toString(): string {
    return `ActorHandle(${this.actorId})`;
  }
}
