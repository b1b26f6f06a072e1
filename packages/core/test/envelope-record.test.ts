/**
 * `EnvelopeRecordCodec` (core wire/envelope-record.ts): every field of an envelope round-trips
 * through a record; ids and strings are interned per ring and the tables stay in step (EC-1,
 * EC-2), also when they are full and slots are reassigned; a reset clears both sides (EC-3);
 * a takeover decoder reads the records a dead consumer never read (EC-4); envelopes with
 * errors and returned envelopes (`Undeliverable` payloads) survive; and the codec works as a
 * real ring's codec (in place, and records that do not fit in place).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActorId,
  ChannelAddr,
  CodecError,
  DeliveryError,
  MessageEnvelope,
  PortId,
  ProcId,
  Undeliverable,
  type Headers,
} from '../src/index.js';
import {
  decodePayload,
  encodePayload,
  SeqInfo,
} from '../src/transport.js';
import { RingBuffer, RingConsumer, RingTx } from '../src/channel/ring/index.js';
import { EnvelopeRecordCodec } from '../src/wire/envelope-record.js';

const T = { timeout: 10_000 };

const procA = ProcId.withName(ChannelAddr.local(1), 'proc_1');
const procB = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:4000'), 'remote-proc');
const sender = procA.actorId('pinger', 0);
const dest = procB.actorId('ponger', 7).portId(16);

function envelope(overrides: { sender?: ActorId; dest?: PortId; data?: Uint8Array; headers?: Headers; ttl?: number; ret?: boolean; errors?: DeliveryError[] } = {}): MessageEnvelope {
  return new MessageEnvelope(
    overrides.sender ?? sender,
    overrides.dest ?? dest,
    overrides.data ?? encodePayload({ type: 'ping', seq: 1, payload: { x: 1, y: 'hello' } }),
    overrides.headers ?? { send_timestamp: 1_700_000_000_123, message_type: 'ping', seq_info: SeqInfo.session('0190-session', 42) },
    overrides.ttl ?? 63,
    overrides.ret ?? true,
    overrides.errors ?? [],
  );
}

/** A shared-memory target, as the ring gives the codec. */
function sharedTarget(bytes = 64 * 1024): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(bytes));
}

/** Encode into shared memory at offset 8 and decode from there (the ring's path). */
function roundTrip(encoder: EnvelopeRecordCodec, decoder: EnvelopeRecordCodec, env: MessageEnvelope, target = sharedTarget()): { decoded: MessageEnvelope; size: number } {
  const end = encoder.encodeInto(env, target, 8, target.length);
  if (typeof end !== 'number') return { decoded: decoder.decode(end, 0, end.length), size: end.length };
  return { decoded: decoder.decode(target, 8, end), size: end - 8 };
}

function assertSameEnvelope(actual: MessageEnvelope, expected: MessageEnvelope): void {
  assert.equal(actual.sender.key, expected.sender.key);
  assert.equal(actual.dest.key, expected.dest.key);
  assert.equal(actual.dest.index, expected.dest.index);
  assert.deepEqual([...actual.data], [...expected.data]);
  assert.deepStrictEqual(actual.headers, expected.headers);
  assert.equal(actual.ttl, expected.ttl);
  assert.equal(actual.returnUndeliverable, expected.returnUndeliverable);
  assert.deepStrictEqual(
    actual.errors.map((e) => [e.kind, e.detail]),
    expected.errors.map((e) => [e.kind, e.detail]),
  );
}

