/**
 * benchmarks/savina/place.ts: where a Savina program's actors live. `Place` spawns an actor of
 * a registered Savina type on a slot (one proc: every slot is the same `Proc`; workers: slot
 * `i` is worker proc `i % procs + 1`), and the main thread's client sends set-up messages and
 * opens the ports that the start and end come back on.
 */
import type { ActorRef, Instance, OncePortRef } from '@procmesh/core';
import type { Done, Go } from './common.js';

/** How to build an actor of a Savina type from its spawn parameters. */
export type Factory = (params: never) => object;

export interface Place {
  /** How many procs the slots are spread over. */
  readonly procs: number;
  readonly client: Instance<never>;
  /** Spawn a `type` actor (a name from `SAVINA_TYPES`) on `slot`. */
  spawn<M>(slot: number, type: string, params: unknown): Promise<ActorRef<M>>;
}

/** A program set up and ready to start. */
export interface Kick {
  /** Send the `go` messages. */
  go(): void;
  /** Resolves with every kick-off actor's start stamp and every finisher's `Done`. */
  readonly result: Promise<{ readonly starts: readonly number[]; readonly dones: readonly Done[] }>;
}

/** A set-up message's acknowledgement port. */
export type Ready = OncePortRef<boolean>;

/** Send `build(ready)` to `ref` and wait until its actor handled it (set-up is ordered before `go`). */
export async function wire<M extends { readonly type: string }>(place: Place, ref: ActorRef<M>, build: (ready: Ready) => NoInfer<M>): Promise<void> {
  const [handle, rx] = place.client.openOncePort<boolean>();
  ref.send(place.client, build(handle.bind()) as never);
  await rx.recv();
}

/** A `go` message's ports, open on the client, and what comes back on them. */
export function openGo(place: Place): { readonly go: Go; readonly result: Promise<{ readonly start: number; readonly done: Done }> } {
  const [started, startedRx] = place.client.openOncePort<number>();
  const [done, doneRx] = place.client.openOncePort<Done>();
  return {
    go: { type: 'go', started: started.bind(), done: done.bind() },
    result: (async () => ({ start: await startedRx.recv(), done: await doneRx.recv() }))(),
  };
}

/** A kick that sends a `go` of its own to each of `targets` and collects a start and a done from each. */
export function kick(place: Place, targets: readonly ActorRef<Go>[]): Kick {
  const gos = targets.map(() => openGo(place));
  return {
    go: () => targets.forEach((t, i) => t.send(place.client, gos[i]!.go)),
    result: Promise.all(gos.map((g) => g.result)).then((rs) => ({ starts: rs.map((r) => r.start), dones: rs.map((r) => r.done) })),
  };
}
