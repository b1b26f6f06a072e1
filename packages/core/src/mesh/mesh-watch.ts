/**
 * mesh/mesh-watch.ts: the failures of the meshes an actor spawns (`spawnMesh(cx, ...)` from any
 * actor, on any proc), seen from the owner's proc (issue 12: "a mesh's failure reaches its owner
 * as one event naming the failed ranks", upstream `MeshFailure`). A host's own meshes get theirs
 * from the host, which sees every failure (`ProcHost.spawnMesh`); an actor in a worker does not,
 * so its proc watches for it: in a process of several procs (`LocalProc`), every proc is told
 * when another is gone (its worker torn down after an actor failed, terminated, or out of
 * memory: the host's `peerGone`), and that is when the members living there are gone too.
 *
 * ## Invariants
 *
 * - MW-1: when a proc hears that the proc at `addr` is gone, every mesh spawned on it with
 *   members at `addr` reports those members as failed (`failed: {reason}`), so each mesh's
 *   listeners get one `MeshFailure` naming those ranks (AM-2 coalesces them), in the owner's
 *   thread. A member is reported once: it is forgotten then (nothing respawns it; the owner
 *   decides, say with `spawnRemote`).
 * - MW-2: a proc holds a mesh only while some member of it was not reported; the cost is one map
 *   entry per member, nothing per message.
 */
import type { ChannelAddr } from '../addr.js';
import type { ActorId } from '../id.js';
import { ActorStatus } from '../status.js';
import { ActorSupervisionEvent } from '../supervision.js';

/** What the watch needs of a mesh (actor-mesh.ts `ActorMesh` has it). */
export interface WatchedMesh {
  readonly refs: readonly { readonly actorId: ActorId }[];
  reportFailure(event: ActorSupervisionEvent): boolean;
}

/** Per proc (the owner's `Proc` object): member address -> the meshes with members there. */
const watches = new WeakMap<object, Map<string, Set<WatchedMesh>>>();

/** MW-1: watch `mesh` (its owner is on `proc`) until each member was reported. */
export function watchMesh(proc: object, mesh: WatchedMesh): void {
  let byAddr = watches.get(proc);
  if (byAddr === undefined) watches.set(proc, (byAddr = new Map()));
  for (const ref of mesh.refs) {
    const addr = String(ref.actorId.proc.addr);
    let meshes = byAddr.get(addr);
    if (meshes === undefined) byAddr.set(addr, (meshes = new Set()));
    meshes.add(mesh);
  }
}

/** MW-1: the proc at `addr` is gone (told to `proc`, at `now` on its clock). */
export function meshProcGone(proc: object, addr: ChannelAddr, reason: string, now: number): void {
  const byAddr = watches.get(proc);
  const key = String(addr);
  const meshes = byAddr?.get(key);
  if (byAddr === undefined || meshes === undefined) return;
  byAddr.delete(key); // MW-2
  const status = ActorStatus.failed(reason);
  for (const mesh of meshes) {
    for (const ref of mesh.refs) {
      if (String(ref.actorId.proc.addr) === key) mesh.reportFailure(new ActorSupervisionEvent(ref.actorId, undefined, status, now));
    }
  }
}
