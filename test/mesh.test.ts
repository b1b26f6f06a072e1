/**
 * Typed registration, spawning anywhere and actor meshes (issue 12), with real workers: typed
 * spawns (`ActorType` tokens: REG-1), typed errors for unknown types and unsendable parameters
 * (RS-1), remote and batch spawn from an actor inside a worker (SP-SPAWN-1), cast with rank
 * binding (AM-1, PTB-1) and gather over 4 procs, one `MeshFailure` naming the failed rank (AM-2),
 * also for a mesh an actor in a worker spawned (MW-1).
 * Upstream: hyperactor_mesh `actor_mesh.rs` tests `test_basic` (cast, rank binding) and
 * `test_cast_failure` / supervision tests (the mesh's failure reaching its owner).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostError, ProcHost } from '@procmesh/worker-host';
import { ActorRef, Point, SpawnError, actorType, collect, firstError, gather, spawnRemote, sum, type MeshFailure } from '@procmesh/core';
import { Client, Counter, MeshMember, MeshOwner, type CounterMsg, type OwnerReport } from './fixtures/mesh-actors.js';

const modules = [new URL('./fixtures/mesh-actors.js', import.meta.url)];
const T = { timeout: 60_000 };

async function withHost(procs: number, body: (host: ProcHost) => Promise<void>): Promise<void> {
  const host = await ProcHost.start({ procs, modules, teardownTimeoutMs: 500 });
  host.supervisor.on('failure', () => undefined);
  try {
    await body(host);
  } finally {
    await host.shutdown(500);
  }
}

async function get(host: ProcHost, ref: ActorRef<CounterMsg>): Promise<{ count: number; proc: string; incarnation: number }> {
  const [reply, answer] = host.client.openOncePort<{ count: number; proc: string; incarnation: number }>();
  ref.send(host.client, { type: 'get', reply: reply.bind() });
  return answer.recv();
}

describe('typed registration and spawning anywhere (issue 12)', () => {
  it('REG-1: a registered type spawns with typed parameters and gives a typed ref', T, async () => {
    await withHost(1, async (host) => {
      const counter = await host.spawn(1, Counter, 'counter', { start: 5 });
      counter.send(host.client, { type: 'inc', by: 2 });
      // @ts-expect-error a CounterMsg has no 'dec'
      const bad: Parameters<typeof counter.send>[1] = { type: 'dec' };
      void bad;
      // @ts-expect-error the parameters are { start: number }
      void (() => host.spawn(1, Counter, 'typo', { begin: 1 }));
      assert.deepEqual((await get(host, counter)).count, 7);
    });
  });

  it('REG-1: an unknown type name fails with unknown-actor-type naming the type', T, async () => {
    await withHost(1, async (host) => {
      const NoSuch = actorType<CounterMsg, { start: number }>('NoSuchCounter');
      await assert.rejects(host.spawn(1, NoSuch, 'x', { start: 0 }), (e: unknown) => e instanceof HostError && e.code === 'unknown-actor-type' && /'NoSuchCounter'/.test(e.message));
    });
  });

  it('RS-1: parameters that cannot be serialized fail with unsendable naming the type, the actor and the field', T, async () => {
    await withHost(1, async (host) => {
      const procId = host.procIds().get(1);
      assert.ok(procId !== undefined);
      const params = { start: 1, onDone: () => undefined } as unknown as { start: number };
      await assert.rejects(spawnRemote(host.client, procId, Counter, 'fn', params), (e: unknown) => {
        return e instanceof SpawnError && e.code === 'unsendable' && e.typeName === 'Counter' && e.actorName === 'fn' && /params\.onDone: function/.test(e.message);
      });
    });
  });

  it('SP-SPAWN-1: an actor in a worker spawns on another proc and gets a working typed ref', T, async () => {
    await withHost(2, async (host) => {
      const client = await host.spawn(1, Client, 'client', undefined);
      const on = host.procIds().get(2);
      assert.ok(on !== undefined);
      const [reply, answer] = host.client.openOncePort<ActorRef<CounterMsg> | string>();
      client.send(host.client, { type: 'spawn-one', on, name: 'remote', start: 40, reply: reply.bind() });
      const ref = await answer.recv();
      assert.ok(ref instanceof ActorRef, String(ref));
      assert.equal(String(ref.actorId), 'local:2,proc_2,remote[0]');
      ref.send(host.client, { type: 'inc', by: 2 });
      assert.deepEqual(await get(host, ref), { count: 42, proc: 'local:2,proc_2', incarnation: 1 });
    });
  });

  it('SP-SPAWN-1: a batch is spawned in one request, and a duplicate name in it is a typed error', T, async () => {
    await withHost(2, async (host) => {
      const client = await host.spawn(1, Client, 'client', undefined);
      const on = host.procIds().get(2);
      assert.ok(on !== undefined);
      const batch = async (names: string[]): Promise<ActorRef<CounterMsg>[] | string> => {
        const [reply, answer] = host.client.openOncePort<ActorRef<CounterMsg>[] | string>();
        client.send(host.client, { type: 'spawn-batch', on, names, reply: reply.bind() });
        return answer.recv();
      };
      const refs = await batch(['a', 'b', 'c']);
      assert.ok(Array.isArray(refs), String(refs));
      assert.deepEqual(await Promise.all(refs.map(async (r) => (await get(host, r)).count)), [0, 1, 2]);
      assert.match(String(await batch(['d', 'a'])), /^duplicate-name: cannot spawn Counter 'a' on local:2,proc_2/);
    });
  });
});

describe('actor meshes and cast (issue 12)', () => {
  it('AM-1, PTB-1: a cast over 4 procs binds each rank, and gather sums the replies', T, async () => {
    await withHost(4, async (host) => {
      const mesh = await host.spawnMesh(MeshMember, 'member', { scale: 3 });
      assert.equal(mesh.size, 4);
      const [reply, total] = gather(host.client, sum(), mesh.size);
      mesh.cast(host.client, { type: 'square', point: Point.unbound, reply });
      assert.equal(await total, 3 * (0 + 1 + 4 + 9));
    });
  });

  it('AM-1: gather collects one reply per rank, each from its own proc, with the mesh extent', T, async () => {
    await withHost(4, async (host) => {
      const mesh = await host.spawnMesh(MeshMember, 'member', { scale: 1 });
      const [reply, all] = gather(host.client, collect<{ proc: string; size: number }>(mesh.size), mesh.size);
      mesh.cast(host.client, { type: 'whoami', point: Point.unbound, reply });
      assert.deepEqual(await all, [1, 2, 3, 4].map((i) => ({ proc: `local:${i},proc_${i}`, size: 4 })));
    });
  });

  it('gather with firstError keeps the values and the first failed rank', T, async () => {
    await withHost(4, async (host) => {
      const mesh = await host.spawnMesh(MeshMember, 'member', { scale: 1 });
      const [reply, result] = gather(host.client, firstError<number>(mesh.size), mesh.size);
      mesh.cast(host.client, { type: 'check', point: Point.unbound, failRank: 2, reply });
      const { values, error } = await result;
      assert.deepEqual(error, { rank: 2, error: 'rank 2 refused' });
      assert.deepEqual(values, [0, 10, undefined, 30]);
    });
  });

  it('AM-2: a member that fails reaches the owner as one MeshFailure naming its rank', T, async () => {
    await withHost(4, async (host) => {
      const mesh = await host.spawnMesh(MeshMember, 'member', { scale: 1 }, [1, 2, 3, 4]);
      const failed = new Promise<MeshFailure>((resolve) => mesh.onFailure(resolve));
      mesh.cast(host.client, { type: 'crash-if', point: Point.unbound, rank: 1 });
      const failure = await failed;
      assert.equal(failure.mesh, 'member');
      assert.deepEqual(failure.ranks, [1]);
      assert.equal(String(failure.events[0]?.actorId), 'local:2,proc_2,member[0]');
    });
  });
});

describe('meshes spawned by an actor in a worker (MW-1)', () => {
  /** Spawn a `MeshOwner` on proc 1 and let it spawn a mesh over `on`; its reports arrive on the receiver. */
  async function owned(host: ProcHost, on: number[]) {
    const owner = await host.spawn(1, MeshOwner, 'owner', undefined);
    const [reportPort, reports] = host.client.openPort<OwnerReport>();
    const [reply, answer] = host.client.openOncePort<string[] | string>();
    owner.send(host.client, { type: 'spawn-mesh', on: on.map((i) => host.procIds().get(i) as NonNullable<ReturnType<ReturnType<ProcHost['procIds']>['get']>>), report: reportPort.bind(), reply: reply.bind() });
    const members = await answer.recv();
    assert.ok(Array.isArray(members), String(members));
    return { owner, members, reports };
  }

  it('MW-1: a member whose worker is killed from outside reaches the owner actor as one MeshFailure naming its rank', T, async () => {
    await withHost(4, async (host) => {
      const { members, reports } = await owned(host, [2, 3, 4]);
      assert.deepEqual(members, ['local:2,proc_2,member[0]', 'local:3,proc_3,member[0]', 'local:4,proc_4,member[0]']);
      await host.killProc(3);
      const report = await reports.recv();
      assert.equal(report.owner, 'local:1,proc_1,owner[0]');
      assert.equal(report.mesh, 'member');
      assert.deepEqual(report.ranks, [1]);
      assert.deepEqual(report.members, ['local:3,proc_3,member[0]']);
      assert.match(report.statuses[0] ?? '', /^failed: worker of local:3,proc_3 exited/);
      // the next failure names only its own rank: rank 1 was reported once
      await host.killProc(4);
      assert.deepEqual((await reports.recv()).ranks, [2]);
    });
  });

  it('MW-1: a member that fails (its worker torn down) reaches the owner actor as one MeshFailure naming its rank', T, async () => {
    await withHost(4, async (host) => {
      const { owner, reports } = await owned(host, [2, 3, 4]);
      owner.send(host.client, { type: 'cast-crash', rank: 0 });
      const report = await reports.recv();
      assert.deepEqual(report.ranks, [0]);
      assert.deepEqual(report.members, ['local:2,proc_2,member[0]']);
      assert.match(report.statuses[0] ?? '', /^failed: proc local:2,proc_2 was torn down: actor local:2,proc_2,member\[0\] failed/);
    });
  });
});
