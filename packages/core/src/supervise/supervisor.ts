/**
 * supervise/supervisor.ts: `Supervisor`, an actor that starts children from specs and restarts
 * them as OTP's supervisors do (DESIGN decision 14): strategies `one-for-one`, `one-for-all`,
 * `rest-for-one`; restart types `permanent`, `transient`, `temporary`; a restart intensity (at
 * most `intensity` restarts in `periodMs`, one more and the supervisor fails, so its own parent
 * decides, through the ordinary supervision events); an optional exponential backoff on the
 * proc's clock. Written here because it is the runtime's own tree (no library supervises
 * procmesh actors).
 *
 * ```
 * child ends -> event at the supervisor -> temporary, or transient with a clean stop: not restarted
 *            -> else count a restart (SU-4: over the intensity: fail) -> stop the rest of the
 *               group (strategy), wait for their events -> after the backoff (if any) start the
 *               group again, in spec order, under the same ids (SU-1, SU-2)
 * ```
 *
 * ## Invariants
 *
 * - SU-1: a child's id is `{proc},{name}[1]` in every incarnation, its name reserved in the proc
 *   for this supervisor (a second owner gets `duplicate-name`): `Supervisor.childRef(sup, spec)`
 *   is known from the supervisor's id alone, anywhere, and refs to a child keep working across
 *   its restarts (and its supervisor's).
 * - SU-2: an incarnation starts only after the previous one's supervision event was handled
 *   (it terminated, its cell left the tree); the proc's routes for the id then go to the new
 *   mailbox, in the same synchronous step that spawns it.
 * - SU-3: no envelope is lost across a restart: until the next incarnation is spawned, the id is
 *   routed to the terminated incarnation's closed mailbox, which returns every envelope to its
 *   sender as `Undeliverable` (`mailbox owner ... is stopped` / `failed`, MB-2); from the spawn
 *   on, envelopes reach the new incarnation. Messages queued in a failed incarnation, or in a
 *   sibling stopped for a group restart, and not yet handled are handed to the next incarnation
 *   ahead of anything else, or returned to their senders when the child is not restarted (RT-3,
 *   actor/retire.ts).
 *   Handle sends to an old incarnation's `ActorHandle` throw `owner-terminated` (PT-1).
 * - SU-4: one restart is counted per child that ended on its own and is restarted (a group
 *   restart counts once); the restart that makes more than `intensity` within `periodMs` is not
 *   made: the supervisor fails with `SupervisorError('restart-intensity-exceeded')` while
 *   handling the child's event (so the event's `caused` is the child's), its children stop
 *   (AC-4), and its parent decides.
 * - SU-5: children start in spec order and, for a group restart, stop in reverse spec order.
 */
import { ActorId } from '../id.js';
import { ActorRef, type OncePortRef } from '../ref.js';
import type { Timer } from '../clock.js';
import { RestartIntensity } from './restart-intensity.js';
import type { Actor, ActorHandle, Context, Instance } from '../actor/instance.js';
import { Signal } from '../actor/signal.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import { ActorStatus } from '../status.js';
import { returnLeftover, type LeftoverItem } from '../actor/retire.js';
import { MESSAGE_TAG } from '../actor/work-queue.js';
import {
  SupervisorError,
  backoffDelay,
  validateOptions,
  type AnyChildSpec,
  type ChildSpec,
  type RestartType,
  type SupervisorOptions,
} from './spec.js';

/** What a supervisor answers to `which-children` (OTP `which_children`). */
export interface ChildInfo {
  readonly name: string;
  readonly actorId: ActorId;
  readonly restart: RestartType;
  /** `running`, `restarting` (ended, to be started again), `stopped` (not restarted). */
  readonly state: 'running' | 'restarting' | 'stopped';
  /** How many times this child was started again. */
  readonly restarts: number;
}

/** The messages a supervisor handles (by ref from anywhere). */
export type SupervisorMsg = { readonly type: 'which-children'; readonly reply: OncePortRef<ChildInfo[]> };

