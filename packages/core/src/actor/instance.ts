/**
 * actor/instance.ts: `Instance<M>`, a running actor's capability object, and `InstanceCell`,
 * its node in the proc's supervision tree (spec §1.6, §4.1).
 *
 * ## The actor loop (`serve` -> `runActorTree` -> `run`), as upstream §4.1
 *
 * ```
 * run:          initializing -> init() -> loop { idle; next of: signal | supervision event | work }
 * runActorTree: run; stopping; Stop("parent stopping") to every child; wait for children
 *               (500 ms per round, then unlink the rest); cleanup() (bounded)
 * serve:        status = stopped(reason) | child's status (propagated) | failed(error);
 *               close mailbox; store event (FI-1: before status); set status;
 *               event to parent (+ ChildStopped) or to proc.handleUnhandledSupervisionEvent
 * ```
 *
 * Signals are checked first, then supervision events, then work (upstream picks fairly at
 * random; no test depends on the order, and DrainAndStop drains queued work either way).
 *
 * ## Invariants
 *
 * - AC-1: one message at a time per actor; a handler (awaits included) completes before the
 *   next work item, signal or supervision event is taken.
 * - AC-2: a synchronous handler costs no promise: queued items are handled in synchronous
 *   batches (`processBatch`), and the loop awaits only a handler that returned a thenable.
 * - AC-3: every terminated actor (not aborted, not a client) emits exactly one supervision event,
 *   stored in `cell.supervisionEvent` before its status turns terminal (FI-1).
 * - AC-4: children stop before their parent turns terminal (children-before-parent).
 * - AC-5: a failure propagates unchanged (same event, same `actorId`) to the nearest ancestor
 *   that absorbs it, else to the proc's coordinator.
 * - AC-6: the loop yields to the event loop every `YIELD_EVERY` consecutive items, so one busy
 *   actor cannot starve I/O, timers or other threads' wake-ups.
 * - AC-7: `Context` is the instance itself, with `headers` set to the current message's headers
 *   for the duration of the handler call (read them before awaiting if a detached task needs them).
 */
import type { Logger } from 'pino';
import { ACTOR_PORT, ActorId, type PortId } from '../id.js';
import { ProcError } from '../errors.js';
import type { Headers, Undeliverable } from '../mailbox/envelope.js';
import { DIRECT_HEADERS, SeqInfo } from '../mailbox/envelope.js';
import { MailboxSenderError } from '../mailbox/errors.js';
import type { Mailbox } from '../mailbox/mailbox.js';
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
import { ActorRef, type SendHeaders } from '../ref.js';
import type { Clock } from '../clock.js';
import type { ReturnHandle } from '../mailbox/sender.js';
import { ReorderBuffer, Sequencer } from '../sequencing.js';
import { ActorSupervisionEvent } from '../supervision.js';
import type { Actor } from './actor.js';
import { ActorError, ActorErrorKind, UndeliverableMessageError, describeThrown } from './errors.js';
import { Signal } from './signal.js';
import { ActorStatus, StatusCell, type HandlerInfo, type StatusWatch } from '../status.js';
import { ActorHandle } from './handle.js';
import { WorkQueue } from './work-queue.js';
import type { IntrospectResult } from '../introspect.js';
import type { Proc } from '../proc.js';

/** The proc services an instance needs (implemented by `Proc`; kept narrow to avoid a cycle). */
export interface ProcServices {
  readonly procId: ActorId['proc'];
  readonly logger: Logger;
  readonly cleanupTimeoutMs: number;
  readonly childStopWaitMs: number;
  /** The initial TTL of envelopes this proc's instances send. */
  readonly messageTtl: number;
  /** SQ-3: whether work queues restore per-session order (`enableDestActorReorderingBuffer`). */
  readonly reorderBuffer: boolean;
  spawnChild<A>(parent: InstanceCell, actor: Actor<A>, name: string | undefined): ActorHandle<A>;
  childInstance(parent: InstanceCell): [Instance<never>, ActorHandle<never>];
  handleUnhandledSupervisionEvent(cx: SendContext, event: ActorSupervisionEvent): void;
  /** The cell left the tree (upstream: the last strong reference was dropped). */
  releaseCell(cell: InstanceCell): void;
  storeTerminatedSnapshot(cell: InstanceCell): void;
  globalReturnHandle(): ReturnHandle;
  crash(message: string): void;
  resolveActorRef<A>(ref: ActorRef<A>): ActorHandle<A> | undefined;
}

