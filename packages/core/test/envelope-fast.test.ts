/**
 * The fast path of the envelope tuple codec (wire/envelope-fast.ts, EF-1..EF-7): it writes
 * msgpackr's own bytes, reads them into the envelope the general path makes, gives up (and the
 * general path decides) on everything else, and stays within the decode limits.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActorId, ChannelAddr, CodecError, DeliveryError, MessageEnvelope, PortId, ProcId } from '../src/index.js';
import { SeqInfo, decodeEnvelope, encodeEnvelope, envelopeTupleCodec } from '../src/transport.js';
import type { Headers } from '../src/mailbox/envelope.js';
import { packEnvelope, unpackEnvelope } from '../src/wire/envelope-fast.js';
import { checkMsgpack, decodeLimits, type DecodeLimits } from '../src/wire/limits.js';
import { packr } from '../src/wire/msgpack.js';
import { encodeEnvelopePayload } from '../src/wire/payload.js';
import { envelopeFromWire, envelopeToWire } from '../src/wire/tuple.js';

const T = { timeout: 20_000 };
const sender = new ActorId(new ProcId(ChannelAddr.parse('tcp:127.0.0.1:40001'), 'fast_main'), 'client', 0);
const longProc = new ProcId(ChannelAddr.parse('unix:@fast-path'), 'p'.repeat(40));
const dests = [
  new PortId(new ActorId(longProc, 'echo', 0), 5),
  new PortId(new ActorId(longProc, 'n'.repeat(200), 127), 128),
  new PortId(new ActorId(longProc, 'echo', 255), 65_535),
  new PortId(new ActorId(longProc, 'echo', 65_536), 70_000),
];
const HEADERS = [
  {},
  { send_timestamp: 1_796_645_334_155, seq_info: SeqInfo.session('0123456789abcdef', 7) },
  { seq_info: SeqInfo.direct },
  { a: -5, b: -200, c: -70_000, d: 1.5, e: null, f: true, g: false, h: 'x'.repeat(40), i: { j: { k: 1 } }, l: 2 ** 40 },
];
const SIZES = [0, 1, 3, 254, 255, 256, 65_534, 65_535, 65_536, 70_000];

/** Every combination of the shapes the fast path covers. */
function* covered(): Generator<MessageEnvelope> {
  let n = 0;
  for (const size of SIZES) {
    for (const buffer of [false, true]) {
      for (const headers of HEADERS) {
        const data = buffer ? Buffer.alloc(size, 7) : new Uint8Array(size).fill(9);
        const dest = dests[n % dests.length] as PortId;
        yield new MessageEnvelope(n % 2 === 0 ? sender : dest.actor, dest, data, headers, [0, 64, 300, 70_000][n % 4] as number, n % 3 !== 0);
        n++;
      }
    }
  }
}

/** What an envelope is made of, for comparing two of them. */
function fields(env: MessageEnvelope): unknown[] {
  return [String(env.sender), String(env.dest), Buffer.from(env.data).toString('hex'), env.headers, env.ttl, env.returnUndeliverable, env.errors.map(String), env.foreign];
}

/** The general path of `decodeEnvelope`: the walk, msgpackr, the tuple. */
function general(bytes: Uint8Array): MessageEnvelope {
  checkMsgpack(bytes);
  return envelopeFromWire(packr.unpack(bytes));
}

