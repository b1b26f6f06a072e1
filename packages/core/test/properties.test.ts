/**
 * Property tests (fast-check, issue 11's reliability suite): the decoders a peer or a caller can
 * reach, checked on generated inputs instead of hand-picked ones. Each property names the
 * invariant it checks; every run is seeded (`SEED`, or `PROCMESH_PROPERTY_SEED` to replay one a
 * failure printed) and `PROCMESH_PROPERTY_RUNS` scales the number of cases (default 200 each).
 *
 * - ids: display and parse round-trip (ID-1); the order of `compareReferences` is a total order
 *   on the (proc, actor, pid, port) tuple (ID-2).
 * - the payload codec against msgpackr: every JSON value round-trips; the fast encoder's bytes
 *   mean to msgpackr what the value is; the fast decoder reads msgpackr's bytes as msgpackr does.
 * - the ring record codec (`EnvelopeRecordCodec`): every field of an envelope round-trips (EC-1).
 * - the net frame decoder (`FrameReader`): frames come out whole and in order however the
 *   stream is cut into chunks (upstream `net/framed.rs`).
 * - the ring: records of random sizes, written and read in random bursts, wrap around and come
 *   out in order, byte for byte (RING-1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ActorId, ChannelAddr, MessageEnvelope, PortId, ProcId, Reference } from '../src/index.js';
import { compareReferences } from '../src/id.js';
import { SeqInfo } from '../src/transport.js';
import { FrameReader } from '../src/channel/net/framed.js';
import { FRAME_HEADER_LEN, SEQ_LEN, TAG_SIMPLEX, encodeMessageFrame, encodePreamble, readU64 } from '../src/channel/net/wire.js';
import { RingBuffer, RingConsumer, RingProducer } from '../src/channel/ring/index.js';
import { EnvelopeRecordCodec } from '../src/wire/envelope-record.js';
import { packr } from '../src/wire/msgpack.js';
import { decodePayload, encodePayload } from '../src/wire/payload.js';
import { packPlain } from '../src/wire/plain-pack.js';
import { GIVE_UP, unpackPlain } from '../src/wire/plain-unpack.js';
import { checkRecord, fillRecord } from './fixtures/ring-common.js';

const T = { timeout: 120_000 };
const SEED = Number(process.env.PROCMESH_PROPERTY_SEED ?? 20261207);
const RUNS = Number(process.env.PROCMESH_PROPERTY_RUNS ?? 200);
const params = { seed: SEED, numRuns: RUNS };

// ---- generators ---------------------------------------------------------------------------

/** A name the id grammar accepts (an XID identifier, `-` allowed after the first character). */
const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_-]{0,11}$/);
const addr = fc.oneof(
  fc.nat({ max: 1 << 20 }).map((n) => ChannelAddr.local(n)),
  fc.tuple(fc.integer({ min: 1, max: 65_535 }), fc.boolean()).map(([port, v6]) => ChannelAddr.parse(v6 ? `tcp:[::1]:${port}` : `tcp:127.0.0.1:${port}`)),
);
const procId = fc.tuple(addr, name).map(([a, n]) => new ProcId(a, n));
const actorId = fc.tuple(procId, name, fc.nat({ max: 2 ** 31 - 1 })).map(([p, n, pid]) => p.actorId(n, pid));
const portId = fc.tuple(actorId, fc.nat({ max: 2 ** 31 - 1 })).map(([a, index]) => a.portId(index));
const reference: fc.Arbitrary<Reference> = fc.oneof(
  procId.map((p) => Reference.proc(p)),
  actorId.map((a) => Reference.actor(a)),
  portId.map((p) => Reference.port(p)),
);

type Tuple = [string, string | undefined, number | undefined, number | undefined];
function tuple(ref: Reference): Tuple {
  switch (ref.kind) {
    case 'proc':
      return [ref.proc.key, undefined, undefined, undefined];
    case 'actor':
      return [ref.actor.proc.key, ref.actor.name, ref.actor.pid, undefined];
    case 'port':
      return [ref.port.actor.proc.key, ref.port.actor.name, ref.port.actor.pid, ref.port.index];
  }
}

