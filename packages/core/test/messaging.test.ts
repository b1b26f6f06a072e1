/**
 * Messaging (spec §3): the two send paths, local FIFO, hops and TTL, messages for unknown or
 * stopped actors, the undeliverable return protocol (bounced, absorbed, abandoned), headers.
 * Ports upstream's `test_proc_actors_messaging`, `test_multi_handler_refs`,
 * `message_ttl_expires_in_routing_loop_returns_to_sender`.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import {
  ACTOR_PORT,
  ActorId,
  ChannelAddr,
  DeliveryError,
  MailboxSenderError,
  MessageEnvelope,
  PanicError,
  PortRef,
  Proc,
  ProcId,
  Signal,
  Reference,
  Undeliverable,
  type Context,
  type Headers,
  type Instance,
} from '../src/index.js';
import { MailboxRouter, abandonedMessages, decodePayload, encodePayload, onAbandoned, returnUndeliverable } from '../src/transport.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { RETURN_MARK } from '../src/mailbox/sender.js';
import { ProcSupervisionCoordinator, Recorder } from '../src/testing.js';
import { Bouncing, TestActor, deferred, sync, wedge, type TestMsg } from './fixtures/actors.js';
import type { ActorHandle } from '../src/actor/instance.js';

const T = { timeout: 10_000 };

/** Envelopes abandoned while a test runs (UM-1: logged, never silently lost). */
let unsubscribe: (() => void) | undefined;
function abandoned(): Recorder<MessageEnvelope> {
  const r = new Recorder<MessageEnvelope>();
  unsubscribe = onAbandoned((env) => r.push(env));
  return r;
}
afterEach(() => {
  unsubscribe?.();
  unsubscribe = undefined;
});

/** Make `actor` send through `fn` from inside a handler. */
function sendFrom(client: Instance<never>, actor: ActorHandle<TestMsg>, fn: (cx: Context<TestMsg>) => void): void {
  actor.send(client, { type: 'call', fn });
}

describe('send paths (§3.1)', () => {
  it('handle sends are direct: the receiver gets the very object (§3.1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const value = { n: 1 };
    handle.send(client, { type: 'record', value });
    await sync(client, handle);
    assert.equal(actor.recorded[0], value);
  });

  it('PT-5, IP-2: a ref send inside one proc delivers a copy: the receiver never sees later mutation by the sender (§3.1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const ref = handle.bind();
    const value = { n: 1 };
    ref.send(client, { type: 'record', value });
    value.n = 2;
    await sync(client, handle);
    assert.deepEqual(actor.recorded, [{ n: 1 }]);
    assert.notEqual(actor.recorded[0], value);
  });

  it('local ref routing is synchronous: the message is queued when send returns (§3.1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const ref = handle.bind();
    const gate = await wedge(client, handle);
    ref.send(client, { type: 'record', value: 'via ref' });
    handle.drainAndStop('done'); // drains what is queued now
    gate.release();
    await handle.join();
    assert.deepEqual(actor.recorded, ['via ref']);
  });

  it('local FIFO, IP-1: handle and ref sends from one sender arrive in program order (§3.2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const ref = handle.bind();
    for (let i = 0; i < 20; i++) {
      if (i % 3 === 0) ref.send(client, { type: 'record', value: i });
      else handle.send(client, { type: 'record', value: i });
    }
    await sync(client, handle);
    assert.deepEqual(actor.recorded, Array.from({ length: 20 }, (_, i) => i));
  });

  it('test_proc_actors_messaging: an actor forwards a message to another (§3.1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const first = proc.spawn('first', new TestActor());
    const second = proc.spawn('second', new TestActor());
    const done = deferred();
    first.send(client, { type: 'forward', to: second, message: { type: 'reply', done: () => done.resolve() } });
    await done.promise;
  });

  it('test_multi_handler_refs: ref and handle sends reach the same handler (§1.6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    handle.send(client, { type: 'record', value: 123 });
    handle.bind().send(client, { type: 'record', value: 'foo' });
    await sync(client, handle);
    assert.deepEqual(actor.recorded, [123, 'foo']);
  });

  it('Instance.post sends serialized bytes to any port (§1.6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const ref = handle.bind();
    client.post(ref.port().portId, undefined, encodePayload({ type: 'record', value: 'raw' }));
    await sync(client, handle);
    assert.deepEqual(actor.recorded, ['raw']);
  });

  it('selfMessageWithDelay delivers to the actor itself later (§1.6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const got = deferred<unknown>();
    const handle = proc.spawn('a', new TestActor());
    handle.send(client, {
      type: 'call',
      fn: (cx) => cx.selfMessageWithDelay({ type: 'call', fn: () => got.resolve('later') }, 1),
    });
    assert.equal(await got.promise, 'later');
  });
});

