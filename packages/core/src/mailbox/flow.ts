/**
 * mailbox/flow.ts: flow control (DESIGN decision 13, issue 11): Pony's muting, for actors,
 * clients and links. A sender whose message put a queue over its high watermark is held: the
 * handler it is running completes, but it takes no next message until that queue is back at or
 * under the low watermark. A pipeline so runs at the pace of its slowest stage, with bounded
 * queues, and no user code: no message is refused, dropped or reordered by flow control (a send
 * always enqueues), only the sender's next turn waits.
 *
 * Written here rather than taken from a library: no actor library for Node mutes senders (the
 * peers' channels and mailboxes are unbounded; piscina bounds a task queue by refusing tasks),
 * and the rules below must sit in the runtime's own send and delivery paths.
 *
 * ## Parts
 *
 * - `FlowGate`: one watched queue with its watermarks: an actor's work queue (actor/instance.ts;
 *   its owner is the actor), the overflow queue of a ring link's Tx (mailbox/senders/local-dial.ts;
 *   no owner). The queue calls `over()` on each push while it is over `high`, `under()` once it is
 *   at or under `low` (or gone).
 * - `FlowSender`: what a gate can hold: an `Instance` (actor or client), and an inbound ring link
 *   of a proc (held, its Rx stops draining: the ring fills and the pressure reaches the sending
 *   proc, FC-6).
 * - `flowContext.sender`: the sender of the send in progress. The send paths (mailbox/ports.ts
 *   `PortHandle.send`, `postSerialized`; an inbound link's delivery) set it for the synchronous
 *   extent of the send, so a gate deep in the path knows whom to hold without a parameter on every
 *   floor. Anything sent with no sender set (returns, acks, signals, supervision events, the
 *   control plane, timers) holds no one (FC-4).
 *
 * ## Invariants
 *
 * - FC-1 (muting): a send that finds its gate's queue over `high` holds its sender until the queue
 *   is at or under `low` (hysteresis: no hold and release per message). A held actor finishes the
 *   handler in progress and takes no next work item; it still handles signals and supervision
 *   events. The bound: a queue holds at most `high`, plus what the handlers already running when
 *   it went over send, plus one message per inbound link (a link is held after the record it
 *   delivers).
 * - FC-2 (never by its own queue): a gate never holds its owner: an actor that sends to itself is
 *   not muted by its own queue, however long it is.
 * - FC-3 (no deadlock by holds): an actor whose own gate is overloaded is not held (its holds wait
 *   until its own queue is at or under `low`). A hold waits only on an overloaded gate, whose
 *   owner is therefore never held: every chain of holds has length one and ends at an actor that
 *   is free to run. Two actors flooding each other, or a cycle of three, keep making progress.
 * - FC-4 (system traffic): a send with no sender set holds nobody; signals, supervision events and
 *   introspection never wait behind a hold (introspection is answered outside the loop, S1).
 * - FC-5 (stall): a gate whose owner handled nothing for `stallMs` while it holds senders releases
 *   them, and holds no one until its owner handles something again. So a hold never waits on a
 *   handler that itself awaits the held sender (a request whose reply must come from, or over, the
 *   held path): the wait is bounded by `stallMs`, at the cost of the bound while it lasts.
 * - FC-6 (across threads): an inbound ring link delivering into an overloaded actor is held like a
 *   sender: its Rx stops after the record it delivered, the ring fills, and the sending proc's Tx
 *   queues; that overflow queue is a gate too, which holds the actors sending over the link. A
 *   stall of the receiver (FC-5) releases the link, so the ring drains and the senders go free.
 * - FC-7 (clients): a client instance (not an actor: main-thread code) is held like an actor, but
 *   nothing stops its code: `await cx.ready()` resolves once it is not held (at once when it is
 *   not), so a loop of sends that awaits it runs at the consumer's pace.
 * - FC-8 (off): with `flowControl` false no gate is made and no sender is held.
 */
import type { Clock, Timer } from '../clock.js';
import type { Config } from '../config.js';
import type { QueueWatermarks } from '../channel/ring/tx.js';