/** The order ID-2 specifies, written independently of id.ts: absent components first. */
function specCompare(a: Reference, b: Reference): number {
  const ta = tuple(a);
  const tb = tuple(b);
  for (let i = 0; i < 4; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x === y) continue;
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

describe('properties: ids', () => {
  it('ID-1: every proc, actor and port id parses back from its display', T, () => {
    fc.assert(
      fc.property(reference, (ref) => {
        const text = Reference.toString(ref);
        const parsed = Reference.parse(text);
        assert.equal(parsed.kind, ref.kind);
        assert.equal(Reference.toString(parsed), text);
        assert.equal(compareReferences(parsed, ref), 0);
      }),
      params,
    );
  });

  it('ID-1: the typed parsers agree with Reference.parse', T, () => {
    fc.assert(
      fc.property(portId, (port) => {
        assert.equal(String(PortId.parse(String(port))), String(port));
        assert.equal(String(ActorId.parse(String(port.actor))), String(port.actor));
        assert.equal(String(ProcId.parse(String(port.actor.proc))), String(port.actor.proc));
      }),
      params,
    );
  });

  it('ID-2: compareReferences is the lexicographic order on (proc, actor, pid, port), absent first', T, () => {
    fc.assert(
      fc.property(reference, reference, (a, b) => {
        assert.equal(Math.sign(compareReferences(a, b)), specCompare(a, b));
        assert.equal(Math.sign(compareReferences(a, b)), -Math.sign(compareReferences(b, a)));
      }),
      params,
    );
  });

  it('ID-2: sorting by compareReferences is transitive (a sorted list is pairwise ordered)', T, () => {
    fc.assert(
      fc.property(fc.array(reference, { maxLength: 30 }), (refs) => {
        const sorted = [...refs].sort(compareReferences);
        for (let i = 1; i < sorted.length; i++) assert.ok(compareReferences(sorted[i - 1] as Reference, sorted[i] as Reference) <= 0);
      }),
      params,
    );
  });
});

// ---- the payload codec -------------------------------------------------------------------

/** JSON values plus what msgpack adds that plain data uses: binary, undefined in objects. */
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  any: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue({ maxDepth: 3 }),
    fc.uint8Array({ maxLength: 64 }),
    fc.array(tie('any'), { maxLength: 6 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('any'), { maxKeys: 6 }),
  ),
})).any;

describe('properties: the payload codec against msgpackr', () => {
  it('every value round-trips through encodePayload and decodePayload', T, () => {
    fc.assert(
      fc.property(value, (v) => {
        assert.deepStrictEqual(normalize(decodePayload(encodePayload(v))), normalize(v));
      }),
      params,
    );
  });

  it('the fast encoder writes bytes that msgpackr reads back as the value', T, () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = packPlain(v);
        if (bytes === undefined) return; // not plain data: msgpackr encodes it
        assert.deepStrictEqual(normalize(packr.unpack(bytes)), normalize(v));
      }),
      params,
    );
  });

  it('the fast decoder reads msgpackr bytes as msgpackr does (or gives up)', T, () => {
    fc.assert(
      fc.property(value, (v) => {
        const bytes = packr.pack(v);
        const fast = unpackPlain(bytes);
        if (fast === GIVE_UP) return;
        assert.deepStrictEqual(normalize(fast), normalize(packr.unpack(bytes)));
      }),
      params,
    );
  });
});

/**
 * Compare binary by content (msgpackr hands back a `Buffer` for a `Uint8Array`) and objects as
 * plain records with their own enumerable keys (a `__proto__` key stays an own key).
 */
function normalize(v: unknown): unknown {
  if (v instanceof Uint8Array) return { bytes: Array.from(v) };
  if (Array.isArray(v)) return v.map(normalize);
  if (typeof v === 'object' && v !== null) {
    const out: [string, unknown][] = [];
    for (const key of Object.keys(v)) out.push([key, normalize((v as Record<string, unknown>)[key])]);
    return { entries: out };
  }
  return v;
}

// ---- the ring record codec -------------------------------------------------------------------

const envelope = fc
  .record({
    sender: actorId,
    dest: portId,
    data: fc.uint8Array({ maxLength: 200 }),
    type: name,
    session: fc.stringMatching(/^[0-9a-f]{4}-[a-z]{1,8}$/),
    seq: fc.nat({ max: 2 ** 31 }),
    ttl: fc.integer({ min: 0, max: 64 }),
    ret: fc.boolean(),
  })
  .map(
    (r) =>
      new MessageEnvelope(r.sender, r.dest, r.data, { send_timestamp: 1_700_000_000_000 + r.seq, message_type: r.type, seq_info: SeqInfo.session(r.session, r.seq) }, r.ttl, r.ret, []),
  );

