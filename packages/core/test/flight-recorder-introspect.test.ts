/**
 * The flight recorder in introspection: upstream's `flight_recorder` attr (FR-1, FR-4),
 * from `config.flightRecorder` (`PROCMESH_FLIGHT_RECORDER`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_PORT, ATTR, PortRef, Proc, introspectAttrs, type ActorId, type Instance, type IntrospectMessage, type IntrospectResult } from '../src/index.js';
import type { FlightEvent } from '../src/flight-recorder.js';
import { TestActor, sync } from './fixtures/actors.js';

const T = { timeout: 10_000 };

async function query(cx: Instance<never>, id: ActorId): Promise<IntrospectResult> {
  const [reply, answer] = cx.openOncePort<IntrospectResult>();
  PortRef.attest<IntrospectMessage>(id.portId(ACTOR_PORT.INTROSPECT)).send(cx, { type: 'query', view: 'actor', reply: reply.bind() });
  return answer.recv();
}

describe('flight_recorder attr', () => {
  it('FR-4: off by default, the attr is absent', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    actor.send(client, { type: 'noop' });
    await sync(client, actor);
    assert.equal(ATTR.FLIGHT_RECORDER in introspectAttrs(await query(client, actor.actorId)), false);
  });

  it('FR-1: with config.flightRecorder = 3, the last three handled messages, oldest first, with their types', T, async () => {
    const proc = Proc.local({ config: { flightRecorder: 3 } });
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    for (let i = 0; i < 4; i++) actor.send(client, { type: 'noop' });
    await sync(client, actor); // a fifth message: 'reply'
    const attrs = introspectAttrs(await query(client, actor.actorId));
    assert.equal(ATTR.FLIGHT_RECORDER, 'hyperactor::introspect::flight_recorder');
    const events = JSON.parse(String(attrs[ATTR.FLIGHT_RECORDER])) as FlightEvent[];
    assert.deepEqual(events.map((e) => [e.seq, e.name, e.fields.message_type]), [
      // seq 0 is the 'initializing' status change; 1..5 the handled messages
      [3, 'handled', 'noop'],
      [4, 'handled', 'noop'],
      [5, 'handled', 'reply'],
    ]);
    for (const e of events) assert.ok(typeof e.fields.duration_us === 'number' && e.fields.duration_us >= 0);
  });

  it('records lifecycle status changes (initializing, stopping, stopped), not the per-message idle/processing', T, async () => {
    const proc = Proc.local({ config: { flightRecorder: 16 } });
    const [client] = proc.instance('client');
    const actor = proc.spawn('a', new TestActor());
    actor.send(client, { type: 'noop' });
    await sync(client, actor);
    actor.drainAndStop('done');
    await actor.join();
    const snapshot = proc.terminatedSnapshot(actor.actorId);
    assert.ok(snapshot !== undefined);
    const events = JSON.parse(String(introspectAttrs(snapshot)[ATTR.FLIGHT_RECORDER])) as FlightEvent[];
    const statuses = events.filter((e) => e.name === 'status').map((e) => e.fields.status);
    assert.deepEqual(statuses, ['initializing', 'stopping', 'stopped: done']);
  });
});
