/**
 * test/actor-yield.test.ts: AC-6's time budget (actor/run.ts `YIELD_AFTER_MS`). A busy actor
 * yields to the event loop every `YIELD_EVERY` items, and sooner when its items are heavy, so a
 * handler that does much per item (a producer sending hundreds of messages per turn) does not
 * keep its thread's sockets unserved. Time is a `SimulatedClock` the handler advances, so the
 * item weights are exact and nothing depends on the machine's speed.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Proc, SimulatedClock, type Actor, type Context } from '../src/index.js';
import { YIELD_AFTER_MS } from '../src/actor/run.js';

const T = { timeout: 10_000 };

type Msg = { readonly type: 'work'; readonly ms: number };

/** Each item "takes" `ms` of the proc's clock; records the count of handled items at each event-loop turn. */
class Heavy implements Actor<Msg> {
  handled = 0;
  constructor(private readonly clock: SimulatedClock) {}
  handle(_cx: Context<Msg>, msg: Msg): void {
    this.clock.advance(msg.ms);
    this.handled++;
  }
}

/** The count `actor.handled` had at each event-loop turn until it reached `total`. */
function turns(actor: Heavy, total: number): Promise<number[]> {
  const seen: number[] = [];
  return new Promise((resolve) => {
    const tick = (): void => {
      seen.push(actor.handled);
      if (actor.handled >= total) resolve(seen);
      else setImmediate(tick);
    };
    setImmediate(tick);
  });
}

describe('AC-6: the yield time budget', () => {
  it('a batch of items heavier than expected is cut: the event loop runs before 200 items of 2 ms are handled', T, async () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock });
    const [client] = proc.instance('client');
    const actor = new Heavy(clock);
    const handle = proc.spawn('heavy', actor);
    for (let i = 0; i < 200; i++) handle.send(client, { type: 'work', ms: 2 });
    const seen = await turns(actor, 200);
    // without the budget all 200 (< YIELD_EVERY) ran in one batch before the first turn
    assert.ok(seen[0] !== undefined && seen[0] < 200, `handled before the first turn: ${seen[0]}`);
  });

  it('steady heavy items: at most YIELD_AFTER_MS of them between two turns once their weight is known', T, async () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock });
    const [client] = proc.instance('client');
    const actor = new Heavy(clock);
    const handle = proc.spawn('heavy', actor);
    for (let i = 0; i < 300; i++) handle.send(client, { type: 'work', ms: 2 });
    const seen = await turns(actor, 300);
    const steps = seen.slice(2).map((n, i) => n - (seen[i + 1] as number));
    assert.ok(steps.length > 10, `turns: ${seen.length}`);
    assert.ok(Math.max(...steps) <= Math.ceil(YIELD_AFTER_MS / 2), `items between turns: ${steps.join(',')}`);
  });

  it('light items still run YIELD_EVERY to a batch: 3000 items of 0 ms take at most 3 turns beyond the first', T, async () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock });
    const [client] = proc.instance('client');
    const actor = new Heavy(clock);
    const handle = proc.spawn('light', actor);
    for (let i = 0; i < 3000; i++) handle.send(client, { type: 'work', ms: 0 });
    const seen = await turns(actor, 3000);
    assert.ok(seen.length <= 5, `turns: ${seen.join(',')}`);
  });
});
