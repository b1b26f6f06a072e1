/**
 * actor/intake.ts: `InstanceIntake`, how work reaches an actor's loop: its queues (the work queue,
 * signals, supervision events), the reorder buffer in front of the work queue (SQ-3), the receipts
 * of items that came over a holding channel (RL-3), the flow-control checks of a push (FC-1, LF-1)
 * and the wake of an idle loop (AC-10). `Instance` (actor/instance.ts) extends it; the loop that
 * takes from the queues is actor/run.ts. Kept apart from actor/instance.ts, whose types refer to
 * each other: nothing here refers to `Instance`, `Actor` or the proc, so it imports none of them.
 *
 * Invariants kept here (numbered where they are defined): AC-1/AC-2 start here (a push only queues
 * and wakes; the loop handles), WQ-1 (push order), FC-1 (a push over `high` makes the gate that
 * mutes its senders), LF-1 (the flow state is made on first need), RL-3 (a receipt is held until
 * its item is handled), SQ-3 (out-of-order items wait in the reorder buffer).
 *
 * ## The in-proc path (issue 16)
 *
 * A message between two actors of one thread: the send (a handle send, mailbox/ports.ts
 * `PortHandle.send`; or a ref send: PT-5's copy, MB-9 without an envelope) ends in `enqueue`
 * here: a push, one test of the flow bound, and `notify`, which puts an idle actor on the
 * thread's ready queue (actor/scheduler.ts); the drain gives it one synchronous batch (run.ts
 * AC-11). Per message there is no microtask, promise, closure or clock read (PT-8, BT-1, BT-2).
 *
 * - IP-1 (order): a push happens inside the send (both paths are synchronous to here), so one
 *   sender's messages, handle and ref sends mixed, are queued and handled in send order (§3.2,
 *   WQ-1); the scheduler orders actors, never the items of one actor.
 * - IP-2 (copy): what a ref send pushes is its own copy (LC-1) or a decoded value, never the
 *   sender's object: the receiver never observes a later mutation by the sender (DESIGN
 *   decision 3). A handle send pushes the sender's object itself, as documented (§3.1).
 * - IP-3 (flow): a push over `high` holds the sender (FC-1) whichever path it came by, and a
 *   held actor gets no turn until released (AC-11): handle sends inside one proc mute as ref sends do.
 * - IP-4 (supervision): a turn handles work only; signals, supervision events, stops and
 *   failures go through the async loop (run.ts `run`, `serve`) exactly as before the ready queue.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { ActorId } from '../id.js';
import { SeqInfo, type Headers } from '../mailbox/envelope.js';
import { MailboxSenderError } from '../mailbox/errors.js';
import type { FlowLimits, FlowSender } from '../mailbox/flow.js';
import { ReorderBuffer } from '../sequencing.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import { receipt, ReceiptQueue } from '../channel/receipt.js';
import { InstanceFlow } from './flow.js';
import { Fifo } from './fifo.js';
import type { Signal } from './signal.js';
import { MESSAGE_TAG, WorkQueue } from './work-queue.js';

/** How an instance is driven. */
export type InstanceKind = 'actor' | 'client' | 'inverted';

/** Work queue entry tags: a message for the handler, a returned `Undeliverable`. */
export const WORK_MESSAGE = MESSAGE_TAG;
export const WORK_UNDELIVERABLE = 1;

/** The queues of an instance and how items enter them (`Instance` extends it; members @internal). */
export abstract class InstanceIntake implements FlowSender {
  /** @internal the loop's queues (actor/run.ts) */
  readonly work = new WorkQueue();
  /** @internal RL-3: receipts of queued items that came over a holding channel (actor/run.ts settles them). */
  receipts: ReceiptQueue | undefined;
  /** @internal the loop's queues (actor/run.ts); `Fifo.EMPTY` until the first push (actor/fifo.ts FQ-3) */
  signals: Fifo<Signal> = Fifo.EMPTY;
  /** @internal the loop's queues (actor/run.ts); `Fifo.EMPTY` until the first push (FQ-3) */
  supervisionEvents: Fifo<ActorSupervisionEvent> = Fifo.EMPTY;
  /** @internal AC-10: set while the loop is idle; a push, a signal or a release calls it once (actor/run.ts: a turn on the ready queue). */
  wake: ((self: InstanceIntake) => void) | undefined;
  /** @internal */
  loopRunning = false;
  /** @internal */
  loopFinished = false;
  /** @internal */
  aborted = false;
  /** @internal flow control (actor/flow.ts), made on first need (LF-1); never when the proc's is off (FC-8) */
  flowState: InstanceFlow | undefined;
  /** The proc's flow limits; undefined when flow control is off (FC-8). */
  private readonly flowLimits: FlowLimits | undefined;
  /** The work queue length over which a push mutes its sender (FC-1); Infinity when off. */
  private readonly flowHigh: number;
  /** SQ-3: the reorder buffer, when the proc enables it. */
  private readonly reorder: ReorderBuffer<[number, unknown, Headers, ActorId | undefined]> | undefined;
  /** RL-3: only a spawned actor's loop settles receipts. */
  private readonly holdsReceipts: boolean;
  /** @internal inverted actors: where a work item goes instead of the work queue (the caller pulls it). */
  protected invertedWork: ((tag: number, message: unknown, headers: Headers) => void) | undefined;

