/**
 * mesh/spawner.ts: the spawner, a system actor on every proc that spawns registered actor types
 * on request (upstream's remote spawn: `ProcMeshAgent`'s `gspawn`, `Remote` registry). Any actor
 * on any proc, in any thread or process, reaches the spawner of proc `P` by the well-known id
 * `P,procmesh_spawner[0]` and asks it for a batch of root actors in one round trip; it answers with
 * one outcome per request, in order.
 *
 * ## Invariants
 *
 * - SP-SPAWN-1: the spawner never fails: each request of a batch gets its own outcome (an actor
 *   id, or an error code and message), and one bad request does not stop the rest.
 * - SP-SPAWN-2: a request with a `point` spawns a mesh member bound to it (mesh/point.ts PTB-1).
 */
import type { Actor, ActorHandle, Context } from '../actor/instance.js';
import { createActor } from '../actor/registry.js';
import { ProcmeshError } from '../errors.js';
import { ActorId, type ProcId } from '../id.js';
import type { Proc } from '../proc.js';
import { ActorRef, type OncePortRef } from '../ref.js';
import { bindMember, type Point } from './point.js';

/** The root name of the spawner on every proc. */
export const SPAWNER_NAME = 'procmesh_spawner';

/** One actor to spawn: a registered type, a root name, parameters, and a mesh point if a member. */
export interface SpawnSpec {
  readonly typeName: string;
  readonly name: string;
  readonly params: unknown;
  readonly point?: Point;
}

/** The spawner's answer for one `SpawnSpec`. */
export type SpawnOutcome = { readonly ok: true; readonly actorId: ActorId } | { readonly ok: false; readonly code: string; readonly message: string };

export type SpawnerMsg = { type: 'spawn'; specs: SpawnSpec[]; reply: OncePortRef<SpawnOutcome[]> };

class Spawner implements Actor<SpawnerMsg> {
  constructor(private readonly proc: Proc) {}

  handle(cx: Context<SpawnerMsg>, msg: SpawnerMsg): void {
    msg.reply.send(cx, msg.specs.map((spec) => this.spawnOne(spec)));
  }

  /** SP-SPAWN-1, SP-SPAWN-2 */
  private spawnOne(spec: SpawnSpec): SpawnOutcome {
    try {
      const actor = createActor(spec.typeName, spec.params);
      if (spec.point !== undefined) bindMember(actor, spec.point);
      const handle = this.proc.spawn(spec.name, actor);
      return { ok: true, actorId: handle.bind().actorId };
    } catch (err) {
      const code = err instanceof ProcmeshError && (err.code === 'unknown-actor-type' || err.code === 'duplicate-name') ? err.code : 'spawn-failed';
      return { ok: false, code, message: err instanceof Error ? err.message : String(err) };
    }
  }

  displayName(): string {
    return 'spawner';
  }
}

/** Start the spawner of `proc` (a host does it for each proc it builds). */
export function startSpawner(proc: Proc): ActorHandle<SpawnerMsg> {
  const handle = proc.spawn(SPAWNER_NAME, new Spawner(proc));
  handle.bind();
  return handle;
}

/** The spawner of the proc `procId`, wherever it runs. */
export function spawnerRef(procId: ProcId): ActorRef<SpawnerMsg> {
  return ActorRef.attest<SpawnerMsg>(ActorId.root(procId, SPAWNER_NAME));
}
