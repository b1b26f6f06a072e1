/**
 * actor/cell.ts: `InstanceCell`, the type-erased node of an instance in its proc's supervision
 * tree (spec §1.6, §4.1): parent and children, status, counters, the supervision event it
 * emitted (FI-1), and what introspection reads (`IntrospectCell`). `proc.getInstance(id)`
 * returns one.
 *
 * The cell knows its instance only as a `CellInstance` (what the tree asks of it), so it sits
 * below actor/instance.ts.
 *
 * ## Invariants
 *
 * - CE-1: `traverse` is a pre-order walk, children in ascending pid order.
 * - CE-2: `unlinkFromParent` removes the cell from its parent's children and tells the parent
 *   (`childUnlinked`: a parent waiting for its children to stop wakes when none is left, AC-4).
 * - ST-4: the handler-time stats are written once per batch of work (actor/run.ts
 *   `processBatch`): `lastHandlerTimeUs` is the batch's mean time per item (exact for a batch
 *   of one, for an async handler and with the flight recorder on), `maxHandlerTimeUs` the
 *   largest `lastHandlerTimeUs` so far, `lastHandledAt` the wall-clock start of that batch
 *   (0: nothing handled yet).
 * - CE-3 (memory): a cell without children holds no map of them (an idle leaf actor costs none).
 * - ST-5: `childFailures` counts the failed children's supervision events delivered to this
 *   actor (absorbed or not), and `lastChildFailure` is the latest one: with its root cause
 *   (`actuallyFailingActor`), it tells why a child failed after the child is gone.
 * - CE-4 (memory): a cell holds its handler-time stats (ST-4) only once it handled a batch, and
 *   the fields few actors set (ST-5's, published attributes, a child query handler, RT-3's
 *   leftover) only once one is set; reading one before reads its initial value (0, undefined,
 *   false). Its flags are bits of one number and `createdAt` a small integer offset, so an idle
 *   cell has no boxed double (issue 16: ~170 bytes an idle actor).
 */
import type { Clock } from '../clock.js';
import type { ActorId } from '../id.js';
import type { FlightRecorder } from '../flight-recorder.js';
import type { IntrospectCell, IntrospectResult } from '../introspect.js';
import { StatusCell, type ActorStatus, type HandlerInfo } from '../status.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import type { Signal } from './signal.js';
import type { Headers } from '../mailbox/envelope.js';

/** What the tree asks of an instance (`Instance` implements it). */
export interface CellInstance {
  /** The actor object of a spawned actor (`resolveActorRef` type checks). */
  readonly actor: unknown;
  /** The instance's local handle (an `ActorHandle`; the type is the caller's claim). */
  handle(): unknown;
  /** Items in the instance's work queue, not yet handled (introspection's `queue_depth`). */
  readonly queueDepth: number;
  /** Throws when the instance has no loop (clients) or finished. */
  signal(signal: Signal): void;
  /** A child's supervision event (AC-5); false if it could not be delivered. */
  deliverSupervisionEvent(event: ActorSupervisionEvent): boolean;
  /** A child left `children` (CE-2). */
  childUnlinked(): void;
  /** `abortRootActor` (DESIGN decision 5). */
  detach(): void;
  /** Drop a client instance. */
  [Symbol.dispose](): void;
  /** Its flow control (mailbox/flow.ts, actor/flow.ts LF-1), once made: `held` is whether it is muted now. */
  readonly flowState: { readonly held: boolean } | undefined;
}

const NO_CHILDREN: ReadonlyMap<number, InstanceCell> = new Map();

/** ST-4's handler-time stats (CE-4: made by the first batch an actor handles). */
class HandlerStats {
  total = 0;
  last = 0;
  max = 0;
  at = 0;
}

/** CE-4: what few cells ever set (supervision, introspection extras), made on the first write. */
interface CellMore {
  childFailures: number;
  lastChildFailure: ActorSupervisionEvent | undefined;
  publishedAttrs: Record<string, unknown> | undefined;
  queryChild: ((child: string) => IntrospectResult | undefined) | undefined;
  keepsLeftover: boolean | 'always';
  leftover: { readonly message: unknown; readonly headers: Headers; readonly sender: ActorId | undefined }[] | undefined;
}


const IS_SYSTEM = 1;
const INTROSPECTABLE = 2;
const RELEASED = 4;

/** CE-4: `createdAt` is kept as ms since this base (a small integer for 24 days of uptime: no boxed double). */
const CREATED_BASE = Date.now();

/**
 * The type-erased shared state of an instance: its place in the supervision tree, status and
 * counters. `proc.getInstance(id)` returns this.
 */
export class InstanceCell implements IntrospectCell {
  parent: InstanceCell | undefined;
  /** CE-3: made on the first child. */
  private kids: Map<number, InstanceCell> | undefined;
  readonly status: StatusCell;
  /** CE-4: `createdAt - CREATED_BASE` */
  private readonly created: number;
  /** The proc's clock (introspection's `as_of`). */
  readonly clock: Clock;
  messagesProcessed = 0;
  /** CE-4: made by the first batch. */
  private stats: HandlerStats | undefined;
  /** CE-4: made on the first write of a rarely set field. */
  private more: CellMore | undefined;
  /** CE-4: `isSystem`, `introspectable`, `released` */
  private flags = 0;
  lastHandler: HandlerInfo | undefined;
  /** FI-1: written once, before the status turns terminal. */
  supervisionEvent: ActorSupervisionEvent | undefined;
  /** The last events of this actor, when its flight recorder is on (FR-4: else undefined). */
  flightRecorder: FlightRecorder | undefined;

  /** Muted by flow control now (introspection's `muted`, mailbox/flow.ts FC-1). */
  get muted(): boolean {
    return this.instance.flowState?.held === true;
  }

