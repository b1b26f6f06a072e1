/**
 * Per-actor stats in introspection (issue 14): handler time last/max (ST-4), when the last
 * message was handled (ST-4), the work queue's depth, and failed children with their root
 * cause (ST-5). Time comes from a `SimulatedClock`: a handler advances it, so the figures are
 * exact, not measured.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_PORT, ATTR, PortRef, Proc, SimulatedClock, introspectAttrs, type ActorId, type Instance, type IntrospectMessage, type IntrospectResult } from '../src/index.js';
import type { ActorHandle } from '../src/actor/instance.js';
import { TestActor, deferred, spawnChild, sync, wedge, type TestMsg } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const START = Date.UTC(2026, 0, 2, 3, 4, 5);

async function attrsOf(cx: Instance<never>, id: ActorId): Promise<Record<string, unknown>> {
  const [reply, answer] = cx.openOncePort<IntrospectResult>();
  PortRef.attest<IntrospectMessage>(id.portId(ACTOR_PORT.INTROSPECT)).send(cx, { type: 'query', view: 'actor', reply: reply.bind() });
  return introspectAttrs(await answer.recv());
}

/** One message that advances the clock by `ms` while it is handled, in a batch of its own. */
async function handleTaking(client: Instance<never>, actor: ActorHandle<TestMsg>, clock: SimulatedClock, ms: number): Promise<void> {
  const done = deferred();
  actor.send(client, { type: 'call', fn: () => (clock.advance(ms), done.resolve()) });
  await done.promise; // the batch ended synchronously before this continuation runs
}

function setup(): { proc: Proc; clock: SimulatedClock; client: Instance<never> } {
  const clock = new SimulatedClock(START);
  const proc = Proc.local({ clock });
  const [client] = proc.instance('client');
  return { proc, clock, client };
}

describe('actor stats in introspection', () => {
  it('ST-4: before any message, handler times are 0 and last_handled_at is absent', T, async () => {
    const { proc, client } = setup();
    const actor = proc.spawn('a', new TestActor());
    const attrs = await attrsOf(client, actor.actorId);
    assert.equal(attrs[ATTR.LAST_HANDLER_TIME_US], 0);
    assert.equal(attrs[ATTR.MAX_HANDLER_TIME_US], 0);
    assert.equal(ATTR.LAST_HANDLED_AT in attrs, false);
  });

  it('ST-4: last is the latest batch of one, max the largest so far, total their sum', T, async () => {
    const { proc, clock, client } = setup();
    const actor = proc.spawn('a', new TestActor());
    await handleTaking(client, actor, clock, 5);
    await handleTaking(client, actor, clock, 2);
    const attrs = await attrsOf(client, actor.actorId);
    assert.equal(attrs[ATTR.LAST_HANDLER_TIME_US], 2000);
    assert.equal(attrs[ATTR.MAX_HANDLER_TIME_US], 5000);
    assert.equal(attrs[ATTR.TOTAL_PROCESSING_TIME_US], 7000);
  });

  it('ST-4: a batch of several gives its mean per message as last', T, async () => {
    const { proc, clock, client } = setup();
    const actor = proc.spawn('a', new TestActor());
    const done = deferred();
    // queued before the loop runs: one batch of three, 6 ms in all
    actor.send(client, { type: 'call', fn: () => clock.advance(6) });
    actor.send(client, { type: 'noop' });
    actor.send(client, { type: 'call', fn: () => done.resolve() });
    await done.promise;
    const attrs = await attrsOf(client, actor.actorId);
    assert.equal(attrs[ATTR.LAST_HANDLER_TIME_US], 2000);
    assert.equal(attrs[ATTR.MAX_HANDLER_TIME_US], 2000);
  });

  it('ST-4: an async handler counts from its start until it settles', T, async () => {
    const { proc, clock, client } = setup();
    const actor = proc.spawn('a', new TestActor());
    const gate = await wedge(client, actor);
    clock.advance(30);
    gate.release();
    await sync(client, actor);
    const attrs = await attrsOf(client, actor.actorId);
    assert.equal(attrs[ATTR.MAX_HANDLER_TIME_US], 30_000);
  });

  it('ST-4: last_handled_at is the wall-clock start of the last handled message', T, async () => {
    const { proc, clock, client } = setup();
    const actor = proc.spawn('a', new TestActor());
    await handleTaking(client, actor, clock, 1);
    clock.advance(1000);
    await handleTaking(client, actor, clock, 1);
    const attrs = await attrsOf(client, actor.actorId);
    assert.equal(attrs[ATTR.LAST_HANDLED_AT], new Date(START + 1001).toISOString());
  });

  it('queue_depth: the messages waiting behind a suspended handler', T, async () => {
    const { proc, client } = setup();
    const actor = proc.spawn('a', new TestActor());
    const gate = await wedge(client, actor);
    for (let i = 0; i < 3; i++) actor.send(client, { type: 'noop' });
    assert.equal((await attrsOf(client, actor.actorId))[ATTR.QUEUE_DEPTH], 3);
    gate.release();
    await sync(client, actor);
    assert.equal((await attrsOf(client, actor.actorId))[ATTR.QUEUE_DEPTH], 0);
  });

  it('ST-5: a parent that absorbs its child\'s failure shows it, with the child as root cause', T, async () => {
    const { proc, client } = setup();
    const parent = proc.spawn('parent', new TestActor({ supervise: () => true }));
    assert.equal((await attrsOf(client, parent.actorId))[ATTR.CHILD_FAILURES], 0);
    const child = await spawnChild(client, parent);
    child.send(client, { type: 'fail', error: 'disk on fire' });
    await child.join();
    await sync(client, parent);
    const attrs = await attrsOf(client, parent.actorId);
    assert.equal(attrs[ATTR.CHILD_FAILURES], 1);
    const last = attrs[ATTR.LAST_CHILD_FAILURE] as Record<string, unknown>;
    assert.equal(last['actor'], String(child.actorId));
    assert.equal(last['root_cause_actor'], String(child.actorId));
    assert.match(String(last['error_message']), /disk on fire/);
  });

  it('ST-5: a failure propagated through a child names the grandchild as root cause', T, async () => {
    const { proc, client } = setup();
    const parent = proc.spawn('parent', new TestActor({ supervise: () => true }));
    const child = await spawnChild(client, parent); // the default: does not absorb failures
    const grandchild = await spawnChild(client, child);
    grandchild.send(client, { type: 'fail', error: 'bad input' });
    await child.join();
    await sync(client, parent);
    const last = (await attrsOf(client, parent.actorId))[ATTR.LAST_CHILD_FAILURE] as Record<string, unknown>;
    assert.equal(last['actor'], String(grandchild.actorId), 'the event propagates unchanged (AC-5)');
    assert.equal(last['root_cause_actor'], String(grandchild.actorId));
    const childAttrs = (await attrsOf(client, parent.actorId))[ATTR.CHILD_FAILURES];
    assert.equal(childAttrs, 1);
  });

  it('ST-5: a child that stops cleanly is not a failure', T, async () => {
    const { proc, client } = setup();
    const parent = proc.spawn('parent', new TestActor());
    const child = await spawnChild(client, parent);
    child.drainAndStop('done');
    await child.join();
    await sync(client, parent);
    const attrs = await attrsOf(client, parent.actorId);
    assert.equal(attrs[ATTR.CHILD_FAILURES], 0);
    assert.equal(ATTR.LAST_CHILD_FAILURE in attrs, false);
  });
});
