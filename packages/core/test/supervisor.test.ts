/**
 * Supervisors (supervise/supervisor.ts, SU-1 .. SU-5): each strategy, intensity exceeded
 * escalating to the parent, permanent / transient / temporary, refs surviving restarts,
 * envelopes during a restart returned (SU-3), backoff on a simulated clock.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AskError, Proc, SimulatedClock, Supervisor, SupervisorError, childSpec, type Actor, type Context, type OncePortRef, type Instance, type Undeliverable } from '../src/index.js';
import { ProcSupervisionCoordinator, Recorder } from '../src/testing.js';

const T = { timeout: 10_000 };

type CounterMsg = { type: 'inc' } | { type: 'get'; reply: OncePortRef<number> } | { type: 'fail' } | { type: 'stop' } | { type: 'hold' };
type RestartType = 'permanent' | 'transient' | 'temporary';

/** A handler `hold` waits on: `held` records each entry, `release()` lets every holder go on. */
class Gate {
  readonly held = new Recorder<{ name: string }>();
  private open!: () => void;
  private readonly opened = new Promise<void>((r) => (this.open = r));
  wait(name: string): Promise<void> {
    this.held.push({ name });
    return this.opened;
  }
  release(): void {
    this.open();
  }
}

/** Counts `inc`s; `starts` records every incarnation's start. */
class Counter implements Actor<CounterMsg> {
  private n = 0;
  constructor(private readonly starts: Recorder<{ name: string }>, private readonly name: string, private readonly gate?: Gate) {}
  init(): void {
    this.starts.push({ name: this.name }); // objects: `Recorder.atLeast` tells equal items apart by identity
  }
  handle(cx: Context<CounterMsg>, msg: CounterMsg): void | Promise<void> {
    if (msg.type === 'inc') this.n++;
    else if (msg.type === 'get') msg.reply.send(cx, this.n);
    else if (msg.type === 'stop') cx.stop('done');
    else if (msg.type === 'hold') return this.gate?.wait(this.name);
    else throw new Error('counter boom');
  }
}

function setup(options: Omit<ConstructorParameters<typeof Supervisor>[0], 'children'>, names: string[], restart: RestartType | readonly RestartType[] = 'permanent', clock?: SimulatedClock, gate?: Gate) {
  const proc = Proc.local(clock === undefined ? {} : { clock });
  const coordinator = ProcSupervisionCoordinator.set(proc);
  const [client] = proc.instance('client');
  const starts = new Recorder<{ name: string }>();
  const specs = names.map((n, i) => childSpec(n, () => new Counter(starts, n, gate), typeof restart === 'string' ? restart : (restart[i] as RestartType)));
  const sup = proc.spawn('sup', new Supervisor({ ...options, children: specs }));
  const refs = specs.map((s) => Supervisor.childRef(sup, s));
  return { proc, coordinator, client, starts, sup, refs };
}

async function get(client: Instance<never>, ref: ReturnType<typeof Supervisor.childRef<CounterMsg>>): Promise<number> {
  const [reply, answer] = client.openOncePort<number>();
  ref.send(client, { type: 'get', reply: reply.bind() });
  return answer.recv();
}