describe('the envelope fast path (EF-1, EF-2)', () => {
  it("EF-1: packEnvelope writes msgpackr's bytes for every covered shape", T, () => {
    for (const env of covered()) {
      const fast = packEnvelope(env);
      assert.ok(fast !== undefined, `covered: ${env.data.length} bytes, ${JSON.stringify(env.headers)}`);
      assert.deepEqual(Buffer.from(fast), Buffer.from(packr.pack(envelopeToWire(env))), `${env.data.length} bytes, ${env.data.constructor.name}`);
    }
  });

  it('EF-2: unpackEnvelope reads the envelope the general path reads, foreign', T, () => {
    for (const env of covered()) {
      const bytes = packr.pack(envelopeToWire(env));
      const fast = unpackEnvelope(bytes);
      assert.ok(fast !== undefined, `covered: ${env.data.length} bytes, ${JSON.stringify(env.headers)}`);
      assert.deepEqual(fields(fast), fields(general(bytes)));
      assert.ok(fast.sender.equals(env.sender) && fast.dest.equals(env.dest));
      assert.equal(fast.foreign, true);
    }
  });

  it('EF-2: the payload is a copy: later writes to the input do not reach the envelope', T, () => {
    const env = new MessageEnvelope(sender, dests[0] as PortId, encodeEnvelopePayload({ hello: 'world' }), {}, 5, true);
    const bytes = Buffer.from(encodeEnvelope(env));
    const back = unpackEnvelope(bytes);
    assert.ok(back !== undefined);
    const before = Buffer.from(back.data).toString('hex');
    bytes.fill(0);
    assert.equal(Buffer.from(back.data).toString('hex'), before);
  });

  it('EF-2, EF-4: many distinct ids decode to themselves through the bounded id cache', T, () => {
    for (let i = 0; i < 2_000; i++) {
      const actor = new ActorId(new ProcId(ChannelAddr.parse(`tcp:127.0.0.1:${1000 + (i % 50)}`), `proc${i % 7}`), `a${i}`, i % 300);
      const env = new MessageEnvelope(actor, actor.portId(i), new Uint8Array([0xc0]), {}, 1, true);
      const back = decodeEnvelope(encodeEnvelope(env));
      assert.ok(back.sender.equals(actor) && back.dest.equals(actor.portId(i)), `id ${i}`);
    }
  });

  it('EF-1: envelopes outside the covered shapes are left to msgpackr, and still round-trip', T, () => {
    const dest = dests[0] as PortId;
    const outside = [
      new MessageEnvelope(sender, dest, new Uint8Array([1]), {}, 5, true, [DeliveryError.brokenLink('lost')]),
      new MessageEnvelope(sender, dest, new Uint8Array([1]), { text: 'ünïcode' }, 5, true),
      new MessageEnvelope(new ActorId(new ProcId(ChannelAddr.parse('unix:@fast'), 'prøc'), 'a', 0), dest, new Uint8Array([1]), {}, 5, true),
      new MessageEnvelope(sender, dest, new Uint8Array([1]), {}, 2 ** 33, true),
    ];
    for (const env of outside) {
      assert.equal(packEnvelope(env), undefined, JSON.stringify(env.headers));
      const bytes = encodeEnvelope(env);
      const fast = unpackEnvelope(bytes);
      if (fast !== undefined) assert.deepEqual(fields(fast), fields(general(bytes)));
      assert.deepEqual(fields(decodeEnvelope(bytes)), fields(general(bytes)));
    }
  });

  it('EF-2: headers the reader does not cover (arrays) are written fast and read by the general path', T, () => {
    const env = new MessageEnvelope(sender, dests[0] as PortId, new Uint8Array([1]), { list: [1, 2] }, 5, true);
    const bytes = encodeEnvelope(env);
    assert.deepEqual(Buffer.from(bytes), Buffer.from(packr.pack(envelopeToWire(env))));
    assert.equal(unpackEnvelope(bytes), undefined);
    assert.deepEqual(decodeEnvelope(bytes).headers, { list: [1, 2] });
  });

  it('EF-2: every truncation of an envelope gives up, and decodeEnvelope throws deserialize', T, () => {
    const env = new MessageEnvelope(sender, dests[1] as PortId, encodeEnvelopePayload({ x: 1 }), HEADERS[1] as Headers, 9, true);
    const bytes = encodeEnvelope(env);
    for (let n = 0; n < bytes.length; n++) {
      const cut = bytes.slice(0, n);
      assert.equal(unpackEnvelope(cut), undefined, `prefix of ${n} bytes`);
      assert.throws(() => decodeEnvelope(cut), (e: unknown) => e instanceof CodecError && e.code === 'deserialize', `prefix of ${n} bytes`);
    }
    const trailing = Buffer.concat([bytes, Buffer.of(0xc0)]);
    assert.equal(unpackEnvelope(trailing), undefined, 'trailing bytes');
    assert.throws(() => decodeEnvelope(trailing), (e: unknown) => e instanceof CodecError && e.code === 'deserialize');
  });
});

