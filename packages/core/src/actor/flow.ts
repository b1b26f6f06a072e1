/**
 * actor/flow.ts: `InstanceFlow`, an instance's side of flow control (mailbox/flow.ts, FC-1..FC-8):
 * the gate on its own work queue, the holds other gates put on it, and `ready()` for code that is
 * not an actor loop (FC-7). Kept out of actor/instance.ts, which holds the types that refer to each
 * other; the loop (actor/run.ts) asks `held` before taking a work item.
 *
 * - IF-1 (lazy): an instance has one only when its proc's flow control is on (FC-8), and only once
 *   it needs one: the first hold a gate puts on it (the instance itself is the `FlowSender` the
 *   send paths name, so sending makes nothing) or the first push over the high watermark. An
 *   actor that is never muted and never lags costs nothing here (issue 16: ~200 B an actor).
 *   Its gate is made on that first push over `high`, with the instance as owner (FC-2).
 */
import type { Clock } from '../clock.js';
import { FlowGate, type FlowLimits, type FlowSender } from '../mailbox/flow.js';

/** The instance an `InstanceFlow` belongs to (actor/instance.ts; structural, no import cycle). */
export interface FlowOwner extends FlowSender {
  readonly proc: { readonly clock: Clock };
  readonly cell: { readonly messagesProcessed: number };
}

const RESOLVED = Promise.resolve();

export class InstanceFlow {
  /** Gates holding this instance now (FC-1). */
  holds = 0;
  /** The gate on this instance's own work queue, once it went over `high`. */
  gate: FlowGate | undefined;
  private waiters: (() => void)[] | undefined;

  constructor(
    readonly limits: FlowLimits,
    private readonly owner: FlowOwner,
  ) {}

  /** Muted now: held by some gate, and its own queue not over its bound (FC-3). */
  get held(): boolean {
    return this.holds > 0 && this.gate?.overloaded !== true;
  }

  /** The own work queue is over `high` after a push (FC-1; FC-2: the gate never holds its owner). */
  over(): void {
    const owner = this.owner;
    (this.gate ??= new FlowGate(this.limits, owner, owner.proc.clock, () => owner.cell.messagesProcessed)).over();
  }

  /** The own work queue is now `size` long (after items were taken). */
  shrunk(size: number): void {
    const gate = this.gate;
    if (gate !== undefined && gate.overloaded && size <= this.limits.low) gate.under();
  }

  /** The own work queue is gone (stopped, detached): whoever it holds goes free. */
  gone(): void {
    this.gate?.under();
  }

  /** FC-7: resolves once this instance is not held (at once when it is not). */
  ready(): Promise<void> {
    if (!this.held) return RESOLVED;
    return new Promise<void>((resolve) => (this.waiters ??= []).push(resolve));
  }

  /** A gate holds the owner (its `FlowSender.flowHold`). */
  flowHold(): void {
    this.holds++;
  }

  /** A gate that held the owner released it. True when that was the last hold: wake its loop (FC-1). */
  flowRelease(): boolean {
    if (--this.holds > 0) return false;
    this.holds = 0;
    const waiters = this.waiters;
    if (waiters === undefined) return true;
    this.waiters = undefined;
    for (const resolve of waiters) resolve();
    return true;
  }
}
