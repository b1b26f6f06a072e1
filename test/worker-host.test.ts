/**
 * Worker host with real workers (issue 4): cross-proc request/reply with refs nested in
 * messages, per-sender FIFO under load, supervision reaching the main thread with the original
 * failing actor's id, worker deaths of each kind, sends to a torn-down proc, clean shutdown.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostError, ProcHost, type SupervisionFailure, type InspectionEvent } from '@procmesh/worker-host';
import { ProcmeshError, type ActorRef } from '@procmesh/core';
import type { BlasterMsg, BounceMsg, DieMsg, EchoMsg, ParentMsg, RelayMsg, SeqMsg } from './fixtures/actors.js';

const modules = [new URL('./fixtures/actors.js', import.meta.url)];

async function withHost(procs: number, body: (host: ProcHost) => Promise<void>, options: { resourceLimits?: { maxOldGenerationSizeMb: number }; ringCapacity?: number } = {}): Promise<void> {
  const host = await ProcHost.start({ procs, modules, teardownTimeoutMs: 500, ...options });
  try {
    await body(host);
  } finally {
    await host.shutdown(500);
  }
}

function nextFailure(host: ProcHost): Promise<SupervisionFailure> {
  return new Promise((resolve) => host.supervisor.once('failure', resolve));
}

function nextInspection(host: ProcHost, type: InspectionEvent['type']): Promise<InspectionEvent> {
  return new Promise((resolve) => {
    const off = host.supervisor.inspect((e) => {
      if (e.type === type) {
        off();
        resolve(e);
      }
    });
  });
}

describe('worker host (issue 4)', () => {
  it('failed control calls are HostErrors with a closed code: the worker-side code, or the host\'s own', { timeout: 30_000 }, async () => {
    await withHost(1, async (host) => {
      const is = (code: HostError['code']) => (e: unknown) => e instanceof ProcmeshError && e instanceof HostError && e.code === code;
      await assert.rejects(host.spawn(1, 'NoSuchType', 'x'), is('unknown-actor-type'));
      await assert.rejects(host.spawn(9, 'Echo', 'x'), is('no-such-proc'));
      await host.spawn(1, 'Echo', 'twice');
      await assert.rejects(host.spawn(1, 'Echo', 'twice'), is('duplicate-name'));
    });
  });

  it('answers a request from the main thread with a reply from a worker proc', { timeout: 30_000 }, async () => {
    await withHost(2, async (host) => {
      const echo = await host.spawn<EchoMsg>(2, 'Echo', 'echo');
      const [reply, answer] = host.client.openOncePort<{ from: string; payload: unknown }>();
      echo.send(host.client, { type: 'echo', payload: { n: 42, nested: [1, 'two'] }, reply: reply.bind() });
      const got = await answer.recv();
      assert.equal(got.from, 'local:2,proc_2');
      assert.deepEqual(got.payload, { n: 42, nested: [1, 'two'] });
    });
  });

  it('carries a ref nested in a message from proc to proc (relay 1 -> 2 -> main)', { timeout: 30_000 }, async () => {
    await withHost(2, async (host) => {
      const echo = await host.spawn<EchoMsg>(2, 'Echo', 'echo');
      const relay = await host.spawn<RelayMsg>(1, 'Relay', 'relay');
      const [reply, answer] = host.client.openOncePort<{ from: string; payload: unknown }>();
      relay.send(host.client, { type: 'relay', via: echo, payload: 'hi', reply: reply.bind() });
      const got = await answer.recv();
      assert.equal(got.from, 'local:2,proc_2');
      assert.equal(got.payload, 'hi');
    });
  });

  it('keeps per-sender FIFO across procs under load', { timeout: 60_000 }, async () => {
    await withHost(2, async (host) => {
      const checker = await host.spawn<SeqMsg>(2, 'SeqChecker', 'checker');
      const blasters: ActorRef<BlasterMsg>[] = [await host.spawn<BlasterMsg>(1, 'Blaster', 'b1'), await host.spawn<BlasterMsg>(1, 'Blaster', 'b2')];
      const count = 20_000;
      const dones = blasters.map((b) => {
        const [done, rx] = host.client.openOncePort<number>();
        b.send(host.client, { type: 'blast', target: checker, count, done: done.bind() });
        return rx.recv();
      });
      await Promise.all(dones);
      const [reply, report] = host.client.openOncePort<{ received: number; violations: number }>();
      checker.send(host.client, { type: 'report', reply: reply.bind() });
      // The report is sent after both blasts from the main thread, which has its own link;
      // poll until every message arrived.
      let result = await report.recv();
      while (result.received < 2 * count) {
        const [r2, rep2] = host.client.openOncePort<{ received: number; violations: number }>();
        checker.send(host.client, { type: 'report', reply: r2.bind() });
        result = await rep2.recv();
      }
      assert.deepEqual(result, { received: 2 * count, violations: 0 });
    });
  });

  it('delivers a burst larger than a ring, sent before its link existed, whole and in order (LZ-1, LL-4)', { timeout: 60_000 }, async () => {
    // a 64 KiB ring holds ~700 of these envelopes: the rest wait in the link's queue, none bounced
    await withHost(
      2,
      async (host) => {
        const failures: SupervisionFailure[] = [];
        host.supervisor.on('failure', (failure) => failures.push(failure));
        const checker = await host.spawn<SeqMsg>(2, 'SeqChecker', 'checker');
        const blaster = await host.spawn<BlasterMsg>(1, 'Blaster', 'burst');
        const count = 200_000;
        const [done, sent] = host.client.openOncePort<number>();
        blaster.send(host.client, { type: 'blast', target: checker, count, done: done.bind() });
        assert.equal(await sent.recv(), count);
        let result = { received: 0, violations: 0 };
        while (result.received < count) {
          // a bounced envelope fails the blaster (its Undeliverable handling): stop there
          assert.deepEqual(failures, []);
          const [reply, report] = host.client.openOncePort<{ received: number; violations: number }>();
          checker.send(host.client, { type: 'report', reply: reply.bind() });
          result = await report.recv();
        }
        assert.deepEqual(result, { received: count, violations: 0 });
        assert.deepEqual(failures, []);
      },
      { ringCapacity: 1 << 16 },
    );
  });

  it('reports a child failure to the main-thread supervisor with the original failing actor id', { timeout: 30_000 }, async () => {
    await withHost(1, async (host) => {
      const parent = await host.spawn<ParentMsg>(1, 'Parent', 'parent');
      const failure = nextFailure(host);
      const [ack, childId] = host.client.openOncePort<string>();
      parent.send(host.client, { type: 'fail-child', ack: ack.bind() });
      const id = await childId.recv();
      const f = await failure;
      assert.equal(String(f.event.actorId), id);
      assert.equal(f.event.actorStatus.kind, 'failed');
      assert.match(String(f.event.actorStatus), /child boom/);
    });
  });

  for (const [kind, msg] of [
    ['process.exit', { type: 'exit' }],
    ['an uncaught exception outside a handler', { type: 'uncaught' }],
  ] as const) {
    it(`detects a worker that dies by ${kind} and fails its root actors`, { timeout: 30_000 }, async () => {
      await withHost(1, async (host) => {
        const dier = await host.spawn<DieMsg>(1, 'Dier', 'dier');
        const crashed = nextInspection(host, 'worker-crashed');
        const failure = nextFailure(host);
        dier.send(host.client, msg);
        const c = await crashed;
        assert.equal(c.proc, 1);
        const f = await failure;
        assert.equal(String(f.event.actorId), String(dier.actorId));
        assert.equal(f.event.isError(), true);
      });
    });
  }

  it('detects a worker that runs out of memory under resourceLimits', { timeout: 60_000 }, async () => {
    await withHost(
      1,
      async (host) => {
        const dier = await host.spawn<DieMsg>(1, 'Dier', 'dier');
        const crashed = nextInspection(host, 'worker-crashed');
        const failure = nextFailure(host);
        dier.send(host.client, { type: 'oom' });
        const c = await crashed;
        assert.equal(c.type === 'worker-crashed' && c.error !== undefined && /memory/i.test(c.error), true);
        await failure;
      },
      { resourceLimits: { maxOldGenerationSizeMb: 32 } },
    );
  });

  it('tears down a proc whose handler is wedged (destroyProc terminates the worker)', { timeout: 30_000 }, async () => {
    await withHost(1, async (host) => {
      const dier = await host.spawn<DieMsg>(1, 'Dier', 'dier');
      const [ack, wedged] = host.client.openOncePort<boolean>();
      dier.send(host.client, { type: 'wedge', ack: ack.bind() });
      await wedged.recv();
      const stopped = nextInspection(host, 'proc-stopped');
      await host.destroyProc(1, 'wedged');
      assert.equal((await stopped).proc, 1);
      assert.equal(host.procIds().has(1), false);
    });
  });

  it('returns a send to a torn-down proc to its sender as undeliverable (BrokenLink)', { timeout: 30_000 }, async () => {
    await withHost(2, async (host) => {
      const echo = await host.spawn<EchoMsg>(2, 'Echo', 'echo');
      const bouncer = await host.spawn<BounceMsg>(1, 'Bouncer', 'bouncer');
      const [watch, returned] = host.client.openPort<string>();
      bouncer.send(host.client, { type: 'returned', reply: watch.bind() });
      await host.destroyProc(2, 'test teardown');
      const [reply] = host.client.openOncePort<{ from: string; payload: unknown }>();
      bouncer.send(host.client, { type: 'send', target: echo, reply: reply.bind() });
      assert.match(await returned.recv(), /broken link/);
    });
  });

  it('returns envelopes still unread in the ring of a proc whose thread died (LL-2)', { timeout: 30_000 }, async () => {
    await withHost(2, async (host) => {
      const stuck = await host.spawn<DieMsg>(2, 'Dier', 'stuck');
      const bouncer = await host.spawn<BounceMsg>(1, 'Bouncer', 'bouncer');
      // the link from proc 2 to main first: the stuck actor's ack must not wait for one
      const echo = await host.spawn<EchoMsg>(2, 'Echo', 'echo');
      const [hello, answered] = host.client.openOncePort<{ from: string; payload: unknown }>();
      echo.send(host.client, { type: 'echo', payload: 'hello', reply: hello.bind() });
      await answered.recv();
      const [watch, returned] = host.client.openPort<string>();
      bouncer.send(host.client, { type: 'returned', reply: watch.bind() });
      const [ack, spinning] = host.client.openOncePort<boolean>();
      stuck.send(host.client, { type: 'spin', ack: ack.bind() });
      await spinning.recv();
      const count = 50;
      const [sent, allSent] = host.client.openOncePort<number>();
      bouncer.send(host.client, { type: 'send-many', target: stuck, count, ack: sent.bind() });
      await allSent.recv();
      await host.destroyProc(2, 'stuck in a loop');
      const errors: string[] = [];
      while (errors.length < count) errors.push(await returned.recv());
      assert.equal(errors.length, count);
      assert.ok(errors.every((e) => /broken link/.test(e)));
    });
  });

  it('shuts down cleanly: no worker left running', { timeout: 30_000 }, async () => {
    const host = await ProcHost.start({ procs: 2, modules });
    const ids = host.procIds();
    assert.equal(ids.size, 2);
    await host.shutdown();
    assert.equal(host.procIds().size, 0);
  });
});
