/**
 * The owner's proc watching the members of the meshes it spawned (mesh/mesh-watch.ts MW-1,
 * MW-2), without workers: a proc told that another is gone reports the members there as one
 * `MeshFailure` per mesh (AM-2), each member once. The same over real workers, with the owner
 * an actor in a worker, is in test/mesh.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActorMesh, ActorRef, ChannelAddr, ProcId, type MeshFailure } from '../src/index.js';
import { meshProcGone, watchMesh } from '../src/mesh/mesh-watch.js';

const T = { timeout: 10_000 };

const procAt = (index: number): ProcId => ProcId.withName(ChannelAddr.local(index), `proc_${index}`);

/** A mesh whose rank r is the actor `names[r]` on proc `local:{procs[r]}`. */
function meshOf(name: string, procs: number[], names: string[] = procs.map(() => name)): { mesh: ActorMesh<never>; failures: MeshFailure[] } {
  const mesh = new ActorMesh<never>(name, 'T', procs.map((p, r) => ActorRef.attest<never>(procAt(p).actorId(names[r] as string, 0))));
  const failures: MeshFailure[] = [];
  mesh.onFailure((f) => failures.push(f));
  return { mesh, failures };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('mesh watch (MW-1, MW-2)', () => {
  it('MW-1: the members on a gone proc reach each watching mesh as one MeshFailure naming their ranks', T, async () => {
    const owner = {};
    const a = meshOf('a', [2, 3, 2], ['a0', 'a1', 'a2']);
    const b = meshOf('b', [3, 2]);
    watchMesh(owner, a.mesh);
    watchMesh(owner, b.mesh);
    meshProcGone(owner, ChannelAddr.local(2), 'worker exited', 7);
    await turn();
    assert.deepEqual(a.failures.map((f) => f.ranks), [[0, 2]]);
    assert.deepEqual(b.failures.map((f) => f.ranks), [[1]]);
    const event = a.failures[0]?.events[1];
    assert.equal(String(event?.actorId), 'local:2,proc_2,a2[0]');
    assert.equal(String(event?.actorStatus), 'failed: worker exited');
    assert.equal(event?.occurredAt, 7);
  });

  it('MW-1: a member is reported once; a later death of its proc names nobody', T, async () => {
    const owner = {};
    const { mesh, failures } = meshOf('m', [2, 3]);
    watchMesh(owner, mesh);
    meshProcGone(owner, ChannelAddr.local(3), 'killed', 0);
    await turn();
    meshProcGone(owner, ChannelAddr.local(3), 'killed again', 0);
    await turn();
    assert.deepEqual(failures.map((f) => f.ranks), [[1]]);
  });

  it("MW-2: a proc hears only of its own meshes, and of no proc that holds none of their members", T, async () => {
    const owner = {};
    const other = {};
    const { mesh, failures } = meshOf('m', [2]);
    watchMesh(owner, mesh);
    meshProcGone(other, ChannelAddr.local(2), 'gone', 0);
    meshProcGone(owner, ChannelAddr.local(5), 'gone', 0);
    await turn();
    assert.deepEqual(failures, []);
  });
});
