/**
 * Teardown (spec §2 `destroyAndWait`, `destroyAndWaitExceptCurrent`, `abortRootActor`,
 * `stopActor`; §4.2.9): roots drained, stragglers aborted, the coordinator last (PD-3), the
 * forwarder flushed. Ports upstream's `test_coordinator_shuts_down_last_during_destroy`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BaseMailboxSender } from '../src/transport.js';
import {
  ChannelAddr,
  MailboxSenderError,
  Proc,
  ProcId,
  type MessageEnvelope,
} from '../src/index.js';
import { ProcSupervisionCoordinator } from '../src/testing.js';
import { TestActor, deferred, spawnChild, sync, wedge } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const names = (ids: readonly { name: string }[]): string[] => ids.map((id) => id.name).sort();

describe('destroyAndWait (§2, PD-3)', () => {
  it('test_coordinator_shuts_down_last_during_destroy: the coordinator receives every root\'s stop event (§4.2.9)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    for (const name of ['a', 'b', 'c']) proc.spawn(name, new TestActor());
    const { stopped, aborted } = await proc.destroyAndWait(5_000);
    assert.deepEqual(aborted, []);
    assert.deepEqual(names(stopped), ['a', 'b', 'c', 'coordinator']);
    assert.equal(stopped[stopped.length - 1]?.name, 'coordinator', 'the coordinator stops last');
    assert.deepEqual(
      coordinator.events.items.map((e) => `${e.actorId.name} ${e.actorStatus}`).sort(),
      ['a stopped: proc destroyed', 'b stopped: proc destroyed', 'c stopped: proc destroyed'],
    );
    assert.equal(String(coordinator.handleOf?.status), 'stopped: proc destroyed');
  });

  it('a wedged handler is aborted after the timeout; well-behaved roots are stopped (§2 step 3)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const good = proc.spawn('good', new TestActor());
    const wedged = proc.spawn('wedged', new TestActor());
    await wedge(client, wedged); // never released
    const { stopped, aborted } = await proc.destroyAndWait(50, undefined, 'teardown');
    assert.deepEqual(names(aborted), ['wedged']);
    assert.deepEqual(names(stopped), ['coordinator', 'good']);
    assert.equal(String(good.status), 'stopped: teardown');
    assert.equal(String(wedged.status), 'stopped: instance is dropped');
  });

  it('roots drain their queued work (§2 in-flight messages)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('root', actor);
    for (let i = 0; i < 3; i++) handle.send(client, { type: 'record', value: i });
    await proc.destroyAndWait(5_000);
    assert.deepEqual(actor.recorded, [0, 1, 2]);
  });

  it('children are stopped by their parent\'s teardown, without drain, and are not listed (§2 step 3)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const { stopped } = await proc.destroyAndWait(5_000);
    assert.deepEqual(names(stopped), ['root']);
    assert.equal(String(child.status), 'stopped: parent stopping');
  });

  it('client instances are not stopped (stopActor returns nothing for them) (§2 step 2)', T, async () => {
    const proc = Proc.local();
    const [, clientHandle] = proc.instance('client');
    proc.spawn('root', new TestActor());
    const { stopped, aborted } = await proc.destroyAndWait(5_000);
    assert.deepEqual(names(stopped), ['root']);
    assert.deepEqual(aborted, []);
    assert.equal(String(clientHandle.status), 'client');
  });

  it('the forwarder is flushed at the end of teardown (§2 step 5)', T, async () => {
    const flushes: string[] = [];
    class Recording extends BaseMailboxSender {
      postUnchecked(_envelope: MessageEnvelope): void {}
      override flush(): Promise<void> {
        flushes.push('flush');
        return Promise.resolve();
      }
    }
    const proc = Proc.configured(new ProcId(ChannelAddr.local(0), 'flushing'), new Recording());
    const root = proc.spawn('root', new TestActor());
    root.statusWatch().subscribe((s) => {
      if (s.kind === 'stopped') flushes.push('root stopped');
    });
    await proc.destroyAndWait(5_000);
    assert.deepEqual(flushes, ['root stopped', 'flush']);
  });

  it('from inside an actor: the caller is signalled, not awaited, and aborted last (§2 step 1, 6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const other = proc.spawn('other', new TestActor());
    const caller = proc.spawn('caller', new TestActor());
    const result = deferred<{ stopped: string[]; aborted: string[] }>();
    caller.send(client, {
      type: 'call',
      fn: async (cx) => {
        const r = await cx.proc.destroyAndWait(5_000, cx, 'from inside');
        result.resolve({ stopped: names(r.stopped), aborted: names(r.aborted) });
      },
    });
    assert.deepEqual(await result.promise, { stopped: ['other'], aborted: [] });
    assert.equal(String(other.status), 'stopped: from inside');
    assert.equal(String(caller.status), 'stopped: instance is dropped');
  });

  it('destroyAndWaitExceptCurrent: the caller survives its own call and then drains (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const caller = proc.spawn('caller', new TestActor());
    const done = deferred();
    caller.send(client, {
      type: 'call',
      fn: async (cx) => {
        await cx.proc.destroyAndWaitExceptCurrent(5_000, cx, true, 'except me');
        done.resolve();
      },
    });
    await done.promise;
    // The DrainAndStop it signalled to itself is handled once the handler returns.
    assert.equal(String(await caller.join()), 'stopped: except me');
  });
});

describe('abortRootActor (§2)', () => {
  it('no supervision event, children orphaned and running, status "stopped: instance is dropped" (§2)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const aborted = proc.abortRootActor(root.actorId);
    assert.ok(aborted);
    assert.equal(String(await aborted), String(root.actorId));
    assert.equal(String(root.status), 'stopped: instance is dropped');
    // the orphan keeps running, and now reports to the proc itself
    await sync(client, child);
    assert.equal(proc.getInstance(child.actorId)?.parent, undefined);
    child.drainAndStop('orphan done');
    const event = await coordinator.next((e) => e.actorId.equals(child.actorId));
    assert.equal(String(event.actorStatus), 'stopped: orphan done');
    assert.deepEqual(
      coordinator.events.items.map((e) => String(e.actorId)),
      [String(child.actorId)],
      'the aborted root emitted nothing',
    );
  });

  it('an unknown id gives undefined (§2)', () => {
    const proc = Proc.local();
    assert.equal(proc.abortRootActor(proc.procId.actorId('nobody')), undefined);
  });

  it('handle sends to an aborted actor fail: its receiver is gone (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    await proc.abortRootActor(root.actorId);
    assert.throws(
      () => root.send(client, { type: 'noop' }),
      (e: unknown) => e instanceof MailboxSenderError && e.code === 'other',
    );
  });

  it('works for children: the parent then stops without waiting for it (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    await proc.abortRootActor(child.actorId);
    assert.equal(String(child.status), 'stopped: instance is dropped');
    root.drainAndStop('done');
    assert.equal(String(await root.join()), 'stopped: done');
  });

  it('a wedged actor is detached at once: no more deliveries (DESIGN decision 5)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const root = proc.spawn('root', actor);
    const gate = await wedge(client, root);
    await proc.abortRootActor(root.actorId);
    assert.equal(String(root.status), 'stopped: instance is dropped');
    assert.throws(() => root.send(client, { type: 'record', value: 1 }), MailboxSenderError);
    gate.release();
    assert.deepEqual(actor.recorded, []);
  });
});

describe('stopActor (§2)', () => {
  it('sends DrainAndStop and returns the status watch (§2)', T, async () => {
    const proc = Proc.local();
    const root = proc.spawn('root', new TestActor());
    const watch = proc.stopActor(root.actorId, 'asked');
    assert.ok(watch);
    assert.equal(String(await watch.terminal()), 'stopped: asked');
  });

  it('works for children (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const watch = proc.stopActor(child.actorId, 'child only');
    assert.equal(String(await watch?.terminal()), 'stopped: child only');
    assert.equal(root.status.kind, 'idle');
  });

  it('undefined for an unknown id, a client, or an actor already gone (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    assert.equal(proc.stopActor(proc.procId.actorId('nobody'), 'x'), undefined);
    assert.equal(proc.stopActor(client.selfId, 'x'), undefined);
    const root = proc.spawn('root', new TestActor());
    root.drainAndStop('done');
    await root.join();
    assert.equal(proc.stopActor(root.actorId, 'again'), undefined);
  });
});
