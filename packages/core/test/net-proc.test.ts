/**
 * `Proc.direct` over the net channel (spec §2 `Proc::direct`, §1.5, §7.3): two direct procs in
 * one process talking by `ActorRef` over tcp, unix and local (request/reply both ways, refs
 * nested in messages), bound addresses and ids, `local:N` refused, sends to an unreachable
 * address and to a proc that stopped serving coming back undeliverable, `flush()` waiting for
 * the peer's acks, a remote delivery failure returned over the network.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ActorId,
  ActorRef,
  Instance,
  MessageEnvelope,
  type ActorHandle,
  type Undeliverable,
  ChannelAddr,
  ChannelError,
  Proc,
  ProcId,
  type DirectProcOptions,
} from '../src/index.js';
import {
  PanickingMailboxSender,
  dialMailbox,
  encodePayload,
  envelopeTupleCodec,
  Mailbox,
} from '../src/transport.js';
import { serve } from '../src/channel/net/index.js';
import { Recorder } from '../src/testing.js';
import { SimulatedClock } from '../src/clock.js';
import { advanceUntil, tlsMaterial } from './fixtures/net-helpers.js';
import { Adder, Asker, Returns, type AddMsg, type AskMsg, type SendMsg, type Sum } from './fixtures/direct-actors.js';

const T = { timeout: 15_000 };
const quiet = pino({ level: 'silent' });
const procs: Proc[] = [];
const crashes: string[] = [];

/** A direct proc with quiet logs, stopped after the test. */
async function direct(addr: string, name: string, options: DirectProcOptions = {}): Promise<Proc> {
  const proc = await Proc.direct(addr, name, {
    logger: quiet,
    onCrash: (message) => crashes.push(message),
    ...options,
    serve: { logger: quiet, ...options.serve },
    dial: { logger: quiet, ...options.dial },
  });
  procs.push(proc);
  return proc;
}

afterEach(async () => {
  const stopping = procs.splice(0);
  // Wait for the acks first, so closing the dialed channels returns nothing that was delivered.
  await Promise.all(stopping.map((p) => p.flush()));
  await Promise.all(stopping.map((p) => p.stopServing('test over')));
  assert.deepEqual(crashes.splice(0), []);
});

/** Resolves once `actor` handled everything enqueued before (returns included). */
function sync(client: Instance<never>, actor: ActorHandle<SendMsg>): Promise<void> {
  return new Promise((resolve) => actor.send(client, { type: 'sync', done: resolve }));
}

function abstractUnix(): string {
  return `unix:@procmesh-direct-${randomBytes(6).toString('hex')}`;
}

/** A tcp port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Request/reply both ways between two direct procs served on `addrA` and `addrB`. */
async function bothWays(addrA: string, addrB: string, options: DirectProcOptions = {}): Promise<void> {
  const a = await direct(addrA, 'a', options);
  const b = await direct(addrB, 'b', options);
  const [client] = a.instance('client');
  const adderA = a.spawn('adder', new Adder()).bind();
  const adderB: ActorRef<AddMsg> = b.spawn('adder', new Adder()).bind();
  const askerB: ActorRef<AskMsg> = b.spawn('asker', new Asker()).bind();

  // a -> b: a request to b's adder; the reply port (a ref into a) rides in the message.
  const [reply, answer] = client.openOncePort<Sum>();
  adderB.send(client, { type: 'add', a: 2, b: 3, reply: reply.bind() });
  assert.deepEqual(await answer.recv(), { sum: 5, by: `${b.procId},adder[0]` });

  // a -> b -> a -> b -> a: b's asker calls a's adder by the ref in the message, then replies.
  const [reply2, answer2] = client.openOncePort<Sum & { via: string }>();
  askerB.send(client, { type: 'ask', adder: adderA, a: 40, b: 2, reply: reply2.bind() });
  assert.deepEqual(await answer2.recv(), { sum: 42, by: `${a.procId},adder[0]`, via: `${b.procId},asker[0]` });
}