describe('properties: the ring record codec', () => {
  it('EC-1: a stream of random envelopes round-trips field by field through one encoder and decoder', T, () => {
    fc.assert(
      fc.property(fc.array(envelope, { minLength: 1, maxLength: 20 }), (envs) => {
        const encoder = new EnvelopeRecordCodec();
        const decoder = new EnvelopeRecordCodec();
        const target = new Uint8Array(new SharedArrayBuffer(64 * 1024));
        for (const env of envs) {
          const end = encoder.encodeInto(env, target, 8, target.length);
          const got = typeof end === 'number' ? decoder.decode(target, 8, end) : decoder.decode(end, 0, end.length);
          assert.equal(got.sender.key, env.sender.key);
          assert.equal(got.dest.key, env.dest.key);
          assert.deepEqual([...got.data], [...env.data]);
          assert.deepStrictEqual(got.headers, env.headers);
          assert.equal(got.ttl, env.ttl);
          assert.equal(got.returnUndeliverable, env.returnUndeliverable);
        }
      }),
      params,
    );
  });
});

// ---- the net frame decoder -------------------------------------------------------------------

describe('properties: the net frame decoder', () => {
  it('frames come out whole and in order however the stream is cut', T, () => {
    const frames = fc.array(fc.record({ seq: fc.maxSafeNat(), payload: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 20 });
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), frames, fc.array(fc.nat(), { maxLength: 40 }), (session, input, cuts) => {
        const stream = Buffer.concat([encodePreamble(session), ...input.map((f) => encodeMessageFrame(f.seq, f.payload))]);
        const sessions: bigint[] = [];
        const got: { tag: number; seq: number; payload: number[] }[] = [];
        const reader = new FrameReader(1 << 20, true, {
          onPreamble: (id) => sessions.push(id),
          onFrame: (tag, bytes, start, end) => {
            got.push({ tag, seq: readU64(bytes, start), payload: [...bytes.subarray(start + SEQ_LEN, end)] });
          },
        });
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        let at = 0;
        for (const p of [...points, stream.length]) {
          reader.feed(stream.subarray(at, p));
          at = p;
        }
        assert.deepEqual(sessions, [session]);
        assert.deepEqual(
          got,
          input.map((f) => ({ tag: TAG_SIMPLEX, seq: f.seq, payload: [...f.payload] })),
        );
        assert.equal(reader.midFrame, false);
      }),
      params,
    );
  });

  it('NF-3: a stream cut inside a frame is reported as mid-frame', T, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(), (payload, cut) => {
        const frame = encodeMessageFrame(1, payload);
        const end = 1 + (cut % (frame.length - 1)); // strictly inside: 1 .. length-1
        const reader = new FrameReader(1 << 20, false, { onFrame: () => undefined });
        reader.feed(frame.subarray(0, end));
        assert.equal(reader.midFrame, true, `cut at ${end} of ${frame.length} (header ${FRAME_HEADER_LEN})`);
      }),
      params,
    );
  });
});

// ---- the ring ----------------------------------------------------------------------------

describe('properties: the ring', () => {
  it('RING-1: random record sizes in random bursts wrap around and arrive in order, byte for byte', T, () => {
    const scenario = fc
      .constantFrom(64, 256, 1024)
      .chain((capacity) =>
        fc.record({
          capacity: fc.constant(capacity),
          sizes: fc.array(fc.nat({ max: capacity * 3 }), { minLength: 1, maxLength: 200 }),
          bursts: fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 1, maxLength: 16 }),
          polls: fc.array(fc.integer({ min: 1, max: 32 }), { minLength: 1, maxLength: 16 }),
        }),
      );
    fc.assert(
      fc.property(scenario, ({ capacity, sizes, bursts, polls }) => {
        const ring = RingBuffer.create({ capacity });
        const producer = new RingProducer(ring);
        const consumer = new RingConsumer(ring);
        let written = 0;
        let read = 0;
        let complaint: string | undefined;
        const visit = (bytes: Uint8Array, start: number, end: number): boolean => {
          complaint ??= read < sizes.length ? checkRecord(bytes, start, end, read, sizes[read] as number) : `record ${read} was never written`;
          read++;
          return true;
        };
        let pending: Uint8Array | undefined;
        for (let round = 0; read < sizes.length && complaint === undefined; round++) {
          assert.ok(round < 1_000_000, `stuck after ${read} of ${sizes.length} records`);
          const burst = bursts[round % bursts.length] as number;
          for (let i = 0; i < burst && written < sizes.length; i++) {
            if (pending === undefined) {
              const size = sizes[written] as number;
              pending = new Uint8Array(size);
              fillRecord(pending, written, size);
            }
            if (!producer.write(pending)) break;
            pending = undefined;
            written++;
          }
          producer.resume();
          producer.publish();
          consumer.poll(visit, polls[round % polls.length] as number);
        }
        assert.equal(complaint, undefined);
        assert.equal(read, sizes.length);
        assert.equal(ring.usedBytes(), 0);
      }),
      params,
    );
  });
});
