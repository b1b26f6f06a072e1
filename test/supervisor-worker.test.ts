/**
 * A supervisor in a worker proc (supervise/supervisor.ts SU-1, SU-2): the main thread reaches
 * the supervised child by `Supervisor.childRef` of the supervisor's ref, the child fails in the
 * worker, is restarted there, and the same ref reaches the new incarnation.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcHost } from '@procmesh/worker-host';
import { Supervisor, type ChildInfo, type SupervisorMsg } from '@procmesh/core';
import type { SupervisedCounterMsg } from './fixtures/actors.js';

const modules = [new URL('./fixtures/actors.js', import.meta.url)];

describe('supervisor in a worker proc', () => {
  it('SU-1: a ref to a supervised child keeps working across its restart in a worker', { timeout: 30_000 }, async () => {
    const host = await ProcHost.start({ procs: 1, modules, teardownTimeoutMs: 500 });
    try {
      const sup = await host.spawn<SupervisorMsg>(1, 'CounterSupervisor', 'sup');
      const counter = Supervisor.childRef<SupervisedCounterMsg>(sup, 'counter');
      const get = async (): Promise<number> => {
        const [reply, answer] = host.client.openOncePort<number>();
        counter.send(host.client, { type: 'get', reply: reply.bind() });
        return answer.recv();
      };
      const children = async (): Promise<ChildInfo[]> => {
        const [reply, answer] = host.client.openOncePort<ChildInfo[]>();
        sup.send(host.client, { type: 'which-children', reply: reply.bind() });
        return answer.recv();
      };
      counter.send(host.client, { type: 'inc' });
      assert.equal(await get(), 1);
      counter.send(host.client, { type: 'fail' });
      let info = await children();
      while (info[0]?.restarts !== 1 || info[0].state !== 'running') info = await children();
      assert.equal(String(info[0].actorId), String(counter.actorId));
      assert.equal(await get(), 0, 'the same ref reaches the new incarnation');
    } finally {
      await host.shutdown(500);
    }
  });
});
