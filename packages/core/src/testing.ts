/**
 * testing.ts: helpers for tests of code built on procmesh (`@procmesh/core/testing`).
 *
 * - `ProcSupervisionCoordinator.set(proc)`: spawns a root actor `coordinator` that records every
 *   supervision event reaching the proc and registers it as the proc's coordinator (upstream
 *   `testing::proc_supervison::ProcSupervisionCoordinator`). Tests that involve failures install
 *   it; without a coordinator the first error event crashes the process (PD-4).
 * - `crashRecorder()`: a `ProcOptions.onCrash` that records crashes instead of exiting.
 * - `Recorder<T>`: a list that can be awaited for an element matching a predicate.
 * - `prng(seed)`: a seeded PRNG (mulberry32), so randomized tests and the fuzzer repeat exactly.
 *
 * Nothing here sleeps: every wait resolves on a condition.
 *
 * @example
 * ```ts
 * const proc = Proc.local();
 * const reported = ProcSupervisionCoordinator.set(proc);
 * const actor = proc.spawn('failing', new Failing());
 * actor.send(client, 'boom');
 * const event = await reported.next((e) => e.isError());
 * ```
 *
 * @module @procmesh/core/testing
 */
import type { Actor, ActorHandle, Context } from './actor/instance.js';
import type { Proc } from './proc.js';
import type { ActorSupervisionEvent } from './supervision.js';

/** An append-only list whose elements can be awaited. */
export class Recorder<T> {
  readonly items: T[] = [];
  private waiters: { predicate: (item: T) => boolean; resolve: (item: T) => void }[] = [];

  push(item: T): void {
    this.items.push(item);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) {
      if (w.predicate(item)) w.resolve(item);
      else this.waiters.push(w);
    }
  }

  /** The last element, if any. */
  last(): T | undefined {
    return this.items[this.items.length - 1];
  }

  /** The first element (already recorded or still to come) that satisfies `predicate`. */
  next(predicate: (item: T) => boolean = () => true): Promise<T> {
    const found = this.items.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }

  /** Resolves once `count` elements were recorded. */
  async atLeast(count: number): Promise<T[]> {
    while (this.items.length < count) {
      const seen = this.items.length;
      await this.next((item) => this.items.indexOf(item) >= seen);
    }
    return this.items.slice(0, count);
  }
}

/** The recording coordinator actor: every event it handles is pushed to `events`. */
export class ProcSupervisionCoordinator implements Actor<ActorSupervisionEvent> {
  readonly events = new Recorder<ActorSupervisionEvent>();

  handle(_cx: Context<ActorSupervisionEvent>, event: ActorSupervisionEvent): void {
    this.events.push(event);
  }

  /** The last event received (upstream `ReportedEvent::event()`). */
  event(): ActorSupervisionEvent | undefined {
    return this.events.last();
  }

  /** The first event (received or to come) satisfying `predicate`. */
  next(predicate?: (event: ActorSupervisionEvent) => boolean): Promise<ActorSupervisionEvent> {
    return this.events.next(predicate);
  }

  /** The coordinator's handle, once installed by `set`. */
  handleOf: ActorHandle<ActorSupervisionEvent> | undefined;

  /** Spawn a root `name` (default `coordinator`) and install it as `proc`'s coordinator. */
  static set(proc: Proc, name = 'coordinator'): ProcSupervisionCoordinator {
    const coordinator = new ProcSupervisionCoordinator();
    const handle = proc.spawn(name, coordinator);
    coordinator.handleOf = handle;
    proc.setSupervisionCoordinator(handle.port());
    return coordinator;
  }
}

/** `ProcOptions.onCrash` that records crash messages instead of ending the process. */
export function crashRecorder(): { readonly onCrash: (message: string) => void; readonly crashes: Recorder<string> } {
  const crashes = new Recorder<string>();
  return { onCrash: (message) => crashes.push(message), crashes };
}

/** mulberry32: a small, fast, seeded PRNG. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