interface Entry {
  readonly spec: AnyChildSpec;
  readonly restart: RestartType;
  readonly id: ActorId;
  handle: ActorHandle<never> | undefined;
  state: 'running' | 'stopping' | 'restarting' | 'stopped';
  restarts: number;
  /** consecutive restarts, for the backoff */
  attempt: number;
  /** RT-3: the queued messages of the failed incarnation, for the next one */
  leftover: LeftoverItem[] | undefined;
  startedAt: number;
}

/** A self message of a supervisor: its backoff ran out (only ever a handle send: never from the wire). */
class RestartDue {}

export class Supervisor implements Actor<SupervisorMsg> {
  private readonly entries: Entry[] = [];
  private intensity: RestartIntensity | undefined;
  private cx: Instance<SupervisorMsg> | undefined;
  /** The children waiting to start again (SU-2), and the timer of the backoff. */
  private plan: { readonly members: Set<Entry>; delayMs: number; token: RestartDue | undefined; timer: Timer | undefined } | undefined;

  constructor(private readonly options: SupervisorOptions) {
    validateOptions(options);
  }

  /** SU-1: the ref of the child `spec` of the supervisor `supervisor`, in every incarnation of both. */
  static childRef<M>(supervisor: ActorRef<SupervisorMsg> | ActorHandle<SupervisorMsg> | ActorId, spec: ChildSpec<M> | string): ActorRef<M> {
    const id = supervisor instanceof ActorId ? supervisor : supervisor.actorId;
    return ActorRef.attest<M>(new ActorId(id.proc, typeof spec === 'string' ? spec : spec.name, 1));
  }

  init(cx: Instance<SupervisorMsg>): void {
    this.cx = cx;
    for (const spec of this.options.children) {
      const id = cx.proc.reserveSupervisedName(spec.name, cx.selfId);
      this.entries.push({ spec, restart: spec.restart ?? 'permanent', id, handle: undefined, state: 'stopped', restarts: 0, attempt: 0, startedAt: 0, leftover: undefined });
    }
    for (const entry of this.entries) this.start(entry); // SU-5
  }

  handle(cx: Context<SupervisorMsg>, msg: SupervisorMsg): void {
    if ((msg as unknown) instanceof RestartDue) {
      const plan = this.plan;
      if (plan !== undefined && plan.token === (msg as unknown)) {
        plan.token = undefined;
        this.restartIfReady();
      }
      return;
    }
    if (msg.type === 'which-children') msg.reply.send(cx, this.whichChildren());
  }

  /** The children, in spec order (OTP `which_children`). */
  whichChildren(): ChildInfo[] {
    return this.entries.map((e) => ({
      name: e.spec.name,
      actorId: e.id,
      restart: e.restart,
      state: e.state === 'running' || e.state === 'stopping' ? 'running' : e.state,
      restarts: e.restarts,
    }));
  }