/** How an instance is driven. */
export type InstanceKind = 'actor' | 'client' | 'inverted';

/** Work queue entry tags. */
const WORK_MESSAGE = 0;
const WORK_UNDELIVERABLE = 1;

/** AC-6 */
const YIELD_EVERY = 1024;

/** At most this many distinct `HandlerInfo`s are cached per actor (message arms). */
const MAX_HANDLER_INFOS = 64;

/** Resolve after the event loop had a turn (I/O, timers). */
const yieldMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

type RunOutcome = { ok: true; reason: string } | { ok: false; kind: ActorErrorKind } | { ok: 'detached' };

/** A unit of work for inverted actors (`Proc.actorInstance`): the caller runs it. */
export class WorkCell<M> {
  constructor(
    private readonly instance: Instance<M>,
    readonly tag: number,
    readonly message: unknown,
    readonly headers: Headers,
  ) {}

  /** Run the actor's handler for this item, with the instance as context. */
  handle(actor: Actor<M>): void | Promise<void> {
    return this.instance.runWork(actor, this.tag, this.message, this.headers);
  }
}

/**
 * The type-erased shared state of an instance: its place in the supervision tree, status and
 * counters. `proc.getInstance(id)` returns this.
 */
export class InstanceCell {
  parent: InstanceCell | undefined;
  readonly children = new Map<number, InstanceCell>();
  readonly status: StatusCell;
  readonly createdAt = Date.now();
  messagesProcessed = 0;
  totalProcessingTimeUs = 0;
  lastHandler: HandlerInfo | undefined;
  /** FI-1: written once, before the status turns terminal. */
  supervisionEvent: ActorSupervisionEvent | undefined;
  isSystem = false;
  publishedAttrs: Record<string, unknown> | undefined;
  queryChild: ((child: string) => IntrospectResult | undefined) | undefined;
  introspectable = false;
  /** Set when the cell left the proc's instance map. */
  released = false;

  constructor(
    readonly actorId: ActorId,
    readonly typeName: string,
    readonly instance: Instance<unknown>,
    initial: ActorStatus,
  ) {
    this.status = new StatusCell(initial);
  }

  /** Pre-order walk of this subtree, children in ascending pid order. */
  traverse(visit: (cell: InstanceCell, depth: number) => void, depth = 0): void {
    visit(this, depth);
    const pids = [...this.children.keys()].sort((a, b) => a - b);
    for (const pid of pids) this.children.get(pid)?.traverse(visit, depth + 1);
  }

  /** Unlink from the parent; returns the parent it had. */
  unlinkFromParent(): InstanceCell | undefined {
    const parent = this.parent;
    if (parent !== undefined) {
      parent.children.delete(this.actorId.pid);
      this.parent = undefined;
      parent.instance.childUnlinked();
    }
    return parent;
  }
}

export class Instance<M> implements SendContext {
  readonly cell: InstanceCell;
  readonly sequencer: Sequencer;
  /** AC-7: headers of the message being handled. */
  headers: Headers = DIRECT_HEADERS;
  /** The actor's handler port (`M`). */
  readonly handlerPort: PortHandle<M>;
  private readonly work = new WorkQueue();
  private readonly signals: Signal[] = [];
  private readonly supervisionEvents: ActorSupervisionEvent[] = [];
  private wake: (() => void) | undefined;
  private loopRunning = false;
  private loopFinished = false;
  private aborted = false;
  private disposed = false;
  private childWaiter: (() => void) | undefined;
  private selfRef: ActorRef<M> | undefined;
  private selfHandle: ActorHandle<M> | undefined;
  /** Inverted actors: receivers the caller pulls from. */
  private inverted: { work: PortReceiver<WorkCell<M>>; signal: PortReceiver<Signal>; supervision: PortReceiver<ActorSupervisionEvent> } | undefined;
  private handlerTypeName = 'unknown';
  readonly logger: Logger;