describe('EnvelopeRecordCodec', () => {
  it('round-trips every field of a ref-send envelope', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const env = envelope();
    const { decoded } = roundTrip(encoder, decoder, env);
    assertSameEnvelope(decoded, env);
    assert.ok(decoded.sender instanceof ActorId && decoded.dest instanceof PortId);
    assert.equal(String(decoded.dest.actor.proc.addr), 'tcp:127.0.0.1:4000');
    assert.equal(decoded.dest.actor.pid, 7);
    assert.deepStrictEqual(decodePayload(decoded.data), { type: 'ping', seq: 1, payload: { x: 1, y: 'hello' } });
  });

  it('round-trips other headers, direct sequencing, no headers, odd values and a non-returning envelope', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const cases: MessageEnvelope[] = [
      envelope({ headers: { send_timestamp: 5, seq_info: SeqInfo.direct } }),
      envelope({ headers: {} }),
      envelope({ headers: { message_type: 'only-type' } }),
      envelope({
        headers: {
          send_timestamp: 1.5,
          message_type: 'ünïcode ✓',
          seq_info: SeqInfo.session('s', 2 ** 40),
          custom: { nested: [1, 'two', null], id: procB.actorId('x', 3) },
          undeliverable_return: true,
        },
        ttl: 0,
        ret: false,
      }),
      // a well-known header of another type travels as an extra one
      envelope({ headers: { send_timestamp: 'not a number', message_type: 7 } as unknown as Headers }),
      envelope({ data: new Uint8Array(0) }),
      envelope({ data: encodePayload({ big: 'x'.repeat(10_000) }) }),
    ];
    for (const env of cases) assertSameEnvelope(roundTrip(encoder, decoder, env).decoded, env);
    const direct = roundTrip(encoder, decoder, envelope({ headers: { seq_info: SeqInfo.direct } })).decoded;
    assert.equal(direct.headers.seq_info, SeqInfo.direct, 'direct decodes to the shared SeqInfo.direct');
  });

  it('interns ids and strings: records after the first are smaller, and ids decode to shared objects', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const first = roundTrip(encoder, decoder, envelope());
    const second = roundTrip(encoder, decoder, envelope({ headers: { send_timestamp: 1, message_type: 'ping', seq_info: SeqInfo.session('0190-session', 43) } }));
    assert.ok(second.size < first.size - 40, `second record ${second.size} B, first ${first.size} B`);
    assert.equal(second.decoded.sender, first.decoded.sender);
    assert.equal(second.decoded.dest, first.decoded.dest, 'handler-port ids are cached per actor');
  });

  it('keeps both tables in step over many ids, with slots reassigned when the tables are full (EC-1, EC-2)', T, () => {
    const encoder = new EnvelopeRecordCodec({ actorSlots: 8, stringSlots: 16 });
    const decoder = new EnvelopeRecordCodec({ actorSlots: 8, stringSlots: 16 });
    const target = sharedTarget();
    let seed = 7;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let i = 0; i < 3000; i++) {
      const from = ProcId.withName(ChannelAddr.local(random(5)), `p${random(5)}`).actorId(`a${random(40)}`, random(3));
      const to = ProcId.withName(ChannelAddr.local(random(5)), `q${random(5)}`).actorId(`b${random(40)}`, random(3)).portId(random(2) === 0 ? 16 : 1024 + random(50));
      const env = envelope({
        sender: from,
        dest: to,
        headers: { send_timestamp: i, message_type: `t${random(30)}`, seq_info: SeqInfo.session(`session-${random(25)}`, i) },
        data: encodePayload({ i }),
      });
      const { decoded } = roundTrip(encoder, decoder, env, target);
      assertSameEnvelope(decoded, env);
    }
  });

  it('round-trips an envelope with delivery errors', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const env = envelope({ errors: [DeliveryError.brokenLink('ring to peer closed: sender closed'), DeliveryError.unroutable('no proc local:9'), DeliveryError.ttlExpired()] });
    const { decoded } = roundTrip(encoder, decoder, env);
    assertSameEnvelope(decoded, env);
    assert.equal(decoded.errorMessage(), env.errorMessage());
    decoded.addError(DeliveryError.mailbox('appended after decoding'));
    assert.equal(decoded.errors.length, 4);
  });

  it('round-trips a returned envelope (an Undeliverable payload carrying the original envelope)', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const original = envelope({ errors: [DeliveryError.brokenLink('message was undeliverable')] });
    const back = new MessageEnvelope(
      new ActorId(ProcId.withName(ChannelAddr.local(0), 'mailbox_server_0-0000abcd'), 'server', 0),
      sender.portId(2),
      encodePayload(new Undeliverable(original)),
      { undeliverable_return: true, send_timestamp: 9, seq_info: SeqInfo.session('server-session', 1) },
      64,
    );
    const { decoded } = roundTrip(encoder, decoder, back);
    assertSameEnvelope(decoded, back);
    assert.equal(decoded.headers['undeliverable_return'], true);
    const payload = decodePayload(decoded.data);
    assert.ok(payload instanceof Undeliverable);
    assertSameEnvelope(payload.envelope, original);
  });

  it('returns the record as bytes when it does not fit in place', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const env = envelope({ data: encodePayload({ blob: 'y'.repeat(2000) }) });
    const target = sharedTarget(256);
    const out = encoder.encodeInto(env, target, 8, target.length);
    assert.ok(out instanceof Uint8Array);
    assertSameEnvelope(decoder.decode(out, 0, out.length), env);
    // the next record fits and refers to the ids the out-of-place record defined
    const small = envelope({ data: new Uint8Array([1, 2, 3]) });
    const end = encoder.encodeInto(small, target, 8, target.length);
    assert.equal(typeof end, 'number');
    assertSameEnvelope(decoder.decode(target, 8, end as number), small);
  });

  it('clears both sides on a reset, after an encode that threw (EC-3)', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    roundTrip(encoder, decoder, envelope());
    const bad = envelope({ headers: { send_timestamp: 1, symbol: Symbol('not serializable') } as unknown as Headers, sender: procA.actorId('never-defined', 1) });
    assert.throws(() => encoder.encodeInto(bad, sharedTarget(), 8, 4096), CodecError);
    // the ring now calls resetEncoder, and the consumer resetDecoder on the reset record
    encoder.resetEncoder();
    decoder.resetDecoder();
    const env = envelope({ headers: { send_timestamp: 2, seq_info: SeqInfo.session('after-reset', 1) } });
    assertSameEnvelope(roundTrip(encoder, decoder, env).decoded, env);
  });

  it('rejects records out of sequence and malformed records with CodecError', T, () => {
    const encoder = new EnvelopeRecordCodec();
    const decoder = new EnvelopeRecordCodec();
    const target = sharedTarget();
    const end = encoder.encodeInto(envelope(), target, 8, target.length) as number;
    decoder.decode(target, 8, end);
    assert.throws(() => decoder.decode(target, 8, end), CodecError, 'the same record twice');
    assert.throws(() => new EnvelopeRecordCodec().decode(new Uint8Array(10), 0, 10), CodecError);
    const fresh = new EnvelopeRecordCodec();
    const second = new EnvelopeRecordCodec();
    second.encodeInto(envelope(), sharedTarget(), 8, 4096);
    const t2 = sharedTarget();
    const e2 = second.encodeInto(envelope(), t2, 8, t2.length) as number;
    assert.throws(() => fresh.decode(t2, 8, e2), CodecError, 'slots never defined for this decoder');
  });

  it('decodes the records a dead consumer never read with a takeover decoder (EC-4)', T, () => {
    const encoder = new EnvelopeRecordCodec({ actorSlots: 4, stringSlots: 8 });
    const consumer = new EnvelopeRecordCodec({ actorSlots: 4, stringSlots: 8 });
    const records: { bytes: Uint8Array; env: MessageEnvelope }[] = [];
    for (let i = 0; i < 60; i++) {
      const env = envelope({
        sender: procA.actorId(`s${i % 7}`, 0),
        dest: procB.actorId(`d${i % 5}`, 0).portId(16),
        headers: { send_timestamp: i, message_type: `m${i % 6}`, seq_info: SeqInfo.session(`sess${i % 3}`, i) },
      });
      const target = sharedTarget(4096);
      const end = encoder.encodeInto(env, target, 0, target.length) as number;
      records.push({ bytes: target.slice(0, end), env });
    }
    for (const r of records.slice(0, 25)) assertSameEnvelope(consumer.decode(r.bytes, 0, r.bytes.length), r.env);
    // the consumer dies here: its tables are gone; the producer's side reads the rest
    const takeover = encoder.takeoverDecoder();
    for (const r of records.slice(25)) assertSameEnvelope(takeover.decode(r.bytes, 0, r.bytes.length), r.env);
  });

  it('rolls a takeover decoder back to the tables of the first unread record (EC-4)', T, () => {
    const encoder = new EnvelopeRecordCodec({ actorSlots: 4, stringSlots: 64 });
    const consumer = new EnvelopeRecordCodec({ actorSlots: 4, stringSlots: 64 });
    const [a, b, c] = ['a', 'b', 'c'].map((name) => procA.actorId(name, 0)) as [ActorId, ActorId, ActorId];
    const plan: [ActorId, ActorId][] = [
      ...Array.from({ length: 5 }, (): [ActorId, ActorId] => [a, b]),
      ...Array.from({ length: 5 }, (): [ActorId, ActorId] => [a, c]),
      // the first unread record: `b` is interned already (no definition in it) ...
      [a, b],
      // ... and later unread records reassign every slot, `b`'s too
      ...Array.from({ length: 12 }, (_, i): [ActorId, ActorId] => [procB.actorId(`e${i}`, 0), procB.actorId(`f${i}`, 0)]),
    ];
    const records = plan.map(([from, to], i) => {
      const env = envelope({ sender: from, dest: to.portId(16), headers: { send_timestamp: i, seq_info: SeqInfo.session('s', i) } });
      const target = sharedTarget(4096);
      const end = encoder.encodeInto(env, target, 0, target.length) as number;
      return { bytes: target.slice(0, end), env };
    });
    for (const r of records.slice(0, 10)) consumer.decode(r.bytes, 0, r.bytes.length);
    const takeover = encoder.takeoverDecoder();
    for (const r of records.slice(10)) assertSameEnvelope(takeover.decode(r.bytes, 0, r.bytes.length), r.env);
  });

  it('carries envelopes through a ring in order, in place and fragmented', T, async () => {
    const ring = RingBuffer.create({ capacity: 64 * 1024 });
    const tx = new RingTx(ring, new EnvelopeRecordCodec());
    const rx = new RingConsumer(RingBuffer.attach(ring.buffer));
    const decoder = new EnvelopeRecordCodec();
    const sent: MessageEnvelope[] = [];
    for (let i = 0; i < 300; i++) {
      const env = envelope({
        sender: procA.actorId(`s${i % 4}`, 0),
        data: encodePayload({ i, blob: i % 50 === 0 ? 'z'.repeat(20_000) : '' }),
        headers: { send_timestamp: i, message_type: 'm', seq_info: SeqInfo.session('s', i + 1) },
      });
      sent.push(env);
      tx.post(env);
    }
    // the ring holds a few of them: the Tx queues the rest and writes them as space frees up
    const flushed = tx.flush();
    const received: MessageEnvelope[] = [];
    while (received.length < sent.length) {
      rx.poll((bytes, start, end) => {
        received.push(decoder.decode(bytes, start, end));
      });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flushed;
    assert.equal(received.length, sent.length);
    received.forEach((env, i) => assertSameEnvelope(env, sent[i] as MessageEnvelope));
    tx.close();
  });
});
