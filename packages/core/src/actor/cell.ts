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
  /** Its flow control (mailbox/flow.ts, actor/flow.ts IF-1), once made: `held` is whether it is muted now. */
  readonly flowState: { readonly held: boolean } | undefined;
}

const NO_CHILDREN: ReadonlyMap<number, InstanceCell> = new Map();

/**
 * The type-erased shared state of an instance: its place in the supervision tree, status and
 * counters. `proc.getInstance(id)` returns this.
 */
export class InstanceCell implements IntrospectCell {
  parent: InstanceCell | undefined;
  /** CE-3: made on the first child. */
  private kids: Map<number, InstanceCell> | undefined;
  readonly status: StatusCell;
  readonly createdAt: number;
  /** The proc's clock (introspection's `as_of`). */
  readonly clock: Clock;
  messagesProcessed = 0;
  totalProcessingTimeUs = 0;
  /** ST-4 */
  lastHandlerTimeUs = 0;
  /** ST-4 */
  maxHandlerTimeUs = 0;
  /** ST-4: wall-clock ms, 0 until a message was handled. */
  lastHandledAt = 0;
  /** ST-5 */
  childFailures = 0;
  /** ST-5 */
  lastChildFailure: ActorSupervisionEvent | undefined;
  lastHandler: HandlerInfo | undefined;
  /** FI-1: written once, before the status turns terminal. */
  supervisionEvent: ActorSupervisionEvent | undefined;
  isSystem = false;
  publishedAttrs: Record<string, unknown> | undefined;
  queryChild: ((child: string) => IntrospectResult | undefined) | undefined;
  introspectable = false;
  /** The last events of this actor, when its flight recorder is on (FR-4: else undefined). */
  flightRecorder: FlightRecorder | undefined;
  /** Set when the cell left the proc's instance map. */
  released = false;
  /**
   * @internal RT-3 (actor/retire.ts): a supervisor may restart this incarnation: `true`, its
   * queue is kept if it fails; `'always'` (stopped for a group restart), at any end.
   */
  keepsLeftover: boolean | 'always' = false;
  /** @internal RT-3: the queued messages of this ended incarnation, for the next one. */
  leftover: { readonly message: unknown; readonly headers: Headers; readonly sender: ActorId | undefined }[] | undefined;

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
    this.createdAt = clock.now();
    this.clock = clock;
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