describe('headers (§1.4)', () => {
  it('a bound handle send carries send_timestamp, the port\'s type and a session seq (§1.4, PT-4, AC-7)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const seen = new Recorder<Headers>();
    const handle = proc.spawn('a', new TestActor());
    handle.send(client, { type: 'call', fn: (cx) => seen.push(cx.headers) });
    handle.bind();
    const before = Date.now();
    handle.send(client, { type: 'call', fn: (cx) => seen.push(cx.headers) });
    const [unbound, bound] = await seen.atLeast(2);
    assert.deepEqual(unbound, { seq_info: { kind: 'direct' } });
    assert.ok(bound && typeof bound.send_timestamp === 'number' && bound.send_timestamp >= before);
    assert.equal(bound?.message_type, 'TestActor');
    assert.equal(bound?.seq_info?.kind, 'session');
  });

  it('ref sends carry the message arm as message_type (§1.4 RUST_MESSAGE_TYPE)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const seen = new Recorder<Headers>();
    class Peek extends TestActor {
      override handle(cx: Parameters<TestActor['handle']>[0], msg: TestMsg): void | Promise<void> {
        seen.push(cx.headers);
        return super.handle(cx, msg);
      }
    }
    const handle = proc.spawn('a', new Peek());
    handle.bind().send(client, { type: 'record', value: 1 });
    const headers = await seen.next();
    assert.equal(headers.message_type, 'record');
    assert.ok(typeof headers.send_timestamp === 'number');
    assert.equal(headers.seq_info?.kind, 'session');
  });

  it('a caller may not set SEQ_INFO (§1.4)', () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const handle = proc.spawn('a', new TestActor());
    assert.throws(
      () => handle.bind().sendWithHeaders(client, { seq_info: { kind: 'direct' } }, { type: 'noop' }),
      (e: unknown) => e instanceof MailboxSenderError && e.code === 'invalid',
    );
  });

  it('a message that cannot be serialized throws MailboxSenderError("serialize") synchronously (§3.1)', () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const handle = proc.spawn('a', new TestActor());
    assert.throws(
      () => handle.bind().send(client, { type: 'record', value: Symbol('x') }),
      (e: unknown) => e instanceof MailboxSenderError && e.code === 'serialize',
    );
  });
});

