/**
 * proc.ts: `Proc`, one actor runtime (spec §1.1, §2); its weak reference is weak-proc.ts.
 *
 * A proc spawns actors, routes envelopes to them (`post`: local destinations go to its muxer,
 * others to its forwarder), keeps the supervision tree, and hands root-level supervision events
 * to its coordinator. In procmesh a proc runs in one thread (a worker, or the main thread).
 *
 * ## Lifecycle
 *
 * `configured`/`local` -> spawn/instance/attach ... -> `destroyAndWait` (roots drained, then
 * the coordinator last, then the forwarder flushed). Root names are never released (PD-1).
 *
 * ## Invariants
 *
 * - PD-1: a root name is reserved forever: spawning, `instance` or `attach` with a used name
 *   throws `ProcError('duplicate-name')`, even after the first actor stopped.
 * - PD-2: child pids come from the root's counter (keyed by the parent's name), starting at 1.
 *   A named child `{name}[pid]` draws from its own name's counter (made unreserved if new), so no
 *   two actors of a proc share an id (upstream uses the parent's counter: see docs/guide.md).
 * - PD-6: a second mailbox bound to a routed id throws `ProcError('duplicate-name')`.
 * - PD-3: `destroyAndWait` stops every root but the coordinator, waits up to the timeout each,
 *   aborts the stragglers, then stops the coordinator, so it receives every other root's event.
 * - PD-4: an error event reaching a proc with no coordinator (or a dead one) crashes: the
 *   process (main thread) or the worker (a worker thread) exits with code 1 (DESIGN decision 6).
 * - PD-5: `post` routes by full equality of the destination's `ProcId`.
 * - CI-1: an introspectable client answers `Query` with status "client", actor type "()".
 * - CI-2: a dropped introspectable client leaves a terminated snapshot with status "stopped".
 */
import type { Logger } from 'pino';
import { ChannelAddr } from './addr.js';
import type { DirectProcOptions, ProcOptions } from './proc-options.js';
import { serve } from './channel/serve.js';
import { withConfig, type Config } from './config.js';
import { ProcError } from './errors.js';
import { ACTOR_PORT, ActorId, ProcId } from './id.js';
import { procLogger } from './log.js';
import { DeliveryError } from './mailbox/errors.js';
import { Undeliverable, type MessageEnvelope } from './mailbox/envelope.js';
import { Mailbox } from './mailbox/mailbox.js';
import { flowLimits, type FlowLimits } from './mailbox/flow.js';
import type { PortHandle, PortReceiver, SendContext } from './mailbox/ports.js';
import { BaseMailboxSender, abandon, type MailboxSender, type ReturnHandle } from './mailbox/sender.js';
import { MailboxMuxer } from './mailbox/senders/muxer.js';
import { MailboxDialer } from './mailbox/senders/dial.js';
import { envelopeTupleCodec } from './wire/envelope.js';
import { WeakProc } from './weak-proc.js';
import { DialMailboxRouter } from './mailbox/senders/router.js';
import { MailboxServer } from './mailbox/senders/server.js';
import { PanickingMailboxSender } from './mailbox/senders/simple.js';
import { ActorRef } from './ref.js';
import { realClock, type Clock } from './clock.js';
import { InstanceCell } from './actor/cell.js';
import { Instance, type Actor, type ActorHandle, type ProcServices, type WorkCell } from './actor/instance.js';
import { spawnRecorderSize, type ActorSpawnOptions } from './actor/spawn-options.js';
import { countUndeliverable, registerQueueDepthSource } from './telemetry/metrics.js';
import { refreshTelemetry, telemetry } from './telemetry/switch.js';
import { startActor } from './actor/run.js';
import { destroyAndWaitExceptCurrent } from './proc-teardown.js';
import { Signal } from './actor/signal.js';
import { TerminatedSnapshots } from './terminated-snapshots.js';
import type { StatusWatch } from './status.js';
import type { ActorSupervisionEvent } from './supervision.js';
import type { IntrospectResult } from './introspect.js';
import { ActorTable } from './actor-table.js';
import { bindSystemPort as bindSystemPortOf, INTROSPECT_ONLY, SIGNAL_AND_INTROSPECT } from './system-ports.js';

