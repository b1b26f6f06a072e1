/**
 * The proc's injected clock (`ProcOptions.clock`, AC-8, CK-2): a `SimulatedClock` drives the
 * timestamps and timers of a proc and its actors, with no real waiting.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Proc,
} from '../src/index.js';
import { SimulatedClock } from '../src/clock.js';
import { ProcSupervisionCoordinator } from '../src/testing.js';
import { TestActor, wedge } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const START = Date.UTC(2030, 0, 1);

/** Let queued microtasks and immediates run (the actor loop), without moving the clock. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Proc with a SimulatedClock (AC-8)', () => {
  it("a supervision event's occurredAt is the proc's clock", T, async () => {
    const clock = new SimulatedClock(START);
    const proc = Proc.local({ clock });
    const coordinator = ProcSupervisionCoordinator.set(proc);
    clock.advance(1234);
    const actor = proc.spawn('a', new TestActor());
    actor.drainAndStop('done');
    await actor.join();
    const event = await coordinator.events.next();
    assert.equal(event.occurredAt, START + 1234);
  });

  it('destroyAndWait aborts a wedged root when the simulated timeout elapses, not before (PD-3)', T, async () => {
    const clock = new SimulatedClock(START);
    const proc = Proc.local({ clock });
    const [client] = proc.instance('client');
    const wedged = proc.spawn('wedged', new TestActor());
    await wedge(client, wedged); // never released
    let done = false;
    const result = proc.destroyAndWait(60_000, undefined, 'teardown').then((r) => {
      done = true;
      return r;
    });
    await settle();
    clock.advance(59_999);
    await settle();
    assert.equal(done, false, 'still waiting one ms before the timeout');
    clock.advance(1);
    const { stopped, aborted } = await result;
    assert.deepEqual(aborted.map((id) => id.name), ['wedged']);
    assert.deepEqual(stopped, []);
  });
});