describe('the envelope fast path reads a range in place (EF-6)', () => {
  /** `bytes` between `before` and `after` junk bytes (0x97 and 0xc0: a tuple head and a nil, so a read outside the range could parse). */
  const embed = (bytes: Uint8Array, before: number, after: number): Buffer => Buffer.concat([Buffer.alloc(before, 0x97), bytes, Buffer.alloc(after, 0xc0)]);

  it('EF-6: a range of a larger buffer reads as the envelope of a copy of that range', T, () => {
    let n = 0;
    for (const env of covered()) {
      const bytes = encodeEnvelope(env);
      const before = 1 + (n++ % 13);
      const chunk = embed(bytes, before, 5);
      const fast = unpackEnvelope(chunk, decodeLimits(), before, before + bytes.length);
      assert.ok(fast !== undefined, `covered: ${env.data.length} bytes, ${JSON.stringify(env.headers)}`);
      assert.deepEqual(fields(fast), fields(general(bytes)));
    }
  });

  it("EF-6: the codec's decodeRange decodes what decode decodes of the range's view, fast path or general", T, () => {
    const dest = dests[0] as PortId;
    const envs = [
      new MessageEnvelope(sender, dest, encodeEnvelopePayload({ type: 'item', seq: 3 }), HEADERS[1] as Headers, 64, true),
      new MessageEnvelope(sender, dest, new Uint8Array([1]), { text: 'ünïcode' }, 5, true), // general path
    ];
    const decodeRange = envelopeTupleCodec.decodeRange;
    assert.ok(decodeRange !== undefined);
    for (const env of envs) {
      const bytes = encodeEnvelope(env);
      const chunk = embed(bytes, 9, 3);
      assert.deepEqual(fields(decodeRange(chunk, 9, 9 + bytes.length)), fields(envelopeTupleCodec.decode(chunk.subarray(9, 9 + bytes.length))));
    }
  });

  it('EF-6: a range that stops inside an envelope gives up, though the rest of it follows in the buffer', T, () => {
    const env = new MessageEnvelope(sender, dests[1] as PortId, encodeEnvelopePayload({ x: 1 }), HEADERS[1] as Headers, 9, true);
    const bytes = encodeEnvelope(env);
    const chunk = embed(bytes, 4, 0);
    for (let n = 0; n < bytes.length; n++) {
      assert.equal(unpackEnvelope(chunk, decodeLimits(), 4, 4 + n), undefined, `first ${n} bytes`);
      assert.throws(() => envelopeTupleCodec.decodeRange?.(chunk, 4, 4 + n), (e: unknown) => e instanceof CodecError && e.code === 'deserialize', `first ${n} bytes`);
    }
    assert.ok(unpackEnvelope(chunk, decodeLimits(), 4, 4 + bytes.length) !== undefined);
  });

  it('EF-6: a range outside the buffer gives up', T, () => {
    const bytes = encodeEnvelope(new MessageEnvelope(sender, dests[0] as PortId, new Uint8Array([1]), {}, 5, true));
    assert.equal(unpackEnvelope(bytes, decodeLimits(), 0, bytes.length + 1), undefined);
    assert.equal(unpackEnvelope(bytes, decodeLimits(), -1, bytes.length), undefined);
    assert.equal(unpackEnvelope(bytes, decodeLimits(), 3, 2), undefined);
  });
});