describe('Proc.direct (§2)', () => {
  it('serves on the bound address: port 0 picks a port and the id is "<bound addr>,<name>" (§2)', T, async () => {
    const proc = await direct('tcp:127.0.0.1:0', 'named');
    const addr = proc.procId.addr;
    assert.equal(addr.transport, 'tcp');
    assert.notEqual(addr.port, 0);
    assert.equal(proc.procId.name, 'named');
    assert.equal(String(proc.procId), `tcp:127.0.0.1:${addr.port},named`);
    assert.ok(proc.procId.equals(ProcId.withName(addr, 'named')));
  });

  it('local:N with N != 0 is refused: "invalid local addr: N" (§2, §7.1)', T, async () => {
    await assert.rejects(Proc.direct('local:7', 'x'), (e: unknown) => e instanceof ChannelError && e.code === 'invalid-address' && e.message === 'invalid local addr: 7');
  });

  it('two procs over tcp: request/reply by ActorRef both ways, refs nested in messages (§2)', T, async () => {
    await bothWays('tcp:127.0.0.1:0', 'tcp:127.0.0.1:0');
  });

  it('two procs over unix sockets: request/reply by ActorRef both ways (§2)', T, async () => {
    await bothWays(abstractUnix(), abstractUnix());
  });

  it('two procs over local channels (local:0): request/reply by ActorRef both ways (§2)', T, async () => {
    await bothWays('local:0', 'local:0');
  });

  it('two procs over tls (certificate and key from options): request/reply by ActorRef both ways (§2)', T, async () => {
    const { cert, key } = tlsMaterial();
    await bothWays('tls:localhost:0', 'tls:localhost:0', { serve: { tls: { cert, key } }, dial: { tls: { ca: cert } } });
  });

  it('a tcp proc and a unix proc: each dials the other by the address in its ProcId (§1.5)', T, async () => {
    await bothWays('tcp:127.0.0.1:0', abstractUnix());
  });

  it('a send to an unreachable tcp address comes back undeliverable after the delivery timeout (§7.3)', T, async () => {
    const clock = new SimulatedClock();
    const a = await direct('tcp:127.0.0.1:0', 'a', { dial: { messageDeliveryTimeoutMs: 200, clock } });
    const [client] = a.instance('client');
    const sender = new Returns();
    const handle = a.spawn('sender', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const port = await closedPort();
    const ghost = ActorRef.attest<AddMsg>(new ActorId(ProcId.withName(ChannelAddr.parse(`tcp:127.0.0.1:${port}`), 'ghost'), 'adder', 0));
    const [reply] = client.openOncePort<Sum>();
    handle.send(client, { type: 'send', to: ghost, a: 1, b: 1, reply: reply.bind() });
    const back = await advanceUntil(clock, sender.returns.next(), 10);
    assert.ok(back.envelope.dest.actor.equals(ghost.actorId));
    assert.match(
      back.envelope.errorMessage() ?? '',
      new RegExp(
        `^broken link: failed to enqueue in MailboxClient when processing buffer: closed with reason ` +
          `session tcp:127\\.0\\.0\\.1:${port}\\.[0-9a-f]{16}: failed to deliver message within timeout 200ms$`,
      ),
    );
  });

  it('a send to a unix socket that does not exist comes back undeliverable (§7.3)', T, async () => {
    const clock = new SimulatedClock();
    const a = await direct('tcp:127.0.0.1:0', 'a', { dial: { messageDeliveryTimeoutMs: 100, clock } });
    const [client] = a.instance('client');
    const sender = new Returns();
    const handle = a.spawn('sender', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const nowhere = ProcId.withName(ChannelAddr.parse(`unix:/tmp/procmesh-nowhere-${randomBytes(6).toString('hex')}.sock`), 'ghost');
    const [reply] = client.openOncePort<Sum>();
    handle.send(client, { type: 'send', to: ActorRef.attest(new ActorId(nowhere, 'adder', 0)), a: 1, b: 1, reply: reply.bind() });
    const back = await advanceUntil(clock, sender.returns.next(), 10);
    assert.match(back.envelope.errorMessage() ?? '', /failed to deliver message within timeout 100ms$/);
  });

  it('a send to an actor the remote proc does not have is returned over the network (§1.5)', T, async () => {
    const a = await direct('tcp:127.0.0.1:0', 'a');
    const b = await direct('tcp:127.0.0.1:0', 'b');
    const [client] = a.instance('client');
    const sender = new Returns();
    const handle = a.spawn('sender', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const ghost = new ActorId(b.procId, 'ghost', 0);
    const [reply] = client.openOncePort<Sum>();
    handle.send(client, { type: 'send', to: ActorRef.attest(ghost), a: 1, b: 1, reply: reply.bind() });
    const back = await sender.returns.next();
    assert.deepEqual(back.envelope.errors.map(String), [
      `address not routable: no mailbox for actor ${ghost} registered in muxer`,
      'broken link: message was undeliverable',
    ]);
  });

  it('after the peer stops serving, sends to it come back with "server closed the channel" (§7.3)', T, async () => {
    const a = await direct('tcp:127.0.0.1:0', 'a');
    const b = await direct('tcp:127.0.0.1:0', 'b');
    const [client] = a.instance('client');
    const adderB = b.spawn('adder', new Adder()).bind();
    const sender = new Returns();
    const handle = a.spawn('sender', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const [reply, answer] = client.openOncePort<Sum>();
    handle.send(client, { type: 'send', to: adderB, a: 1, b: 2, reply: reply.bind() });
    assert.equal((await answer.recv()).sum, 3);
    await b.flush(); // b's reply was acked, so closing b's channels returns nothing
    await b.stopServing('b is done');
    const [reply2] = client.openOncePort<Sum>();
    handle.send(client, { type: 'send', to: adderB, a: 1, b: 2, reply: reply2.bind() });
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), 'broken link: failed to enqueue in MailboxClient when processing buffer: closed with reason server closed the channel');
  });

  it('flush() resolves once the peer acked: stopping right after returns nothing (§1.5, §7.3)', T, async () => {
    // The peer acks only on the 500 ms timer (the default), so the flush must wait for it.
    const a = await direct('tcp:127.0.0.1:0', 'a');
    const b = await direct('tcp:127.0.0.1:0', 'b');
    const [client] = a.instance('client');
    const adderB = b.spawn('adder', new Adder()).bind();
    const sender = new Returns();
    const handle = a.spawn('sender', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const [reply, answer] = b.instance('client')[0].openOncePort<Sum>();
    await new Promise<void>((sent) => handle.send(client, { type: 'send', to: adderB, a: 20, b: 22, reply: reply.bind(), sent }));
    await a.flush();
    await a.stopServing('flushed'); // would return the envelope to `sender` had it not been acked
    await sync(client, handle);
    assert.equal(sender.returns.items.length, 0);
    assert.equal((await answer.recv()).sum, 42);
  });
});

describe('dialMailbox: a MailboxClient over the net channel (§1.5, §7.3)', () => {
  it('flush() waits for the ack: it resolves when the server acks (here: on close), and nothing is returned', T, async () => {
    const [bound, rx] = await serve<MessageEnvelope>('tcp:127.0.0.1:0', {
      codec: envelopeTupleCodec,
      logger: quiet,
      messageAckEveryNMessages: 1_000_000,
      messageAckTimeIntervalMs: 60_000,
    });
    const client = dialMailbox(bound, { logger: quiet });
    const proc = ProcId.withName(ChannelAddr.parse('tcp:127.0.0.1:1'), 'p');
    const returnsBox = new Mailbox(new ActorId(proc, 'returns', 0), new PanickingMailboxSender());
    const back = new Recorder<Undeliverable>();
    const rh = returnsBox.openEnqueuePort<Undeliverable>(returnsBox.allocatePort(), (u) => back.push(u), 'Undeliverable');
    const dest = new ActorId(ProcId.withName(bound, 'q'), 'actor', 0).portId(16);
    client.post(new MessageEnvelope(new ActorId(proc, 'sender', 0), dest, encodePayload({ ref: dest }), {}, 64), rh);

    let flushed = false;
    const flushing = client.flush().then(() => (flushed = true));
    const got = await rx.recv(); // delivered, not acked (the server acks every 10^6 or each minute)
    assert.ok(got.dest.equals(dest));
    await new Promise(setImmediate);
    assert.equal(flushed, false);
    rx.close('done'); // NR-6: the pending ack goes out before Closed
    await flushing;
    assert.deepEqual(back.items, []);
    client.close();
  });
});
