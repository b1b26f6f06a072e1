/**
 * Proc restarts (issue 12, DESIGN decision 14): with `ProcHostOptions.restart`, a worker proc
 * torn down by the failure policy or killed from outside is replaced by a fresh worker with the
 * same `ProcId`, its roots spawned again from their registered type and parameters, so refs keep
 * working (HO-3, LL-5); past the restart intensity it is given up on (RI-1). Real workers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { HostError, ProcHost, type InspectionEvent, type ProcHostOptions } from '@procmesh/worker-host';
import { ACTOR_PORT, Point, gather, sum, type ActorRef, type Instance, type Undeliverable } from '@procmesh/core';
import { Counter, MeshMember, type CounterMsg } from './fixtures/mesh-actors.js';

const modules = [new URL('./fixtures/mesh-actors.js', import.meta.url)];
const T = { timeout: 90_000 };

async function withHost(procs: number, body: (host: ProcHost, events: InspectionEvent[]) => Promise<void>, options: ProcHostOptions = {}): Promise<void> {
  const host = await ProcHost.start({ procs, modules, teardownTimeoutMs: 500, restart: { maxRestarts: 3, withinMs: 60_000 }, ...options });
  const events: InspectionEvent[] = [];
  host.supervisor.inspect((e) => events.push(e));
  try {
    await body(host, events);
  } finally {
    await host.shutdown(500);
  }
}

function next(host: ProcHost, type: InspectionEvent['type']): Promise<InspectionEvent> {
  return new Promise((resolve) => {
    const off = host.supervisor.inspect((e) => {
      if (e.type === type) {
        off();
        resolve(e);
      }
    });
  });
}

async function get(host: ProcHost, ref: ActorRef<CounterMsg>, cx: Instance<never> = host.client): Promise<number> {
  const [reply, answer] = cx.openOncePort<{ count: number; proc: string; incarnation: number }>();
  ref.send(cx, { type: 'get', reply: reply.bind() });
  return (await answer.recv()).count;
}

describe('proc restarts (issue 12)', () => {
  it('HO-3: a proc torn down after a failure restarts with the same ProcId, and the old ref reaches the respawned actor', T, async () => {
    await withHost(2, async (host, events) => {
      const counter = await host.spawn(1, Counter, 'counter', { start: 5 });
      counter.send(host.client, { type: 'inc', by: 10 });
      assert.equal(await get(host, counter), 15);
      const restarted = next(host, 'proc-restarted');
      counter.send(host.client, { type: 'crash' });
      const e = await restarted;
      assert.equal(e.type === 'proc-restarted' && String(e.procId), 'local:1,proc_1');
      // the same ref, to the fresh incarnation (started again from its parameters)
      assert.equal(await get(host, counter), 5);
      assert.deepEqual(
        events.filter((x) => x.type === 'actor-restarted').map((x) => x.type === 'actor-restarted' && `${x.actorId} ${x.typeName}`),
        ['local:1,proc_1,counter[0] Counter'],
      );
      assert.equal(host.procIds().get(1)?.toString(), 'local:1,proc_1');
    });
  });

  it('HO-3: a worker terminated from outside (killProc) is restarted, and refs from other procs keep working', T, async () => {
    await withHost(2, async (host) => {
      const counter = await host.spawn(2, Counter, 'counter', { start: 1 });
      const restarted = next(host, 'proc-restarted');
      await host.killProc(2);
      await restarted;
      counter.send(host.client, { type: 'inc', by: 1 });
      assert.equal(await get(host, counter), 2);
    });
  });

  it('HO-3: a mesh member is respawned with its rank: a cast after the restart binds it again', T, async () => {
    await withHost(3, async (host) => {
      const mesh = await host.spawnMesh(MeshMember, 'member', { scale: 1 });
      const restarted = next(host, 'proc-restarted');
      await host.killProc(2);
      await restarted;
      const [reply, total] = gather(host.client, sum(), mesh.size);
      mesh.cast(host.client, { type: 'square', point: Point.unbound, reply });
      assert.equal(await total, 0 + 1 + 4);
    });
  });

  it('RI-1: a worker restarted 3 times is given up on at its 4th death', T, async () => {
    await withHost(1, async (host, events) => {
      await host.spawn(1, Counter, 'counter', { start: 0 });
      for (let i = 0; i < 3; i++) {
        const restarted = next(host, 'proc-restarted');
        await host.killProc(1);
        const e = await restarted;
        assert.equal(e.type === 'proc-restarted' && e.restarts, i + 1);
      }
      const exceeded = next(host, 'restart-intensity-exceeded');
      await host.killProc(1);
      const e = await exceeded;
      assert.deepEqual(e.type === 'restart-intensity-exceeded' && [String(e.procId), e.maxRestarts, e.withinMs], ['local:1,proc_1', 3, 60_000]);
      assert.equal(events.filter((x) => x.type === 'proc-restarted').length, 3);
      assert.equal(host.procIds().has(1), false);
      await assert.rejects(host.spawn(1, Counter, 'again', { start: 0 }), (err: unknown) => err instanceof HostError && err.code === 'proc-gone');
    });
  });

  it('HO-3: a worker that runs out of memory under resourceLimits is restarted, and its ref reaches the respawned actor', T, async () => {
    await withHost(
      2,
      async (host, events) => {
        const counter = await host.spawn(1, Counter, 'counter', { start: 7 });
        counter.send(host.client, { type: 'inc', by: 1 });
        assert.equal(await get(host, counter), 8);
        const restarted = next(host, 'proc-restarted');
        counter.send(host.client, { type: 'hog' });
        await restarted;
        const crashed = events.find((e) => e.type === 'worker-crashed');
        assert.match(crashed?.type === 'worker-crashed' ? String(crashed.error) : '', /reaching memory limit: JS heap out of memory/);
        // the same ref, to the fresh incarnation: started again from its parameters
        assert.equal(await get(host, counter), 7);
      },
      { resourceLimits: { maxOldGenerationSizeMb: 48 } },
    );
  });

  it('HO-3: envelopes sent while a proc restarts come back to their sender or reach the new incarnation, none lost', T, async () => {
    await withHost(1, async (host) => {
      const [cx] = host.proc.instance('sender');
      let returned = 0;
      cx.mailbox.openEnqueuePort<Undeliverable>(ACTOR_PORT.UNDELIVERABLE, () => returned++, 'Undeliverable').bind();
      const counter = await host.spawn(1, Counter, 'counter', { start: 0 });
      let restarted = false;
      void next(host, 'proc-restarted').then(() => (restarted = true));
      await host.killProc(1);
      let sent = 0;
      // during the restart window (routes dropped, then a fresh worker without its roots yet) ...
      while (!restarted) {
        counter.send(cx, { type: 'inc', by: 1 });
        sent++;
        await yieldTurn();
      }
      // ... and after it
      for (let i = 0; i < 10; i++, sent++) counter.send(cx, { type: 'inc', by: 1 });
      // every one is counted by the new incarnation or returned; `get` follows the incs (same sender)
      for (;;) {
        const count = await get(host, counter, cx);
        assert.ok(count + returned <= sent, `${count} handled + ${returned} returned > ${sent} sent`);
        if (count + returned === sent) {
          assert.ok(returned > 0 && count >= 10, `${count} handled, ${returned} returned`);
          break;
        }
        await yieldTurn();
      }
    });
  });

  it('HO-4: a worker killed while its restart respawns its roots is restarted again, and the ref reaches that incarnation', T, async () => {
    await withHost(2, async (host, events) => {
      const counter = await host.spawn(1, Counter, 'counter', { start: 3 });
      // the fresh worker is ready (proc-started) and its roots not yet respawned: kill it then
      let started = 0;
      const off = host.supervisor.inspect((e) => {
        if (e.type === 'proc-started' && e.proc === 1 && ++started === 1) host.killProc(1).catch(() => undefined);
      });
      const restarted = next(host, 'proc-restarted');
      await host.killProc(1);
      const e = await restarted;
      off();
      assert.equal(started, 2);
      assert.equal(e.type === 'proc-restarted' && e.restarts, 2); // the killed attempt counts
      assert.equal(await get(host, counter), 3);
      assert.equal(events.filter((x) => x.type === 'worker-crashed').length, 2);
    });
  });
});