describe('the envelope fast path makes header maps of 3 entries (EF-7)', () => {
  const dest = dests[0] as PortId;
  /** Decode `headers` on the fast path and on the general path. */
  const both = (headers: Headers): [MessageEnvelope | undefined, MessageEnvelope] => {
    const bytes = encodeEnvelope(new MessageEnvelope(sender, dest, new Uint8Array([0xc0]), headers, 5, true));
    return [unpackEnvelope(bytes), general(bytes)];
  };

  it("EF-7: a send's headers and their seq_info read with their keys in order and their values", T, () => {
    const [fast, slow] = both({ send_timestamp: 1_796_645_334_155.5, message_type: 'SinkMsg', seq_info: SeqInfo.session('0123456789abcdef', 70_000) });
    assert.ok(fast !== undefined);
    assert.deepEqual(fast.headers, slow.headers);
    assert.deepEqual(Object.keys(fast.headers), ['send_timestamp', 'message_type', 'seq_info']);
    assert.deepEqual(Object.keys(fast.headers.seq_info as object), ['kind', 'sessionId', 'seq']);
  });

  it('EF-7: other maps of 3 entries (other keys, the same keys in another order) read as the general path reads them', T, () => {
    const shapes: Headers[] = [
      { seq_info: SeqInfo.session('s', 1), message_type: 'M', send_timestamp: 2 },
      { a: 1, b: 'two', c: { d: 1, e: 2, f: 3 } },
      { send_timestamp: 1, message_type: 'M', other: { kind: 'session', seq: 1, sessionId: 's' } },
    ];
    for (const headers of shapes) {
      const [fast, slow] = both(headers);
      assert.ok(fast !== undefined, JSON.stringify(headers));
      assert.deepEqual(fast.headers, slow.headers);
      assert.deepEqual(Object.keys(fast.headers), Object.keys(slow.headers), JSON.stringify(headers));
      for (const key of Object.keys(fast.headers)) {
        const value: unknown = fast.headers[key];
        if (typeof value === 'object' && value !== null) assert.deepEqual(Object.keys(value), Object.keys(slow.headers[key] as object), key);
      }
    }
  });

  it('EF-7: a map of 3 entries with a __proto__ key gives up, whichever entry it is', T, () => {
    for (let at = 0; at < 3; at++) {
      // fixmap of 3 entries: fixstr keys, values 1, 2, 3; the key at `at` is "__proto__"
      const key = (k: number): number[] => (k === at ? [0xa9, ...Buffer.from('__proto__')] : [0xa1, 0x61 + k]);
      const map = Buffer.from([0x83, ...key(0), 0x01, ...key(1), 0x02, ...key(2), 0x03]);
      const bytes = encodeEnvelope(new MessageEnvelope(sender, dest, new Uint8Array([0xc0]), { x: 1 }, 5, true));
      // the encoded headers `{ x: 1 }` are 0xde 0x0001 0xa1 0x78 0x01 (map16): swap them for the map
      const written = Buffer.from([0xde, 0x00, 0x01, 0xa1, 0x78, 0x01]);
      const headersAt = Buffer.from(bytes).indexOf(written);
      assert.ok(headersAt > 0);
      const patched = Buffer.concat([bytes.subarray(0, headersAt), map, bytes.subarray(headersAt + written.length)]);
      if (at === 0) assert.ok(unpackEnvelope(Buffer.concat([bytes.subarray(0, headersAt), Buffer.from([0x83, 0xa1, 0x61, 1, 0xa1, 0x62, 2, 0xa1, 0x63, 3]), bytes.subarray(headersAt + written.length)])) !== undefined, 'the same map without __proto__ reads');
      assert.equal(unpackEnvelope(patched), undefined, `__proto__ at ${at}`);
    }
  });
});