  constructor(
    /** The owning proc (upstream `Instance::proc()`). */
    readonly proc: Proc,
    readonly mailbox: Mailbox,
    readonly kind: InstanceKind,
    typeName: string,
    parent: InstanceCell | undefined,
  ) {
    this.sequencer = new Sequencer();
    this.reorder = proc.reorderBuffer ? new ReorderBuffer(([tag, message, headers]) => this.enqueueInOrder(tag, message, headers)) : undefined;
    this.cell = new InstanceCell(mailbox.actorId, typeName, this as Instance<unknown>, ActorStatus.created);
    this.handlerTypeName = typeName;
    if (parent !== undefined) {
      this.cell.parent = parent;
      parent.children.set(mailbox.actorId.pid, this.cell);
    }
    this.logger = proc.logger.child({ actor: String(mailbox.actorId) });
    this.handlerPort = mailbox.openEnqueuePort<M>(ACTOR_PORT.HANDLER, (m, h) => this.enqueue(WORK_MESSAGE, m, h), typeName);
    if (kind === 'inverted') {
      const [, work] = mailbox.openPort<WorkCell<M>>('work');
      const [, signal] = mailbox.openPort<Signal>('Signal');
      const [, supervision] = mailbox.openPort<ActorSupervisionEvent>('ActorSupervisionEvent');
      this.inverted = { work, signal, supervision };
    }
  }

