/**
 * clock.ts: the injected clock (DESIGN layout; models: xstate's `SimulatedClock`, hyperactor's
 * `with_clock`). Everything in core that reads time or waits for it (`Proc` and its actors'
 * timestamps, the net channel's ack timers, delivery timeout and reconnect backoff, the ring's
 * spin budget) takes a `Clock`, default `realClock`; tests pass a `SimulatedClock` and move
 * time with `advance`, so nothing waits on a real timer.
 *
 * Written by hand: the two clocks are ~100 lines, and the libraries that simulate time
 * (@sinonjs/fake-timers) patch globals for a whole thread, which would also stop the real
 * timers of the worker threads and sockets under test.
 *
 * ## Invariants
 *
 * - CK-1: `monotonic()` never goes back; `now()` is wall-clock milliseconds (epoch based).
 * - CK-2: a `SimulatedClock` runs due timers in order of their due time, then of scheduling,
 *   during `advance` only; a timer scheduled by a timer that is due within the same `advance`
 *   runs in that `advance` too.
 * - CK-3: a cancelled timer never runs; cancelling twice, or after it ran, does nothing.
 */

/** A scheduled callback. */
export interface Timer {
  /** Never run it (CK-3). */
  cancel(): void;
  /** Let the thread exit while it is pending (a real timer's `unref`); a no-op when simulated. */
  unref(): this;
  /** Keep the thread alive while it is pending again (a real timer's `ref`, the default); a no-op when simulated. */
  ref(): this;
}

export interface Clock {
  /** Wall-clock milliseconds since the epoch (`Date.now()`). */
  now(): number;
  /** Monotonic milliseconds with a fractional part (`performance.now()`; CK-1). */
  monotonic(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): Timer;
}

class RealTimer implements Timer {
  constructor(private readonly handle: ReturnType<typeof setTimeout>) {}
  cancel(): void {
    clearTimeout(this.handle);
  }
  unref(): this {
    this.handle.unref();
    return this;
  }
  ref(): this {
    this.handle.ref();
    return this;
  }
}

/** The process's clocks and timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (fn, ms) => new RealTimer(setTimeout(fn, ms)),
};

interface Scheduled {
  readonly due: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

class SimulatedTimer implements Timer {
  constructor(private readonly entry: Scheduled) {}
  cancel(): void {
    this.entry.cancelled = true;
  }
  unref(): this {
    return this;
  }
  ref(): this {
    return this;
  }
}

/**
 * A clock that moves only when told (CK-2). `now()` starts at `startMs` (default: the real
 * `Date.now()` at construction, so timestamps look like dates); `monotonic()` starts at 0.
 *
 * @example
 * ```ts
 * const clock = new SimulatedClock();
 * const tx = dial(addr, { clock, deliveryTimeoutMs: 1000 });
 * clock.advance(1000); // the delivery timeout fires now, synchronously
 * ```
 */
export class SimulatedClock implements Clock {
  private elapsed = 0;
  private order = 0;
  private readonly epoch: number;
  private queue: Scheduled[] = [];

  constructor(startMs: number = Date.now()) {
    this.epoch = startMs;
  }

  now(): number {
    return this.epoch + this.elapsed;
  }

  monotonic(): number {
    return this.elapsed;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const entry: Scheduled = { due: this.elapsed + Math.max(0, ms), order: this.order++, fn, cancelled: false };
    this.queue.push(entry);
    return new SimulatedTimer(entry);
  }

  /** Timers scheduled and not yet run or cancelled. */
  get pending(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }

  /** Move time forward by `ms`, running every timer that comes due, in order (CK-2). */
  advance(ms: number): void {
    const target = this.elapsed + Math.max(0, ms);
    for (;;) {
      const next = this.nextDue(target);
      if (next === undefined) break;
      this.queue.splice(this.queue.indexOf(next), 1);
      this.elapsed = Math.max(this.elapsed, next.due);
      next.fn();
    }
    this.elapsed = target;
  }

  /** Run every pending timer, however far away (time moves to the last one). */
  runAll(limit = 10_000): void {
    for (let i = 0; i < limit; i++) {
      const next = this.nextDue(Number.POSITIVE_INFINITY);
      if (next === undefined) return;
      this.advance(next.due - this.elapsed);
    }
  }

  private nextDue(until: number): Scheduled | undefined {
    this.queue = this.queue.filter((e) => !e.cancelled);
    let best: Scheduled | undefined;
    for (const e of this.queue) {
      if (e.due > until) continue;
      if (best === undefined || e.due < best.due || (e.due === best.due && e.order < best.order)) best = e;
    }
    return best;
  }
}
