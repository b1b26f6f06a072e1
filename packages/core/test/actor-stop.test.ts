/**
 * The end of an actor (actor/stop.ts STOP-1, actor/run.ts AC-12): a stop with nothing to await
 * ends in the turns its loop takes, and one with an asynchronous cleanup or supervision hook still
 * waits for it and turns its outcome into the actor's (spec §1.10, §4.1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Proc, SimulatedClock, type Actor, type ActorSupervisionEvent, type Context } from '../src/index.js';
import { ProcSupervisionCoordinator } from '../src/testing.js';
import { deferred } from './fixtures/actors.js';

const T = { timeout: 10_000 };

type Msg = { readonly type: 'go' };

/** Stops itself in its handler, and counts the microtask turns until its status is terminal. */
class CountsTurns implements Actor<Msg> {
  readonly turns = deferred<number>();
  constructor(private readonly cleanupResult?: () => void | Promise<void>) {}
  handle(cx: Context<Msg>): void {
    cx.stop('done');
    let n = 0;
    const tick = (): void => {
      if (cx.status.kind === 'stopped' || cx.status.kind === 'failed') this.turns.resolve(n);
      else if (++n > 1000) this.turns.resolve(n);
      else queueMicrotask(tick);
    };
    queueMicrotask(tick);
  }
  cleanup(): void | Promise<void> {
    return this.cleanupResult?.();
  }
}

describe('stop (STOP-1)', () => {
  it('STOP-1: an actor with no children and no asynchronous cleanup is stopped within two microtask turns of its handler', T, async () => {
    // a simulated clock: AC-6's 10 ms yield reads the proc clock, and a loaded machine can stretch one batch past it
    const proc = Proc.local({ clock: new SimulatedClock() });
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const actor = new CountsTurns(() => undefined);
    const handle = proc.spawn('a', actor);
    handle.send(client, { type: 'go' });
    // the loop's own turns: the handler's batch returns, `run` resolves, `drive` calls `serve`
    assert.ok((await actor.turns.promise) <= 2, 'no promise, timer or microtask of the stop itself');
    assert.equal(String(await handle.join()), 'stopped: done');
  });

  it('STOP-1: an asynchronous cleanup is awaited: the actor is stopping until it settles, then stopped', T, async () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock, config: { cleanupTimeoutMs: 1000 } });
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const done = deferred<void>();
    const started = deferred<void>();
    const actor = new CountsTurns(() => {
      started.resolve();
      return done.promise;
    });
    const handle = proc.spawn('a', actor);
    handle.send(client, { type: 'go' });
    await started.promise;
    await Promise.resolve();
    assert.equal(handle.status.kind, 'stopping');
    assert.equal(clock.pending, 1, 'the cleanup timeout is armed');
    done.resolve();
    assert.equal(String(await handle.join()), 'stopped: done');
    assert.equal(clock.pending, 0, 'and cancelled once the cleanup settled');
  });

  it('STOP-1: an asynchronous cleanup that rejects fails the actor with "cleanup error: ..." (§1.10)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const handle = proc.spawn('a', new CountsTurns(() => Promise.reject(new Error('disk gone'))));
    handle.send(client, { type: 'go' });
    assert.match(String(await handle.join()), /^failed: cleanup error: disk gone/);
  });

  it('STOP-1: a parent with a child still waits for the child before it is stopped (AC-4)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const order: string[] = [];
    class Leaf implements Actor<Msg> {
      handle(): void {}
      cleanup(): Promise<void> {
        order.push('child cleanup');
        return new Promise((r) => setImmediate(r));
      }
    }
    class Root implements Actor<Msg> {
      init(cx: Context<Msg>): void {
        cx.spawn(new Leaf());
      }
      handle(): void {}
      cleanup(): void {
        order.push('parent cleanup');
      }
    }
    const root = proc.spawn('root', new Root());
    await root.statusWatch().waitFor((s) => s.kind === 'idle');
    root.drainAndStop('done');
    assert.equal(String(await root.join()), 'stopped: done');
    assert.deepEqual(order, ['child cleanup', 'parent cleanup']);
  });
});

/** A parent whose `handleSupervisionEvent` answers as `answer` says. */
class Parent implements Actor<Msg> {
  constructor(private readonly answer: (event: ActorSupervisionEvent) => boolean | Promise<boolean>) {}
  handle(cx: Context<Msg>, msg: Msg): void {
    cx.spawn(new CountsTurns()).send(cx, msg);
  }
  handleSupervisionEvent(_cx: Context<Msg>, event: ActorSupervisionEvent): boolean | Promise<boolean> {
    return this.answer(event);
  }
}

/** The parent's terminal status once its child (which stops cleanly) reported to it. */
async function parentAfterChildEvent(answer: (event: ActorSupervisionEvent) => boolean | Promise<boolean>): Promise<string> {
  const proc = Proc.local();
  ProcSupervisionCoordinator.set(proc);
  const [client] = proc.instance('client');
  const parent = proc.spawn('parent', new Parent(answer));
  parent.send(client, { type: 'go' });
  return String(await parent.join());
}

describe('supervision hooks (AC-12)', () => {
  // The child stops cleanly; a parent that does not absorb the event ends with it (upstream's
  // unhandled supervision event: the parent takes the child's status), else it would stay idle.
  it('AC-12: a hook that returns false synchronously ends the parent with the child event', T, async () => {
    assert.equal(await parentAfterChildEvent(() => false), 'stopped: done');
  });

  it('AC-12: a hook that returns a promise of false fails the parent the same way', T, async () => {
    const sync = await parentAfterChildEvent(() => false);
    const async = await parentAfterChildEvent(() => new Promise<boolean>((r) => setImmediate(() => r(false))));
    assert.equal(async, sync);
  });

  it('AC-12: a hook that throws fails the parent with "error during handling supervision"', T, async () => {
    assert.match(
      await parentAfterChildEvent(() => {
        throw new Error('hook broke');
      }),
      /^failed: .*hook broke/,
    );
  });

  it('AC-12: a hook whose promise rejects fails the parent the same way as one that throws', T, async () => {
    const thrown = await parentAfterChildEvent(() => {
      throw new Error('hook broke');
    });
    const rejected = await parentAfterChildEvent(() => Promise.reject(new Error('hook broke')));
    assert.equal(rejected.split('\n')[0], thrown.split('\n')[0]); // the stacks differ
    assert.match(rejected, /^failed: hook broke/);
  });
});