describe('the envelope fast path checks the decode before first (EF-5, id-fast.ts IDF-4)', () => {
  const dest = dests[0] as PortId;

  it('EF-5: header strings that differ from the decode before only in their last byte read as themselves', T, () => {
    // same keys, same lengths, one byte apart: each must miss the prediction the one before left
    for (let i = 0; i < 40; i++) {
      const headers = { seq_info: SeqInfo.session(`0123456789abcde${'fg'[i % 2]}`, i), k: `v${i % 3}`, [`key${i % 2}`]: 'x' };
      const env = new MessageEnvelope(sender, dest, new Uint8Array([i]), headers, 9, true);
      const bytes = encodeEnvelope(env);
      const back = unpackEnvelope(bytes);
      assert.ok(back !== undefined, `envelope ${i}`);
      assert.deepEqual(back.headers, general(bytes).headers, `envelope ${i}`);
      assert.deepEqual(back.headers, headers, `envelope ${i}`);
    }
  });

  it('EF-5: strings that move to another place in the headers read as themselves', T, () => {
    const shapes: Headers[] = [{ a: 'one', b: 'two' }, { b: 'one', a: 'two' }, { a: 'two' }, { one: 'a', two: 'b', three: 'c' }, { a: 'one', b: 'two' }];
    for (const headers of shapes) {
      const bytes = encodeEnvelope(new MessageEnvelope(sender, dest, new Uint8Array([1]), headers, 9, true));
      assert.deepEqual(unpackEnvelope(bytes)?.headers, headers);
    }
  });

  it('IDF-4: senders and destinations one byte apart, alternating, read as themselves', T, () => {
    const proc = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:40009'), 'near');
    for (let i = 0; i < 40; i++) {
      // the last byte apart (pid, port index), or a byte inside (the name)
      const from = i % 4 < 2 ? new ActorId(proc, 'a', i % 2) : new ActorId(proc, `a${i % 2}`, 0);
      const to = new ActorId(proc, 'b', 0).portId(10 + (i % 2));
      const back = unpackEnvelope(encodeEnvelope(new MessageEnvelope(from, to, new Uint8Array([1]), {}, 9, true)));
      assert.ok(back !== undefined, `envelope ${i}`);
      assert.ok(back.sender.equals(from), `sender of envelope ${i}: ${back.sender}`);
      assert.ok(back.dest.equals(to), `dest of envelope ${i}: ${back.dest}`);
    }
  });

  it('IDF-4: a truncation inside the id read before gives up (the prediction reads within the bytes)', T, () => {
    const env = new MessageEnvelope(sender, dest, new Uint8Array([1]), {}, 9, true);
    const bytes = encodeEnvelope(env);
    assert.ok(unpackEnvelope(bytes) !== undefined);
    for (let n = 1; n < 12; n++) assert.equal(unpackEnvelope(bytes.slice(0, n)), undefined, `prefix of ${n} bytes`);
  });
});

describe('the envelope fast path and the decode limits (EF-3)', () => {
  const env = new MessageEnvelope(sender, dests[0] as PortId, new Uint8Array(64), HEADERS[1] as Headers, 9, true);
  const bytes = encodeEnvelope(env);
  const roomy: DecodeLimits = { maxDepth: 16, maxElements: 100, maxBytes: 1024 };

  it('EF-3: within the limits it reads the envelope', T, () => {
    assert.ok(unpackEnvelope(bytes, roomy) !== undefined);
  });

  for (const [what, limits] of [
    ['a payload above maxBytes', { ...roomy, maxBytes: 32 }],
    ['more elements than maxElements', { ...roomy, maxElements: 12 }],
    ['nesting deeper than maxDepth', { ...roomy, maxDepth: 2 }],
  ] as const) {
    it(`EF-3: ${what}: it gives up, and the walk says limit-exceeded`, T, () => {
      assert.equal(unpackEnvelope(bytes, limits), undefined);
      assert.throws(() => checkMsgpack(bytes, 0, bytes.length, limits), (e: unknown) => e instanceof CodecError && e.code === 'limit-exceeded');
    });
  }
});