export type { ProcOptions, DirectProcOptions } from './proc-options.js';

/** An inverted actor (upstream `ActorInstance`): the caller drives it. */
export interface ActorInstance<M> {
  readonly instance: Instance<M>;
  readonly handle: ActorHandle<M>;
  readonly supervision: PortReceiver<ActorSupervisionEvent>;
  readonly signal: PortReceiver<Signal>;
  readonly work: PortReceiver<WorkCell<M>>;
}

let localProcCounter = 0;


export class Proc extends BaseMailboxSender implements ProcServices {
  readonly logger: Logger;
  readonly config: Config;
  readonly clock: Clock;
  /** @internal `config.flightRecorder` (ProcServices) */
  get flightRecorderSize(): number {
    return this.config.flightRecorder;
  }
  /** @internal flow control's watermarks (mailbox/flow.ts), undefined when off (ProcServices) */
  readonly flowLimits: FlowLimits | undefined;
  /** MX-1, MX-2 (mailbox/senders/muxer.ts) */
  private readonly muxer: MailboxMuxer;
  /** PD-1, PD-2: reserved names, pid counters, the live instances' cells (actor-table.ts) */
  private readonly actors: ActorTable;
  /** S11, SN-1, SN-2 (terminated-snapshots.ts) */
  private readonly terminated = new TerminatedSnapshots(() => this.config.terminatedSnapshotRetention);
  private coordinatorPort: PortHandle<ActorSupervisionEvent> | undefined;
  private coordinatorId: ActorId | undefined;
  private readonly weak: WeakProc<Proc>;
  private readonly onCrash: ((message: string) => void) | undefined;
  /** Set by `direct`: the server of the proc's address and the dialer of its forwarder. */
  private serving: { readonly server: MailboxServer; readonly dialer: MailboxDialer } | undefined;

  /** The last destination proc found not to be this one (`postUnchecked`). */
  private lastRemoteProc: ProcId | undefined;

  private constructor(
    readonly procId: ProcId,
    public forwarder: MailboxSender,
    options: ProcOptions = {},
  ) {
    super();
    this.config = withConfig(options.config ?? {});
    this.flowLimits = flowLimits(this.config);
    this.logger = options.logger ?? procLogger(String(procId));
    this.onCrash = options.onCrash;
    this.clock = options.clock ?? realClock;
    this.weak = new WeakProc(this);
    this.actors = new ActorTable(procId);
    this.muxer = new MailboxMuxer(this.config.closedMailboxRetention, (id) => this.actors.allocated(id));
    refreshTelemetry(); // TS-2: an SDK registered before the proc is built is found here
    registerQueueDepthSource(this); // TM-3
    this.logger.debug({ procStatus: 'Created' }, 'proc created');
  }

  // ---- construction -----------------------------------------------------------------------

  /** An empty proc with the given id and forwarder. Never fails. */
  static configured(procId: ProcId, forwarder: MailboxSender, options?: ProcOptions): Proc {
    return new Proc(procId, forwarder, options);
  }

  /** A standalone proc `local:0,local_N-xxxxxxxx`; sends to other procs throw (`PanicError`). */
  static local(options?: ProcOptions): Proc {
    const procId = ProcId.unique(ChannelAddr.local(0), `local_${localProcCounter++}`);
    return new Proc(procId, new PanickingMailboxSender(), options);
  }

