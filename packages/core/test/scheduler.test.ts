/**
 * The ready queue of a thread's actors (actor/scheduler.ts RQ-1..RQ-4) and the turns actor/run.ts
 * gives actors on it (AC-11): a message between two actors of one proc is handled in the running
 * drain, and a busy exchange still lets the event loop run (RQ-3, AC-6).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ReadyQueue } from '../src/actor/scheduler.js';
import { Proc, SimulatedClock, type Actor, type ActorHandle, type ActorRef, type Context } from '../src/index.js';
import { deferred } from './fixtures/actors.js';

const T = { timeout: 10_000 };

describe('ReadyQueue', () => {
  it('RQ-1: a schedule runs no turn on its stack, and one drain serves every item scheduled before it', T, async () => {
    const ran: string[] = [];
    const q = new ReadyQueue<string>((item) => (ran.push(item), 0), () => {}, 1_000);
    q.schedule('a');
    q.schedule('b');
    assert.deepEqual(ran, []);
    assert.equal(q.length, 2);
    await Promise.resolve();
    assert.deepEqual(ran, ['a', 'b']);
    assert.equal(q.length, 0);
  });

  it('RQ-2: turns run in schedule order, and an item scheduled during a drain runs in that drain', T, async () => {
    const ran: number[] = [];
    let q: ReadyQueue<number> | undefined;
    q = new ReadyQueue<number>(
      (item) => {
        ran.push(item);
        if (item < 40) q?.schedule(item + 2); // more than the initial array holds
        return 0;
      },
      () => {},
      1_000,
    );
    q.schedule(0);
    q.schedule(1);
    await Promise.resolve();
    assert.deepEqual(ran, Array.from({ length: 42 }, (_, i) => i));
  });

  it('RQ-3: a drain yields to the event loop once its turns handled the budget, then goes on', T, async () => {
    const events: string[] = [];
    const q = new ReadyQueue<number>((item) => (events.push(`turn ${item}`), 4), () => {}, 10);
    const immediate = new Promise<void>((resolve) => setImmediate(() => (events.push('immediate'), resolve())));
    for (let i = 0; i < 4; i++) q.schedule(i);
    await immediate;
    await new Promise<void>((resolve) => setImmediate(resolve));
    // each turn counts 4 items + 1: after two turns (10) the drain yields to the immediate queued first
    assert.deepEqual(events, ['turn 0', 'turn 1', 'immediate', 'turn 2', 'turn 3']);
  });

  it('RQ-4: a turn that throws goes to onError with its item, and the next item still runs', T, async () => {
    const ran: string[] = [];
    const failed: [string, unknown][] = [];
    const q = new ReadyQueue<string>(
      (item) => {
        if (item === 'bad') throw new Error('boom');
        ran.push(item);
        return 0;
      },
      (item, err) => failed.push([item, err]),
      1_000,
    );
    q.schedule('bad');
    q.schedule('good');
    await Promise.resolve();
    assert.deepEqual(ran, ['good']);
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.[0], 'bad');
    assert.equal((failed[0]?.[1] as Error).message, 'boom');
  });
});

type PingMsg = { type: 'peer'; peer: ActorRef<PingMsg> } | { type: 'ball'; left: number };

/** Sends the ball back by ref until `left` is 0, then resolves `done`. */
class Player implements Actor<PingMsg> {
  peer: ActorRef<PingMsg> | undefined;
  constructor(private readonly done: () => void) {}
  handle(cx: Context<PingMsg>, msg: PingMsg): void {
    if (msg.type === 'peer') this.peer = msg.peer;
    else if (msg.left === 0) this.done();
    else this.peer?.send(cx, { type: 'ball', left: msg.left - 1 });
  }
}

/** A rally on a proc with a simulated clock: handling takes no proc time, so only RQ-3's item budget cuts a drain. */
async function rally(hits: number): Promise<{ finishedBeforeImmediate: boolean; immediateRanFirst: boolean }> {
  const proc = Proc.local({ clock: new SimulatedClock() });
  const [client] = proc.instance('client');
  const done = deferred();
  let finished = false;
  const a = proc.spawn('a', new Player(() => ((finished = true), done.resolve())));
  const b = proc.spawn('b', new Player(() => ((finished = true), done.resolve())));
  a.send(client, { type: 'peer', peer: b.bind() });
  b.send(client, { type: 'peer', peer: a.bind() });
  await new Promise<void>((resolve) => setImmediate(resolve)); // both started and wired
  let immediateRanFirst = false;
  const immediate = new Promise<void>((resolve) =>
    setImmediate(() => {
      immediateRanFirst = !finished;
      resolve();
    }),
  );
  a.bind().send(client, { type: 'ball', left: hits });
  await immediate;
  const finishedBeforeImmediate = finished && !immediateRanFirst;
  await done.promise;
  await proc.destroyAndWait(1_000);
  return { finishedBeforeImmediate, immediateRanFirst };
}

describe('turns of the ready queue (AC-11)', () => {
  it('AC-11: a 200-hit rally of ref sends between two actors of one proc is handled in one drain, before the next event-loop turn', T, async () => {
    const r = await rally(200);
    assert.equal(r.finishedBeforeImmediate, true);
  });

  it('AC-6, RQ-3: a 20,000-hit rally lets the event loop run before it ends', T, async () => {
    const r = await rally(20_000);
    assert.equal(r.immediateRanFirst, true);
  });
});

type CountMsg = { type: 'inc' };

class Counting implements Actor<CountMsg> {
  count = 0;
  handle(): void {
    this.count++;
  }
}

describe('signals beside turns (IP-4)', () => {
  it('IP-4: drainAndStop sent behind queued ref sends goes through the loop: every queued message is handled, then the actor stops', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new Counting();
    const handle = proc.spawn('counting', actor);
    const ref = handle.bind();
    for (let i = 0; i < 50; i++) ref.send(client, { type: 'inc' });
    handle.drainAndStop('done');
    const status = await handle.join();
    assert.equal(actor.count, 50);
    assert.equal(String(status), 'stopped: done');
    await proc.destroyAndWait(1_000);
  });
});

type SlowMsg = { type: 'work' };

/** Takes 20 ms of its proc's (simulated) clock per message, then tells `next`. */
class Slow implements Actor<SlowMsg> {
  constructor(
    private readonly clock: SimulatedClock,
    private readonly next: ActorHandle<SlowMsg> | undefined,
    private readonly seen: () => void,
  ) {}
  handle(cx: Context<SlowMsg>): void {
    this.clock.advance(20);
    this.seen();
    this.next?.send(cx, { type: 'work' });
  }
}

describe('time in turns (AC-6, AC-11)', () => {
  it('AC-6: a drain whose turns handled 10 ms of the proc clock yields to the event loop before the next turn', T, async () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock });
    const [client] = proc.instance('client');
    const events: string[] = [];
    const done = deferred();
    const second = proc.spawn('second', new Slow(clock, undefined, () => (events.push('second'), done.resolve())));
    const first = proc.spawn('first', new Slow(clock, second, () => events.push('first')));
    await new Promise<void>((resolve) => setImmediate(resolve)); // both idle
    setImmediate(() => events.push('immediate'));
    first.send(client, { type: 'work' });
    await done.promise;
    assert.deepEqual(events, ['first', 'immediate', 'second']);
    await proc.destroyAndWait(1_000);
  });
});
