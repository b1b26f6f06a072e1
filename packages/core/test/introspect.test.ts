/**
 * Introspection (spec §1.12): `Query`/`QueryChild` answered outside the actor loop (S1, S2),
 * upstream's attribute names, failure attributes, client instances (CI-1, CI-2), terminated
 * snapshots, their retention cap and eviction order (SN-1), built on the first query as at the
 * stop (SN-2), S11.
 * Ports upstream's `test_introspect_query_default_payload`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTOR_PORT,
  ATTR,
  PortRef,
  Proc,
  SimulatedClock,
  introspectAttrs,
  type ActorId,
  type IntrospectMessage,
  type IntrospectResult,
  type IntrospectView,
  type Instance,
  type MessageEnvelope,
} from '../src/index.js';
import { onAbandoned } from '../src/transport.js';
import { ProcSupervisionCoordinator, Recorder } from '../src/testing.js';
import { TestActor, deferred, spawnChild, sync, wedge } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function introspectPort(id: ActorId): PortRef<IntrospectMessage> {
  return PortRef.attest<IntrospectMessage>(id.portId(ACTOR_PORT.INTROSPECT));
}

async function query(cx: Instance<never>, id: ActorId, view: IntrospectView = 'actor'): Promise<IntrospectResult> {
  const [reply, answer] = cx.openOncePort<IntrospectResult>();
  introspectPort(id).send(cx, { type: 'query', view, reply: reply.bind() });
  return answer.recv();
}

async function queryChild(cx: Instance<never>, id: ActorId, childRef: string): Promise<IntrospectResult> {
  const [reply, answer] = cx.openOncePort<IntrospectResult>();
  introspectPort(id).send(cx, { type: 'query-child', childRef, reply: reply.bind() });
  return answer.recv();
}

describe('Query (§1.12)', () => {
  it('test_introspect_query_default_payload: identity, upstream attribute names, no parent for a root (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('echo_introspect', new TestActor());
    await actor.statusWatch().waitFor((s) => s.kind === 'idle');
    const result = await query(client, actor.actorId);
    assert.equal(result.identity, String(actor.actorId));
    assert.deepEqual(result.children, []);
    assert.equal(result.parent, undefined);
    assert.match(result.as_of, RFC3339_MS);
    const attrs = introspectAttrs(result);
    assert.equal(attrs[ATTR.STATUS], 'idle');
    assert.equal(attrs[ATTR.ACTOR_TYPE], 'TestActor');
    assert.equal(attrs[ATTR.MESSAGES_PROCESSED], 0);
    assert.match(String(attrs[ATTR.CREATED_AT]), RFC3339_MS);
    assert.equal(attrs[ATTR.IS_SYSTEM], false);
    assert.equal(typeof attrs[ATTR.TOTAL_PROCESSING_TIME_US], 'number');
    assert.equal(ATTR.LAST_HANDLER in attrs, false, 'absent until a message was handled');
    assert.equal(ATTR.STATUS, 'hyperactor::introspect::status');
  });

  it('last_handler names the type and arm of the last message handled (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    actor.send(client, { type: 'noop' });
    await sync(client, actor);
    const attrs = introspectAttrs(await query(client, actor.actorId));
    assert.equal(attrs[ATTR.LAST_HANDLER], 'TestActor.reply');
    assert.equal(attrs[ATTR.MESSAGES_PROCESSED], 2);
  });

  it('S1: a query is answered while the handler is wedged, showing it processing (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    const gate = await wedge(client, actor);
    const attrs = introspectAttrs(await query(client, actor.actorId));
    assert.match(String(attrs[ATTR.STATUS]), /^TestActor\.wait: processing for \d+ms$/);
    assert.equal(attrs[ATTR.LAST_HANDLER], 'TestActor.wait');
    gate.release();
  });

  it('S2: answering queries is not handling a message: counters and last_handler do not move (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    await sync(client, actor);
    const first = introspectAttrs(await query(client, actor.actorId));
    const second = introspectAttrs(await query(client, actor.actorId));
    assert.equal(second[ATTR.MESSAGES_PROCESSED], first[ATTR.MESSAGES_PROCESSED]);
    assert.equal(second[ATTR.LAST_HANDLER], first[ATTR.LAST_HANDLER]);
  });

  it('children and parent are actor id strings (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const a = await spawnChild(client, root);
    const b = await spawnChild(client, root);
    const result = await query(client, root.actorId);
    assert.deepEqual(result.children, [String(a.actorId), String(b.actorId)]);
    assert.equal((await query(client, a.actorId)).parent, String(root.actorId));
  });

  it('system actors say so (setSystem) (§1.12 is_system)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('sys', new TestActor({ init: (cx) => cx.setSystem() }));
    await actor.statusWatch().waitFor((s) => s.kind === 'idle');
    assert.equal(introspectAttrs(await query(client, actor.actorId))[ATTR.IS_SYSTEM], true);
  });

  it('the entity view returns published attrs with the children, else the actor view (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const plain = proc.spawn('plain', new TestActor());
    await plain.statusWatch().waitFor((s) => s.kind === 'idle');
    assert.equal(introspectAttrs(await query(client, plain.actorId, 'entity'))[ATTR.ACTOR_TYPE], 'TestActor');
    const publishing = proc.spawn('publishing', new TestActor({ init: (cx) => cx.publishAttrs({ 'app::role': 'trainer' }) }));
    const child = await spawnChild(client, publishing);
    const attrs = introspectAttrs(await query(client, publishing.actorId, 'entity'));
    assert.equal(attrs['app::role'], 'trainer');
    assert.deepEqual(attrs[ATTR.CHILDREN], [String(child.actorId)]);
    assert.equal(ATTR.ACTOR_TYPE in attrs, false);
  });

  it('QueryChild: not_found without a callback; the callback\'s answer with one (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    await actor.statusWatch().waitFor((s) => s.kind === 'idle');
    const missing = await queryChild(client, actor.actorId, 'thing');
    assert.equal(missing.identity, '');
    assert.deepEqual(introspectAttrs(missing), {
      [ATTR.ERROR_CODE]: 'not_found',
      [ATTR.ERROR_MESSAGE]: 'child thing not found (no callback registered)',
    });
    const withCallback = proc.spawn(
      'b',
      new TestActor({
        init: (cx) =>
          cx.setQueryChildHandler((ref) => ({ identity: ref, attrs: '{}', children: [], parent: String(cx.selfId), as_of: new Date().toISOString() })),
      }),
    );
    await withCallback.statusWatch().waitFor((s) => s.kind === 'idle');
    assert.equal((await queryChild(client, withCallback.actorId, 'thing')).identity, 'thing');
  });
});

describe('failure attributes (§1.12, §4.2.4)', () => {
  it('a failed actor: status "failed", its reason, the root cause is itself (§1.12)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    actor.send(client, { type: 'fail', error: 'boom' });
    await actor.join();
    const snapshot = proc.terminatedSnapshot(actor.actorId);
    assert.ok(snapshot);
    const attrs = introspectAttrs(snapshot);
    assert.equal(attrs[ATTR.STATUS], 'failed');
    assert.match(String(attrs[ATTR.STATUS_REASON]), /^boom/);
    assert.match(String(attrs[ATTR.FAILURE_ERROR_MESSAGE]), /^boom/);
    assert.equal(attrs[ATTR.FAILURE_ROOT_CAUSE_ACTOR], String(actor.actorId));
    assert.match(String(attrs[ATTR.FAILURE_OCCURRED_AT]), RFC3339_MS);
    assert.equal(attrs[ATTR.FAILURE_IS_PROPAGATED], false);
  });

  it('ancestors of a failure show the original actor as root cause, propagated (§4.2.4)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const mid = await spawnChild(client, root);
    const leaf = await spawnChild(client, mid, new TestActor({ displayName: 'Leaf' }));
    leaf.send(client, { type: 'fail', error: 'deep' });
    await root.join();
    for (const id of [mid.actorId, root.actorId]) {
      const attrs = introspectAttrs(proc.terminatedSnapshot(id) as IntrospectResult);
      assert.equal(attrs[ATTR.FAILURE_ROOT_CAUSE_ACTOR], String(leaf.actorId));
      assert.equal(attrs[ATTR.FAILURE_ROOT_CAUSE_NAME], 'Leaf');
      assert.equal(attrs[ATTR.FAILURE_IS_PROPAGATED], true);
    }
  });
});

describe('client instances (CI-1, CI-2)', () => {
  it('CI-1: an introspectable client answers with status "client" and actor type "()" (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [observed] = proc.introspectableInstance('observed');
    const attrs = introspectAttrs(await query(client, observed.selfId));
    assert.equal(attrs[ATTR.STATUS], 'client');
    assert.equal(attrs[ATTR.ACTOR_TYPE], '()');
  });

  it('CI-2: a dropped introspectable client leaves a snapshot with status "stopped" (§2)', () => {
    const proc = Proc.local();
    const [observed] = proc.introspectableInstance('observed');
    observed[Symbol.dispose]();
    const attrs = introspectAttrs(proc.terminatedSnapshot(observed.selfId) as IntrospectResult);
    assert.equal(attrs[ATTR.STATUS], 'stopped');
    assert.equal(attrs[ATTR.STATUS_REASON], 'instance is dropped');
  });

  it('a plain instance() does not answer: the query is undeliverable (§1.12)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [plain] = proc.instance('plain');
    const lost = new Recorder<MessageEnvelope>();
    const off = onAbandoned((env) => lost.push(env));
    try {
      const [reply] = client.openOncePort<IntrospectResult>();
      introspectPort(plain.selfId).send(client, { type: 'query', view: 'actor', reply: reply.bind() });
      const env = await lost.next();
      assert.ok(env.errorMessage()?.startsWith('address not routable: port not bound in mailbox'));
    } finally {
      off();
    }
  });
});

describe('terminated snapshots (§1.12, SN-1, S11)', () => {
  it('a terminated actor leaves a snapshot, listed by allTerminatedActorIds (§2)', T, async () => {
    const proc = Proc.local();
    const actor = proc.spawn('a', new TestActor());
    assert.equal(proc.terminatedSnapshot(actor.actorId), undefined);
    actor.drainAndStop('done');
    await actor.join();
    const attrs = introspectAttrs(proc.terminatedSnapshot(actor.actorId) as IntrospectResult);
    assert.equal(attrs[ATTR.STATUS], 'stopped');
    assert.equal(attrs[ATTR.STATUS_REASON], 'done');
    assert.deepEqual(proc.allTerminatedActorIds().map(String), [String(actor.actorId)]);
  });

  it('S11: a snapshot never makes an actor resolvable again (§1.12)', T, async () => {
    const proc = Proc.local();
    const actor = proc.spawn('a', new TestActor());
    const ref = actor.bind();
    actor.drainAndStop('done');
    await actor.join();
    assert.ok(proc.terminatedSnapshot(actor.actorId));
    assert.equal(proc.resolveActorRef(ref), undefined);
    assert.equal(proc.getInstance(actor.actorId), undefined);
  });

  it('actors with names the id grammar cannot parse are listed too (§1.2.2: spawn does not validate)', T, async () => {
    const proc = Proc.local();
    const actor = proc.spawn('not.a.valid@name', new TestActor());
    actor.drainAndStop('done');
    await actor.join();
    assert.deepEqual(proc.allTerminatedActorIds().map((id) => id.name), ['not.a.valid@name']);
  });

  it('an aborted actor leaves a snapshot "stopped: instance is dropped" (§2 abortRootActor)', T, async () => {
    const proc = Proc.local();
    const actor = proc.spawn('a', new TestActor());
    await proc.abortRootActor(actor.actorId);
    assert.equal(introspectAttrs(proc.terminatedSnapshot(actor.actorId) as IntrospectResult)[ATTR.STATUS_REASON], 'instance is dropped');
  });

  it('SN-1: over the cap, clean-stopped snapshots are evicted first, oldest first (§1.12)', T, async () => {
    const proc = Proc.local({ config: { terminatedSnapshotRetention: 3 } });
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const end = async (name: string, how: 'stop' | 'fail') => {
      const actor = proc.spawn(name, new TestActor());
      if (how === 'stop') actor.drainAndStop('done');
      else actor.send(client, { type: 'fail', error: name });
      await actor.join();
    };
    await end('f1', 'fail');
    await end('s1', 'stop');
    await end('f2', 'fail');
    await end('s2', 'stop');
    assert.deepEqual(proc.allTerminatedActorIds().map((id) => id.name).sort(), ['f1', 'f2', 's2']);
    await end('s3', 'stop');
    assert.deepEqual(proc.allTerminatedActorIds().map((id) => id.name).sort(), ['f1', 'f2', 's3']);
  });

  it('SN-1: with only failures, the newest are evicted, keeping the earliest (closest to the root cause) (§1.12)', T, async () => {
    const proc = Proc.local({ config: { terminatedSnapshotRetention: 2 } });
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    for (const name of ['first', 'second', 'third']) {
      const actor = proc.spawn(name, new TestActor());
      actor.send(client, { type: 'fail', error: name });
      await actor.join();
    }
    assert.deepEqual(proc.allTerminatedActorIds().map((id) => id.name).sort(), ['first', 'second']);
  });

  it('SN-2: a snapshot built on its first query reads as at the stop: parent, as_of, status', T, async () => {
    const clock = new SimulatedClock(Date.UTC(2026, 0, 1));
    const proc = Proc.local({ clock });
    const [client] = proc.instance('client');
    const parent = proc.spawn('parent', new TestActor());
    const child = await spawnChild(client, parent);
    const stoppedAt = new Date(clock.now()).toISOString();
    child.drainAndStop('done');
    await child.join();
    clock.advance(60_000); // queried a minute later, once the child left its parent
    assert.equal(parent.instance.cell.children.size, 0);
    const snapshot = proc.terminatedSnapshot(child.actorId) as IntrospectResult;
    assert.equal(snapshot.parent, String(parent.actorId));
    assert.equal(snapshot.as_of, stoppedAt);
    assert.deepEqual(snapshot.children, []);
    assert.equal(introspectAttrs(snapshot)[ATTR.STATUS_REASON], 'done');
    assert.equal(proc.terminatedSnapshot(child.actorId), snapshot, 'built once, then kept');
  });

  it('the default retention is 100 (§1.14 TERMINATED_SNAPSHOT_RETENTION)', T, async () => {
    const proc = Proc.local();
    assert.equal(proc.config.terminatedSnapshotRetention, 100);
    const done = deferred();
    let stopped = 0;
    for (let i = 0; i < 101; i++) {
      const actor = proc.spawn(`a${i}`, new TestActor());
      actor.drainAndStop('done');
      void actor.join().then(() => {
        if (++stopped === 101) done.resolve();
      });
    }
    await done.promise;
    assert.equal(proc.allTerminatedActorIds().length, 100);
  });
});