  /**
   * A proc that serves on `addr` and dials the others (upstream `Proc::direct`, spec §2):
   * `serve(addr)` (`tcp:<ip>:0` picks a port, `local:0` a local port; `local:N` with N != 0
   * rejects with "invalid local addr: N"), id `ProcId.withName(boundAddr, name)`, forwarder a
   * `DialMailboxRouter` dialing each destination proc by the address in its id (default route
   * unroutable), a `MailboxServer` posting every arriving envelope into the proc; the proc's
   * clock drives its channels' timers too. Asynchronous because Node binds asynchronously.
   * A `nats:` address names a subject prefix: the proc serves `<subject>.<name>`
   * (`nats://127.0.0.1:4222/app` and `'p1'` give `nats://127.0.0.1:4222/app.p1,p1`), connected as
   * `options.nats` says.
   * `stopServing()` closes the listener and the dialed channels, so the process can exit.
   *
   * @example
   * ```ts
   * const proc = await Proc.direct('tcp:127.0.0.1:0', 'server');
   * const echo = proc.spawn('echo', new Echo());
   * console.log(String(echo.bind()));  // tcp:127.0.0.1:40213,server,echo[0]: send to it from anywhere
   * await proc.stopServing();
   * ```
   */
  static async direct(addr: ChannelAddr | string, name: string, options: DirectProcOptions = {}): Promise<Proc> {
    const clock = options.clock !== undefined ? { clock: options.clock } : {};
    const target = typeof addr === 'string' ? ChannelAddr.parse(addr) : addr;
    const nats = options.nats !== undefined ? { nats: options.nats } : {};
    const at = target.transport === 'nats' ? target.withSubject(`${target.subject}.${name}`) : target;
    const [bound, rx] = await serve<MessageEnvelope>(at, { ...clock, ...nats, ...options.serve, codec: envelopeTupleCodec });
    const dialer = new MailboxDialer({ ...clock, ...nats, ...options.dial, flow: flowLimits(withConfig(options.config ?? {})) }); // DM-4
    const proc = new Proc(ProcId.withName(bound, name), new DialMailboxRouter(dialer.dial), options);
    proc.serving = { server: MailboxServer.serve(proc, rx), dialer };
    return proc;
  }

  /**
   * Stop serving (a `direct` proc; a no-op for others): close the listener (peers' channels to
   * this proc see `Closed`, envelopes they still send come back to their senders) and every
   * channel this proc dialed (its pending envelopes come back as `BrokenLink`). Actors keep
   * running; `flush()` first to wait for envelopes in flight.
   */
  async stopServing(reason = 'proc stopped serving'): Promise<void> {
    const serving = this.serving;
    if (serving === undefined) return;
    this.serving = undefined;
    await serving.server.stop(reason);
    serving.dialer.close(reason);
  }

  get cleanupTimeoutMs(): number {
    return this.config.cleanupTimeoutMs;
  }

  get messageTtl(): number {
    return this.config.messageTtlDefault;
  }

  get reorderBuffer(): boolean {
    return this.config.enableDestActorReorderingBuffer;
  }

  get childStopWaitMs(): number {
    return this.config.childStopWaitMs;
  }

  // ---- supervision coordinator ------------------------------------------------------------

  /** Set once; a second call throws `ProcError('coordinator-already-set')`. */
  setSupervisionCoordinator(port: PortHandle<ActorSupervisionEvent>): void {
    if (this.coordinatorPort !== undefined) {
      throw new ProcError('coordinator-already-set', `coordinator port is already set to ${this.coordinatorPort.location()}`);
    }
    this.coordinatorPort = port;
    this.coordinatorId = port.mailbox.actorId;
  }

  supervisionCoordinatorActorId(): ActorId | undefined {
    return this.coordinatorId;
  }

  /** Roots' and orphans' events: to the coordinator; an undeliverable error event crashes (PD-4). */
  handleUnhandledSupervisionEvent(cx: SendContext, event: ActorSupervisionEvent): void {
    const port = this.coordinatorPort;
    if (port === undefined) {
      if (!event.isError()) return;
      this.crash(`proc ${this.procId}: could not propagate supervision event ${event} due to error: coordinator port is not set for proc ${this.procId}: crashing`);
      return;
    }
    try {
      port.send(cx, event);
    } catch (err) {
      if (!event.isError()) {
        this.logger.debug({ err }, 'supervision event dropped: coordinator is gone');
        return;
      }
      this.crash(`proc ${this.procId}: could not propagate supervision event ${event} due to error: ${(err as Error).message}: crashing`);
    }
  }

  /** @internal PD-4 */
  crash(message: string): void {
    this.logger.fatal(message);
    if (this.onCrash !== undefined) this.onCrash(message);
    else process.exit(1);
  }

  // ---- bare mailboxes ---------------------------------------------------------------------

  /** Reserve `name` and return a bare mailbox (no instance, no supervision). */
  attach(name: string): Mailbox {
    const id = this.actors.reserveRoot(name);
    return this.createMailbox(id);
  }