/** The watermarks of the gates of a proc (config.ts `flow*` keys). */
export interface FlowLimits {
  /** Queue length over which a send holds its sender (FC-1). */
  readonly high: number;
  /** Queue length at or under which held senders go free (FC-1); below `high`. */
  readonly low: number;
  /** FC-5: how long a gate's owner may handle nothing before the senders it holds go free. */
  readonly stallMs: number;
}

/** The flow limits of a configuration; undefined when flow control is off (FC-8). */
export function flowLimits(config: Config): FlowLimits | undefined {
  if (!config.flowControl) return undefined;
  const high = Math.max(1, Math.floor(config.flowHighWatermark));
  const low = Math.min(Math.max(0, Math.floor(config.flowLowWatermark)), high - 1);
  return { high, low, stallMs: config.flowStallMs };
}

/** What a gate can hold (FC-1): an instance, an inbound link. */
export interface FlowSender {
  /** @internal A gate holds this sender (once per gate until that gate releases it). */
  flowHold(): void;
  /** @internal A gate that held this sender released it. */
  flowRelease(): void;
}

/** The sender of the send in progress, for its synchronous extent (set by the send paths). */
export const flowContext: { sender: FlowSender | undefined } = { sender: undefined };

/**
 * One watched queue (FC-1..FC-5). `progress` counts what the owner handled (FC-5's stall check);
 * without one (a link's queue) the gate never stalls: its consumer's own gate does (FC-6).
 */
export class FlowGate {
  /** Over `high` since the last `under()`. */
  overloaded = false;
  private readonly held = new Set<FlowSender>();
  private stalled = false;
  private mark = 0;
  private timer: Timer | undefined;

  constructor(
    readonly limits: FlowLimits,
    /** FC-2: never held by this gate. */
    private readonly owner: FlowSender | undefined,
    private readonly clock: Clock | undefined,
    private readonly progress: (() => number) | undefined,
  ) {}

  /** How many senders this gate holds now. */
  get holding(): number {
    return this.held.size;
  }

  /** The queue is over `high` after a push: hold the sender of this send (FC-1, FC-2). */
  over(): void {
    this.overloaded = true;
    const sender = flowContext.sender;
    if (sender === undefined || sender === this.owner || this.held.has(sender)) return;
    if (this.stalled) {
      // FC-5: no new holds until the owner handled something since the stall
      if ((this.progress as () => number)() === this.mark) return;
      this.stalled = false;
    }
    this.held.add(sender);
    sender.flowHold();
    if (this.timer === undefined && this.progress !== undefined && this.clock !== undefined) this.arm();
  }

  /** The queue is at or under `low`, or gone: release every held sender (FC-1). */
  under(): void {
    this.overloaded = false;
    this.stalled = false;
    this.timer?.cancel();
    this.timer = undefined;
    this.releaseAll();
  }

  private releaseAll(): void {
    if (this.held.size === 0) return;
    const held = [...this.held];
    this.held.clear();
    for (const sender of held) sender.flowRelease();
  }

  /** FC-5: check the owner's progress every `stallMs` while holding someone. */
  private arm(): void {
    this.mark = (this.progress as () => number)();
    this.timer = (this.clock as Clock).setTimeout(this.check, this.limits.stallMs).unref();
  }

  private readonly check = (): void => {
    this.timer = undefined;
    if (this.held.size === 0) return;
    const now = (this.progress as () => number)();
    if (now !== this.mark) {
      this.arm();
      return;
    }
    this.stalled = true;
    this.releaseAll();
  };
}

/**
 * FC-6: the gate on a link's send queue, in the form a Tx takes it (a ring Tx's overflow queue,
 * local-dial.ts LL-4; a NetTx's queue, channel/net/tx.ts NT-12): no owner, no stall of its own
 * (the receiving actor's gate stalls, FC-5). One per Tx.
 */
export function linkWatermarks(limits: FlowLimits): QueueWatermarks {
  const gate = new FlowGate(limits, undefined, undefined, undefined);
  return { high: limits.high, low: limits.low, over: () => gate.over(), under: () => gate.under() };
}
