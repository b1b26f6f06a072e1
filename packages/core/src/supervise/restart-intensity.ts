/**
 * supervise/restart-intensity.ts: OTP's restart intensity (`intensity` and `period` of a
 * supervisor's flags): at most `maxRestarts` restarts in any `withinMs` window; one more, and the
 * supervisor gives up (and escalates). Used by `Supervisor` (SU-4) and by `ProcHost`'s proc
 * restart policy; time comes from the injected clock.
 *
 * ## Invariants
 *
 * - RI-1: `tryRestart()` returns true at most `maxRestarts` times within any `withinMs` window
 *   (by the clock's monotonic time); a refused restart is not counted.
 */
import { realClock, type Clock } from '../clock.js';

export interface RestartIntensityOptions {
  /** Restarts allowed within `withinMs` (OTP `intensity`; default 3). */
  readonly maxRestarts?: number;
  /** The window, in ms (OTP `period`; default 5,000). */
  readonly withinMs?: number;
}

export class RestartIntensity {
  readonly maxRestarts: number;
  readonly withinMs: number;
  private readonly times: number[] = [];

  constructor(options: RestartIntensityOptions = {}, private readonly clock: Clock = realClock) {
    this.maxRestarts = options.maxRestarts ?? 3;
    this.withinMs = options.withinMs ?? 5_000;
  }

  /** RI-1: count a restart now, or refuse it (false) when it would exceed the intensity. */
  tryRestart(): boolean {
    const now = this.clock.monotonic();
    while (this.times.length > 0 && now - (this.times[0] as number) >= this.withinMs) this.times.shift();
    if (this.times.length >= this.maxRestarts) return false;
    this.times.push(now);
    return true;
  }

  /** Restarts counted in the current window. */
  get recent(): number {
    return this.times.length;
  }
}
