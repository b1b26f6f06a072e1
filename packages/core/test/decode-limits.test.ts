/**
 * The decode limits (wire/limits.ts DL-1..DL-5, issue 17): bytes from another thread or process
 * cannot claim more than they hold (finding 2, the array32 allocation bomb, and its nested and
 * string variants), nest deeper or hold more than the limits allow, or use extension types
 * procmesh never writes; every failure is a typed `CodecError`. What procmesh itself encodes
 * always passes. Also finding 3 (malformed `errors` entries) and CO-4 (an integer TTL, a map of headers).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActorId, ActorRef, ChannelAddr, CodecError, DeliveryError, MessageEnvelope, OncePortRef, PortRef, ProcId, Undeliverable } from '../src/index.js';
import { EnvelopeRecordCodec, decodeEnvelope, decodePayload, encodeEnvelope, encodePayload } from '../src/transport.js';
import { checkMsgpack, decodeLimits, type DecodeLimits } from '../src/wire/limits.js';
import { decodeLocalPayload } from '../src/wire/payload.js';
import { GIVE_UP, unpackPlain } from '../src/wire/plain-unpack.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { prng } from '../src/testing.js';

const T = { timeout: 10_000 };
const proc = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:4000'), 'limits');
const actor = proc.actorId('worker', 3);
const port = actor.portId(1030);

/** finding 2: a 6-byte msgpack value whose array32 header declares 2^32 - 1 elements. */
const ARRAY32_BOMB = Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 0x00);