  handleSupervisionEvent(_cx: Instance<SupervisorMsg>, event: ActorSupervisionEvent): boolean {
    // the child whose incarnation ended: its cell holds the event it emitted (FI-1; a
    // propagated failure carries a grandchild's id, so match the event, not the id)
    const entry = this.entries.find((e) => e.handle !== undefined && e.handle.instance.cell.supervisionEvent === event);
    if (entry === undefined) return !event.isError();
    const leftover = entry.handle?.instance.cell.leftover;
    if (leftover !== undefined) entry.leftover = [...(entry.leftover ?? []), ...leftover];
    entry.handle = undefined;
    if (entry.state === 'stopping') {
      // stopped by a group restart (SU-5): a temporary child is not started again
      entry.state = entry.restart === 'temporary' ? 'stopped' : 'restarting';
      if (entry.state === 'stopped') {
        this.plan?.members.delete(entry);
        this.returnLeftover(entry, event); // RT-3
      }
      this.restartIfReady();
      return true;
    }
    if (entry.restart === 'temporary' || (entry.restart === 'transient' && !event.isError())) {
      entry.state = 'stopped';
      this.returnLeftover(entry, event);
      return true;
    }
    try {
      this.countRestart(entry); // SU-4: throws past the intensity
    } catch (err) {
      this.returnLeftover(entry, event);
      throw err;
    }
    const cx = this.instance();
    const now = cx.clock.now();
    if (now - entry.startedAt >= (this.options.backoff?.resetAfterMs ?? this.options.backoff?.maxMs ?? 0)) entry.attempt = 0;
    const delayMs = this.options.backoff === undefined ? 0 : backoffDelay(this.options.backoff, entry.attempt, this.options.random ?? Math.random);
    entry.attempt++;
    entry.state = 'restarting';
    const plan = (this.plan ??= { members: new Set(), delayMs: 0, token: undefined, timer: undefined });
    plan.members.add(entry);
    plan.delayMs = Math.max(plan.delayMs, delayMs);
    const index = this.entries.indexOf(entry);
    const strategy = this.options.strategy ?? 'one-for-one';
    const group = strategy === 'one-for-one' ? [] : this.entries.filter((e, i) => e !== entry && (strategy === 'one-for-all' || i > index));
    for (const other of [...group].reverse()) {
      if (other.state !== 'running' || other.handle === undefined) continue;
      plan.members.add(other);
      other.state = 'stopping';
      other.handle.instance.cell.keepsLeftover = 'always'; // RT-3: its queue goes to its next incarnation
      try {
        other.handle.instance.signal(Signal.stop(`restarting: ${entry.spec.name} ended`));
      } catch {
        // already finishing: its event is on the way
      }
    }
    if (plan.delayMs > 0 && plan.token === undefined && plan.timer === undefined) {
      const token = new RestartDue();
      plan.token = token;
      cx.selfMessageWithDelay(token as unknown as SupervisorMsg, plan.delayMs);
      plan.timer = undefined;
    }
    this.restartIfReady();
    return true;
  }

  cleanup(): void {
    if (this.plan !== undefined) this.plan.token = undefined;
    this.plan = undefined;
    for (const entry of this.entries) this.returnLeftover(entry, undefined);
  }

  /** RT-3: the child is not started again: its kept messages go back to their senders (RT-1). */
  private returnLeftover(entry: Entry, event: ActorSupervisionEvent | undefined): void {
    const items = entry.leftover;
    entry.leftover = undefined;
    if (items === undefined || this.cx === undefined) return;
    returnLeftover(this.cx, entry.id, items, event?.actorStatus ?? ActorStatus.stopped('its supervisor stopped'));
  }

  /** SU-4 (the counting is RI-1 of restart-intensity.ts, shared with ProcHost's proc restarts) */
  private countRestart(entry: Entry): void {
    const cx = this.instance();
    this.intensity ??= new RestartIntensity({ maxRestarts: this.options.intensity ?? 3, withinMs: this.options.periodMs ?? 5000 }, cx.clock);
    if (this.intensity.tryRestart()) return;
    this.plan = undefined;
    throw new SupervisorError(
      'restart-intensity-exceeded',
      `supervisor ${cx.selfId}: restart intensity exceeded (more than ${this.intensity.maxRestarts} restarts in ${this.intensity.withinMs} ms), child '${entry.spec.name}' ended`,
    );
  }

  /** SU-2: start the plan's children once every one of them ended and the backoff ran out. */
  private restartIfReady(): void {
    const plan = this.plan;
    if (plan === undefined || plan.token !== undefined) return;
    for (const m of plan.members) if (m.state === 'stopping') return;
    this.plan = undefined;
    for (const entry of this.entries) {
      if (!plan.members.has(entry) || entry.state !== 'restarting') continue;
      entry.restarts++;
      this.start(entry);
    }
  }

  private start(entry: Entry): void {
    const cx = this.instance();
    const handle = cx.proc.spawnSupervised(cx.cell, entry.id, entry.spec.start() as Actor<never>);
    handle.bind();
    handle.instance.cell.keepsLeftover = true; // RT-3
    const leftover = entry.leftover;
    entry.leftover = undefined;
    // RT-3: the failed incarnation's queue first (its loop starts in a later microtask)
    for (const item of leftover ?? []) handle.instance.work.push(MESSAGE_TAG, item.message, item.headers, item.sender);
    entry.handle = handle;
    entry.state = 'running';
    entry.startedAt = cx.clock.now();
  }

  private instance(): Instance<SupervisorMsg> {
    if (this.cx === undefined) throw new SupervisorError('invalid-child-spec', 'the supervisor has not started');
    return this.cx;
  }
}