describe('hops and TTL (§3.3, MS-1)', () => {
  function envelope(client: { selfId: ActorId }, dest: ActorHandle<TestMsg>, ttl: number, value: unknown): MessageEnvelope {
    const data = encodePayload({ type: 'record', value });
    return new MessageEnvelope(client.selfId, dest.bind().port().portId, data, {}, ttl);
  }

  it('a local ref send takes 5 hops: TTL 5 arrives, TTL 4 expires (§3.1; MB-8: the direct route counts them too)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [returnHandle, returns] = client.openPort<Undeliverable>();
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    client.mailbox.post(envelope(client, handle, 5, 'five'), returnHandle);
    client.mailbox.post(envelope(client, handle, 4, 'four'), returnHandle);
    await sync(client, handle);
    assert.deepEqual(actor.recorded, ['five']);
    const bounced = await returns.recv();
    assert.equal(bounced.envelope.errorMessage(), 'ttl expired');
  });

  it('a self-send through a ref takes one hop (§3.1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [returnHandle, returns] = client.openPort<unknown>();
    const port = returnHandle.bind();
    const [rh] = client.openPort<Undeliverable>();
    client.mailbox.post(new MessageEnvelope(client.selfId, port.portId, encodePayload('self'), {}, 1), rh);
    assert.equal(await returns.recv(), 'self');
  });

  it('post decrements the TTL, postUnchecked does not (MS-1)', () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const seen: number[] = [];
    const [rh] = client.openPort<Undeliverable>();
    class Probe extends MailboxRouter {
      override postUnchecked(env: MessageEnvelope): void {
        seen.push(env.ttl);
      }
    }
    const probe = new Probe();
    const env = new MessageEnvelope(client.selfId, client.selfId.portId(1024), new Uint8Array(), {}, 10);
    probe.post(env, rh);
    probe.postUnchecked(env);
    assert.deepEqual(seen, [9, 9]);
  });

  it('an envelope posted with TTL 0 comes back as "ttl expired" (§3.3)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [rh, returns] = client.openPort<Undeliverable>();
    const env = new MessageEnvelope(client.selfId, client.selfId.portId(1024), new Uint8Array(), {}, 0);
    proc.post(env, rh);
    const back = await returns.recv();
    assert.equal(back.envelope, env);
    assert.deepEqual(back.envelope.errors.map((e) => e.kind), ['ttl-expired']);
  });

  it('the initial TTL is the proc\'s messageTtlDefault (§1.14)', T, async () => {
    const proc = Proc.local({ config: { messageTtlDefault: 4 } });
    const [client] = proc.instance('client');
    const returns = abandoned();
    const handle = proc.spawn('a', new TestActor());
    handle.bind().send(client, { type: 'noop' }); // 5 hops needed, 4 allowed
    const env = await returns.next((e) => e.sender.equals(client.selfId));
    assert.equal(env.errors[0]?.kind, 'ttl-expired');
  });

  it('message_ttl_expires_in_routing_loop_returns_to_sender (§3.3)', T, async () => {
    const router = new MailboxRouter();
    const proc = Proc.configured(new ProcId(ChannelAddr.local(0), 'looping'), router);
    ProcSupervisionCoordinator.set(proc);
    const elsewhere = new ProcId(ChannelAddr.local(0), 'elsewhere');
    router.bind(Reference.proc(elsewhere), router); // a routing loop
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    handle.send(client, { type: 'call', fn: (cx) => PortRef.attest<string>(elsewhere.actorId('x').portId(1024)).send(cx, 'hello') });
    const back = await sender.returns.next();
    assert.deepEqual(back.envelope.errors.map(String), ['ttl expired']);
    assert.equal(back.envelope.ttl, 0);
    assert.ok(back.envelope.sender.equals(handle.actorId));
    assert.equal(handle.status.kind, 'idle');
  });
});