  // ---- identity and accessors -----------------------------------------------------------

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
  postMessage(dest: PortId, message: unknown, extra: SendHeaders | undefined, returnUndeliverable: boolean): void {
    postMessage(this, dest, message, extra, returnUndeliverable);
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
      const undeliverable = this.mailbox.openEnqueuePort<Undeliverable>(
        ACTOR_PORT.UNDELIVERABLE,
        (u, h) => this.enqueue(WORK_UNDELIVERABLE, u, h),
        'Undeliverable',
      );
      undeliverable.bind();
      this.selfRef = new ActorRef<M>(this.selfId);
    }
    return this.selfRef;
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
    const timer = setTimeout(() => {
      try {
        this.handlerPort.send(this, message);
      } catch (err) {
        this.logger.warn({ err }, 'delayed self message not delivered');
      }
    }, delayMs);
    timer.unref?.();
  }

  // ---- children -------------------------------------------------------------------------

  /** Spawn a child actor (pid from the root's counter). */
  spawn<C>(actor: Actor<C>): ActorHandle<C> {
    return this.proc.spawnChild(this.cell, actor, undefined);
  }

  /** Spawn a named child: pid from the parent's counter, then the name replaced. */
  spawnWithName<C>(name: string, actor: Actor<C>): ActorHandle<C> {
    return this.proc.spawnChild(this.cell, actor, name);
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
    this.signals.push(signal);
    this.notify();
  }

  /** @internal A child's supervision event (AC-5). Returns false if it could not be delivered. */
  deliverSupervisionEvent(event: ActorSupervisionEvent): boolean {
    if (this.kind === 'client' || this.loopFinished || this.aborted) return false;
    if (this.inverted !== undefined) {
      this.inverted.supervision.push(event);
      return true;
    }
    this.supervisionEvents.push(event);
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
    this.cell.children.clear();
    if (!this.cell.status.isTerminal) this.cell.status.set(ActorStatus.stopped('instance is dropped'));
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

  // ---- the loop ---------------------------------------------------------------------------

  private enqueue(tag: number, message: unknown, headers: Headers): void {
    if (this.aborted) throw new MailboxSenderError(this.handlerPort.location(), 'other', 'send error: receiver gone');
    const reorder = this.reorder;
    if (reorder !== undefined && headers.seq_info !== SeqInfo.direct) {
      let outcome: string;
      try {
        outcome = reorder.accept(headers.seq_info, [tag, message, headers]);
      } catch (err) {
        throw new MailboxSenderError(this.handlerPort.location(), 'invalid', (err as Error).message, { cause: err });
      }
      if (outcome === 'duplicate') this.logger.warn({ seq: SeqInfo.display(headers.seq_info as SeqInfo) }, 'duplicate message dropped by the reorder buffer');
      return;
    }
    this.enqueueInOrder(tag, message, headers);
  }

  /** SQ-3: the reorder buffer, when the proc enables it. */
  private readonly reorder: ReorderBuffer<[number, unknown, Headers]> | undefined;

  private enqueueInOrder(tag: number, message: unknown, headers: Headers): void {
    if (this.inverted !== undefined) {
      this.inverted.work.push(new WorkCell(this, tag, message, headers));
      return;
    }
    this.work.push(tag, message, headers);
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  private notify(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  /** @internal The receivers of an inverted actor. */
  invertedReceivers(): { work: PortReceiver<WorkCell<M>>; signal: PortReceiver<Signal>; supervision: PortReceiver<ActorSupervisionEvent> } {
    if (this.inverted === undefined) throw new ProcError('wrong-proc', 'not an inverted actor instance');
    return this.inverted;
  }

  /** @internal Mark a client/inverted instance as live. */
  markClient(): void {
    this.cell.status.set(ActorStatus.client);
  }

  /** The actor object (spawned actors), for `resolveActorRef` type checks. */
  actor: Actor<M> | undefined;

  /** @internal Start the actor task (spawned actors). */
  start(actor: Actor<M>): void {
    if (this.loopRunning) return;
    this.loopRunning = true;
    this.actor = actor;
    this.handlerTypeName = actor.constructor?.name ?? this.cell.typeName;
    queueMicrotask(() => void this.serve(actor));
  }

  private async serve(actor: Actor<M>): Promise<void> {
    const outcome = await this.runActorTree(actor);
    this.loopFinished = true;
    if (outcome.ok === 'detached' || this.aborted) return;
    const displayName = safeDisplayName(actor);
    let status: ActorStatus;
    let event: ActorSupervisionEvent;
    if (outcome.ok) {
      status = ActorStatus.stopped(outcome.reason);
      event = new ActorSupervisionEvent(this.selfId, displayName, status);
    } else if (outcome.kind.kind === 'unhandled-supervision-event') {
      event = outcome.kind.event;
      status = event.actorStatus;
    } else {
      status = ActorStatus.failed(ActorErrorKind.display(outcome.kind));
      const caused = outcome.kind.kind === 'error-during-handling-supervision' ? outcome.kind.event : undefined;
      event = new ActorSupervisionEvent(this.selfId, displayName, status, Date.now(), caused);
    }
    const dropped = this.work.clear();
    if (dropped > 0) this.logger.debug({ dropped }, 'queued work dropped at stop');
    this.mailbox.close(status);
    this.cell.supervisionEvent = event; // FI-1
    this.cell.status.set(status);
    this.proc.storeTerminatedSnapshot(this.cell);
    const parent = this.cell.unlinkFromParent();
    if (parent !== undefined) {
      const delivered = parent.instance.deliverSupervisionEvent(event);
      if (!delivered) {
        if (event.isError()) {
          this.proc.crash(`failed to send supervision event to actor ${parent.actorId}: ${event}. Crash the process.`);
        } else {
          this.logger.debug({ event: String(event) }, 'supervision event dropped: parent cannot receive it');
        }
      }
      try {
        parent.instance.signal(Signal.childStopped(this.selfId.pid));
      } catch {
        // the parent has no loop (client) or finished: nothing to tell
      }
    } else {
      this.proc.handleUnhandledSupervisionEvent(this, event);
    }
    this.proc.releaseCell(this.cell);
  }

  private async runActorTree(actor: Actor<M>): Promise<RunOutcome> {
    let outcome: RunOutcome;
    try {
      outcome = await this.run(actor);
    } catch (err) {
      outcome = { ok: false, kind: ActorErrorKind.generic(describeThrown(err)) };
    }
    if (outcome.ok === 'detached' || this.aborted) return { ok: 'detached' };
    this.cell.status.set(ActorStatus.stopping);
    await this.stopChildren();
    if (this.aborted) return { ok: 'detached' };
    const error = outcome.ok ? undefined : new ActorError(this.selfId, outcome.kind);
    const cleanupError = await this.runCleanup(actor, error);
    if (outcome.ok && cleanupError !== undefined) return { ok: false, kind: ActorErrorKind.generic(`cleanup error: ${cleanupError}`) };
    if (!outcome.ok && cleanupError !== undefined) this.logger.warn({ cleanupError }, 'cleanup failed after an actor error');
    return outcome;
  }

  /** AC-4: Stop every child, wait for them (a bounded wait per round), unlink stragglers. */
  private async stopChildren(): Promise<void> {
    for (const child of [...this.cell.children.values()]) {
      try {
        child.instance.signal(Signal.stop('parent stopping'));
      } catch {
        child.unlinkFromParent();
        // a client child: dropping the parent drops it
        child.instance[Symbol.dispose]();
      }
    }
    while (this.cell.children.size > 0) {
      const emptied = new Promise<boolean>((resolve) => {
        this.childWaiter = () => resolve(true);
      });
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), this.proc.childStopWaitMs);
      });
      const ok = await Promise.race([emptied, timedOut]);
      clearTimeout(timer);
      this.childWaiter = undefined;
      if (!ok && this.cell.children.size > 0) {
        this.logger.warn({ children: this.cell.children.size }, 'children did not stop in time; unlinking them');
        for (const child of [...this.cell.children.values()]) child.unlinkFromParent();
      }
    }
  }

  private async runCleanup(actor: Actor<M>, error: ActorError | undefined): Promise<string | undefined> {
    if (actor.cleanup === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = actor.cleanup(this, error);
      if (result === undefined || typeof (result as Promise<void>).then !== 'function') return undefined;
      const timeout = new Promise<string>((resolve) => {
        timer = setTimeout(() => resolve(`timed out after ${this.proc.cleanupTimeoutMs}ms`), this.proc.cleanupTimeoutMs);
      });
      return await Promise.race([(result as Promise<void>).then(() => undefined), timeout]);
    } catch (err) {
      return describeThrown(err);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(actor: Actor<M>): Promise<RunOutcome> {
    const status = this.cell.status;
    status.set(ActorStatus.initializing);
    if (actor.init !== undefined) {
      try {
        const r = actor.init(this);
        if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
      } catch (err) {
        return { ok: false, kind: ActorErrorKind.generic(`initialization error: ${describeThrown(err)}`) };
      }
      if (this.aborted) return { ok: 'detached' };
    }
    const cell = this.cell;
    const work = this.work;
    let sinceYield = 0;
    let drainReason: string | undefined;
    for (;;) {
      status.markIdle();
      if (this.aborted) return { ok: 'detached' };
      if (this.signals.length > 0) {
        const signal = this.signals.shift() as Signal;
        cell.messagesProcessed++;
        if (signal.kind === 'stop') return { ok: true, reason: signal.reason };
        if (signal.kind === 'drain-and-stop') {
          drainReason = signal.reason;
          break;
        }
        if (signal.kind === 'abort') return { ok: false, kind: { kind: 'aborted', reason: signal.reason } };
        continue;
      }
      if (this.supervisionEvents.length > 0) {
        const event = this.supervisionEvents.shift() as ActorSupervisionEvent;
        const failure = await this.handleSupervisionEvent(actor, event);
        cell.messagesProcessed++;
        if (failure !== undefined) return { ok: false, kind: failure };
        continue;
      }
      if (work.size > 0) {
        const limit = YIELD_EVERY - sinceYield;
        const pending = this.processBatch(actor, limit, true);
        sinceYield += this.batchCount;
        if (pending !== undefined) {
          const failure = await pending;
          if (failure !== undefined) return { ok: false, kind: failure };
          sinceYield++;
        }
        if (sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await yieldMacrotask();
        }
        continue;
      }
      sinceYield = 0;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
    // DrainAndStop: handle every queued item, including ones arriving while draining.
    while (work.size > 0) {
      if (this.aborted) return { ok: 'detached' };
      const pending = this.processBatch(actor, YIELD_EVERY, false);
      if (pending !== undefined) {
        const failure = await pending;
        if (failure !== undefined) return { ok: false, kind: failure };
      } else if (work.size > 0) {
        await yieldMacrotask(); // AC-6, also while draining
      }
    }
    return { ok: true, reason: drainReason };
  }

  /** Items handled synchronously by the last `processBatch` call. */
  private batchCount = 0;

  /**
   * Handle queued work items synchronously, one after the other, until the queue is empty,
   * `limit` items were handled, a signal or supervision event is waiting (when `stopForControl`),
   * or a handler returned a promise. Returns undefined when every item it took completed
   * synchronously (AC-2: no promise, no microtask per message); otherwise the promise of the
   * item in flight (or of the failure handling), resolving to the failure kind if any.
   *
   * Timing (ST-3): the clock is read once per batch, not per message. Every item of a batch is
   * `processing` since the batch start, and the batch's elapsed time goes to
   * `totalProcessingTimeUs`; an item that returns a promise adds its time until it settles.
   */
  private processBatch(actor: Actor<M>, limit: number, stopForControl: boolean): Promise<ActorErrorKind | undefined> | undefined {
    const work = this.work;
    const cell = this.cell;
    const status = cell.status;
    const start = performance.now();
    const since = Date.now(); // wall clock, as upstream's `SystemTime`
    let n = 0;
    this.batchCount = 0;
    while (n < limit && work.shift()) {
      if (n > 0) status.markIdle();
      n++;
      let result: void | Promise<void>;
      try {
        result = this.runWorkItem(actor, work.tag, work.message, work.headers as Headers, since);
      } catch (err) {
        this.batchCount = n - 1;
        cell.totalProcessingTimeUs += (performance.now() - start) * 1000;
        return this.handlerFailed(actor, err);
      }
      if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
        this.batchCount = n - 1;
        const suspended = performance.now();
        cell.totalProcessingTimeUs += (suspended - start) * 1000;
        return (result as Promise<void>).then(
          () => {
            cell.messagesProcessed++;
            cell.totalProcessingTimeUs += (performance.now() - suspended) * 1000;
            return undefined;
          },
          (err: unknown) => {
            cell.totalProcessingTimeUs += (performance.now() - suspended) * 1000;
            return this.handlerFailed(actor, err);
          },
        );
      }
      cell.messagesProcessed++;
      if (stopForControl && (this.signals.length > 0 || this.supervisionEvents.length > 0 || this.aborted)) break;
    }
    this.batchCount = n;
    cell.totalProcessingTimeUs += (performance.now() - start) * 1000;
    return undefined;
  }

  private runWorkItem(actor: Actor<M>, tag: number, message: unknown, headers: Headers, since: number): void | Promise<void> {
    this.headers = headers;
    const cell = this.cell;
    if (tag === WORK_MESSAGE) {
      const arm = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
      const info = this.handlerInfo(typeof arm === 'string' ? arm : undefined);
      cell.lastHandler = info;
      cell.status.markProcessing(since, info);
      return actor.handle(this, message as M);
    }
    const info = this.handlerInfo('Undeliverable');
    cell.lastHandler = info;
    cell.status.markProcessing(since, info);
    const undeliverable = message as Undeliverable;
    if (actor.handleUndeliverableMessage !== undefined) return actor.handleUndeliverableMessage(this, undeliverable);
    throw new UndeliverableMessageError(undeliverable.envelope);
  }

  /** The (shared, immutable) `HandlerInfo` of a message arm: no allocation per message. */
  private handlerInfo(arm: string | undefined): HandlerInfo {
    const last = this.lastInfo;
    if (last !== undefined && last.arm === arm) return last;
    let info = this.handlerInfos.get(arm);
    if (info === undefined) {
      info = Object.freeze({ typeName: this.handlerTypeName, arm });
      if (this.handlerInfos.size < MAX_HANDLER_INFOS) this.handlerInfos.set(arm, info);
    }
    this.lastInfo = info;
    return info;
  }

  private lastInfo: HandlerInfo | undefined;
  private readonly handlerInfos = new Map<string | undefined, HandlerInfo>();

  /** @internal Used by `WorkCell.handle` (inverted actors). */
  runWork(actor: Actor<M>, tag: number, message: unknown, headers: Headers): void | Promise<void> {
    const r = this.runWorkItem(actor, tag, message, headers, Date.now());
    this.cell.messagesProcessed++;
    return r;
  }

  /** A handler failed: pending supervision events are handled first (they may fail first). */
  private async handlerFailed(actor: Actor<M>, err: unknown): Promise<ActorErrorKind> {
    while (this.supervisionEvents.length > 0) {
      const event = this.supervisionEvents.shift() as ActorSupervisionEvent;
      const failure = await this.handleSupervisionEvent(actor, event);
      if (failure !== undefined) return failure;
    }
    return ActorErrorKind.generic(describeThrown(err));
  }

  private async handleSupervisionEvent(actor: Actor<M>, event: ActorSupervisionEvent): Promise<ActorErrorKind | undefined> {
    this.headers = DIRECT_HEADERS;
    try {
      const absorbed = actor.handleSupervisionEvent !== undefined ? await actor.handleSupervisionEvent(this, event) : !event.isError();
      return absorbed ? undefined : { kind: 'unhandled-supervision-event', event };
    } catch (err) {
      return { kind: 'error-during-handling-supervision', message: describeThrown(err), event };
    }
  }

  /** A read-only view of the status cell. */
  statusWatch(): StatusWatch {
    return this.cell.status;
  }
}

function safeDisplayName<M>(actor: Actor<M>): string | undefined {
  try {
    return actor.displayName?.();
  } catch {
    return undefined;
  }
}