  /** A bare mailbox with a child id of `parentId` (no linkage to the parent). */
  attachChild(parentId: ActorId): Mailbox {
    return this.createMailbox(this.actors.childId(parentId));
  }

  /** A client instance whose `ActorRef<M>` sends arrive on the returned receiver. */
  attachActor<M>(name: string): [Instance<never>, ActorRef<M>, PortReceiver<M>] {
    const [instance] = this.instance(name);
    const [, receiver] = instance.mailbox.openPort<M>('message');
    const handle = instance.mailbox.openEnqueuePort<M>(ACTOR_PORT.HANDLER, (m) => receiver.push(m), 'message');
    handle.bindActorPort();
    return [instance, ActorRef.attest<M>(instance.selfId), receiver];
  }

  // ---- spawning -----------------------------------------------------------------------------

  /**
   * Spawn a root actor `{proc},{name}[0]`; `init` runs asynchronously; messages queue.
   * `options.flightRecorder`: this actor's flight recorder size, over `config.flightRecorder`.
   */
  spawn<M>(name: string, actor: Actor<M>, options?: ActorSpawnOptions): ActorHandle<M> {
    const recorder = spawnRecorderSize(options);
    const id = this.actors.reserveRoot(name);
    return this.startActor(id, actor, undefined, false, recorder);
  }

  /** A root client instance (status `client`): sends messages and opens ports from outside. */
  instance(name: string): [Instance<never>, ActorHandle<never>] {
    const id = this.actors.reserveRoot(name);
    return this.createClient(id, undefined, false);
  }

  /** A client instance that answers introspection (CI-1, CI-2). */
  introspectableInstance(name: string): [Instance<never>, ActorHandle<never>] {
    const id = this.actors.reserveRoot(name);
    return this.createClient(id, undefined, true);
  }

  /** An inverted actor: the caller pulls `work` and runs each item with `item.handle(actor)`. */
  actorInstance<M>(name: string): ActorInstance<M> {
    const id = this.actors.reserveRoot(name);
    const mailbox = this.createMailbox(id);
    const instance = new Instance<M>(this, mailbox, 'inverted', 'inverted', undefined);
    this.registerCell(instance.cell);
    this.bindSystemPorts(instance, true);
    instance.markClient();
    const { work, signal, supervision } = instance.invertedReceivers();
    return { instance, handle: instance.handle(), supervision, signal, work };
  }

  /** @internal `Instance.spawn` / `spawnWithName`. */
  spawnChild<A>(parent: InstanceCell, actor: Actor<A>, name: string | undefined, options?: ActorSpawnOptions): ActorHandle<A> {
    const recorder = spawnRecorderSize(options);
    const id = name === undefined ? this.actors.childId(parent.actorId) : this.actors.namedChildId(name);
    return this.startActor(id, actor, parent, false, recorder);
  }

  /** @internal SU-1 (supervise/supervisor.ts): `{name}[1]`, the name reserved (PD-1) for `owner`, who gets it again. */
  reserveSupervisedName(name: string, owner: ActorId): ActorId {
    return this.actors.reserveSupervisedName(name, owner);
  }

  /** @internal SU-2: an incarnation of a supervised child under its `id`; the id's routes go to its new mailbox. */
  spawnSupervised<A>(parent: InstanceCell, id: ActorId, actor: Actor<A>): ActorHandle<A> {
    return this.startActor(id, actor, parent, true);
  }

  /** @internal `Instance.child()`. */
  childInstance(parent: InstanceCell): [Instance<never>, ActorHandle<never>] {
    return this.createClient(this.actors.childId(parent.actorId), parent, false);
  }

  private startActor<M>(id: ActorId, actor: Actor<M>, parent: InstanceCell | undefined, rebind = false, recorderSize?: number): ActorHandle<M> {
    const mailbox = this.createMailbox(id, rebind);
    const typeName = actor.constructor?.name ?? 'Actor';
    const instance = new Instance<M>(this, mailbox, 'actor', typeName, parent, recorderSize);
    this.registerCell(instance.cell);
    this.bindSystemPorts(instance, true);
    startActor(instance, actor);
    return instance.handle();
  }