  constructor(
    readonly actorId: ActorId,
    readonly typeName: string,
    readonly instance: CellInstance,
    initial: ActorStatus,
    clock: Clock,
  ) {
    this.status = new StatusCell(initial);
    this.created = clock.now() - CREATED_BASE;
    this.clock = clock;
  }

  /** Wall-clock ms of the cell's creation (the proc's clock). */
  get createdAt(): number {
    return CREATED_BASE + this.created;
  }

  private get moreFields(): CellMore {
    return (this.more ??= { childFailures: 0, lastChildFailure: undefined, publishedAttrs: undefined, queryChild: undefined, keepsLeftover: false, leftover: undefined });
  }

  private get statsFields(): HandlerStats {
    return (this.stats ??= new HandlerStats());
  }

  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** Total µs spent in handlers. */
  get totalProcessingTimeUs(): number {
    return this.stats?.total ?? 0;
  }
  set totalProcessingTimeUs(us: number) {
    this.statsFields.total = us;
  }
  /** ST-4 */
  get lastHandlerTimeUs(): number {
    return this.stats?.last ?? 0;
  }
  set lastHandlerTimeUs(us: number) {
    this.statsFields.last = us;
  }
  /** ST-4 */
  get maxHandlerTimeUs(): number {
    return this.stats?.max ?? 0;
  }
  set maxHandlerTimeUs(us: number) {
    this.statsFields.max = us;
  }
  /** ST-4: wall-clock ms, 0 until a message was handled. */
  get lastHandledAt(): number {
    return this.stats?.at ?? 0;
  }
  set lastHandledAt(ms: number) {
    this.statsFields.at = ms;
  }
  /** ST-5 */
  get childFailures(): number {
    return this.more?.childFailures ?? 0;
  }
  set childFailures(n: number) {
    this.moreFields.childFailures = n;
  }
  /** ST-5 */
  get lastChildFailure(): ActorSupervisionEvent | undefined {
    return this.more?.lastChildFailure;
  }
  set lastChildFailure(event: ActorSupervisionEvent | undefined) {
    this.moreFields.lastChildFailure = event;
  }
  get publishedAttrs(): Record<string, unknown> | undefined {
    return this.more?.publishedAttrs;
  }
  set publishedAttrs(attrs: Record<string, unknown> | undefined) {
    this.moreFields.publishedAttrs = attrs;
  }
  get queryChild(): ((child: string) => IntrospectResult | undefined) | undefined {
    return this.more?.queryChild;
  }
  set queryChild(fn: ((child: string) => IntrospectResult | undefined) | undefined) {
    this.moreFields.queryChild = fn;
  }
  /**
   * @internal RT-3 (actor/retire.ts): a supervisor may restart this incarnation: `true`, its
   * queue is kept if it fails; `'always'` (stopped for a group restart), at any end.
   */
  get keepsLeftover(): boolean | 'always' {
    return this.more?.keepsLeftover ?? false;
  }
  set keepsLeftover(keep: boolean | 'always') {
    if (keep !== false || this.more !== undefined) this.moreFields.keepsLeftover = keep;
  }
  /** @internal RT-3: the queued messages of this ended incarnation, for the next one. */
  get leftover(): { readonly message: unknown; readonly headers: Headers; readonly sender: ActorId | undefined }[] | undefined {
    return this.more?.leftover;
  }
  set leftover(items: { readonly message: unknown; readonly headers: Headers; readonly sender: ActorId | undefined }[] | undefined) {
    if (items !== undefined || this.more !== undefined) this.moreFields.leftover = items;
  }
  get isSystem(): boolean {
    return (this.flags & IS_SYSTEM) !== 0;
  }
  set isSystem(on: boolean) {
    this.flag(IS_SYSTEM, on);
  }
  get introspectable(): boolean {
    return (this.flags & INTROSPECTABLE) !== 0;
  }
  set introspectable(on: boolean) {
    this.flag(INTROSPECTABLE, on);
  }
  /** Set when the cell left the proc's instance map. */
  get released(): boolean {
    return (this.flags & RELEASED) !== 0;
  }
  set released(on: boolean) {
    this.flag(RELEASED, on);
  }

  /** Introspection's `queue_depth`: the instance's work queue length. */
  get queueDepth(): number {
    return this.instance.queueDepth;
  }

  /** The children by pid (CE-3: a shared empty map until the first child). */
  get children(): ReadonlyMap<number, InstanceCell> {
    return this.kids ?? NO_CHILDREN;
  }

  /** @internal a child was spawned under this cell. */
  addChild(child: InstanceCell): void {
    (this.kids ??= new Map()).set(child.actorId.pid, child);
  }

  /** @internal forget every child (`detach`: they are orphaned). */
  clearChildren(): void {
    this.kids = undefined;
  }

  /** ST-5: a child's supervision event reached this actor. */
  noteChildEvent(event: ActorSupervisionEvent): void {
    if (!event.isError()) return;
    this.childFailures++;
    this.lastChildFailure = event;
  }

  /** CE-1: pre-order walk of this subtree, children in ascending pid order. */
  traverse(visit: (cell: InstanceCell, depth: number) => void, depth = 0): void {
    visit(this, depth);
    const pids = [...this.children.keys()].sort((a, b) => a - b);
    for (const pid of pids) this.children.get(pid)?.traverse(visit, depth + 1);
  }

  /** CE-2: unlink from the parent; returns the parent it had. */
  unlinkFromParent(): InstanceCell | undefined {
    const parent = this.parent;
    if (parent !== undefined) {
      parent.kids?.delete(this.actorId.pid);
      this.parent = undefined;
      parent.instance.childUnlinked();
    }
    return parent;
  }
}
