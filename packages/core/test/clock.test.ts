/**
 * clock.test.ts: the injected clock (clock.ts): `SimulatedClock` runs due timers in order
 * (CK-2), including timers that timers schedule within one `advance`, never runs a cancelled one
 * (CK-3), and its `monotonic()` never goes back (CK-1); `realClock` reads the process's clocks.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SimulatedClock, realClock } from '../src/clock.js';

const T = { timeout: 5_000 };

describe('SimulatedClock (clock.ts)', () => {
  it('CK-1: monotonic starts at 0 and moves only by advance; now is the start plus the same', () => {
    const clock = new SimulatedClock(1_000_000);
    assert.equal(clock.monotonic(), 0);
    assert.equal(clock.now(), 1_000_000);
    clock.advance(250);
    clock.advance(-5); // a negative step does not go back
    assert.equal(clock.monotonic(), 250);
    assert.equal(clock.now(), 1_000_250);
  });

  it('CK-2: due timers run in order of due time, then of scheduling, only during advance', () => {
    const clock = new SimulatedClock();
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('c@30'), 30);
    clock.setTimeout(() => ran.push('a@10'), 10);
    clock.setTimeout(() => ran.push('b1@20'), 20);
    clock.setTimeout(() => ran.push('b2@20'), 20);
    clock.setTimeout(() => ran.push('late@100'), 100);
    assert.deepEqual(ran, []);
    assert.equal(clock.pending, 5);
    clock.advance(30);
    assert.deepEqual(ran, ['a@10', 'b1@20', 'b2@20', 'c@30']);
    assert.equal(clock.pending, 1);
  });

  it('CK-2: a timer sees its own due time as the clock, and time ends at the target', () => {
    const clock = new SimulatedClock();
    const seen: number[] = [];
    clock.setTimeout(() => seen.push(clock.monotonic()), 7);
    clock.setTimeout(() => seen.push(clock.monotonic()), 12);
    clock.advance(20);
    assert.deepEqual(seen, [7, 12]);
    assert.equal(clock.monotonic(), 20);
  });

  it('CK-2: timers scheduled by timers run in the same advance when due within it', () => {
    const clock = new SimulatedClock();
    const ran: string[] = [];
    clock.setTimeout(() => {
      ran.push('first@10');
      clock.setTimeout(() => {
        ran.push('second@15');
        clock.setTimeout(() => ran.push('third@25'), 10);
      }, 5);
      clock.setTimeout(() => ran.push('zero@10'), 0);
    }, 10);
    clock.advance(20);
    assert.deepEqual(ran, ['first@10', 'zero@10', 'second@15']);
    assert.equal(clock.pending, 1);
    clock.advance(5);
    assert.deepEqual(ran, ['first@10', 'zero@10', 'second@15', 'third@25']);
  });

  it('CK-3: a cancelled timer never runs; cancelling twice or after it ran does nothing', () => {
    const clock = new SimulatedClock();
    const ran: string[] = [];
    const cancelled = clock.setTimeout(() => ran.push('cancelled'), 5);
    const kept = clock.setTimeout(() => ran.push('kept'), 5);
    cancelled.cancel();
    cancelled.cancel();
    assert.equal(clock.pending, 1);
    clock.advance(10);
    kept.cancel();
    assert.deepEqual(ran, ['kept']);
    assert.equal(clock.pending, 0);
  });

  it('CK-3: a timer cancelled by an earlier timer of the same advance does not run', () => {
    const clock = new SimulatedClock();
    const ran: string[] = [];
    const victim = clock.setTimeout(() => ran.push('victim'), 20);
    clock.setTimeout(() => {
      ran.push('killer');
      victim.cancel();
    }, 10);
    clock.advance(30);
    assert.deepEqual(ran, ['killer']);
  });

  it('runAll runs every pending timer, however far, and moves time to the last one', () => {
    const clock = new SimulatedClock();
    const ran: number[] = [];
    clock.setTimeout(() => ran.push(1), 1_000);
    clock.setTimeout(() => clock.setTimeout(() => ran.push(3), 5_000), 2_000);
    clock.runAll();
    assert.deepEqual(ran, [1, 3]);
    assert.equal(clock.monotonic(), 7_000);
    assert.equal(clock.pending, 0);
  });

  it('unref and ref are no-ops that return the timer', () => {
    const clock = new SimulatedClock();
    const timer = clock.setTimeout(() => {}, 1);
    assert.equal(timer.unref(), timer);
    assert.equal(timer.ref(), timer);
  });
});

describe('realClock (clock.ts)', () => {
  it('CK-1: monotonic never goes back; now is epoch milliseconds', () => {
    const a = realClock.monotonic();
    const b = realClock.monotonic();
    assert.ok(b >= a);
    assert.ok(Math.abs(realClock.now() - Date.now()) < 1_000);
  });

  it('a real timer runs once; a cancelled one never runs', T, async () => {
    const ran: string[] = [];
    const cancelled = realClock.setTimeout(() => ran.push('cancelled'), 1);
    cancelled.cancel();
    await new Promise<void>((resolve) => realClock.setTimeout(() => resolve(), 5));
    assert.deepEqual(ran, []);
  });
});
