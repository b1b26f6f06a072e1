/**
 * mesh/spawn.ts: spawning registered actor types on any proc from any actor (upstream remote
 * spawn). `spawnRemote` asks the target proc's spawner (spawner.ts) for one actor and resolves
 * with its typed ref; `spawnMany` asks for a batch in one round trip. The caller may be any
 * instance: an actor in a handler, or a client instance on the main thread.
 *
 * @example
 * ```ts
 * const counter = await spawnRemote(cx, otherProcId, Counter, 'counter', { start: 0 }); // ActorRef<CounterMsg>
 * const workers = await spawnMany(cx, otherProcId, Worker, [{ name: 'w0', params: {} }, { name: 'w1', params: {} }]);
 * ```
 *
 * ## Invariants
 *
 * - RS-1: parameters that cannot be serialized fail before anything is sent, with
 *   `SpawnError('unsendable')` naming the type, the actor and the field (`params.onDone: function`).
 * - RS-2: a request is an ask (actor/ask.ts): one that gets no answer within `timeoutMs`, or
 *   comes back (its proc or spawner is gone; the return goes to the ask, never to the caller's
 *   `handleUndeliverableMessage`, ASK-3), rejects with `SpawnError('unreachable')`, and leaves
 *   nothing behind (ASK-1).
 */
import { CodecError } from '../wire/errors.js';
import { encodePayload } from '../wire/payload.js';
import type { ProcId } from '../id.js';
import { ActorRef, type AskContext } from '../ref.js';
import { AskError } from '../actor/ask.js';
import type { ActorType } from '../actor/registry.js';
import { SpawnError, type SpawnErrorCode } from './errors.js';
import { spawnerRef, type SpawnOutcome, type SpawnSpec } from './spawner.js';

/** What spawning needs of its caller: any `Instance` (an actor's context or a client). */
export interface SpawnContext extends AskContext {}

export interface SpawnOptions {
  /** RS-2: how long to wait for the spawner's answer (default 10,000 ms). */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

/** Spawn one actor of a registered type as a root actor of proc `procId`. */
export async function spawnRemote<M, P>(cx: SpawnContext, procId: ProcId, type: ActorType<M, P>, name: string, params: P, options?: SpawnOptions): Promise<ActorRef<M>> {
  const [ref] = await spawnMany(cx, procId, type, [{ name, params }], options);
  return ref as ActorRef<M>;
}

/** Spawn a batch of actors of one registered type on proc `procId`, in one round trip. */
export async function spawnMany<M, P>(
  cx: SpawnContext,
  procId: ProcId,
  type: ActorType<M, P>,
  actors: readonly { readonly name: string; readonly params: P }[],
  options?: SpawnOptions,
): Promise<ActorRef<M>[]> {
  const specs = actors.map(({ name, params }) => ({ typeName: type.typeName, name, params }));
  return (await spawnSpecs(cx, procId, specs, options)).map((id) => ActorRef.attest<M>(id));
}

/**
 * Spawn untyped specs (hosts respawning roots of several types, meshes); rejects with
 * the first failed spec's `SpawnError` (the others of the batch are spawned).
 */
export async function spawnSpecs(cx: SpawnContext, procId: ProcId, specs: readonly SpawnSpec[], options?: SpawnOptions): Promise<ActorRef<unknown>['actorId'][]> {
  const outcomes = await requestSpawn(cx, procId, specs, options);
  return outcomes.map((outcome, i) => {
    if (outcome.ok) return outcome.actorId;
    const spec = specs[i] as SpawnSpec;
    const code: SpawnErrorCode = outcome.code === 'unknown-actor-type' || outcome.code === 'duplicate-name' ? outcome.code : 'spawn-failed';
    throw new SpawnError(code, `cannot spawn ${spec.typeName} '${spec.name}' on ${procId}: ${outcome.message}`, spec.typeName, spec.name, String(procId));
  });
}

/** @internal One round trip to the spawner of `procId`: an outcome per spec (SP-SPAWN-1), as an ask (actor/ask.ts). */
export async function requestSpawn(cx: SpawnContext, procId: ProcId, specs: readonly SpawnSpec[], options?: SpawnOptions): Promise<SpawnOutcome[]> {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  try {
    return await spawnerRef(procId).ask(cx, { type: 'spawn', specs: specs as SpawnSpec[] }, { timeoutMs });
  } catch (err) {
    if (!(err instanceof AskError)) {
      for (const spec of specs) checkSendable(spec, procId); // RS-1: name the spec and the field
      throw err;
    }
    // RS-2: no answer, or the request came back (the proc or its spawner is gone)
    const first = specs[0];
    const what = specs.length === 1 && first !== undefined ? `${first.typeName} '${first.name}'` : `${specs.length} actors`;
    const why = err.code === 'ask-timeout' ? `no answer from its spawner within ${timeoutMs} ms (is the proc gone?)` : err.message;
    throw new SpawnError('unreachable', `cannot spawn ${what} on ${procId}: ${why}`, first?.typeName ?? '', first?.name ?? '', String(procId), { cause: err });
  }
}

/** RS-1 (on the error path only: the happy path serializes once) */
function checkSendable(spec: SpawnSpec, procId: ProcId): void {
  try {
    encodePayload(spec.params);
  } catch (err) {
    if (!(err instanceof CodecError)) throw err;
    const field = err.message.replace(/^cannot send msg/, 'params');
    throw new SpawnError('unsendable', `cannot spawn ${spec.typeName} '${spec.name}' on ${procId}: ${field}`, spec.typeName, spec.name, String(procId), { cause: err });
  }
}