describe('unknown and stopped destinations (§3.4)', () => {
  it('an actor that never existed: "no mailbox for actor {id} registered in muxer" (§3.4)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const ghost = proc.procId.actorId('ghost');
    sendFrom(client, handle, (cx) => PortRef.attest<string>(ghost.portId(1024)).send(cx, 'hi'));
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), `address not routable: no mailbox for actor ${ghost} registered in muxer`);
  });

  it('a port that is not bound: "port not bound in mailbox; port id: ..." (§3.4, MB-1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const target = proc.spawn('target', new TestActor());
    sendFrom(client, handle, (cx) => PortRef.attest<{ type: string }>(target.actorId.portId(1030)).send(cx, { type: 'ping' }));
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), 'address not routable: port not bound in mailbox; port id: 1030; message type: ping');
  });

  it('a stopped actor: "mailbox owner {id} is stopped: {reason}" (§3.4, MB-2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const target = proc.spawn('target', new TestActor());
    const ref = target.bind();
    target.drainAndStop('done');
    await target.join();
    sendFrom(client, handle, (cx) => ref.send(cx, { type: 'noop' }));
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), `mailbox error: mailbox owner ${target.actorId} is stopped: done`);
  });

  it('MB-9: a local ref send to a stopped actor comes back as the envelope it would have been there: TTL 64 - 5 hops, its message readable', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const target = proc.spawn('target', new TestActor());
    const ref = target.bind();
    target.drainAndStop('done');
    await target.join();
    sendFrom(client, handle, (cx) => ref.send(cx, { type: 'record', value: { n: 7 } }));
    const back = await sender.returns.next();
    assert.equal(back.envelope.ttl, 59);
    assert.equal(back.envelope.sender.key, handle.actorId.key);
    assert.deepEqual(decodePayload(back.envelope.data), { type: 'record', value: { n: 7 } });
    assert.equal(back.envelope.headers.message_type, 'record');
  });

  it('MB-6, MB-7: a system port first addressed after the stop answers as a bound one: owner stopped (MB-2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const target = proc.spawn('target', new TestActor());
    target.drainAndStop('done');
    await target.join();
    sendFrom(client, handle, (cx) => PortRef.attest<Signal>(target.actorId.portId(ACTOR_PORT.SIGNAL)).send(cx, Signal.drainAndStop('again')));
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), `mailbox error: mailbox owner ${target.actorId} is stopped: done`);
  });

  it('a failed actor: "mailbox owner {id} failed: {err}" (§3.4, MB-2)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const target = proc.spawn('target', new TestActor());
    const ref = target.bind();
    target.send(client, { type: 'fail', error: 'boom' });
    await target.join();
    sendFrom(client, handle, (cx) => ref.send(cx, { type: 'noop' }));
    const back = await sender.returns.next();
    assert.ok(back.envelope.errorMessage()?.startsWith(`mailbox error: mailbox owner ${target.actorId} failed: boom`));
  });

  it('PT-1: a handle send to a stopped actor throws MailboxSenderError owner-terminated with the status (§3.4)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const target = proc.spawn('target', new TestActor());
    target.drainAndStop('done');
    await target.join();
    assert.throws(
      () => target.send(client, { type: 'noop' }),
      (e: unknown) =>
        e instanceof MailboxSenderError &&
        e.code === 'owner-terminated' &&
        String(e.status) === 'stopped: done' &&
        e.message === `${target.actorId}<TestActor>: owner terminated: stopped: done`,
    );
  });

  it('PT-1: a handle send to a failed actor throws owner-terminated with the failure (§3.4)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const target = proc.spawn('target', new TestActor());
    target.send(client, { type: 'fail', error: 'boom' });
    await target.join();
    assert.throws(
      () => target.send(client, { type: 'noop' }),
      (e: unknown) => e instanceof MailboxSenderError && e.code === 'owner-terminated' && e.status?.kind === 'failed',
    );
  });

  it('Proc.local() panics on a message for another proc: PanicError (§2 local)', () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const other = Proc.local();
    const target = other.spawn('target', new TestActor());
    assert.throws(
      () => target.bind().send(client, { type: 'noop' }),
      (e: unknown) => e instanceof PanicError && e.code === 'panic' && e.message.startsWith('panic! in the mailbox! attempted post: '),
    );
  });
});

