/**
 * channel/ring/wait.ts: the two platform details the ring's sleeping sides need.
 *
 * - `waitAsync`: `Atomics.waitAsync` typed (it is in ES2024's lib, the workspace targets ES2023).
 *   V8 implements it with a global mutex (nodejs/performance#5): the ring uses it only when idle.
 * - `KeepAlive`: a pending `Atomics.waitAsync` does not keep a Node thread's event loop alive
 *   (nodejs/node#44729), so a side that sleeps while it still has work to be woken for holds a
 *   ref'd timer handle. The handle never fires work; it only counts as a live handle, which is
 *   why it is the process's `setInterval` and not the injected `Clock` (RING-14): a simulated
 *   timer keeps no event loop alive.
 */

export type WaitAsyncResult =
  | { readonly async: false; readonly value: 'not-equal' | 'timed-out' }
  | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };

interface AtomicsWithWaitAsync {
  waitAsync(typedArray: Int32Array, index: number, value: number, timeout?: number): WaitAsyncResult;
}

const atomics = Atomics as unknown as AtomicsWithWaitAsync;

/** `Atomics.waitAsync(i32, index, value)`; resolves with no value when woken or not equal. */
export function waitAsync(i32: Int32Array, index: number, value: number): Promise<unknown> | undefined {
  const result = atomics.waitAsync(i32, index, value);
  return result.async ? result.value : undefined;
}

/** Interval long enough never to fire in practice (the handle is only a liveness token). */
const KEEPALIVE_PERIOD_MS = 0x3fffffff;

function noop(): void {}

/**
 * A liveness token for a thread that waits on `Atomics.waitAsync`: while held, a timer handle
 * that never fires work keeps the event loop alive. Created on `hold`, cleared on `release`
 * (a sleep already costs tens of microseconds; the timer costs about one).
 */
export class KeepAlive {
  private timer: ReturnType<typeof setInterval> | undefined;
  private allowed = true;

  /** Hold the thread open (if allowed). Cheap when already held. */
  hold(): void {
    if (this.timer === undefined && this.allowed) this.timer = setInterval(noop, KEEPALIVE_PERIOD_MS);
  }

  /** Stop holding the thread open. */
  release(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** `unref()`: never hold the thread open (the owner keeps it alive by other means). */
  disallow(): void {
    this.allowed = false;
    this.release();
  }

  /** `ref()`: undo `disallow`. The next `hold` takes effect. */
  allow(): void {
    this.allowed = true;
  }

  get isHeld(): boolean {
    return this.timer !== undefined;
  }

  /** Release for good (same as `release`; kept for intent at call sites). */
  dispose(): void {
    this.release();
  }
}
