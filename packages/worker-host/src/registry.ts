/**
 * registry.ts: actor types by stable name (upstream `RemoteSpawn`). Actor code cannot cross
 * threads, so modules that a worker loads register factories here; `ProcHost.spawn` names the
 * type and passes serializable parameters (DESIGN decision 9).
 *
 * @example
 * ```ts
 * // actors.ts, listed in ProcHost.start({ modules: [new URL('./actors.js', import.meta.url)] })
 * registerActor('Counter', (params: { start: number }) => new Counter(params.start));
 * ```
 */
import { ProcError, type Actor } from '@procmesh/core';

type Factory = (params: never) => Actor<never>;

const factories = new Map<string, Factory>();

/** Register an actor type under `typeName` (once per thread; a second registration throws). */
export function registerActor<P, M>(typeName: string, factory: (params: P) => Actor<M>): void {
  if (factories.has(typeName)) throw new ProcError('duplicate-name', `actor type '${typeName}' is already registered`);
  factories.set(typeName, factory as unknown as Factory);
}

/** @internal Build an actor of a registered type; throws `ProcError('unknown-actor-type')`. */
export function createActor(typeName: string, params: unknown): Actor<unknown> {
  const factory = factories.get(typeName);
  if (factory === undefined) throw new ProcError('unknown-actor-type', `no actor type named '${typeName}' is registered in this worker`);
  return (factory as unknown as (p: unknown) => Actor<unknown>)(params);
}

export function registeredActorTypes(): string[] {
  return [...factories.keys()];
}
