/**
 * Supervision (spec §1.11, §4): failure propagation and absorption, ErrorDuringHandlingSupervision,
 * the coordinator, crashes without one (observed in-process through `ProcOptions.onCrash`; the
 * real exit code is tested in crash.test.ts), and the event's display (§4.3).
 * Ports upstream's `test_local_supervision_propagation`, `test_parent_failure`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActorStatus,
  ActorSupervisionEvent,
  ChannelAddr,
  Proc,
  ProcError,
  ProcId,
} from '../src/index.js';
import { ProcSupervisionCoordinator, crashRecorder } from '../src/testing.js';
import { TestActor, deferred, spawnChild, sync, wedge } from './fixtures/actors.js';

const T = { timeout: 10_000 };

describe('failure propagation and absorption (§4.2)', () => {
  it('test_local_supervision_propagation: the coordinator sees the deepest failing actor\'s id (§4.2.4, AC-5)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const root = new TestActor();
    const root1 = new TestActor({ supervise: () => true }); // children's events stop here
    const rootH = proc.spawn('root', root);
    const root1H = await spawnChild(client, rootH, root1);
    const root11H = await spawnChild(client, root1H);
    const root111H = await spawnChild(client, root11H);
    const root2H = await spawnChild(client, rootH);
    const root21H = await spawnChild(client, root2H);

    // root_1_1_1 fails: its event travels unchanged to root_1, which absorbs it.
    root111H.send(client, { type: 'fail', error: 'some random failure' });
    await root11H.join();
    await sync(client, root1H);
    const absorbed = root1.events.find((e) => e.isError());
    assert.ok(absorbed, 'root_1 handled the failure');
    assert.equal(String(absorbed.actorId), String(root111H.actorId));
    assert.equal(root1H.status.kind, 'idle');

    // root_2_1 fails: nobody absorbs; the coordinator gets root_2_1's own event.
    root21H.send(client, { type: 'fail', error: 'some random failure' });
    const reported = await coordinator.next((e) => e.isError());
    assert.equal(String(reported.actorId), String(root21H.actorId));
    assert.ok(root.events.some((e) => e.isError() && e.actorId.equals(root21H.actorId)), 'root saw it and did not absorb it');
    assert.equal(rootH.status.kind, 'failed');
  });

  it('test_parent_failure: a child\'s failure fails its parent with the child\'s status; siblings stop (§4.2.1, §4.2.4)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const root1 = await spawnChild(client, root);
    const root2 = await spawnChild(client, root);
    const root21 = await spawnChild(client, root2);
    root2.send(client, { type: 'fail', error: 'some random failure' });
    const childStatus = await root2.join();
    assert.match(String(childStatus), /^failed: some random failure/);
    const rootStatus = await root.join();
    assert.ok(ActorStatus.equals(rootStatus, childStatus), 'the parent adopts the child\'s status');
    assert.equal(String(await root21.join()), 'stopped: parent stopping');
    assert.equal(String(await root1.join()), 'stopped: parent stopping');
  });

  it('absorbing: a parent whose handleSupervisionEvent returns true keeps running (§4.2.3)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const parent = new TestActor({ supervise: () => true });
    const parentH = proc.spawn('parent', parent);
    const child = await spawnChild(client, parentH);
    child.send(client, { type: 'fail', error: 'boom' });
    await child.join();
    await sync(client, parentH);
    assert.equal(parentH.status.kind, 'idle');
    assert.equal(proc.getInstance(parentH.actorId)?.children.size, 0, 'the failed child is unlinked');
    assert.equal(parent.events.length, 1);
  });

  it('a clean stop emits a non-error Stopped event, absorbed by default (§4.2.2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const parent = new TestActor();
    const parentH = proc.spawn('parent', parent);
    const child = await spawnChild(client, parentH);
    child.drainAndStop('done');
    await child.join();
    await sync(client, parentH);
    assert.equal(parentH.status.kind, 'idle');
    const [event] = parent.events;
    assert.ok(event);
    assert.equal(event.isError(), false);
    assert.equal(String(event.actorStatus), 'stopped: done');
    assert.ok(event.actorId.equals(child.actorId));
  });

  it('ErrorDuringHandlingSupervision: "{e} while handling {ev}", a new event with the parent\'s id (§4.2.5)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const parentH = proc.spawn('parent', new TestActor({ supervise: () => { throw new Error('handler broke'); } }));
    const child = await spawnChild(client, parentH);
    child.send(client, { type: 'fail', error: 'child boom' });
    await child.join();
    const status = await parentH.join();
    assert.equal(status.kind, 'failed');
    const text = String(status);
    assert.match(text, /^failed: handler broke/);
    assert.ok(text.includes(' while handling The actor '), text);
    assert.ok(text.includes('child boom'), text);
    const event = await coordinator.next((e) => e.isError());
    assert.ok(event.actorId.equals(parentH.actorId), 'the new event carries the parent\'s id');
    assert.ok(event.caused?.actorId.equals(child.actorId), 'and the event it was handling');
  });

  it('a handler failure with supervision events pending handles them first; they may fail first (§4.1 run)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const parentH = proc.spawn('parent', new TestActor({ supervise: () => { throw new Error('supervise broke'); } }));
    const child = await spawnChild(client, parentH);
    const gate = deferred();
    const entered = deferred();
    parentH.send(client, {
      type: 'call',
      fn: async () => {
        entered.resolve();
        await gate.promise;
        throw new Error('handler broke');
      },
    });
    await entered.promise;
    child.send(client, { type: 'fail', error: 'child boom' });
    await child.join(); // its event is queued at the (busy) parent
    gate.resolve();
    assert.match(String(await parentH.join()), /^failed: supervise broke/);
    const event = await coordinator.next((e) => e.isError());
    assert.ok(event.actorId.equals(parentH.actorId));
  });

  it('FI-1: an actor stores its own terminal event before its status turns terminal (§4.2.10)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    for (const how of ['stop', 'fail'] as const) {
      const actor = proc.spawn(`actor_${how}`, new TestActor());
      const cell = proc.getInstance(actor.actorId);
      const seen = deferred<ActorSupervisionEvent | undefined>();
      actor.statusWatch().subscribe((s) => {
        if (ActorStatus.isTerminal(s)) seen.resolve(cell?.supervisionEvent);
      });
      if (how === 'stop') actor.drainAndStop('done');
      else actor.send(client, { type: 'fail', error: 'boom' });
      const event = await seen.promise;
      assert.ok(event, how);
      assert.equal(event.isError(), how === 'fail');
      assert.ok(event.actorId.equals(actor.actorId));
    }
  });
});

describe('the coordinator (§1.11, §2 setSupervisionCoordinator, §4.2.7)', () => {
  it('it receives exactly one event per terminated root: stopped for clean stops, failed for failures (§4.2.7)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const a = proc.spawn('a', new TestActor());
    const b = proc.spawn('b', new TestActor());
    const c = await spawnChild(client, b);
    a.drainAndStop('done');
    c.send(client, { type: 'fail', error: 'boom' });
    await coordinator.events.atLeast(2);
    await b.join();
    const marker = proc.spawn('marker', new TestActor());
    marker.drainAndStop('last');
    await coordinator.next((e) => e.actorId.equals(marker.actorId));
    const events = coordinator.events.items.slice(0, -1);
    assert.equal(events.length, 2);
    const stop = events.find((e) => !e.isError());
    const fail = events.find((e) => e.isError());
    assert.ok(stop?.actorId.equals(a.actorId));
    assert.equal(String(stop?.actorStatus), 'stopped: done');
    assert.ok(fail?.actorId.equals(c.actorId), 'the failure is reported with the deepest failing actor');
  });

  it('client instances never emit events (§4.2.7)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [other] = proc.instance('other');
    other[Symbol.dispose]();
    const marker = proc.spawn('marker', new TestActor());
    marker.drainAndStop('done');
    await coordinator.next((e) => e.actorId.equals(marker.actorId));
    assert.deepEqual(coordinator.events.items.map((e) => e.actorId.name), ['marker']);
  });

  it('set twice: "coordinator port is already set to {port}", the first is kept (§2)', () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const other = proc.spawn('other', new TestActor());
    assert.throws(
      () => proc.setSupervisionCoordinator(other.port() as never),
      (e: unknown) => e instanceof ProcError && e.code === 'coordinator-already-set' && e.message.startsWith('coordinator port is already set to '),
    );
    assert.ok(proc.supervisionCoordinatorActorId()?.equals(coordinator.handleOf?.actorId ?? other.actorId));
  });

  it('supervisionCoordinatorActorId is undefined until set (§2)', () => {
    const proc = Proc.local();
    assert.equal(proc.supervisionCoordinatorActorId(), undefined);
    const coordinator = ProcSupervisionCoordinator.set(proc);
    assert.equal(String(proc.supervisionCoordinatorActorId()), String(coordinator.handleOf?.actorId));
  });

  it('handleUnhandledSupervisionEvent forwards to the coordinator (§2)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const event = new ActorSupervisionEvent(client.selfId, undefined, ActorStatus.stopped('manual'));
    proc.handleUnhandledSupervisionEvent(client, event);
    assert.equal(await coordinator.next(), event);
  });
});

describe('crashing without a coordinator (§4.2.6, §4.2.8, PD-4)', () => {
  it('test_proc_terminate_without_coordinator (in-process): an error event crashes with upstream\'s message (§4.2.8)', T, async () => {
    const { onCrash, crashes } = crashRecorder();
    const proc = Proc.local({ onCrash });
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    root.send(client, { type: 'fail', error: 'some random failure' });
    const message = await crashes.next();
    assert.ok(
      message.startsWith(`proc ${proc.procId}: could not propagate supervision event `) &&
        message.endsWith(`due to error: coordinator port is not set for proc ${proc.procId}: crashing`),
      message,
    );
  });

  it('no coordinator: a clean-stop event is ignored (§4.2.8)', T, async () => {
    const { onCrash, crashes } = crashRecorder();
    const proc = Proc.local({ onCrash });
    const root = proc.spawn('root', new TestActor());
    root.drainAndStop('done');
    await root.join(); // the event reached the proc synchronously after the status turned terminal
    assert.deepEqual(crashes.items, []);
  });

  it('a coordinator that is gone: an error event crashes (§4.2.9)', T, async () => {
    const { onCrash, crashes } = crashRecorder();
    const proc = Proc.local({ onCrash });
    const coordinator = ProcSupervisionCoordinator.set(proc);
    coordinator.handleOf?.drainAndStop('gone');
    await coordinator.handleOf?.join();
    assert.deepEqual(crashes.items, [], 'the coordinator\'s own clean stop does not crash');
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    root.send(client, { type: 'fail', error: 'boom' });
    const message = await crashes.next();
    assert.ok(message.includes('could not propagate supervision event'), message);
  });

  it('a parent that cannot receive events (a client) crashes on a child\'s error event (§4.2.6)', T, async () => {
    const { onCrash, crashes } = crashRecorder();
    const proc = Proc.local({ onCrash });
    const [client] = proc.instance('client');
    const child = client.spawn(new TestActor());
    child.send(client, { type: 'fail', error: 'boom' });
    const message = await crashes.next();
    assert.ok(message.startsWith(`failed to send supervision event to actor ${client.selfId}`), message);
    assert.ok(message.endsWith('Crash the process.'), message);
  });

  it('a parent that cannot receive events drops a child\'s clean-stop event (§4.2.6)', T, async () => {
    const { onCrash, crashes } = crashRecorder();
    const proc = Proc.local({ onCrash });
    const [client] = proc.instance('client');
    const child = client.spawn(new TestActor());
    child.drainAndStop('done');
    await child.join();
    assert.deepEqual(crashes.items, []);
  });
});

describe('ActorSupervisionEvent (§1.11, §4.3)', () => {
  const proc = new ProcId(ChannelAddr.local(0), 'test');
  const a = proc.actorId('a');
  const b = proc.actorId('b', 1);

  it('isError is true for failed statuses only (§1.11)', () => {
    assert.equal(new ActorSupervisionEvent(a, undefined, ActorStatus.failed('x')).isError(), true);
    assert.equal(new ActorSupervisionEvent(a, undefined, ActorStatus.stopped('x')).isError(), false);
  });

  it('equality ignores occurredAt (§1.11)', () => {
    const x = new ActorSupervisionEvent(a, 'A', ActorStatus.failed('x'), 1);
    const y = new ActorSupervisionEvent(a, 'A', ActorStatus.failed('x'), 2);
    assert.equal(x.equals(y), true);
    assert.equal(x.equals(new ActorSupervisionEvent(b, 'A', ActorStatus.failed('x'), 1)), false);
  });

  it('display of a failure (§4.3)', () => {
    const event = new ActorSupervisionEvent(a, undefined, ActorStatus.failed('line one\nline two'));
    assert.equal(
      String(event),
      `The actor ${a} and all its descendants have failed.\nThis occurred because the actor itself failed.\nThe error was:\n line one\n line two`,
    );
  });

  it('display uses the display name when there is one (§4.3)', () => {
    const event = new ActorSupervisionEvent(a, 'Trainer', ActorStatus.failed('boom'));
    assert.ok(String(event).startsWith('The actor Trainer and all its descendants have failed.'));
  });

  it('display of a failure while handling another (§4.3)', () => {
    const inner = new ActorSupervisionEvent(b, 'child', ActorStatus.failed('child boom'));
    const outer = new ActorSupervisionEvent(a, 'parent', ActorStatus.failed(`handler broke while handling ${inner}`), Date.now(), inner);
    const text = String(outer);
    assert.ok(text.startsWith('The actor parent and all its descendants have failed.\nThis occurred because the actor itself failed.'), text);
    assert.ok(text.includes('\nThis error occurred during the handling of another failure:\n The actor child and all its descendants have failed.'), text);
    assert.equal(outer.actuallyFailingActor(), outer, 'an error while handling is its own root cause');
  });

  it('a stopped host_agent or proc_agent reads as an unresponsive process (§4.3)', () => {
    const host = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:9000'), 'host').actorId('host_agent');
    const event = new ActorSupervisionEvent(host, undefined, ActorStatus.stopped('gone'));
    assert.equal(
      String(event),
      'The process tcp:127.0.0.1:9000 owned by this actor became unresponsive and is assumed dead, check the log on the host for details',
    );
  });

  it('a propagated failure is reported as the original event, from the child\'s point of view (§4.2.4)', T, async () => {
    const p = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(p);
    const [client] = p.instance('client');
    const root = p.spawn('root', new TestActor({ displayName: 'Root' }));
    const child = await spawnChild(client, root, new TestActor({ displayName: 'Child' }));
    child.send(client, { type: 'fail', error: 'boom' });
    const event = await coordinator.next((e) => e.isError());
    assert.equal(event.displayName, 'Child');
    assert.equal(event.actuallyFailingActor(), event);
    assert.ok(String(event).startsWith('The actor Child and all its descendants have failed.'));
  });

  it('a wedged parent still receives its child\'s event once its handler finishes (§3.2 sequential)', T, async () => {
    const p = Proc.local();
    ProcSupervisionCoordinator.set(p);
    const [client] = p.instance('client');
    const parent = new TestActor({ supervise: () => true });
    const parentH = p.spawn('parent', parent);
    const child = await spawnChild(client, parentH);
    const gate = await wedge(client, parentH);
    child.send(client, { type: 'fail', error: 'boom' });
    await child.join();
    assert.equal(parent.events.length, 0, 'not while the handler runs (AC-1)');
    gate.release();
    await sync(client, parentH);
    assert.equal(parent.events.length, 1);
  });
});