describe('Supervisor (SU-1 .. SU-5)', () => {
  it('SU-1, SU-2: one-for-one restarts the failed child under the same id; its ref keeps working', T, async () => {
    const { client, starts, refs } = setup({ strategy: 'one-for-one' }, ['a', 'b']);
    const [a, b] = refs as [ReturnType<typeof Supervisor.childRef<CounterMsg>>, ReturnType<typeof Supervisor.childRef<CounterMsg>>];
    await starts.atLeast(2);
    assert.equal(String(a.actorId).endsWith(',a[1]'), true);
    b.send(client, { type: 'inc' });
    a.send(client, { type: 'inc' });
    assert.equal(await get(client, a), 1);
    a.send(client, { type: 'fail' });
    await starts.atLeast(3);
    assert.deepEqual(starts.items.map((s) => s.name), ['a', 'b', 'a'], 'only a started again');
    assert.equal(await get(client, a), 0, 'the ref reaches the new incarnation (fresh state)');
    assert.equal(await get(client, b), 1, 'b kept its state');
  });

  it('one-for-all restarts every child, in spec order (SU-5)', T, async () => {
    const { client, starts, refs } = setup({ strategy: 'one-for-all' }, ['a', 'b', 'c']);
    await starts.atLeast(3);
    (refs[1] as ReturnType<typeof Supervisor.childRef<CounterMsg>>).send(client, { type: 'fail' });
    await starts.atLeast(6);
    assert.deepEqual(starts.items.slice(3).map((s) => s.name), ['a', 'b', 'c']);
  });

  it('rest-for-one restarts the failed child and those started after it', T, async () => {
    const { client, starts, refs } = setup({ strategy: 'rest-for-one' }, ['a', 'b', 'c']);
    await starts.atLeast(3);
    const [a, b] = refs as [ReturnType<typeof Supervisor.childRef<CounterMsg>>, ReturnType<typeof Supervisor.childRef<CounterMsg>>];
    a.send(client, { type: 'inc' });
    b.send(client, { type: 'fail' });
    await starts.atLeast(5);
    assert.deepEqual(starts.items.slice(3).map((s) => s.name), ['b', 'c']);
    assert.equal(await get(client, a), 1, 'a was not restarted');
  });

  it('SU-4: one restart more than the intensity fails the supervisor; its parent (the coordinator) gets its event', T, async () => {
    const { client, starts, refs, sup, coordinator } = setup({ intensity: 2, periodMs: 60_000 }, ['a']);
    const a = refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>;
    for (let i = 1; i <= 2; i++) {
      await starts.atLeast(i);
      a.send(client, { type: 'fail' });
    }
    await starts.atLeast(3);
    a.send(client, { type: 'fail' });
    const event = await coordinator.next((e) => e.isError());
    assert.ok(event.actorId.equals(sup.actorId), 'the supervisor failed with an event of its own');
    assert.match(String(event.actorStatus), /restart intensity exceeded/);
    assert.ok(event.caused?.actorId.equals(a.actorId), 'while handling the child\'s failure');
    assert.equal(starts.items.length, 3);
    assert.equal(sup.status.kind, 'failed');
  });

  it('transient: restarted after a failure, not after a clean stop', T, async () => {
    const { client, starts, refs, sup } = setup({}, ['t'], 'transient');
    const t = refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>;
    await starts.atLeast(1);
    t.send(client, { type: 'fail' });
    await starts.atLeast(2);
    t.send(client, { type: 'stop' });
    const supActor = (sup as unknown as { instance: { actor: Supervisor } }).instance.actor;
    await waitFor(() => supActor.whichChildren()[0]?.state === 'stopped');
    assert.equal(starts.items.length, 2);
  });

  it('permanent: restarted after a clean stop too', T, async () => {
    const { client, starts, refs } = setup({}, ['p'], 'permanent');
    await starts.atLeast(1);
    (refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>).send(client, { type: 'stop' });
    await starts.atLeast(2);
  });

  it('temporary: never restarted; the failure does not reach the supervisor\'s parent', T, async () => {
    const { client, starts, refs, sup, coordinator } = setup({}, ['x'], 'temporary');
    await starts.atLeast(1);
    (refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>).send(client, { type: 'fail' });
    const supActor = (sup as unknown as { instance: { actor: Supervisor } }).instance.actor;
    await waitFor(() => supActor.whichChildren()[0]?.state === 'stopped');
    assert.equal(starts.items.length, 1);
    assert.equal(sup.status.kind, 'idle');
    assert.equal(coordinator.events.items.filter((e) => e.isError()).length, 0);
  });

  it('SU-3: an envelope sent while the child is down comes back to its sender; after the restart it is delivered', T, async () => {
    const clock = new SimulatedClock();
    const { proc, starts, refs } = setup({ backoff: { minMs: 1000, maxMs: 8000, randomFactor: 0 } }, ['a'], 'permanent', clock);
    const a = refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>;
    const returned = new Recorder<Undeliverable>();
    class Sender implements Actor<CounterMsg> {
      handle(): void {}
      handleUndeliverableMessage(_cx: Instance<CounterMsg>, u: Undeliverable): void {
        returned.push(u);
      }
    }
    const sender = proc.spawn('sender', new Sender());
    sender.bind();
    const senderCx = (sender as unknown as { instance: Instance<CounterMsg> }).instance;
    await starts.atLeast(1);
    a.send(senderCx, { type: 'fail' });
    await waitFor(() => proc.getInstance(a.actorId) === undefined || proc.getInstance(a.actorId)?.status.isTerminal === true);
    await waitFor(() => clock.pending > 0); // the backoff timer
    a.send(senderCx, { type: 'inc' });
    const u = await returned.next();
    assert.match(u.envelope.errorMessage() ?? '', /mailbox owner .*a\[1\] failed/);
    clock.advance(1000);
    await starts.atLeast(2);
    const [client] = proc.instance('client2');
    assert.equal(await get(client, a), 0);
    a.send(client, { type: 'inc' });
    assert.equal(await get(client, a), 1);
  });

  it('RT-3: messages queued in a failed incarnation are handled by the next one, ahead of later ones', T, async () => {
    const { client, starts, refs } = setup({ strategy: 'one-for-one' }, ['a']);
    const a = refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>;
    await starts.atLeast(1);
    a.send(client, { type: 'fail' });
    for (let i = 0; i < 3; i++) a.send(client, { type: 'inc' }); // queued behind the failing message
    await starts.atLeast(2);
    assert.equal(await get(client, a), 3);
  });

  it('RT-3: a temporary child is not restarted: its queued messages go back to their senders (an ask: ask-target-stopped)', T, async () => {
    const { client, starts, refs } = setup({ strategy: 'one-for-one' }, ['a'], 'temporary');
    const a = refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>;
    await starts.atLeast(1);
    a.send(client, { type: 'fail' });
    await assert.rejects(a.ask(client, { type: 'get' }), (err: unknown) => err instanceof AskError && err.code === 'ask-target-stopped' && /counter boom/.test(err.message));
  });

  it('RT-3: one-for-all: messages queued at a sibling stopped for the group restart are handled by its next incarnation', T, async () => {
    const gate = new Gate();
    const { client, starts, refs } = setup({ strategy: 'one-for-all' }, ['a', 'b'], 'permanent', undefined, gate);
    const [a, b] = refs as [ReturnType<typeof Supervisor.childRef<CounterMsg>>, ReturnType<typeof Supervisor.childRef<CounterMsg>>];
    await starts.atLeast(2);
    b.send(client, { type: 'hold' });
    await gate.held.atLeast(1);
    for (let i = 0; i < 3; i++) b.send(client, { type: 'inc' }); // queued behind the hold
    a.send(client, { type: 'fail' }); // the supervisor stops b (a stop signal, taken after the hold)
    await settle();
    gate.release();
    await starts.atLeast(4);
    assert.deepEqual(starts.items.slice(2).map((s) => s.name), ['a', 'b']);
    assert.equal(await get(client, b), 3);
  });

  it('RT-3: rest-for-one: a temporary sibling stopped for the group restart returns its queued work (an ask: ask-target-stopped)', T, async () => {
    const gate = new Gate();
    const { client, starts, refs } = setup({ strategy: 'rest-for-one' }, ['a', 'b'], ['permanent', 'temporary'], undefined, gate);
    const [a, b] = refs as [ReturnType<typeof Supervisor.childRef<CounterMsg>>, ReturnType<typeof Supervisor.childRef<CounterMsg>>];
    await starts.atLeast(2);
    b.send(client, { type: 'hold' });
    await gate.held.atLeast(1);
    const asked = b.ask(client, { type: 'get' }, { timeoutMs: 60_000 });
    a.send(client, { type: 'fail' });
    await settle();
    gate.release();
    await assert.rejects(asked, (err: unknown) => err instanceof AskError && err.code === 'ask-target-stopped' && /restarting: a ended/.test(err.message));
    await starts.atLeast(3);
    assert.deepEqual(starts.items.slice(2).map((s) => s.name), ['a'], 'b is temporary: not started again');
  });

  it('backoff: the n-th consecutive restart waits minMs * 2^n on the proc\'s clock', T, async () => {
    const clock = new SimulatedClock();
    const { client, starts, refs } = setup({ intensity: 10, periodMs: 60_000, backoff: { minMs: 100, maxMs: 1000, randomFactor: 0, resetAfterMs: 60_000 } }, ['a'], 'permanent', clock);
    const a = refs[0] as ReturnType<typeof Supervisor.childRef<CounterMsg>>;
    await starts.atLeast(1);
    for (const [n, delay] of [[2, 100], [3, 200], [4, 400], [5, 800], [6, 1000]] as const) {
      a.send(client, { type: 'fail' });
      await waitFor(() => clock.pending > 0);
      clock.advance(delay - 1);
      await settle();
      assert.equal(starts.items.length, n - 1, `not before ${delay} ms`);
      clock.advance(1);
      await starts.atLeast(n);
    }
  });

  it('invalid specs are a typed error; a child name taken in the proc fails the supervisor\'s init', T, async () => {
    assert.throws(() => new Supervisor({ children: [childSpec('x', () => new Counter(new Recorder(), 'x')), childSpec('x', () => new Counter(new Recorder(), 'x'))] }), (e) => e instanceof SupervisorError && e.code === 'invalid-child-spec');
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    proc.spawn('taken', new Counter(new Recorder(), 'taken'));
    const sup = proc.spawn('sup', new Supervisor({ children: [childSpec('taken', () => new Counter(new Recorder(), 'taken'))] }));
    const event = await coordinator.next((e) => e.isError());
    assert.ok(event.actorId.equals(sup.actorId));
    assert.match(String(event.actorStatus), /initialization error: an actor with name 'taken'/);
  });
});

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

async function waitFor(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setImmediate(r));
}
