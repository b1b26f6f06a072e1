/**
 * flight-recorder.ts: the bounded ring of an actor's last events (FR-1 .. FR-4), in upstream's
 * `RecordedEvent` shape (hyperactor introspect.rs: timestamp, seq, level, target, name, fields).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock } from '../src/clock.js';
import { FlightRecorder, flightRecorder } from '../src/flight-recorder.js';

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('FlightRecorder', () => {
  it('FR-4: size 0 or undefined gives no recorder', () => {
    const clock = new SimulatedClock();
    assert.equal(flightRecorder(0, clock), undefined);
    assert.equal(flightRecorder(undefined, clock), undefined);
    assert.ok(flightRecorder(4, clock) instanceof FlightRecorder);
  });

  it('FR-1: holds the last N events, oldest first, with consecutive seq numbers', () => {
    const recorder = new FlightRecorder(3, new SimulatedClock());
    for (let i = 0; i < 5; i++) recorder.handled(`m${i}`, 0.5, 1_000 + i);
    const events = recorder.events();
    assert.deepEqual(events.map((e) => e.seq), [2, 3, 4]);
    assert.deepEqual(events.map((e) => e.fields.message_type), ['m2', 'm3', 'm4']);
    assert.equal(recorder.recorded, 5);
  });

  it('records handled messages with their duration in microseconds and start time', () => {
    const recorder = new FlightRecorder(8, new SimulatedClock());
    recorder.handled('inc', 1.25, Date.UTC(2026, 0, 1));
    const [event] = recorder.events();
    assert.deepEqual(event, {
      timestamp: '2026-01-01T00:00:00.000Z',
      seq: 0,
      level: 'INFO',
      target: 'procmesh::actor',
      name: 'handled',
      fields: { message_type: 'inc', duration_us: 1250 },
    });
  });

  it('records sends, status changes, failures, returns and supervision events, each with its level', () => {
    const clock = new SimulatedClock();
    const recorder = new FlightRecorder(8, clock);
    recorder.sent('local:0,p,b[0][0]', 'ping');
    recorder.status('stopping');
    recorder.failed('boom', new Error('bad input'), 2, clock.now());
    recorder.undeliverable('local:0,p,gone[0][0]', 'no mailbox');
    recorder.supervision('child failed', true);
    const events = recorder.events();
    assert.deepEqual(events.map((e) => [e.name, e.level]), [
      ['sent', 'INFO'],
      ['status', 'INFO'],
      ['failed', 'ERROR'],
      ['undeliverable', 'WARN'],
      ['supervision', 'ERROR'],
    ]);
    assert.deepEqual(events[0]?.fields, { dest: 'local:0,p,b[0][0]', message_type: 'ping' });
    assert.equal(events[2]?.fields.error, 'bad input');
    for (const e of events) assert.match(e.timestamp, RFC3339_MS);
  });

  it('FR-3: toJSON is undefined until something is recorded, then the events as JSON, and reading changes nothing', () => {
    const recorder = new FlightRecorder(2, new SimulatedClock());
    assert.equal(recorder.toJSON(), undefined);
    recorder.status('idle');
    const first = recorder.toJSON();
    assert.equal(recorder.toJSON(), first);
    assert.deepEqual(JSON.parse(first ?? '[]'), recorder.events());
  });
});
