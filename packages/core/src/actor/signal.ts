/**
 * actor/signal.ts: runtime control signals (spec §1.9), delivered on a dedicated port, a FIFO
 * apart from the work queue.
 *
 * - `drain-and-stop`: leave the loop, handle every queued work item, stop with `stopped(reason)`.
 * - `stop`: leave the loop, queued work is dropped (sent by a parent to its children).
 * - `child-stopped`: bookkeeping after a child unlinked itself.
 * - `abort`: leave the loop with `failed("actor explicitly aborted due to: {reason}")`.
 */
export type Signal =
  | { readonly kind: 'drain-and-stop'; readonly reason: string }
  | { readonly kind: 'stop'; readonly reason: string }
  | { readonly kind: 'child-stopped'; readonly pid: number }
  | { readonly kind: 'abort'; readonly reason: string };

export const Signal = {
  drainAndStop: (reason: string): Signal => ({ kind: 'drain-and-stop', reason }),
  stop: (reason: string): Signal => ({ kind: 'stop', reason }),
  childStopped: (pid: number): Signal => ({ kind: 'child-stopped', pid }),
  abort: (reason: string): Signal => ({ kind: 'abort', reason }),
  /** upstream Display: `DrainAndStop(r)`, `Stop(r)`, `ChildStopped(pid)`, `Abort(r)` */
  display(signal: Signal): string {
    switch (signal.kind) {
      case 'drain-and-stop':
        return `DrainAndStop(${signal.reason})`;
      case 'stop':
        return `Stop(${signal.reason})`;
      case 'child-stopped':
        return `ChildStopped(${signal.pid})`;
      case 'abort':
        return `Abort(${signal.reason})`;
    }
  },
  /** Whether `value` is a well-formed `Signal` (the signal port's guard, SP-1: fields typed too). */
  isSignal(value: unknown): value is Signal {
    if (typeof value !== 'object' || value === null) return false;
    const { kind, reason, pid } = value as { kind?: unknown; reason?: unknown; pid?: unknown };
    if (kind === 'child-stopped') return typeof pid === 'number';
    return (kind === 'drain-and-stop' || kind === 'stop' || kind === 'abort') && typeof reason === 'string';
  },
} as const;
