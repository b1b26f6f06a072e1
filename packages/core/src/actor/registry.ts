/**
 * actor/registry.ts: actor types by stable name (upstream `RemoteSpawn` / `remote!`). Actor code
 * cannot cross threads, so each thread's modules register factories here under a type name, and
 * a spawn request from anywhere names the type and carries serializable parameters (DESIGN
 * decision 9). `registerActor` returns an `ActorType<M, P>` token: spawning with it (a
 * `ProcHost.spawn`, a `spawnRemote`, a mesh) infers `ActorRef<M>` and checks `P` at compile time.
 *
 * @example
 * ```ts
 * // actors.ts, listed in ProcHost.start({ modules: [new URL('./actors.js', import.meta.url)] })
 * export const Counter = registerActor('Counter', (params: { start: number }) => new CounterActor(params.start));
 * // main thread: const ref = await host.spawn(1, Counter, 'counter', { start: 0 }); // ActorRef<CounterMsg>
 * ```
 *
 * ## Invariants
 *
 * - REG-1: a type name is registered at most once per thread (a second registration throws
 *   `ProcError('duplicate-name')`); an unknown name fails with `ProcError('unknown-actor-type')`
 *   naming it and the types that are registered.
 */
import { ProcError } from '../errors.js';
import type { Actor } from './instance.js';

/**
 * A registered actor type: its name, with its message type `M` and parameter type `P` carried
 * for the compiler only (phantom fields). Plain data: it may be sent in a message as its name.
 */
export interface ActorType<M, P = void> {
  readonly typeName: string;
  /** Phantom: the message type of actors of this type. */
  readonly __message?: (message: M) => void;
  /** Phantom: the parameters of the factory. */
  readonly __params?: (params: P) => void;
}

/** The message type of an `ActorType`. */
export type MessageOf<T> = T extends ActorType<infer M, infer _P> ? M : never;
/** The parameter type of an `ActorType`. */
export type ParamsOf<T> = T extends ActorType<infer _M, infer P> ? P : never;

type Factory = (params: unknown) => Actor<unknown>;

const factories = new Map<string, Factory>();

/** REG-1: register an actor type under `typeName` (once per thread). */
export function registerActor<P, M>(typeName: string, factory: (params: P) => Actor<M>): ActorType<M, P> {
  if (factories.has(typeName)) throw new ProcError('duplicate-name', `actor type '${typeName}' is already registered`);
  factories.set(typeName, factory as unknown as Factory);
  return Object.freeze({ typeName });
}

/** A token for a type registered in another thread's modules (the caller vouches for `M` and `P`). */
export function actorType<M, P = void>(typeName: string): ActorType<M, P> {
  return Object.freeze({ typeName });
}

/** REG-1: build an actor of a registered type; throws `ProcError('unknown-actor-type')`. */
export function createActor(typeName: string, params: unknown): Actor<unknown> {
  const factory = factories.get(typeName);
  if (factory === undefined) {
    const known = [...factories.keys()];
    throw new ProcError(
      'unknown-actor-type',
      `no actor type named '${typeName}' is registered in this thread (registered: ${known.length > 0 ? known.join(', ') : 'none'})`,
    );
  }
  return factory(params);
}

/** The type names registered in this thread. */
export function registeredActorTypes(): string[] {
  return [...factories.keys()];
}
