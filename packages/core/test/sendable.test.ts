/**
 * The sending contract (wire/sendable.ts, issue 13): every kind a message may hold arrives with
 * its type (SC-1), everything else fails at send time naming its path (SC-2), the sender's value
 * is left as it was (SC-3), `registerCodec` makes a class sendable, and `Sendable<T>` rejects
 * functions at compile time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActorId,
  ActorMesh,
  ActorRef,
  ChannelAddr,
  CodecError,
  MailboxSenderError,
  OncePortRef,
  PortRef,
  Proc,
  ProcId,
  registerCodec,
  type Actor,
  type Context,
  type Sendable,
} from '../src/index.js';
import { decodePayload, encodePayload } from '../src/transport.js';

const T = { timeout: 10_000 };
const roundTrip = <V>(value: V): unknown => decodePayload(encodePayload(value));

function rejects(value: unknown, path: RegExp): void {
  assert.throws(
    () => encodePayload(value),
    (err: unknown) => err instanceof CodecError && err.code === 'unsendable' && path.test(err.message),
  );
}

class Point {
  constructor(
    readonly x: number,
    readonly y: number,
  ) {}
  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}
registerCodec(Point, {
  tag: 7,
  encode: (p) => [p.x, p.y],
  decode: (d) => {
    const [x, y] = d as [number, number];
    return new Point(x, y);
  },
});

describe('sending contract: what arrives with its type (SC-1)', () => {
  it('a Map, nested in a message, arrives as a Map with its keys and values', T, () => {
    const out = roundTrip({ type: 'counts', counts: new Map<string | number, unknown>([['a', 1], [2, { deep: new Map([[1, 'x']]) }]]) }) as { counts: Map<unknown, unknown> };
    assert.ok(out.counts instanceof Map);
    assert.equal(out.counts.get('a'), 1);
    assert.ok((out.counts.get(2) as { deep: unknown }).deep instanceof Map);
  });

  it('a Set, a Date, a bigint, typed arrays, an ArrayBuffer and a RegExp arrive as themselves', T, () => {
    const out = roundTrip({
      set: new Set([1, 'two']),
      date: new Date(86_400_000),
      big: 12345678901234567890n,
      bytes: Uint8Array.of(1, 2, 3),
      floats: Float64Array.of(1.5),
      buffer: new ArrayBuffer(4),
      pattern: /ab+c/gi,
    }) as Record<string, unknown>;
    assert.deepEqual(out['set'], new Set([1, 'two']));
    assert.deepEqual(out['date'], new Date(86_400_000));
    assert.equal(out['big'], 12345678901234567890n);
    assert.ok(out['bytes'] instanceof Uint8Array && out['floats'] instanceof Float64Array && out['buffer'] instanceof ArrayBuffer);
    assert.deepEqual(out['pattern'], /ab+c/gi);
  });

  it('an Error arrives with its class, message, stack and code', T, () => {
    const sent = new TypeError('bad input');
    const out = roundTrip({ error: sent, coded: new CodecError('deserialize', 'broken') }) as { error: Error; coded: Error & { code?: string } };
    assert.ok(out.error instanceof TypeError);
    assert.equal(out.error.message, 'bad input');
    assert.equal(out.error.stack, sent.stack);
    assert.equal(out.coded.name, 'CodecError');
    assert.equal(out.coded.code, 'deserialize');
  });

  it('ids and refs arrive as ids and refs', T, () => {
    const actor = new ActorId(ProcId.withName(ChannelAddr.local(3), 'p'), 'a', 0);
    const out = roundTrip({ actor, port: PortRef.attest(actor.portId(1100)), once: OncePortRef.attest(actor.portId(1101)) }) as Record<string, unknown>;
    assert.ok(out['actor'] instanceof ActorId && out['port'] instanceof PortRef && out['once'] instanceof OncePortRef);
  });

  it('an instance of a class with a registered codec arrives as an instance, methods included', T, () => {
    const out = roundTrip({ at: new Point(3, 4) }) as { at: Point };
    assert.ok(out.at instanceof Point);
    assert.equal(out.at.norm(), 5);
  });
});

describe('sending contract: what fails at send time, with its path (SC-2)', () => {
  it('a function', T, () => rejects({ items: [1, 2, 3, { onDone: () => {} }] }, /msg\.items\[3\]\.onDone: function$/));
  it('a symbol', T, () => rejects({ tag: Symbol('x') }, /msg\.tag: symbol$/));
  it('an instance of a class without a codec', T, () => {
    class Unregistered {
      readonly v = 1;
    }
    rejects({ list: [new Unregistered()] }, /msg\.list\[0\]: instance of Unregistered without a codec/);
  });
  it('a circular value', T, () => {
    const node: { name: string; next?: unknown } = { name: 'a' };
    node.next = { back: node };
    rejects(node, /msg\.next\.back: circular reference$/);
  });
  it('a function as a Map value', T, () => rejects({ m: new Map([['k', () => 0]]) }, /msg\.m\.get\("k"\): function$/));

  it('a ref send of an unsendable message throws MailboxSenderError naming the path, and sends nothing', T, () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [port, receiver] = client.openPort<unknown>();
    const ref = port.bind();
    assert.throws(
      () => ref.send(client, { items: [{ cb: (): number => 1 }] }),
      (err: unknown) => err instanceof MailboxSenderError && err.code === 'serialize' && /msg\.items\[0\]\.cb: function/.test(err.message),
    );
    assert.equal(receiver.tryRecv(), undefined);
  });
});

describe('sending contract: the error names the message type (EM-1)', () => {
  type KvMsg = { type: 'put'; key: string; until: unknown } | { type: 'get'; key: string };

  it('a ref send names the destination actor, the message type and the field, and sends nothing', T, () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [kv, , received] = proc.attachActor<KvMsg>('kv');
    assert.throws(
      () => ActorRef.attest<KvMsg>(kv.selfId).send(client, { type: 'put', key: 'a', until: Promise.resolve() }),
      (err: unknown) =>
        err instanceof MailboxSenderError &&
        err.code === 'serialize' &&
        err.message.startsWith(String(kv.selfId)) &&
        /: message of type 'put': cannot send msg\.until: instance of Promise without a codec \(registerCodec\)$/.test(err.message),
    );
    assert.equal(received.tryRecv(), undefined);
  });

  it('a message without a type arm still names the field', T, () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [port] = client.openPort<unknown>();
    assert.throws(
      () => port.bind().send(client, [() => 1]),
      (err: unknown) => err instanceof MailboxSenderError && err.code === 'serialize' && !/message of type/.test(err.message) && /msg\[0\]: function$/.test(err.message),
    );
  });

  it('a mesh cast names the mesh, the message type and the field, and reaches no member', T, () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const members = [proc.attachActor<KvMsg>('kv_0'), proc.attachActor<KvMsg>('kv_1')];
    const mesh = new ActorMesh<KvMsg>('kv', 'Kv', members.map(([, ref]) => ref));
    assert.throws(
      () => mesh.cast(client, { type: 'put', key: 'a', until: () => 0 } as unknown as KvMsg & Sendable<KvMsg>),
      (err: unknown) =>
        err instanceof MailboxSenderError &&
        err.code === 'serialize' &&
        /^ActorMesh\(Kv 'kv' × 2\): message of type 'put': cannot send msg\.until: function$/.test(err.message),
    );
    for (const [, , received] of members) assert.equal(received.tryRecv(), undefined);
  });
});

describe('sending contract: the sender and the types', () => {
  it('SC-3: the value the sender holds is not modified', T, () => {
    const counts = new Map([['a', 1]]);
    const message = { type: 'counts', counts, list: [counts] };
    encodePayload(message);
    assert.equal(message.counts, counts);
    assert.equal(message.list[0], counts);
    assert.ok(message.counts instanceof Map);
  });

  it('a Map sent by ref from one actor reaches the other as a Map', T, async () => {
    type Msg = { type: 'tally'; counts: Map<string, number> };
    const got: unknown[] = [];
    class Tally implements Actor<Msg> {
      handle(_cx: Context<Msg>, msg: Msg): void {
        got.push(msg.counts);
      }
    }
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const tally = proc.spawn('tally', new Tally());
    tally.bind().send(client, { type: 'tally', counts: new Map([['w', 2]]) });
    tally.drainAndStop('done');
    await tally.join();
    assert.ok(got[0] instanceof Map && got[0].get('w') === 2);
  });

  it('Sendable<T> rejects a message type holding a function at compile time', T, () => {
    type Bad = { type: 'bad'; onDone: () => void };
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const [port] = client.openPort<Bad>();
    const ref = port.bind();
    // @ts-expect-error: a function is not sendable (Sendable<Bad>['onDone'] is never)
    assert.throws(() => ref.send(client, { type: 'bad', onDone: () => {} }), MailboxSenderError);
  });

  it('registerCodec refuses a tag out of range or taken by another class', T, () => {
    class Other {}
    const codec = { encode: () => 0, decode: () => new Other() };
    assert.throws(() => registerCodec(Other, { ...codec, tag: 0 }), (err: unknown) => err instanceof CodecError && err.code === 'invalid-codec');
    assert.throws(() => registerCodec(Other, { ...codec, tag: 7 }), (err: unknown) => err instanceof CodecError && err.code === 'invalid-codec' && /taken by Point/.test(err.message));
  });
});