  private createClient(id: ActorId, parent: InstanceCell | undefined, introspectable: boolean): [Instance<never>, ActorHandle<never>] {
    const mailbox = this.createMailbox(id);
    const instance = new Instance<never>(this, mailbox, 'client', '()', parent);
    this.registerCell(instance.cell);
    if (introspectable) this.bindSystemPorts(instance, false);
    instance.markClient();
    return [instance, instance.handle()];
  }

  /** MB-6: the signal port (actors) and introspect port (actors, introspectable clients) bind on their first envelope (system-ports.ts). */
  private bindSystemPorts<M>(instance: Instance<M>, withSignal: boolean): void {
    instance.cell.introspectable = true;
    instance.mailbox.bindLazily(withSignal ? SIGNAL_AND_INTROSPECT : INTROSPECT_ONLY, instance);
  }

  /** @internal MB-6 (ProcServices): an instance's system port got its first envelope. */
  bindSystemPort<M>(instance: Instance<M>, index: number): void {
    bindSystemPortOf(instance, index, this.logger);
  }

  private createMailbox(id: ActorId, rebind = false): Mailbox {
    const mailbox = new Mailbox(id, this.weak, this.clock);
    if (rebind) this.muxer.rebind(id, mailbox);
    else if (!this.muxer.bind(id, mailbox)) throw new ProcError('duplicate-name', `an actor with id ${id} already exists in proc ${this.procId}`); // PD-6
    return mailbox;
  }

  private registerCell(cell: InstanceCell): void {
    this.actors.register(cell);
  }

  /** @internal The cell left the tree. */
  releaseCell(cell: InstanceCell): void {
    this.actors.release(cell);
  }

  /** @internal MX-1: `mailbox` was closed (actor/stop.ts) */
  mailboxClosed(mailbox: Mailbox): void {
    this.muxer.retire(mailbox);
  }

  /** @internal S11, SN-1 */
  storeTerminatedSnapshot(cell: InstanceCell): void {
    if (cell.introspectable) this.terminated.store(cell);
  }

  // ---- queries ------------------------------------------------------------------------------

  /** Pre-order walk of every root's subtree (depth 0 for roots, children by ascending pid). */
  traverse(visit: (cell: InstanceCell, depth: number) => void): void {
    for (const cell of [...this.actors.values()]) {
      if (cell.actorId.pid === 0) cell.traverse(visit);
    }
  }

  /** @internal TM-3: work items queued in this proc's actors now (the queue-depth gauge). */
  queuedWork(): number {
    let n = 0;
    for (const cell of this.actors.values()) {
      const inst = cell.instance;
      if (inst instanceof Instance) n += inst.work.size;
    }
    return n;
  }

  getInstance(actorId: ActorId): InstanceCell | undefined {
    return this.actors.get(actorId);
  }

  /** Ids with pid 0 (clients included). */
  rootActorIds(): ActorId[] {
    return [...this.actors.values()].filter((c) => c.actorId.pid === 0).map((c) => c.actorId);
  }

  /** Ids whose instance is alive and not terminal (clients included). */
  allActorIds(): ActorId[] {
    return [...this.actors.values()].filter((c) => !c.status.isTerminal).map((c) => c.actorId);
  }

  /** Every key, no checks. */
  allInstanceKeys(): ActorId[] {
    return [...this.actors.values()].map((c) => c.actorId);
  }

  terminatedSnapshot(actorId: ActorId): IntrospectResult | undefined {
    return this.terminated.get(actorId.key);
  }

  allTerminatedActorIds(): ActorId[] {
    return this.terminated.ids();
  }

  // ---- stopping -----------------------------------------------------------------------------

  /**
   * Detach an actor (DESIGN decision 5): no more deliveries, no cleanup, no supervision event,
   * children orphaned, status `stopped("instance is dropped")`. Undefined if unknown.
   */
  abortRootActor(actorId: ActorId, except?: SendContext): Promise<ActorId> | undefined {
    const cell = this.actors.get(actorId);
    if (cell === undefined) return undefined;
    return Promise.resolve().then(() => {
      if (except === undefined || !except.selfId.equals(actorId)) cell.instance.detach();
      return actorId;
    });
  }

