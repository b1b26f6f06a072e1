/**
 * What the flight recorder records besides handled messages and status changes (issue 14):
 * sends by ref and by handle (PSR-1), envelopes that come back undeliverable, children's
 * supervision events; and the per-actor size (`ActorSpawnOptions.flightRecorder`) over the
 * proc's `config.flightRecorder`, with a typed error for a size out of range.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { ACTOR_PORT, ATTR, ActorId, introspectAttrs, ProcError, Proc, type ActorHandle, type FlightEvent } from '../src/index.js';
import { TestActor, deferred, spawnChild, sync, type TestMsg } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const quiet = pino({ level: 'silent' });

function events(proc: Proc, id: ActorId): FlightEvent[] {
  const recorder = proc.getInstance(id)?.flightRecorder;
  assert.ok(recorder !== undefined, `${id} has a flight recorder`);
  return recorder.events();
}

/** Run `fn` as a handler of `actor` and wait for it. */
async function inHandler(proc: Proc, actor: ActorHandle<TestMsg>, fn: Extract<TestMsg, { type: 'call' }>['fn']): Promise<void> {
  const [client] = proc.instance(`client_${Math.random().toString(36).slice(2, 8)}`);
  const done = deferred();
  actor.send(client, {
    type: 'call',
    fn: async (cx) => {
      await fn(cx);
      done.resolve();
    },
  });
  await done.promise;
}

describe('flight recorder: sends, undeliverables, supervision events', () => {
  it('PSR-1: a ref send and a handle send are recorded with their destination and message type', T, async () => {
    const proc = Proc.local({ config: { flightRecorder: 16 } });
    const a = proc.spawn('a', new TestActor());
    const b = proc.spawn('b', new TestActor());
    const unbound = proc.spawn('c', new TestActor());
    const bRef = b.bind();
    await inHandler(proc, a, (cx) => {
      bRef.send(cx, { type: 'noop' });
      unbound.send(cx, { type: 'noop' });
    });
    const sent = events(proc, a.actorId).filter((e) => e.name === 'sent');
    assert.deepEqual(
      sent.map((e) => [e.target, e.level, e.fields.dest, e.fields.message_type]),
      [
        ['procmesh::send', 'INFO', String(b.actorId.portId(ACTOR_PORT.HANDLER)), 'noop'],
        ['procmesh::send', 'INFO', `${unbound.actorId}<TestActor>`, 'noop'],
      ],
    );
  });

  it('an envelope that comes back undeliverable is recorded (WARN, destination and error), before the failure it causes', T, async () => {
    const proc = Proc.local({ config: { flightRecorder: 16 }, logger: quiet, onCrash: () => {} });
    const a = proc.spawn('a', new TestActor());
    a.bind(); // its Undeliverable port: returns come back to it
    const nobody = new ActorId(proc.procId, 'nobody', 0).portId(ACTOR_PORT.HANDLER);
    await inHandler(proc, a, (cx) => cx.post(nobody, undefined, Uint8Array.of(0xc0)));
    await a.join();
    const snapshot = proc.terminatedSnapshot(a.actorId);
    assert.ok(snapshot !== undefined);
    const recorded = JSON.parse(String(introspectAttrs(snapshot)[ATTR.FLIGHT_RECORDER])) as FlightEvent[];
    const names = recorded.map((e) => e.name);
    const back = recorded.find((e) => e.name === 'undeliverable');
    assert.ok(back !== undefined, `an undeliverable event in ${names.join(', ')}`);
    assert.equal(back.level, 'WARN');
    assert.equal(back.fields.dest, String(nobody));
    assert.match(String(back.fields.error), /nobody/);
    assert.ok(names.indexOf('undeliverable') < names.lastIndexOf('failed'), names.join(', '));
  });

  it("a child's failure reaching its parent is recorded as a supervision event (ERROR)", T, async () => {
    const proc = Proc.local({ config: { flightRecorder: 16 } });
    const parent = proc.spawn('parent', new TestActor({ supervise: () => true }));
    const child = await spawnChild(proc.instance('client')[0], parent);
    const [client] = proc.instance('client2');
    child.send(client, { type: 'fail', error: 'child broke' });
    await child.join();
    await sync(client, parent);
    const supervision = events(proc, parent.actorId).filter((e) => e.name === 'supervision');
    assert.equal(supervision.length, 1);
    assert.equal(supervision[0]?.level, 'ERROR');
    assert.equal(supervision[0]?.target, 'procmesh::supervision');
    assert.match(String(supervision[0]?.fields.event), /child broke/);
  });
});

describe('flight recorder: the per-actor size', () => {
  it('ActorSpawnOptions.flightRecorder turns it on for one actor when the proc has it off', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const on = proc.spawn('on', new TestActor(), { flightRecorder: 2 });
    const off = proc.spawn('off', new TestActor());
    for (let i = 0; i < 3; i++) on.send(client, { type: 'noop' });
    await sync(client, on);
    assert.equal(proc.getInstance(off.actorId)?.flightRecorder, undefined);
    assert.deepEqual(
      events(proc, on.actorId).map((e) => [e.name, e.fields.message_type]),
      [
        ['handled', 'noop'],
        ['handled', 'reply'],
      ],
    );
  });

  it('flightRecorder: 0 turns it off for one actor, and a child takes its own option', T, async () => {
    const proc = Proc.local({ config: { flightRecorder: 8 } });
    const quiet = proc.spawn('quiet', new TestActor(), { flightRecorder: 0 });
    assert.equal(proc.getInstance(quiet.actorId)?.flightRecorder, undefined);
    const child = deferred<ActorHandle<TestMsg>>();
    await inHandler(proc, quiet, (cx) => child.resolve(cx.spawnWithName('kid', new TestActor(), { flightRecorder: 4 })));
    assert.equal(proc.getInstance((await child.promise).actorId)?.flightRecorder?.capacity, 4);
  });

  it("a size that is not an integer from 0 to 65,536 throws ProcError 'invalid-spawn-option'; the name stays free", T, () => {
    const proc = Proc.local();
    for (const size of [-1, 1.5, Number.NaN, 65_537]) {
      assert.throws(
        () => proc.spawn('a', new TestActor(), { flightRecorder: size }),
        (err: unknown) => err instanceof ProcError && err.code === 'invalid-spawn-option',
      );
    }
    const a = proc.spawn('a', new TestActor(), { flightRecorder: 65_536 });
    assert.equal(proc.getInstance(a.actorId)?.flightRecorder?.capacity, 65_536);
  });
});