function codecError(code: string): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof CodecError, `expected a CodecError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  };
}

function bytes(...parts: (number | readonly number[])[]): Uint8Array {
  return Uint8Array.from(parts.flat());
}


describe('finding 2: lengths are bounded by the bytes present (DL-1)', () => {
  it('DL-1: the 6-byte array32 bomb is a deserialize error in every decoder, before allocating', T, () => {
    const declares = (e: unknown): boolean => codecError('deserialize')(e) && (e as Error).message.includes('an array declares 4294967295 elements, 1 bytes left');
    assert.throws(() => checkMsgpack(ARRAY32_BOMB), declares);
    assert.throws(() => decodePayload(ARRAY32_BOMB), declares);
    assert.throws(() => decodeEnvelope(ARRAY32_BOMB), declares);
  });

  it('DL-1: nested array16 headers that each fit the bytes left are rejected as a whole (msgpackr #200)', T, () => {
    const chain = new Uint8Array(3 * 22_000);
    for (let i = 0; i < chain.length; i += 3) chain.set([0xdc, 0xff, 0xff], i);
    // the walk reaches the depth limit first (DL-2); with a deep enough limit, the bytes run out (DL-1)
    assert.throws(() => decodePayload(chain), codecError('limit-exceeded'));
    assert.throws(() => checkMsgpack(chain, 0, undefined, { maxDepth: 1e6, maxElements: 1 << 30, maxBytes: 1 << 30 }), codecError('deserialize'));
  });

  it('DL-1: str32, bin32, ext32 and map32 headers longer than the input are deserialize errors', T, () => {
    for (const token of [0xdb, 0xc6, 0xdf]) {
      assert.throws(() => decodePayload(bytes(token, 0x00, 0xff, 0xff, 0xff, 0x41)), codecError('deserialize'), `token ${token}`);
    }
    assert.throws(() => decodePayload(bytes(0xc9, 0x00, 0xff, 0xff, 0xff, 0x74, 0x01)), codecError('deserialize'));
    // a map needs two bytes per entry
    assert.throws(() => checkMsgpack(bytes(0x83, 0x01, 0x02, 0x03)), codecError('deserialize'));
  });

  it('PU-5: the plain fast path gives up on lengths the input cannot hold, allocating nothing for them', T, () => {
    assert.equal(unpackPlain(bytes(0xdc, 0xff, 0xff, 0x01)), GIVE_UP);
    assert.equal(unpackPlain(bytes(0xde, 0xff, 0xff, 0xa1, 0x61, 0x01)), GIVE_UP);
    assert.equal(unpackPlain(bytes(0xda, 0xff, 0xff, 0x61)), GIVE_UP);
  });

  it('PU-5: nested array16 headers that each fit the bytes left exhaust the budget of the input: the fast path gives up', T, () => {
    const chain = new Uint8Array(3 * 22_000);
    for (let i = 0; i < chain.length; i += 3) chain.set([0xdc, 0xff, 0xff], i);
    assert.equal(unpackPlain(chain), GIVE_UP);
    // a real nested value within the budget still decodes
    assert.deepEqual(unpackPlain(encodePayload([[1, 2], [3, [4]]])), [[1, 2], [3, [4]]]);
  });
});

describe('configured limits (DL-2)', () => {
  const small: DecodeLimits = { maxDepth: 4, maxElements: 10, maxBytes: 8 };

  it('DL-2: the defaults come from config(): depth 128, 2^24 elements, 1 GiB bodies', T, () => {
    assert.equal(DEFAULT_CONFIG.decodeMaxDepth, 128);
    assert.equal(DEFAULT_CONFIG.decodeMaxElements, 1 << 24);
    assert.equal(DEFAULT_CONFIG.decodeMaxBytes, 1 << 30);
    assert.deepEqual(decodeLimits(), { maxDepth: 128, maxElements: 1 << 24, maxBytes: 1 << 30 });
  });

  it('DL-2: nesting deeper than maxDepth is limit-exceeded; at maxDepth it passes', T, () => {
    checkMsgpack(encodePayload([[[[1]]]]), 0, undefined, small);
    assert.throws(() => checkMsgpack(encodePayload([[[[[1]]]]]), 0, undefined, small), codecError('limit-exceeded'));
    // a wrapping extension (a Set wraps the array after it) is one level
    assert.throws(() => checkMsgpack(encodePayload([[[new Set([1])]]]), 0, undefined, small), codecError('limit-exceeded'));
  });

  it('DL-2: the default depth stops a deep chain that msgpackr would recurse into', T, () => {
    const deep = new Uint8Array(100_000).fill(0x91);
    deep[deep.length - 1] = 0x00;
    assert.throws(() => decodePayload(deep), codecError('limit-exceeded'));
  });

  it('DL-2: more elements in all than maxElements is limit-exceeded', T, () => {
    checkMsgpack(encodePayload([1, 2, 3, [4, 5, 6, { a: 1, b: 2 }]]), 0, undefined, small);
    assert.throws(() => checkMsgpack(encodePayload([1, 2, 3, [4, 5, 6, { a: 1, b: 2, c: 3, d: 4 }]]), 0, undefined, small), codecError('limit-exceeded'));
  });

  it('DL-2: a string, binary or extension body above maxBytes is limit-exceeded', T, () => {
    checkMsgpack(encodePayload('12345678'), 0, undefined, small);
    assert.throws(() => checkMsgpack(encodePayload('123456789'), 0, undefined, small), codecError('limit-exceeded'));
    assert.throws(() => checkMsgpack(encodePayload(new Uint8Array(9)), 0, undefined, small), codecError('limit-exceeded'));
    assert.throws(() => checkMsgpack(encodePayload(new Float64Array(2)), 0, undefined, small), codecError('limit-exceeded'));
  });
});

describe('malformed input (DL-3, DL-5)', () => {
  it('DL-3: trailing bytes and truncated values are deserialize errors', T, () => {
    assert.throws(() => checkMsgpack(bytes(0x01, 0x02)), codecError('deserialize'));
    assert.throws(() => checkMsgpack(bytes(0xcb, 0x00, 0x00)), codecError('deserialize'));
    assert.throws(() => checkMsgpack(bytes(0x92, 0x01)), codecError('deserialize'));
    assert.throws(() => checkMsgpack(bytes()), codecError('deserialize'));
  });

  it('DL-3: record definitions, bundled strings and structured-clone references are refused', T, () => {
    for (const type of [0x72, 0x62, 0x69, 0x70]) {
      assert.throws(() => decodePayload(bytes(0x92, 0xd4, type, 0x00, 0x01)), codecError('deserialize'), `type ${type}`);
    }
  });

  it('DL-5: a registered extension in another form than fixext 1 is a deserialize error', T, () => {
    // ActorId (41) as a fixext 2
    assert.throws(() => checkMsgpack(bytes(0xd5, 41, 0x00, 0x00)), codecError('deserialize'));
  });

  it('DL-5: everything procmesh encodes passes the walk and decodes back (seeded)', T, () => {
    const random = prng(0x17);
    const inner = new MessageEnvelope(actor, port, encodePayload([1, 2, 3]), { a: 1 }, 5, true, [DeliveryError.unroutable('nowhere')]);
    const leaves: (() => unknown)[] = [
      () => Math.floor(random() * 1e6) - 5e5,
      () => random(),
      () => 'x'.repeat(Math.floor(random() * 40)),
      () => 'ü€'.repeat(Math.floor(random() * 5)),
      () => null,
      () => undefined,
      () => random() < 0.5,
      () => proc,
      () => actor,
      () => port,
      () => ActorRef.attest<string>(actor),
      () => new PortRef<number>(port, 'sum', false),
      () => new OncePortRef<number>(port),
      () => new Undeliverable(inner),
      () => new Uint8Array([1, 2, 3]),
      () => new Float64Array([0.5, 1.5]),
      () => new Date(1_700_000_000_123),
      () => 2n ** 70n,
      () => new Set([1, 'a']),
      () => new Map([[1, 'one']]),
      () => new Error('boom'),
      () => /ab+c/gi,
      () => 2 ** 40,
    ];
    const make = (depth: number): unknown => {
      const pick = random();
      if (depth > 4 || pick < 0.5) return (leaves[Math.floor(random() * leaves.length)] as () => unknown)();
      if (pick < 0.75) return Array.from({ length: Math.floor(random() * 5) }, () => make(depth + 1));
      const object: Record<string, unknown> = {};
      for (let i = Math.floor(random() * 5); i > 0; i--) object[`k${Math.floor(random() * 8)}`] = make(depth + 1);
      return object;
    };
    for (let i = 0; i < 500; i++) {
      const value = make(0);
      const encoded = encodePayload(value);
      checkMsgpack(encoded);
      assert.deepEqual(decodePayload(encoded), decodeLocalPayload(encoded));
    }
  });

  it('DL-5: an encoded envelope passes the walk (decodeEnvelope validates every envelope)', T, () => {
    const env = new MessageEnvelope(actor, port, encodePayload({ hello: 'world' }), { send_timestamp: 1, message_type: 'greet' }, 12, false, [DeliveryError.brokenLink('x')]);
    const encoded = encodeEnvelope(env);
    checkMsgpack(encoded);
    const back = decodeEnvelope(encoded);
    assert.equal(back.foreign, true, 'EN-1: a decoded envelope is foreign');
    assert.equal(env.foreign, false, 'EN-1: an envelope built here is not');
    const encoder = new EnvelopeRecordCodec();
    const target = new Uint8Array(4096);
    const end = encoder.encodeInto(env, target, 0, target.length);
    assert.equal(typeof end, 'number');
    assert.equal(new EnvelopeRecordCodec().decode(target, 0, end as number).foreign, true, 'EN-1: a ring record decodes foreign');
  });
});

describe('finding 3 and CO-4: malformed envelope fields are CodecErrors', () => {
  const wire = (fields: { ttl?: unknown; headers?: unknown; errors?: unknown }): Uint8Array =>
    encodePayload([actor, port, new Uint8Array([0xc0]), fields.headers ?? {}, fields.ttl ?? 5, true, fields.errors ?? []]);

  it('finding 3: an errors entry that is not a [kind, detail] pair of strings is deserialize, not a TypeError', T, () => {
    for (const errors of [[null], [1], [['unroutable']], [[1, 2]], [['no-such-kind', 'x']], [['unroutable', 7]], ['unroutable']]) {
      assert.throws(() => decodeEnvelope(wire({ errors })), codecError('deserialize'), JSON.stringify(errors));
    }
    assert.equal(decodeEnvelope(wire({ errors: [['unroutable', 'x']] })).errorMessage(), 'address not routable: x');
  });

  it('CO-4: a TTL that is not a non-negative integer is deserialize', T, () => {
    for (const ttl of [Number.NaN, -1, 1.5, Number.POSITIVE_INFINITY, '5']) {
      assert.throws(() => decodeEnvelope(wire({ ttl })), codecError('deserialize'), String(ttl));
    }
  });

  it('CO-4: headers that are not a map are deserialize; header values of any type decode', T, () => {
    for (const headers of [[1, 2], 'headers', 7]) {
      assert.throws(() => decodeEnvelope(wire({ headers })), codecError('deserialize'), JSON.stringify(headers));
    }
    assert.deepEqual(decodeEnvelope(wire({ headers: { message_type: { toString: 1 } } })).headers, { message_type: { toString: 1 } });
  });
});

describe('ids from outside (sanity)', () => {
  it('a decoded ActorId of a malformed shape is deserialize', T, () => {
    assert.throws(() => decodePayload(bytes(0xd4, 41, 0x00, 0x92, 0x01, 0x02)), codecError('deserialize'));
    assert.ok(decodePayload(encodePayload(actor)) instanceof ActorId);
  });
});
