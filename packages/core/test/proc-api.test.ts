/**
 * The rest of the `Proc` API (spec §2): `configured`, `local`, `procId`, `forwarder`, `attach`,
 * `attachChild`, `attachActor`, `actorInstance` (inverted actors), `traverse`, `getInstance`,
 * `rootActorIds`, `allActorIds`, `allInstanceKeys`, `resolveActorRef`, `post`, `postUnchecked`,
 * `flush`. Ports upstream's `test_actor_lookup`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTOR_PORT,
  ATTR,
  ActorRef,
  ChannelAddr,
  MessageEnvelope,
  PortRef,
  Proc,
  ProcError,
  ProcId,
  Signal,
  introspectAttrs,
  type Actor,
  type Context,
  type IntrospectMessage,
  type IntrospectResult,
  type Undeliverable,
} from '../src/index.js';
import { BaseMailboxSender, encodePayload } from '../src/transport.js';
import { NothingActor, TestActor, deferred, spawnChild, sync, type TestMsg } from './fixtures/actors.js';

const T = { timeout: 10_000 };

class Recording extends BaseMailboxSender {
  readonly envelopes: MessageEnvelope[] = [];
  flushes = 0;
  postUnchecked(envelope: MessageEnvelope): void {
    this.envelopes.push(envelope);
  }
  override flush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }
}

describe('construction and accessors (§2)', () => {
  it('configured: an empty proc with the given id and forwarder (§2)', () => {
    const forwarder = new Recording();
    const procId = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:1234'), 'test');
    const proc = Proc.configured(procId, forwarder);
    assert.equal(proc.procId, procId);
    assert.equal(proc.forwarder, forwarder);
    assert.deepEqual(proc.allInstanceKeys(), []);
    assert.equal(proc.supervisionCoordinatorActorId(), undefined);
  });

  it('local: "local:0,local_{N}-{8 hex}", a fresh N per proc (§2, §1.2.2)', () => {
    const a = Proc.local();
    const b = Proc.local();
    assert.match(String(a.procId), /^local:0,local_\d+-[0-9a-f]{8}$/);
    assert.notEqual(String(a.procId), String(b.procId));
    assert.match(a.procId.baseName, /^local_\d+$/);
  });
});

describe('bare mailboxes: attach, attachChild, attachActor (§2)', () => {
  it('attach reserves the name and gives a bare mailbox {name}[0] with no instance (§2)', T, async () => {
    const proc = Proc.local();
    const mailbox = proc.attach('bare');
    assert.equal(String(mailbox.actorId), String(proc.procId.actorId('bare', 0)));
    assert.equal(proc.getInstance(mailbox.actorId), undefined);
    assert.throws(() => proc.spawn('bare', new TestActor()), (e: unknown) => e instanceof ProcError && e.code === 'duplicate-name');
    // it receives on its bound ports
    const [client] = proc.instance('client');
    const [port, receiver] = mailbox.openPort<string>();
    port.bind();
    PortRef.attest<string>(mailbox.actorId.portId(port.index)).send(client, 'to bare');
    assert.equal(await receiver.recv(), 'to bare');
  });

  it('attachChild allocates from the parent\'s counter, with no link to the parent (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const bare = proc.attachChild(root.actorId);
    assert.equal(String(bare.actorId), String(root.actorId.childId(1)));
    const child = await spawnChild(client, root);
    assert.equal(child.actorId.pid, 2);
    assert.deepEqual([...(proc.getInstance(root.actorId)?.children.keys() ?? [])], [2]);
  });

  it('attachChild of an unknown parent: "no actor named {name} in proc {proc}" (§1.2.1)', () => {
    const proc = Proc.local();
    assert.throws(
      () => proc.attachChild(proc.procId.actorId('nobody')),
      (e: unknown) => e instanceof ProcError && e.code === 'no-such-actor' && e.message === `no actor named nobody in proc ${proc.procId}`,
    );
  });

  it('attachChild of a parent on another proc is refused (§1.2.1 assert)', () => {
    const proc = Proc.local();
    assert.throws(() => proc.attachChild(Proc.local().procId.actorId('x')), (e: unknown) => e instanceof ProcError && e.code === 'wrong-proc');
  });

  it('attachActor: ref sends to the returned ActorRef arrive on the receiver (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [instance, ref, receiver] = proc.attachActor<{ n: number }>('attached');
    assert.ok(ref.actorId.equals(instance.selfId));
    ref.send(client, { n: 1 });
    ref.send(client, { n: 2 });
    assert.deepEqual([await receiver.recv(), await receiver.recv()], [{ n: 1 }, { n: 2 }]);
  });
});

describe('actorInstance: inverted actors (§2)', () => {
  class Adder implements Actor<number> {
    total = 0;
    handle(_cx: Context<number>, n: number): void {
      this.total += n;
    }
  }

  it('the caller pulls work and runs it on its actor; status "client" (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const inverted = proc.actorInstance<number>('inverted');
    assert.equal(String(inverted.handle.status), 'client');
    inverted.handle.send(client, 2);
    inverted.instance.bind().send(client, 3);
    const actor = new Adder();
    for (let i = 0; i < 2; i++) await (await inverted.work.recv()).handle(actor);
    assert.equal(actor.total, 5);
  });

  it('signals arrive on the signal receiver (§2)', T, async () => {
    const proc = Proc.local();
    const inverted = proc.actorInstance<number>('inverted');
    inverted.handle.drainAndStop('please');
    assert.deepEqual(await inverted.signal.recv(), Signal.drainAndStop('please'));
  });

  it('children\'s supervision events arrive on the supervision receiver (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const inverted = proc.actorInstance<number>('inverted');
    const child = inverted.instance.spawn(new TestActor());
    child.send(client, { type: 'fail', error: 'boom' });
    const event = await inverted.supervision.recv();
    assert.ok(event.actorId.equals(child.actorId));
    assert.equal(event.isError(), true);
  });

  it('it answers introspection (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const inverted = proc.actorInstance<number>('inverted');
    const [reply, answer] = client.openOncePort<IntrospectResult>();
    PortRef.attest<IntrospectMessage>(inverted.instance.selfId.portId(ACTOR_PORT.INTROSPECT)).send(client, {
      type: 'query',
      view: 'actor',
      reply: reply.bind(),
    });
    assert.equal(introspectAttrs(await answer.recv())[ATTR.STATUS], 'client');
  });
});

describe('queries (§2)', () => {
  it('traverse: pre-order, depth 0 for roots, children by ascending pid (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const a = await spawnChild(client, root); // root[1]
    await spawnChild(client, root); // root[2]
    await spawnChild(client, a); // root[3], under root[1]
    const visited: string[] = [];
    proc.traverse((cell, depth) => {
      if (cell.actorId.name === 'root') visited.push(`${depth}:${cell.actorId.pid}`);
    });
    assert.deepEqual(visited, ['0:0', '1:1', '2:3', '1:2']);
  });

  it('rootActorIds, allActorIds, allInstanceKeys and getInstance (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const root = proc.spawn('root', new TestActor());
    const child = await spawnChild(client, root);
    const gone = proc.spawn('gone', new TestActor());
    gone.drainAndStop('done');
    await gone.join();
    const sorted = (ids: { toString(): string }[]) => ids.map(String).sort();
    assert.deepEqual(sorted(proc.rootActorIds()), sorted([client.selfId, root.actorId]));
    assert.deepEqual(sorted(proc.allActorIds()), sorted([client.selfId, root.actorId, child.actorId]));
    assert.deepEqual(sorted(proc.allInstanceKeys()), sorted([client.selfId, root.actorId, child.actorId]));
    assert.equal(proc.getInstance(root.actorId)?.actorId.equals(root.actorId), true);
    assert.equal(proc.getInstance(gone.actorId), undefined);
  });

  it('test_actor_lookup: resolveActorRef finds running actors of the right type only (§2)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const target = proc.spawn('target', new TestActor());
    const ref = target.bind();
    const lookup = proc.spawn('lookup', new NothingActor());
    assert.equal(proc.resolveActorRef(ref)?.actorId.equals(target.actorId), true);
    assert.equal(proc.resolveActorRef(ref, TestActor), target);
    const madeUp = proc.resolveActorRef(ActorRef.attest<TestMsg>(target.actorId.childId(123)));
    assert.equal(madeUp, undefined);
    assert.equal(proc.resolveActorRef(ActorRef.attest<TestMsg>(lookup.actorId), TestActor), undefined, 'wrongly typed');
    // from inside an actor (upstream `downcast_handle`)
    const found = deferred<boolean>();
    target.send(client, { type: 'call', fn: (cx) => found.resolve(ref.downcastHandle(cx) !== undefined) });
    assert.equal(await found.promise, true);
    target.drainAndStop('done');
    await target.join();
    assert.equal(proc.resolveActorRef(ref), undefined, 'terminal');
  });
});

describe('MailboxSender for Proc (§2, PD-5)', () => {
  it('post routes its own proc\'s envelopes to its actors, others to the forwarder, by full ProcId equality (PD-5)', T, async () => {
    const forwarder = new Recording();
    const proc = Proc.configured(new ProcId(ChannelAddr.local(0), 'p'), forwarder);
    const [client] = proc.instance('client');
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const [rh] = client.openPort<Undeliverable>();
    const data = encodePayload({ type: 'record', value: 'mine' });
    proc.post(new MessageEnvelope(client.selfId, handle.bind().port().portId, data, {}, 64), rh);
    const sameNameOtherAddr = new ProcId(ChannelAddr.local(7), 'p').actorId('a').portId(ACTOR_PORT.HANDLER);
    proc.post(new MessageEnvelope(client.selfId, sameNameOtherAddr, data, {}, 64), rh);
    await sync(client, handle);
    assert.deepEqual(actor.recorded, ['mine']);
    assert.equal(forwarder.envelopes.length, 1);
  });

  it('post takes a hop (TTL - 1); postUnchecked does not (§2, MS-1)', () => {
    const forwarder = new Recording();
    const proc = Proc.configured(new ProcId(ChannelAddr.local(0), 'p'), forwarder);
    const [client] = proc.instance('client');
    const [rh] = client.openPort<Undeliverable>();
    const dest = new ProcId(ChannelAddr.local(0), 'q').actorId('a').portId(1024);
    proc.post(new MessageEnvelope(client.selfId, dest, new Uint8Array(), {}, 10), rh);
    proc.postUnchecked(new MessageEnvelope(client.selfId, dest, new Uint8Array(), {}, 10), rh);
    // the forwarder's own post takes one more hop
    assert.deepEqual(forwarder.envelopes.map((e) => e.ttl), [8, 9]);
  });

  it('flush flushes the forwarder (§2)', T, async () => {
    const forwarder = new Recording();
    const proc = Proc.configured(new ProcId(ChannelAddr.local(0), 'p'), forwarder);
    await proc.flush();
    assert.equal(forwarder.flushes, 1);
  });
});