  /** Send `DrainAndStop(reason)`; returns the status watch, or undefined (logged) if impossible. */
  stopActor(actorId: ActorId, reason: string): StatusWatch | undefined {
    const cell = this.actors.get(actorId);
    if (cell === undefined) {
      // expected: a second stop of a stopped actor (its cell is released once it stopped)
      this.logger.debug(`no actor ${actorId} found in ${this.procId}`);
      return undefined;
    }
    try {
      cell.instance.signal(Signal.drainAndStop(reason));
    } catch (err) {
      this.logger.debug({ err }, `cannot stop ${actorId}`);
      return undefined;
    }
    return cell.status;
  }

  /** `destroyAndWaitExceptCurrent(timeoutMs, cx, false, reason)`. */
  destroyAndWait(timeoutMs: number, cx?: SendContext, reason = 'proc destroyed'): Promise<{ stopped: ActorId[]; aborted: ActorId[] }> {
    return this.destroyAndWaitExceptCurrent(timeoutMs, cx, false, reason);
  }

  /** PD-3 (proc-teardown.ts) */
  destroyAndWaitExceptCurrent(
    timeoutMs: number,
    cx: SendContext | undefined,
    exceptCurrent: boolean,
    reason = 'proc destroyed',
  ): Promise<{ stopped: ActorId[]; aborted: ActorId[] }> {
    return destroyAndWaitExceptCurrent(this, timeoutMs, cx, exceptCurrent, reason);
  }

  /** @internal detach an instance (the caller of `destroyAndWait`; proc-teardown.ts) */
  detachInstance(actorId: ActorId): void {
    this.actors.get(actorId)?.instance.detach();
  }

  // ---- refs ---------------------------------------------------------------------------------

  /**
   * The local handle of a running actor, or undefined (never spawned here, gone, terminal, or
   * not an instance of `type` when given).
   */
  resolveActorRef<M>(ref: ActorRef<M>, type?: abstract new (...args: never[]) => Actor<M>): ActorHandle<M> | undefined {
    const cell = this.actors.get(ref.actorId);
    if (cell === undefined || cell.status.isTerminal) return undefined;
    if (type !== undefined && !(cell.instance.actor instanceof type)) return undefined;
    return cell.instance.handle() as ActorHandle<M>;
  }

  downgrade(): WeakProc<Proc> {
    return this.weak;
  }

  // ---- MailboxSender ------------------------------------------------------------------------

  /** PD-5 */
  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const destProc = envelope.dest.actor.proc;
    if (destProc === this.procId) this.muxer.post(envelope, returnHandle);
    else if (destProc === this.lastRemoteProc) this.forwarder.post(envelope, returnHandle);
    else if (destProc.key === this.procId.key) this.muxer.post(envelope, returnHandle);
    else {
      // a stream to one remote proc skips the string comparison
      this.lastRemoteProc = destProc;
      this.forwarder.post(envelope, returnHandle);
    }
  }

  /** @internal MB-8 (mailbox/mailbox.ts): the mailbox of an actor of this proc, as `postUnchecked` routes it (PD-5). */
  resolveLocal(actor: ActorId): Mailbox | undefined { return actor.proc === this.procId || actor.proc.key === this.procId.key ? this.muxer.get(actor) : undefined; }

  override async flush(): Promise<void> {
    await Promise.all([this.muxer.flush(), this.forwarder.flush()]);
  }

  /** Where returns to senders with no bound Undeliverable port go: logged as abandoned. */
  private monitoredReturnHandle: ReturnHandle | undefined;

  /**
   * @internal where returns of unbound senders go (upstream: the runtime's
   * `monitored_return_client`): a port of a mailbox outside the muxer, that logs and abandons.
   */
  globalReturnHandle(): ReturnHandle {
    if (this.monitoredReturnHandle === undefined) {
      const monitor = new Mailbox(new ActorId(this.procId, 'monitored_return_client', 0), this.weak, this.clock);
      this.monitoredReturnHandle = monitor.openEnqueuePort<Undeliverable>(
        monitor.allocatePort(),
        (u) => {
          if (telemetry.metrics) countUndeliverable(this.procId); // TM-1
          u.envelope.addError(DeliveryError.brokenLink('message returned to undeliverable port'));
          abandon(u.envelope);
        },
        'Undeliverable',
      );
    }
    return this.monitoredReturnHandle;
  }

  override toString(): string {
    return `Proc(${this.procId})`;
  }
}
