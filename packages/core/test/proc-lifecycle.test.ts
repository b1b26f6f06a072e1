/**
 * Actor lifecycle: statuses and their display strings (spec §1.8), signals (§1.9), errors (§1.10),
 * child pids and named children (§1.2.1), stop orders (§4.2), client instances (§2 `instance`).
 * Ports upstream's `test_spawn_actor`, `test_spawn_child`, `test_child_lifecycle`,
 * `test_actor_panic`, `test_init`, `test_instance`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActorStatus,
  MailboxSenderError,
  Proc,
  ProcError,
} from '../src/index.js';
import { StatusCell, StatusTransitionError } from '../src/status.js';
import { ActorId } from '../src/id.js';
import type { ActorHandle, Instance } from '../src/actor/instance.js';
import type { MailboxMuxer } from '../src/mailbox/senders/muxer.js';
import { ProcSupervisionCoordinator } from '../src/testing.js';
import { TestActor, deferred, recordStatuses, spawnChild, sync, wedge, type TestMsg } from './fixtures/actors.js';

const T = { timeout: 10_000 };

describe('statuses (§1.8)', () => {
  it('test_spawn_actor: created -> initializing -> idle -> processing -> idle -> stopping -> stopped (§1.8)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('test', new TestActor());
    assert.equal(actor.status.kind, 'created');
    const seen = recordStatuses(actor);
    await sync(client, actor);
    actor.drainAndStop('done');
    await actor.join();
    assert.deepEqual(seen, ['initializing', 'idle', 'processing', 'idle', 'stopping', 'stopped']);
  });

  it('test_spawn_actor: processing while a handler runs, with its type and arm; idle after (§1.8)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('test', new TestActor());
    const gate = await wedge(client, actor);
    const status = actor.status;
    assert.equal(status.kind, 'processing');
    assert.ok(status.kind === 'processing' && status.since <= Date.now());
    assert.match(String(status), /^TestActor\.wait: processing for \d+ms$/);
    gate.release();
    await actor.statusWatch().waitFor((s) => s.kind === 'idle');
  });

  it('display strings are upstream\'s (§1.8)', () => {
    assert.equal(String(ActorStatus.unknown), 'unknown');
    assert.equal(String(ActorStatus.created), 'created');
    assert.equal(String(ActorStatus.initializing), 'initializing');
    assert.equal(String(ActorStatus.client), 'client');
    assert.equal(String(ActorStatus.idle), 'idle');
    assert.equal(String(ActorStatus.stopping), 'stopping');
    assert.equal(String(ActorStatus.stopped('done')), 'stopped: done');
    assert.equal(String(ActorStatus.failed('boom')), 'failed: boom');
    assert.match(String(ActorStatus.processing(Date.now())), /^processing for \d+ms$/);
    assert.match(String(ActorStatus.processing(Date.now(), { typeName: 'Counter', arm: 'inc' })), /^Counter\.inc: processing for \d+ms$/);
    assert.match(String(ActorStatus.processing(Date.now(), { typeName: 'Counter', arm: undefined })), /^Counter: processing for \d+ms$/);
    assert.match(ActorStatus.display({ kind: 'saving', since: Date.now() }), /^saving for \d+ms$/);
    assert.match(ActorStatus.display({ kind: 'loading', since: Date.now() }), /^loading for \d+ms$/);
  });

  it('only stopped and failed are terminal (§1.8)', () => {
    assert.equal(ActorStatus.isTerminal(ActorStatus.stopped('x')), true);
    assert.equal(ActorStatus.isTerminal(ActorStatus.failed('x')), true);
    for (const s of [ActorStatus.unknown, ActorStatus.created, ActorStatus.initializing, ActorStatus.client, ActorStatus.idle, ActorStatus.stopping]) {
      assert.equal(ActorStatus.isTerminal(s), false, String(s));
    }
  });

  it('ST-1: a terminal status never changes; the same terminal value again is a no-op (§1.8)', () => {
    const cell = new StatusCell(ActorStatus.created);
    assert.equal(cell.set(ActorStatus.stopped('done')), true);
    assert.equal(cell.set(ActorStatus.stopped('done')), false);
    assert.throws(() => cell.set(ActorStatus.failed('late')), StatusTransitionError);
    assert.throws(() => cell.set(ActorStatus.idle), StatusTransitionError);
    cell.markIdle(); // the per-message marks of a loop that was detached meanwhile
    cell.markProcessing(Date.now(), undefined);
    assert.equal(String(cell.get()), 'stopped: done');
  });

  it('join() resolves to the terminal status (§1.6: awaiting the handle)', T, async () => {
    const proc = Proc.local();
    const actor = proc.spawn('test', new TestActor());
    actor.drainAndStop('finished');
    assert.equal(String(await actor.join()), 'stopped: finished');
    assert.equal(String(await actor.join()), 'stopped: finished');
  });
});

describe('init and handler errors (§1.7, §1.10)', () => {
  it('test_init: init runs before any message, even ones sent before it ran (§2 spawn)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const order: string[] = [];
    const actor = proc.spawn('init', new TestActor({ init: () => void order.push('init') }));
    actor.send(client, { type: 'call', fn: () => void order.push('message') });
    await sync(client, actor);
    assert.deepEqual(order, ['init', 'message']);
  });

  it('an async init completes before the first message (§2 spawn: messages queue)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const gate = deferred();
    const order: string[] = [];
    const actor = proc.spawn(
      'init',
      new TestActor({
        init: async () => {
          await gate.promise;
          order.push('init');
        },
      }),
    );
    actor.send(client, { type: 'call', fn: () => void order.push('message') });
    await actor.statusWatch().waitFor((s) => s.kind === 'initializing');
    gate.resolve();
    await sync(client, actor);
    assert.deepEqual(order, ['init', 'message']);
  });

  it('a failing init: failed("initialization error: ...") (§1.10)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const actor = proc.spawn('init', new TestActor({ init: () => { throw new Error('no config'); } }));
    const status = await actor.join();
    assert.equal(status.kind, 'failed');
    assert.match(String(status), /^failed: initialization error: no config/);
  });

  it('test_actor_panic: a throwing handler fails the actor with the message and a stack (§4.2.1, §8)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const actor = proc.spawn('test', new TestActor());
    actor.send(client, { type: 'fail', error: 'some random failure' });
    const status = await actor.join();
    assert.equal(status.kind, 'failed');
    const text = String(status);
    assert.ok(text.includes('some random failure'), text);
    assert.match(text, /\n\s+at /, 'the failure carries a stack');
  });

  it('a handler throwing a non-Error value fails with its string (§1.10)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const actor = proc.spawn('test', new TestActor());
    actor.send(client, { type: 'call', fn: () => { throw 'plain string'; } });
    assert.equal(String(await actor.join()), `failed: plain string while handling 'call' from ${client.selfId}`); // the thrown string, then what was handled and from whom (issue 13)
  });

  it('an async handler rejecting fails the actor (§4.2.1)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const actor = proc.spawn('test', new TestActor());
    actor.send(client, {
      type: 'call',
      fn: async () => {
        await Promise.resolve();
        throw new Error('async boom');
      },
    });
    assert.match(String(await actor.join()), /^failed: async boom/);
  });
});

describe('cleanup (§4.1)', () => {
  it('cleanup runs after the loop, after the children stopped (§4.1 run_actor_tree)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const order: string[] = [];
    const parent = proc.spawn('parent', new TestActor({ cleanup: () => void order.push('parent cleanup') }));
    const child = await spawnChild(client, parent, new TestActor({ cleanup: () => void order.push('child cleanup') }));
    parent.drainAndStop('done');
    await parent.join();
    assert.equal(child.status.kind, 'stopped');
    assert.deepEqual(order, ['child cleanup', 'parent cleanup']);
  });

  it('cleanup receives the actor error on failure (§1.7)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const seen = deferred<string>();
    class Cleaning extends TestActor {
      override cleanup(_cx?: unknown, err?: { message: string }): void {
        seen.resolve(err === undefined ? 'none' : err.message);
      }
    }
    const actor = proc.spawn('test', new Cleaning());
    actor.send(client, { type: 'fail', error: 'boom' });
    await actor.join();
    assert.match(await seen.promise, new RegExp(`^serving ${escape(String(actor.actorId))}: boom`));
  });

  it('a failing cleanup after a clean stop fails the actor: "cleanup error: ..." (§1.10)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const actor = proc.spawn('test', new TestActor({ cleanup: () => { throw new Error('disk full'); } }));
    actor.drainAndStop('done');
    assert.match(String(await actor.join()), /^failed: cleanup error: disk full/);
  });

  it('a cleanup that outlives CLEANUP_TIMEOUT fails the actor (§1.14)', T, async () => {
    const proc = Proc.local({ config: { cleanupTimeoutMs: 20 } });
    ProcSupervisionCoordinator.set(proc);
    const actor = proc.spawn('test', new TestActor({ cleanup: () => new Promise<void>(() => {}) }));
    actor.drainAndStop('done');
    assert.match(String(await actor.join()), /^failed: cleanup error: timed out after 20ms/);
  });
});

describe('children (§1.2.1, §4.2)', () => {
  it('test_spawn_child: child pids come from the root counter (§1.2.1, PD-2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const first = proc.spawn('first', new TestActor());
    const second = await spawnChild(client, first);
    const third = await spawnChild(client, second);
    assert.ok(first.actorId.proc.equals(proc.procId));
    assert.equal(String(second.actorId), String(first.actorId.childId(1)));
    assert.equal(String(third.actorId), String(first.actorId.childId(2)));
    // the supervision tree is linked
    const firstCell = proc.getInstance(first.actorId);
    const secondCell = proc.getInstance(second.actorId);
    const thirdCell = proc.getInstance(third.actorId);
    assert.equal(firstCell?.parent, undefined);
    assert.equal(secondCell?.parent, firstCell);
    assert.equal(thirdCell?.parent, secondCell);
    assert.equal(firstCell?.children.get(1), secondCell);
    assert.equal(secondCell?.children.get(2), thirdCell);
  });

  it('test_spawn_child: a stopped actor has no linked children and is unlinked from its parent (§1.6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const first = proc.spawn('first', new TestActor());
    const second = await spawnChild(client, first);
    const third = await spawnChild(client, second);
    const secondCell = proc.getInstance(second.actorId);
    third.drainAndStop('done');
    await third.join();
    assert.equal(secondCell?.children.size, 0);
    assert.equal(proc.getInstance(first.actorId)?.children.get(1), secondCell);
  });

  it('PD-2: a named child takes its pid from its own name\'s counter, without reserving the name (§1.2.1, deviation)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    await spawnChild(client, root);
    const named = await spawnNamed(client, root, 'worker');
    assert.equal(named.actorId.name, 'worker');
    assert.equal(named.actorId.pid, 1);
    // the name is not reserved as a root name; the root takes pid 0 and the counter keeps counting
    const rootNamedWorker = proc.spawn('worker', new TestActor());
    assert.equal(rootNamedWorker.actorId.pid, 0);
    assert.equal((await spawnNamed(client, root, 'worker')).actorId.pid, 2);
    assert.equal((await spawnChild(client, rootNamedWorker)).actorId.pid, 3);
  });

  it('PD-2: named children of different roots get distinct ids, and a ref to each reaches that one', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const kids = [new TestActor(), new TestActor()] as const;
    const first = await spawnNamed(client, proc.spawn('a', new TestActor()), 'x', kids[0]);
    const second = await spawnNamed(client, proc.spawn('b', new TestActor()), 'x', kids[1]);
    assert.notEqual(String(first.actorId), String(second.actorId));
    first.bind().send(client, { type: 'record', value: 'to first' });
    second.bind().send(client, { type: 'record', value: 'to second' });
    await sync(client, first);
    await sync(client, second);
    assert.deepEqual(kids.map((k) => k.recorded), [['to first'], ['to second']]);
  });

  it('PD-2: a named child\'s own children draw from its name\'s counter (upstream fails them without a root of that name)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const named = await spawnNamed(client, proc.spawn('root', new TestActor()), 'named');
    const grandchild = await spawnChild(client, named);
    assert.equal(String(grandchild.actorId), String(named.actorId.childId(2)));
    assert.equal(proc.getInstance(grandchild.actorId)?.parent, proc.getInstance(named.actorId));
  });

  it("PD-1: a supervised child's name is refused once a named child drew from it ('duplicate-name')", T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const named = await spawnNamed(client, root, 'cache');
    assert.throws(
      () => proc.reserveSupervisedName('cache', root.actorId),
      (err: unknown) => err instanceof ProcError && err.code === 'duplicate-name',
    );
    await sync(client, named);
  });

  it("PD-6: a mailbox under an id the muxer already routes throws ProcError 'duplicate-name'; the proc keeps running", T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    // an id bound behind the proc's back (no API reaches this since PD-2): the next named 'x' child's
    const muxer = (proc as unknown as { muxer: MailboxMuxer }).muxer;
    const squatter = proc.attach('squatter');
    muxer.bind(new ActorId(proc.procId, 'x', 1), squatter);
    const failed = deferred<unknown>();
    root.send(client, { type: 'call', fn: (cx) => { try { cx.spawnWithName('x', new TestActor()); } catch (err) { failed.resolve(err); } } });
    const err = await failed.promise;
    assert.ok(err instanceof ProcError && err.code === 'duplicate-name', String(err));
    assert.match(String(err), /x\[1\] already exists/);
    assert.equal((await spawnNamed(client, root, 'x')).actorId.pid, 2);
  });

  it('test_child_lifecycle: stopping a root stops its subtree; sends to the children then fail (§4.2.2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const root1 = await spawnChild(client, root);
    const root2 = await spawnChild(client, root);
    const root21 = await spawnChild(client, root2);
    root.drainAndStop('done');
    await root.join();
    for (const actor of [root1, root2, root21]) {
      assert.throws(() => actor.send(client, { type: 'noop' }), MailboxSenderError);
      assert.equal(String(await actor.join()), 'stopped: parent stopping');
    }
  });

  it('AC-4: children turn terminal before their parent (§4.2 children-before-parent)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const grandchild = await spawnChild(client, child);
    const order: string[] = [];
    for (const [name, h] of [['root', root], ['child', child], ['grandchild', grandchild]] as const) {
      h.statusWatch().subscribe((s) => {
        if (ActorStatus.isTerminal(s)) order.push(name);
      });
    }
    root.drainAndStop('done');
    await root.join();
    assert.deepEqual(order, ['grandchild', 'child', 'root']);
  });

  it('a child that does not stop in time is unlinked and the parent stops anyway (§4.1, 500 ms rounds)', T, async () => {
    const proc = Proc.local({ config: { childStopWaitMs: 20 } });
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    await wedge(client, child); // never released
    root.drainAndStop('done');
    assert.equal(String(await root.join()), 'stopped: done');
    assert.equal(child.status.kind, 'processing');
    assert.equal(proc.getInstance(child.actorId)?.parent, undefined);
  });

  it('parentHandle() is the parent\'s handle; undefined for a root (§1.6 parent_handle)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const seen = deferred<[string | undefined, string | undefined]>();
    child.send(client, {
      type: 'call',
      fn: (cx) => {
        const parent = cx.parentHandle<TestMsg>();
        root.send(client, { type: 'call', fn: (rcx) => seen.resolve([parent?.actorId.toString(), rcx.parentHandle()?.actorId.toString()]) });
      },
    });
    assert.deepEqual(await seen.promise, [String(root.actorId), undefined]);
  });

  it('a parent is stopping while it waits for its children (§4.1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const gate = await wedge(client, child);
    root.drainAndStop('done');
    await root.statusWatch().waitFor((s) => s.kind === 'stopping');
    assert.equal(child.status.kind, 'processing');
    gate.release();
    assert.equal(String(await root.join()), 'stopped: done');
  });
});

describe('signals: drain versus stop (§1.9)', () => {
  it('DrainAndStop handles every queued message, then stops with the reason (§1.9)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('test', actor);
    const gate = await wedge(client, handle);
    for (let i = 0; i < 5; i++) handle.send(client, { type: 'record', value: i });
    handle.drainAndStop('drained');
    gate.release();
    assert.equal(String(await handle.join()), 'stopped: drained');
    assert.deepEqual(actor.recorded, [0, 1, 2, 3, 4]);
  });

  it('DrainAndStop also handles messages sent while draining (§1.9)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('test', actor);
    handle.send(client, { type: 'call', fn: (cx) => void handle.send(cx, { type: 'record', value: 'late' }) });
    handle.drainAndStop('drained');
    await handle.join();
    assert.deepEqual(actor.recorded, ['late']);
  });

  it('Stop (from a parent) drops queued work silently (§1.9, §3.4)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const childActor = new TestActor();
    const child = await spawnChild(client, root, childActor);
    const gate = await wedge(client, child);
    for (let i = 0; i < 5; i++) child.send(client, { type: 'record', value: i });
    root.drainAndStop('done');
    await root.statusWatch().waitFor((s) => s.kind === 'stopping');
    gate.release();
    assert.equal(String(await child.join()), 'stopped: parent stopping');
    assert.deepEqual(childActor.recorded, []);
  });

  it('cx.stop() from a handler drains and stops the actor itself (§1.6 Instance::stop)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('test', actor);
    handle.send(client, { type: 'call', fn: (cx) => cx.stop('self stop') });
    handle.send(client, { type: 'record', value: 'queued' });
    assert.equal(String(await handle.join()), 'stopped: self stop');
    assert.deepEqual(actor.recorded, ['queued']);
  });

  it('Abort: failed("actor explicitly aborted due to: {reason}") and an error event (§1.9)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const handle = proc.spawn('test', new TestActor());
    handle.send(client, { type: 'call', fn: (cx) => cx.abort('too slow') });
    assert.equal(String(await handle.join()), 'failed: actor explicitly aborted due to: too slow');
    const event = await coordinator.next((e) => e.actorId.equals(handle.actorId));
    assert.equal(event.isError(), true);
  });

  it('AC-6: a busy actor yields to the event loop between batches of messages', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('busy', actor);
    for (let i = 0; i < 5000; i++) handle.send(client, { type: 'record', value: i });
    const seenAt = new Promise<number>((resolve) => setImmediate(() => resolve(actor.recorded.length)));
    await sync(client, handle);
    assert.ok((await seenAt) < 5000, 'the event loop ran before the queue was empty');
  });

  it('AC-6: draining yields to the event loop too (§1.9)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('busy', actor);
    const gate = await wedge(client, handle);
    for (let i = 0; i < 5000; i++) handle.send(client, { type: 'record', value: i });
    handle.drainAndStop('drained');
    gate.release();
    const seenAt = new Promise<number>((resolve) => setImmediate(() => resolve(actor.recorded.length)));
    await handle.join();
    assert.ok((await seenAt) < 5000);
    assert.equal(actor.recorded.length, 5000);
  });

  it('signals also arrive by ref, on the Signal actor port (§1.9)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const { PortRef, ACTOR_PORT, Signal } = await import('../src/index.js');
    const handle = proc.spawn('test', new TestActor());
    PortRef.attest<import('../src/index.js').Signal>(handle.actorId.portId(ACTOR_PORT.SIGNAL)).send(client, Signal.drainAndStop('by ref'));
    assert.equal(String(await handle.join()), 'stopped: by ref');
  });

  it('signal display strings (§1.9)', T, async () => {
    const { Signal } = await import('../src/index.js');
    assert.equal(Signal.display(Signal.drainAndStop('r')), 'DrainAndStop(r)');
    assert.equal(Signal.display(Signal.stop('r')), 'Stop(r)');
    assert.equal(Signal.display(Signal.childStopped(3)), 'ChildStopped(3)');
    assert.equal(Signal.display(Signal.abort('r')), 'Abort(r)');
  });

  it('messagesProcessed counts work items, signals and supervision events (§1.8)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    await sync(client, root); // 1 work item
    const child = await spawnChild(client, root); // 1 work item
    child.drainAndStop('done');
    await child.join(); // the child's event and its ChildStopped signal are now queued at the root
    await sync(client, root); // 1 work item, taken after them
    assert.equal(proc.getInstance(root.actorId)?.messagesProcessed, 5);
  });
});

describe('client instances (§2 instance, §1.6 child)', () => {
  it('test_instance: a client is "client" until dropped, then "stopped: instance is dropped" (§1.8)', T, async () => {
    const proc = Proc.local();
    const [instance, handle] = proc.instance('my_test_actor');
    const child = instance.spawn(new TestActor());
    await sync(instance, child);
    child.drainAndStop('done');
    await child.join();
    assert.equal(String(handle.status), 'client');
    instance[Symbol.dispose]();
    assert.equal(String(handle.status), 'stopped: instance is dropped');
    assert.equal(String(await handle.join()), 'stopped: instance is dropped');
  });

  it('a client cannot be drained: drainAndStop throws (§2 instance)', () => {
    const proc = Proc.local();
    const [, handle] = proc.instance('client');
    assert.throws(() => handle.drainAndStop('x'), MailboxSenderError);
  });

  it('Instance.child(): a client linked under its parent, dropped when the parent stops (§1.6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const d = deferred<import('../src/actor/instance.js').ActorHandle<never>>();
    root.send(client, { type: 'call', fn: (cx) => d.resolve(cx.child()[1]) });
    const childClient = await d.promise;
    assert.equal(childClient.actorId.pid, 1);
    assert.equal(String(childClient.status), 'client');
    assert.equal(proc.getInstance(childClient.actorId)?.parent?.actorId.equals(root.actorId), true);
    root.drainAndStop('done');
    await root.join();
    assert.equal(String(childClient.status), 'stopped: instance is dropped');
  });

  it('a client instance\'s name is reserved like a root\'s (PD-1)', () => {
    const proc = Proc.local();
    proc.instance('client');
    assert.throws(() => proc.spawn('client', new TestActor()), (e: unknown) => e instanceof ProcError && e.code === 'duplicate-name');
  });
});

/** Ask `parent` to spawn a child named `name` (`cx.spawnWithName`). */
async function spawnNamed(client: Instance<never>, parent: ActorHandle<TestMsg>, name: string, actor = new TestActor()): Promise<ActorHandle<TestMsg>> {
  const d = deferred<ActorHandle<TestMsg>>();
  parent.send(client, { type: 'call', fn: (cx) => d.resolve(cx.spawnWithName(name, actor)) });
  return d.promise;
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
