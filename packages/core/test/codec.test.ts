/**
 * The wire codec (`wire/msgpack.ts`, `wire/payload.ts`, `wire/envelope.ts`, spec §1.3 "always serialized", §1.4, §3.4): ids and refs nested
 * anywhere in a message survive (CO-1), returned envelopes nest cleanly (CO-3), malformed bytes
 * are a `deserialize` error (CO-2) and, delivered to an actor, a delivery error that leaves the
 * proc running.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActorId,
  ActorRef,
  ChannelAddr,
  CodecError,
  DeliveryError,
  MessageEnvelope,
  OncePortRef,
  PortId,
  PortRef,
  Proc,
  ProcId,
  Undeliverable,
} from '../src/index.js';
import { SeqInfo, decodeEnvelope, decodePayload, encodeEnvelope, encodePayload } from '../src/transport.js';
import { Bouncing, TestActor, sync } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const proc = new ProcId(ChannelAddr.parse('tcp:[::1]:1234'), 'test');
const actor = proc.actorId('worker', 3);
const port = actor.portId(1030);

describe('payloads (CO-1)', () => {
  it('ids nested anywhere come back as ids (CO-1)', () => {
    const value = { procs: [proc], deep: { actor, list: [{ port }] } };
    const back = decodePayload(encodePayload(value)) as typeof value;
    assert.ok(back.procs[0] instanceof ProcId && back.procs[0].equals(proc));
    assert.ok(back.deep.actor instanceof ActorId && back.deep.actor.equals(actor));
    assert.ok(back.deep.list[0]?.port instanceof PortId && back.deep.list[0].port.equals(port));
  });

  it('refs nested anywhere come back as refs, with their options (CO-1)', () => {
    const value = {
      actor: ActorRef.attest<string>(actor),
      port: new PortRef<number>(port, 'sum', false),
      once: new OncePortRef<number>(port, false),
    };
    const back = decodePayload(encodePayload([value])) as [typeof value];
    const [v] = back;
    assert.ok(v.actor instanceof ActorRef && v.actor.actorId.equals(actor));
    assert.ok(v.port instanceof PortRef && v.port.portId.equals(port));
    assert.equal(v.port.reducerSpec, 'sum');
    assert.equal(v.port.returnUndeliverable, false);
    assert.ok(v.once instanceof OncePortRef && v.once.portId.equals(port));
    assert.equal(v.once.returnUndeliverable, false);
  });

  it('plain data, typed arrays, dates, bigints and sets survive (CO-1)', () => {
    const value = { s: 'x', n: 1.5, b: true, nil: null, arr: [1, 'a'], bytes: new Uint8Array([1, 2]), f: new Float64Array([0.5]), when: new Date(0), big: 2n ** 70n, set: new Set([1, 2]) };
    assert.deepEqual(decodePayload(encodePayload(value)), value);
  });

  it('decoded ProcIds of one proc are interned: one object (wire/msgpack.ts)', () => {
    const a = decodePayload(encodePayload(actor)) as ActorId;
    const b = decodePayload(encodePayload(port)) as PortId;
    assert.equal(a.proc, b.actor.proc);
  });

  it('a value outside the sending contract: CodecError("unsendable") (§3.1 Serialize; wire/sendable.ts)', () => {
    assert.throws(() => encodePayload({ s: Symbol('x') }), (e: unknown) => e instanceof CodecError && e.code === 'unsendable');
  });

  it('CO-2: malformed bytes throw CodecError("deserialize"), nothing else', () => {
    for (const bytes of [[0x92, 0x01], [0xd9, 0x10, 0x41], []]) {
      assert.throws(() => decodePayload(new Uint8Array(bytes)), (e: unknown) => e instanceof CodecError && e.code === 'deserialize');
    }
  });
});

describe('envelopes (§1.4)', () => {
  it('encodeEnvelope/decodeEnvelope keep every field (§1.4)', () => {
    const env = new MessageEnvelope(
      actor,
      port,
      encodePayload({ hello: 'world' }),
      { send_timestamp: 1, message_type: 'greet', seq_info: SeqInfo.session('abc', 7) },
      12,
      false,
      [DeliveryError.brokenLink('x')],
    );
    const back = decodeEnvelope(encodeEnvelope(env));
    assert.ok(back.sender.equals(actor));
    assert.ok(back.dest.equals(port));
    assert.deepEqual(decodePayload(back.data), { hello: 'world' });
    assert.deepEqual(back.headers, env.headers);
    assert.equal(back.ttl, 12);
    assert.equal(back.returnUndeliverable, false);
    assert.equal(back.errorMessage(), 'broken link: x');
  });

  it('CO-3: a returned envelope nested in a payload survives (Undeliverable)', () => {
    const inner = new MessageEnvelope(actor, port, encodePayload([1, 2, 3]), { a: 1 }, 5, true, [DeliveryError.unroutable('nowhere')]);
    const back = decodePayload(encodePayload({ returned: new Undeliverable(inner), after: 'tail' })) as { returned: Undeliverable; after: string };
    assert.ok(back.returned instanceof Undeliverable);
    assert.equal(String(back.returned.envelope), String(inner));
    assert.deepEqual(decodePayload(back.returned.envelope.data), [1, 2, 3]);
    assert.equal(back.after, 'tail');
  });

  it('CO-2: malformed envelope bytes or shapes throw CodecError("deserialize")', () => {
    assert.throws(() => decodeEnvelope(new Uint8Array([0x92, 0x01])), (e: unknown) => e instanceof CodecError && e.code === 'deserialize');
    assert.throws(() => decodeEnvelope(encodePayload([1, 2, 3])), (e: unknown) => e instanceof CodecError && e.message === 'malformed envelope');
  });
});

describe('delivery of malformed payloads (§3.4, MB-3)', () => {
  it('a payload that does not decode is a Mailbox delivery error returned to the sender; the proc keeps running (§3.4)', T, async () => {
    const p = Proc.local();
    const [client] = p.instance('client');
    const sender = new Bouncing();
    const senderH = p.spawn('sender', sender);
    senderH.bind();
    const targetActor = new TestActor();
    const target = p.spawn('target', targetActor);
    const targetPort = target.bind().port().portId;
    senderH.send(client, { type: 'call', fn: (cx) => cx.post(targetPort, undefined, new Uint8Array([0x92, 0x01])) });
    const back = await sender.returns.next();
    const message = back.envelope.errorMessage() ?? '';
    assert.ok(message.startsWith(`mailbox error: ${targetPort}: deserialization error`), message);
    // the proc and the target keep running
    await sync(client, target);
    assert.equal(target.status.kind, 'idle');
    assert.equal(senderH.status.kind, 'idle');
  });

  it('MB-3: the port that failed to decode is unbound; later ref sends to it are unroutable (§1.5 Mailbox)', T, async () => {
    const p = Proc.local();
    const [client] = p.instance('client');
    const sender = new Bouncing();
    const senderH = p.spawn('sender', sender);
    senderH.bind();
    const target = p.spawn('target', new TestActor());
    const ref = target.bind();
    senderH.send(client, { type: 'call', fn: (cx) => cx.post(ref.port().portId, undefined, new Uint8Array([0x92, 0x01])) });
    await sender.returns.next();
    senderH.send(client, { type: 'call', fn: (cx) => ref.send(cx, { type: 'noop' }) });
    const [, second] = await sender.returns.atLeast(2);
    assert.ok(second?.envelope.errorMessage()?.startsWith('address not routable: port not bound in mailbox'));
  });

  it('a ref that went through the codec still routes (§1.3)', T, async () => {
    const p = Proc.local();
    const [client] = p.instance('client');
    const [reply, answer] = client.openPort<string>();
    const replyRef = decodePayload(encodePayload(reply.bind())) as PortRef<string>;
    replyRef.send(client, 'through a decoded ref');
    assert.equal(await answer.recv(), 'through a decoded ref');
  });
});