  /** @internal the FlowOwner side (actor/flow.ts) */
  abstract readonly proc: { readonly clock: Clock };
  /** @internal the FlowOwner side (actor/flow.ts) */
  abstract readonly cell: { readonly messagesProcessed: number };
  /** The actor's logger (actor/instance.ts). */
  abstract get logger(): Logger;
  /** @internal where a rejected push is reported (the handler port's location). */
  protected abstract intakeLocation(): string;

  constructor(flowLimits: FlowLimits | undefined, reorderBuffer: boolean, kind: InstanceKind) {
    this.flowLimits = flowLimits;
    this.flowHigh = flowLimits?.high ?? Number.POSITIVE_INFINITY;
    this.holdsReceipts = kind === 'actor';
    this.reorder = reorderBuffer ? new ReorderBuffer(([tag, message, headers, sender]) => this.enqueueInOrder(tag, message, headers, sender)) : undefined;
  }

  /** @internal the `FlowSender` of its sends (FC-1): itself while flow control is on; a gate holds / releases it (LF-1) */
  get flow(): FlowSender | undefined { return this.flowLimits === undefined ? undefined : this; }
  /** @internal */ flowHold(): void { (this.flowState ??= new InstanceFlow(this.flowLimits as FlowLimits, this)).flowHold(); }
  /** @internal */ flowRelease(): void { if (this.flowState?.flowRelease() === true) this.notify(); }

  /** FC-7: resolves once this instance is not muted by flow control (mailbox/flow.ts); at once if it is not. */
  ready(): Promise<void> {
    return this.flowState === undefined ? Promise.resolve() : this.flowState.ready();
  }

  /** Items waiting in the work queue (introspection's `queue_depth`). */
  get queueDepth(): number {
    return this.work.size;
  }

  /** @internal A work item for the loop (the handler port's or the Undeliverable port's sink). */
  protected enqueue(tag: number, message: unknown, headers: Headers, sender?: ActorId): void {
    if (this.aborted) throw new MailboxSenderError(this.intakeLocation(), 'other', 'send error: receiver gone');
    const reorder = this.reorder;
    if (reorder !== undefined && headers.seq_info !== SeqInfo.direct) {
      let outcome: string;
      // RL-3d: what waits in the reorder buffer holds no receipt (its channel settles it)
      const held = receipt.sink;
      receipt.sink = undefined;
      try {
        outcome = reorder.accept(headers.seq_info, [tag, message, headers, sender]);
      } catch (err) {
        throw new MailboxSenderError(this.intakeLocation(), 'invalid', (err as Error).message, { cause: err });
      } finally {
        receipt.sink = held;
      }
      if (outcome === 'duplicate') this.logger.warn({ seq: SeqInfo.display(headers.seq_info as SeqInfo) }, 'duplicate message dropped by the reorder buffer');
      return;
    }
    this.enqueueInOrder(tag, message, headers, sender);
  }

  private enqueueInOrder(tag: number, message: unknown, headers: Headers, sender: ActorId | undefined): void {
    const inverted = this.invertedWork;
    if (inverted !== undefined) {
      inverted(tag, message, headers);
      return;
    }
    const work = this.work;
    work.push(tag, message, headers, sender);
    // RL-3: hold the channel's receipt until this item is handled (ticket: its push count, WQ-5)
    if (receipt.sink !== undefined && this.holdsReceipts) (this.receipts ??= new ReceiptQueue()).take(work.shifted + work.size);
    if (work.size > this.flowHigh) (this.flowState ??= new InstanceFlow(this.flowLimits as FlowLimits, this)).over(); // FC-1, LF-1
    this.notify();
  }

  /** Wake an idle loop (AC-10, actor/run.ts: it gets a turn on the thread's ready queue, RQ-1). */
  protected notify(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake(this);
    }
  }
}
