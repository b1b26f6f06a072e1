/**
 * actor/flow.ts: `InstanceFlow`, an instance's side of flow control (mailbox/flow.ts, FC-1..FC-8):
 * the gate on its own work queue, the holds other gates put on it, and `ready()` for code that is
 * not an actor loop (FC-7). Kept out of actor/instance.ts, which holds the types that refer to each
 * other; the loop (actor/run.ts) asks `held` before taking a work item.
 *
 * An instance has one only when its proc's flow control is on (FC-8); its gate is made on the
 * first push over the high watermark (an actor that never lags costs none).
 */
import type { Clock } from '../clock.js';
import { FlowGate, type FlowLimits, type FlowSender } from '../mailbox/flow.js';

const RESOLVED = Promise.resolve();

export class InstanceFlow implements FlowSender {
  /** Gates holding this instance now (FC-1). */
  holds = 0;
  /** The gate on this instance's own work queue, once it went over `high`. */
  gate: FlowGate | undefined;
  private waiters: (() => void)[] | undefined;

  constructor(
    readonly limits: FlowLimits,
    private readonly clock: Clock,
    /** What the instance handled so far (FC-5's stall check). */
    private readonly handled: () => number,
    /** Wake the instance's loop (a release, FC-1). */
    private readonly wake: () => void,
  ) {}

  /** Muted now: held by some gate, and its own queue not over its bound (FC-3). */
  get held(): boolean {
    return this.holds > 0 && this.gate?.overloaded !== true;
  }

  /** The own work queue is over `high` after a push (FC-1; FC-2: the gate never holds its owner). */
  over(): void {
    (this.gate ??= new FlowGate(this.limits, this, this.clock, this.handled)).over();
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

  flowHold(): void {
    this.holds++;
  }

  flowRelease(): void {
    if (--this.holds > 0) return;
    this.holds = 0;
    this.wake();
    const waiters = this.waiters;
    if (waiters === undefined) return;
    this.waiters = undefined;
    for (const resolve of waiters) resolve();
  }
}