describe('the undeliverable return protocol (§3.5)', () => {
  it('by default a bounced message fails its sender: "undeliverable message error" (§3.5)', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const handle = proc.spawn('sender', new TestActor());
    handle.bind();
    const ghost = proc.procId.actorId('ghost');
    sendFrom(client, handle, (cx) => PortRef.attest<string>(ghost.portId(1024)).send(cx, 'hi'));
    const status = await handle.join();
    const text = String(status);
    assert.ok(text.startsWith('failed: undeliverable message error:\n\tdescription: delivery of message from sender to dest failed\n\tsender: '), text);
    assert.ok(text.includes(`\tdest: ${ghost.portId(1024)}`), text);
    assert.ok(text.includes('no mailbox for actor'), text);
    const event = await coordinator.next((e) => e.isError());
    assert.ok(event.actorId.equals(handle.actorId));
  });

  it('handleUndeliverableMessage can absorb a return; the sender keeps running (§3.5)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    sendFrom(client, handle, (cx) => PortRef.attest<string>(proc.procId.actorId('ghost').portId(1024)).send(cx, 'hi'));
    await sender.returns.next();
    await sync(client, handle);
    assert.equal(handle.status.kind, 'idle');
  });

  it('an unbound sender\'s return goes to the global handle and is logged as abandoned (§3.5)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const returns = abandoned();
    const before = abandonedMessages();
    PortRef.attest<string>(proc.procId.actorId('ghost').portId(1024)).send(client, 'hi');
    const env = await returns.next((e) => e.sender.equals(client.selfId));
    assert.deepEqual(env.errors.map((e) => e.kind), ['unroutable', 'broken-link']);
    assert.equal(String(env.errors[1]), 'broken link: message returned to undeliverable port');
    assert.ok(abandonedMessages() > before);
  });

  it('an actor never bound has no Undeliverable port: its bounces are logged, it does not fail (§1.6)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const returns = abandoned();
    const handle = proc.spawn('unbound_sender', new TestActor());
    sendFrom(client, handle, (cx) => PortRef.attest<string>(proc.procId.actorId('ghost').portId(1024)).send(cx, 'hi'));
    const env = await returns.next((e) => e.sender.equals(handle.actorId));
    assert.equal(String(env.errors[1]), 'broken link: message returned to undeliverable port');
    await sync(client, handle);
    assert.equal(handle.status.kind, 'idle');
  });

  it('RT-1: work queued when an actor fails goes back to its senders, in order, not handled (deviation from §3.4)', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const target = handle.bind();
    const sender = new Bouncing();
    const senderHandle = proc.spawn('sender', sender);
    senderHandle.bind();
    const gate = await wedge(client, handle);
    handle.send(client, { type: 'fail', error: 'boom' });
    sendFrom(client, senderHandle, (cx) => {
      for (let i = 0; i < 3; i++) target.port().send(cx, { type: 'record', value: i } as never);
    });
    await sync(client, senderHandle);
    while (handle.instance.work.size < 4) await new Promise((resolve) => setImmediate(resolve));
    gate.release();
    await handle.join();
    const back = [await sender.returns.next(), await sender.returns.next(), await sender.returns.next()];
    assert.deepEqual(actor.recorded, []);
    assert.deepEqual(back.map((u) => u.envelope.dest.actor.equals(handle.actorId)), [true, true, true]);
    assert.match(back[0]?.envelope.errorMessage() ?? '', /^mailbox error: mailbox owner .*,a\[0\] failed: /);
  });

  it('RT-1, RT-4: queued work of a failed actor whose sender has no Undeliverable port is logged as abandoned', T, async () => {
    const proc = Proc.local();
    ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const returns = abandoned();
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const gate = await wedge(client, handle);
    handle.send(client, { type: 'fail', error: 'boom' });
    for (let i = 0; i < 3; i++) handle.send(client, { type: 'record', value: i });
    gate.release();
    await handle.join();
    assert.deepEqual(actor.recorded, []);
    for (let i = 0; i < 3; i++) await returns.next();
  });

  it('a dropped client instance keeps its mailbox open (§2 instance)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [port, receiver] = client.openPort<string>();
    const ref = port.bind();
    client[Symbol.dispose]();
    const [other] = proc.instance('other');
    ref.send(other, 'still open');
    assert.equal(await receiver.recv(), 'still open');
  });

  it('returnUndeliverable(false): a failed envelope is dropped silently (§3.5 step 1)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const sender = new Bouncing();
    const handle = proc.spawn('sender', sender);
    handle.bind();
    const returns = abandoned();
    const ghostPort = PortRef.attest<string>(proc.procId.actorId('ghost').portId(1024)).withReturnUndeliverable(false);
    sendFrom(client, handle, (cx) => ghostPort.send(cx, 'dropped'));
    await sync(client, handle);
    assert.equal(sender.returns.items.length, 0);
    assert.equal(returns.items.length, 0);
  });

  it('a return that cannot be delivered is abandoned, never retried (§3.5 step 3, MS-2)', T, async () => {
    const proc = Proc.local();
    const returns = abandoned();
    const gone = proc.spawn('gone', new TestActor());
    gone.bind();
    const returnHandle = gone.instance.returnHandle(); // its bound Undeliverable port
    gone.drainAndStop('done');
    await gone.join();
    const env = new MessageEnvelope(gone.actorId, proc.procId.actorId('ghost').portId(1024), encodePayload('x'), {}, 64);
    proc.post(env, returnHandle);
    const lost = await returns.next();
    assert.equal(lost, env);
    assert.deepEqual(lost.errors.map((e) => e.kind), ['unroutable']);
  });

  it('UM-2: a failed return is abandoned, never itself returned (§3.5)', () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [rh, receiver] = client.openPort<Undeliverable>();
    const returns = abandoned();
    const env = new MessageEnvelope(client.selfId, client.selfId.portId(2), new Uint8Array(), { [RETURN_MARK]: true }, 64);
    returnUndeliverable(env, DeliveryError.brokenLink('gone'), rh);
    assert.equal(receiver.tryRecv(), undefined);
    assert.deepEqual(returns.items, [env]);
  });

  it('a once port delivers once; a second delivery is unroutable (§1.3)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [port, receiver] = client.openOncePort<string>();
    const ref = port.bind();
    const returns = abandoned();
    ref.send(client, 'first');
    ref.send(client, 'second');
    assert.equal(await receiver.recv(), 'first');
    const env = await returns.next();
    assert.ok(env.errorMessage()?.startsWith('address not routable: port not bound in mailbox'));
  });
});

