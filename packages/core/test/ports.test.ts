/**
 * Mailboxes and ports (spec §1.3): user port allocation from 1024 (PT-2), handles and receivers
 * (`recv`, `tryRecv`, `drain`), binding rules (PT-3), once ports, accumulating and reducing
 * ports, `contramap`, closing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTOR_PORT,
  ChannelAddr,
  MailboxError,
  MailboxSenderError,
  MessageEnvelope,
  OncePortRef,
  PortId,
  PortRef,
  Proc,
  ProcError,
  ProcId,
  ActorStatus,
  type Accumulator,
  type Undeliverable,
} from '../src/index.js';
import { Mailbox, PanickingMailboxSender, onAbandoned } from '../src/transport.js';
import { USER_PORT_OFFSET } from '../src/id.js';
import { TestActor } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const sum: Accumulator<number, number> = { initial: () => 0, reduce: (s, u) => s + u, spec: 'sum' };

function client(): { proc: Proc; cx: ReturnType<Proc['instance']>[0] } {
  const proc = Proc.local();
  const [cx] = proc.instance('client');
  return { proc, cx };
}

describe('port allocation and binding (§1.3, PT-2, PT-3)', () => {
  it('PT-2: user ports are allocated per mailbox from 1024, one index per open/contramap (§1.2.1)', () => {
    const { cx } = client();
    const [a] = cx.openPort<number>();
    const [b] = cx.openOncePort<number>();
    const [c] = cx.openAccumPort(sum);
    const d = a.contramap((s: string) => s.length);
    const [e] = cx.openReducePort(sum, 2);
    assert.equal(USER_PORT_OFFSET, 1024);
    assert.deepEqual([a.index, b.index, c.index, d.index, e.index], [1024, 1025, 1026, 1027, 1028]);
    const other = Proc.local().instance('other')[0];
    assert.equal(other.openPort()[0].index, 1024, 'each mailbox has its own counter');
  });

  it('PT-3: bind() is idempotent and returns the port\'s ref (§1.3)', () => {
    const { cx } = client();
    const [port] = cx.openPort<number>();
    assert.equal(port.isBound, false);
    const ref = port.bind();
    assert.equal(port.bind(), ref);
    assert.equal(String(ref.portId), `${cx.selfId}[1024]`);
    assert.equal(cx.mailbox.isBound(1024), true);
  });

  it('PT-3: binding an actor port that is already bound throws already-bound (§1.3 bind_actor_port)', () => {
    const { cx } = client();
    const first = cx.mailbox.openEnqueuePort<number>(5, () => {}, 'number');
    first.bindActorPort();
    assert.throws(() => first.bindActorPort(), (e: unknown) => e instanceof ProcError && e.code === 'already-bound');
    const second = cx.mailbox.openEnqueuePort<number>(5, () => {}, 'number');
    assert.throws(() => second.bindActorPort(), (e: unknown) => e instanceof ProcError && e.code === 'already-bound');
  });

  it('MB-6: an actor\'s signal and introspect ports count as bound before their first envelope (PT-3)', () => {
    const proc = Proc.local();
    const actor = proc.spawn('a', new TestActor());
    const mailbox = actor.instance.mailbox;
    assert.equal(mailbox.isBound(ACTOR_PORT.SIGNAL), true);
    assert.equal(mailbox.isBound(ACTOR_PORT.INTROSPECT), true);
    const again = mailbox.openEnqueuePort<unknown>(ACTOR_PORT.INTROSPECT, () => undefined, 'x');
    assert.throws(() => again.bindActorPort(), (e: unknown) => e instanceof ProcError && e.code === 'already-bound');
  });

  it('location(): "{actor}<{type}>" unbound, "{port_id}" bound (§1.3)', () => {
    const { cx } = client();
    const [port] = cx.openPort<number>('Count');
    assert.equal(port.location(), `${cx.selfId}<Count>`);
    port.bind();
    assert.equal(port.location(), `${cx.selfId}[1024]`);
  });

  it('system actor ports display with their type: "{actor}[{index}<{type}>]" (§1.2.2)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const actor = proc.actorId('a');
    assert.equal(String(actor.portId(ACTOR_PORT.SIGNAL)), `${actor}[1<Signal>]`);
    assert.equal(String(actor.portId(ACTOR_PORT.UNDELIVERABLE)), `${actor}[2<Undeliverable>]`);
    assert.equal(String(actor.portId(ACTOR_PORT.INTROSPECT)), `${actor}[3<IntrospectMessage>]`);
    assert.equal(String(PortId.parse(String(actor.portId(ACTOR_PORT.SIGNAL)))), String(actor.portId(ACTOR_PORT.SIGNAL)), 'ID-1');
    assert.equal(actor.portId(ACTOR_PORT.SIGNAL).isActorPort, true);
    assert.equal(actor.portId(1024).isActorPort, false);
  });
});

describe('PortReceiver (§1.3)', () => {
  it('recv, tryRecv and drain take values in send order (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openPort<number>();
    assert.equal(receiver.tryRecv(), undefined);
    for (const n of [1, 2, 3, 4]) port.send(cx, n);
    assert.equal(await receiver.recv(), 1);
    assert.equal(receiver.tryRecv(), 2);
    assert.deepEqual(receiver.drain(), [3, 4]);
    assert.deepEqual(receiver.drain(), []);
  });

  it('recv waits for a value sent later (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openPort<string>();
    const pending = receiver.recv();
    port.send(cx, 'later');
    assert.equal(await pending, 'later');
  });

  it('closing the receiver: recv rejects "mailbox closed", sends fail, the index is unbound (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openPort<string>();
    const ref = port.bind();
    const pending = receiver.recv();
    receiver.close();
    await assert.rejects(pending, (e: unknown) => e instanceof MailboxError && e.code === 'closed' && e.message === `${cx.selfId}: mailbox closed`);
    assert.throws(() => port.send(cx, 'x'), (e: unknown) => e instanceof MailboxSenderError && e.code === 'closed');
    assert.equal(cx.mailbox.isBound(port.index), false);
    const lost: MessageEnvelope[] = [];
    const off = onAbandoned((env) => lost.push(env));
    try {
      ref.send(cx, 'after close');
    } finally {
      off();
    }
    assert.ok(lost[0]?.errorMessage()?.startsWith('address not routable: port not bound in mailbox'));
  });

  it('a ref send to a bound user port arrives decoded (§1.3 PortRef)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openPort<{ a: number[] }>();
    port.bind().send(cx, { a: [1, 2] });
    assert.deepEqual(await receiver.recv(), { a: [1, 2] });
  });

  it('when the owner stops, its receivers reject and its handles throw owner-terminated (§1.3, PT-1)', T, async () => {
    const proc = Proc.local();
    const [cx] = proc.instance('client');
    const opened: { port: import('../src/index.js').PortHandle<number>; receiver: import('../src/index.js').PortReceiver<number> }[] = [];
    const actor = proc.spawn(
      'owner',
      new TestActor({
        init: (self) => {
          const [port, receiver] = self.openPort<number>();
          opened.push({ port, receiver });
        },
      }),
    );
    await actor.statusWatch().waitFor((s) => s.kind === 'idle');
    const [{ port, receiver }] = opened as [(typeof opened)[number]];
    const pending = receiver.recv();
    actor.drainAndStop('done');
    await actor.join();
    await assert.rejects(pending, MailboxError);
    assert.throws(() => port.send(cx, 1), (e: unknown) => e instanceof MailboxSenderError && e.code === 'owner-terminated');
  });
});

describe('once ports (§1.3)', () => {
  it('a once handle sends one value; a second send throws "port closed" (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openOncePort<number>();
    port.send(cx, 7);
    assert.throws(() => port.send(cx, 8), (e: unknown) => e instanceof MailboxSenderError && e.code === 'closed');
    assert.equal(await receiver.recv(), 7);
  });

  it('a once receiver closed before a value rejects with a recv error (§1.3)', T, async () => {
    const { cx } = client();
    const [, receiver] = cx.openOncePort<number>();
    const pending = receiver.recv();
    receiver.close();
    await assert.rejects(pending, (e: unknown) => e instanceof MailboxError && e.code === 'recv');
  });

  it('a bound once port is unbound after its first delivery (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openOncePort<number>();
    const ref = port.bind();
    assert.ok(ref instanceof OncePortRef);
    assert.equal(cx.mailbox.isBound(port.index), true);
    ref.send(cx, 1);
    assert.equal(await receiver.recv(), 1);
    assert.equal(cx.mailbox.isBound(port.index), false);
  });
});

describe('accumulating and reducing ports (§1.3)', () => {
  it('an accum port folds updates; its receiver coalesces to the latest state (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openAccumPort(sum);
    for (const n of [1, 2, 3]) port.send(cx, n);
    assert.equal(await receiver.recv(), 6);
    port.send(cx, 4);
    port.send(cx, 5);
    assert.deepEqual(receiver.drain(), [15]);
  });

  it('an accum port works through its ref (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openAccumPort(sum);
    const ref = port.bind();
    assert.equal(ref.reducerSpec, 'sum');
    ref.send(cx, 10);
    ref.send(cx, 5);
    assert.equal(await receiver.recv(), 15);
  });

  it('a reduce port resolves once with the state folded from `count` updates (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openReducePort(sum, 3);
    port.send(cx, 1);
    port.send(cx, 2);
    port.send(cx, 3);
    assert.equal(await receiver.recv(), 6);
  });

  it('a reduce port requires a reducer spec (§1.3)', () => {
    const { cx } = client();
    assert.throws(() => cx.openReducePort({ initial: () => 0, reduce: (s: number, u: number) => s + u }, 2), ProcError);
  });
});

describe('contramap (§1.3)', () => {
  it('contramap gives a new handle that maps values into the same receiver (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openPort<number>();
    const lengths = port.contramap((s: string) => s.length);
    assert.notEqual(lengths.index, port.index);
    lengths.send(cx, 'hello');
    port.send(cx, 1);
    assert.deepEqual([await receiver.recv(), await receiver.recv()], [5, 1]);
  });

  it('a contramapped port can be bound and addressed by ref (§1.3)', T, async () => {
    const { cx } = client();
    const [port, receiver] = cx.openPort<number>();
    const ref = port.contramap((s: string) => s.length).bind();
    ref.send(cx, 'four');
    assert.equal(await receiver.recv(), 4);
  });
});

describe('Mailbox (§1.3, §1.5)', () => {
  it('close(status) records the status; closing twice throws (§1.3)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const mailbox = new Mailbox(proc.actorId('a'), new PanickingMailboxSender());
    mailbox.close(ActorStatus.stopped('done'));
    assert.equal(mailbox.isClosed, true);
    assert.equal(String(mailbox.closedStatus), 'stopped: done');
    assert.throws(() => mailbox.close(ActorStatus.stopped('again')), (e: unknown) => e instanceof MailboxError && e.code === 'already-closed');
  });

  it('boundReturnHandle is undefined until the Undeliverable port is bound (§1.3, §1.6)', () => {
    const proc = Proc.local();
    const actor = proc.spawn('a', new TestActor());
    assert.equal(actor.instance.mailbox.boundReturnHandle(), undefined);
    actor.bind();
    const handle = actor.instance.mailbox.boundReturnHandle();
    assert.equal(handle?.index, ACTOR_PORT.UNDELIVERABLE);
  });

  it('a bare mailbox routes envelopes for other actors to its forwarder (MB-1)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const mailbox = new Mailbox(proc.actorId('a'), new PanickingMailboxSender());
    const [rh] = mailbox.openPort<Undeliverable>();
    const env = new MessageEnvelope(proc.actorId('a'), proc.actorId('b').portId(1024), new Uint8Array(), {}, 64);
    assert.throws(() => mailbox.post(env, rh), /panic! in the mailbox!/);
  });

  it('PortRef helpers: withReturnUndeliverable, intoOnce, toString (§1.3)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const portId = proc.actorId('a').portId(1030);
    const ref = PortRef.attest<number>(portId);
    assert.equal(ref.returnUndeliverable, true);
    assert.equal(ref.withReturnUndeliverable(false).returnUndeliverable, false);
    assert.equal(String(ref.intoOnce().portId), String(portId));
    assert.equal(String(ref), String(portId));
  });
});
