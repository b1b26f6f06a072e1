/**
 * `Proc.direct` on a NATS system (DESIGN decision 15): procs serving `<prefix>.<name>` subjects of
 * a real `nats-server`, request/reply by `ActorRef` both ways with refs nested in messages, one
 * shared connection per proc (NC-1), a proc that stops serving (its peers' envelopes come back
 * undeliverable), a subject served twice (NS-6), and finding procs and actors by name through
 * `NatsDirectory` (DY-1 ... DY-3).
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelError, NatsDirectory, Proc, ProcId, type ActorRef, type DirectProcOptions, type NatsOptions } from '../src/index.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';
import { Adder, Asker, Returns, type AddMsg, type AskMsg, type Sum } from './fixtures/direct-actors.js';

const T = { timeout: 20_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });

describe('Proc.direct over NATS', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let prefix: string;
  let n = 0;
  const procs: Proc[] = [];
  const crashes: string[] = [];

  async function direct(name: string, options: DirectProcOptions = {}): Promise<Proc> {
    const proc = await Proc.direct(prefix, name, { logger: quiet, onCrash: (m) => crashes.push(m), ...options, serve: { logger: quiet }, dial: { logger: quiet } });
    procs.push(proc);
    return proc;
  }

  before(async () => {
    server = await NatsServer.start();
  });
  after(async () => {
    await server.dispose();
  });
  afterEach(async () => {
    const stopping = procs.splice(0);
    await Promise.all(stopping.map((p) => p.flush()));
    await Promise.all(stopping.map((p) => p.stopServing('test over')));
    assert.deepEqual(crashes.splice(0), []);
  });

  const fresh = (): void => {
    prefix = `nats://${server.hostPort}/t${n++}`;
  };

  it('serves <prefix>.<name>: the id is "<nats address>,<name>"', T, async () => {
    fresh();
    const proc = await direct('alpha');
    assert.equal(String(proc.procId), `${prefix}.alpha,alpha`);
    assert.ok(ProcId.parse(String(proc.procId)).equals(proc.procId));
  });

  it('two procs: request/reply by ActorRef both ways, refs nested in messages', T, async () => {
    fresh();
    const options: NatsOptions = { servers: server.hostPort };
    const a = await direct('a', { nats: options });
    const b = await direct('b', { nats: options });
    const [client] = a.instance('client');
    const adderA = a.spawn('adder', new Adder()).bind();
    const adderB: ActorRef<AddMsg> = b.spawn('adder', new Adder()).bind();
    const askerB: ActorRef<AskMsg> = b.spawn('asker', new Asker()).bind();

    const [reply, answer] = client.openOncePort<Sum>();
    adderB.send(client, { type: 'add', a: 2, b: 3, reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { sum: 5, by: `${b.procId},adder[0]` });

    const [reply2, answer2] = client.openOncePort<Sum & { via: string }>();
    askerB.send(client, { type: 'ask', adder: adderA, a: 40, b: 2, reply: reply2.bind() });
    assert.deepEqual(await answer2.recv(), { sum: 42, by: `${a.procId},adder[0]`, via: `${b.procId},asker[0]` });
  });

  it('a second proc of the same name on the same prefix is refused (NS-6)', T, async () => {
    fresh();
    await direct('twin');
    await assert.rejects(Proc.direct(prefix, 'twin', { logger: quiet }), (e: unknown) => e instanceof ChannelError && e.code === 'address-in-use');
  });

  it("a proc that stopped serving: envelopes for it come back to their sender (NS-5, NX-6)", T, async () => {
    fresh();
    const a = await direct('a');
    const b = await direct('b');
    const [client] = a.instance('client');
    const adderB: ActorRef<AddMsg> = b.spawn('adder', new Adder()).bind();
    const [reply, answer] = client.openOncePort<Sum>();
    adderB.send(client, { type: 'add', a: 1, b: 1, reply: reply.bind() });
    await answer.recv();
    await b.flush(); // b's reply acked: closing its channels returns nothing it sent
    await b.stopServing('b leaves');
    const sender = new Returns();
    const handle = a.spawn('returns', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const [late] = client.openOncePort<Sum>();
    handle.send(client, { type: 'send', to: adderB, a: 1, b: 2, reply: late.bind() });
    const back = await sender.returns.next();
    assert.ok(back.envelope.dest.actor.equals(adderB.actorId));
    assert.match(back.envelope.errorMessage() ?? '', /server closed the channel/);
  });

  it('finds actors and procs by name through the directory (DY-1, DY-2, DY-3)', T, async () => {
    fresh();
    const a = await direct('holder');
    const b = await direct('seeker');
    const adder = a.spawn('adder', new Adder());
    const holderDir = await NatsDirectory.open(prefix);
    const seekerDir = await NatsDirectory.open(prefix);
    try {
      const unregister = await holderDir.register('adder', adder.bind());
      await holderDir.register('holder-proc', a.procId);
      await assert.rejects(seekerDir.register('adder', b.procId), (e: unknown) => e instanceof ChannelError && e.code === 'address-in-use');

      const ref = await seekerDir.lookupActor<AddMsg>('adder');
      const [client] = b.instance('client');
      const [reply, answer] = client.openOncePort<Sum>();
      ref.send(client, { type: 'add', a: 20, b: 22, reply: reply.bind() });
      assert.equal((await answer.recv()).sum, 42);

      const proc = await seekerDir.lookup('holder-proc');
      assert.ok(proc instanceof ProcId && proc.equals(a.procId));
      assert.deepEqual(
        (await seekerDir.list()).map((e) => [e.name, e.kind, e.id]),
        [
          ['adder', 'actor', String(adder.actorId)],
          ['holder-proc', 'proc', String(a.procId)],
        ],
      );

      await assert.rejects(seekerDir.lookup('nobody'), (e: unknown) => e instanceof ChannelError && e.code === 'not-found');
      unregister();
      await assert.rejects(seekerDir.lookup('adder'), (e: unknown) => e instanceof ChannelError && e.code === 'not-found');
      await assert.rejects(seekerDir.lookup('bad.name'), (e: unknown) => e instanceof ChannelError && e.code === 'invalid-address');
    } finally {
      await holderDir.close();
      await seekerDir.close();
    }
  });
});