describe('delivery errors and envelopes (§1.4)', () => {
  it('DeliveryError display strings (§1.4)', () => {
    assert.equal(String(DeliveryError.unroutable('x')), 'address not routable: x');
    assert.equal(String(DeliveryError.brokenLink('x')), 'broken link: x');
    assert.equal(String(DeliveryError.mailbox('x')), 'mailbox error: x');
    assert.equal(String(new DeliveryError('multicast', 'x')), 'multicast error: x');
    assert.equal(String(DeliveryError.ttlExpired()), 'ttl expired');
  });

  it('errorMessage joins the errors with "; " and is undefined without errors (§1.4)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const env = new MessageEnvelope(proc.actorId('a'), proc.actorId('b').portId(1024), new Uint8Array(3), {}, 64);
    assert.equal(env.errorMessage(), undefined);
    assert.equal(String(env), `${proc.actorId('a')} > ${proc.actorId('b').portId(1024)}: <3 bytes> {}`);
    env.addError(DeliveryError.unroutable('x'));
    env.addError(DeliveryError.ttlExpired());
    assert.equal(env.errorMessage(), 'address not routable: x; ttl expired');
    assert.ok(String(env).endsWith(': delivery error: address not routable: x; ttl expired'));
  });

  it('MESSAGE_TTL_DEFAULT is 64: a ref send reaches the forwarder after 4 hops with TTL 60 (§1.14, §3.1)', () => {
    assert.equal(DEFAULT_CONFIG.messageTtlDefault, 64);
    const seen: number[] = [];
    class Probe extends MailboxRouter {
      override postUnchecked(env: MessageEnvelope): void {
        seen.push(env.ttl);
      }
    }
    const proc = Proc.configured(new ProcId(ChannelAddr.local(0), 'probe'), new Probe());
    const [client] = proc.instance('client');
    PortRef.attest<string>(new ProcId(ChannelAddr.local(0), 'other').actorId('x').portId(1024)).send(client, 'hi');
    assert.deepEqual(seen, [60]);
  });

  it('envelopes are returned by default (return_undeliverable = true) (§1.4)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const env = new MessageEnvelope(proc.actorId('a'), proc.actorId('b').portId(1024), new Uint8Array(), {}, 64);
    assert.equal(env.returnUndeliverable, true);
  });
});
