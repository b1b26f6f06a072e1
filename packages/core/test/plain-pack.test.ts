/**
 * The payload fast paths of wire/payload.ts: the plain-data encoder (plain-pack.ts, PP-1..PP-3), the
 * plain-data decoder (plain-unpack.ts, PU-1..PU-4) and the small-payload decode from a reused
 * copy (`decodePayload`). Each is held against msgpackr itself, the codec it stands in for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import {
  ActorId,
  ChannelAddr,
  CodecError,
  ProcId,
} from '../src/index.js';
import {
  decodePayload,
  encodePayload,
} from '../src/transport.js';
import { packPlain } from '../src/wire/plain-pack.js';
import { GIVE_UP, unpackPlain } from '../src/wire/plain-unpack.js';

const T = { timeout: 10_000 };
/** msgpackr with wire/msgpack.ts's options. */
const packr = new Packr({ useRecords: false, moreTypes: true });

/** A deterministic generator (xorshift32), so a failure names a seed that reproduces it. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

const NUMBERS = [0, 1, 31, 32, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1, 2 ** 32, 2 ** 53, -1, -32, -33, -128, -129, -32_768, -32_769, -(2 ** 31), -(2 ** 31) - 1, 0.5, -1.25, 1e300, Number.MAX_VALUE, NaN, Infinity, -Infinity];

/** A random plain value: objects, arrays, ASCII strings of every length class, numbers, booleans, null. */
function plainValue(next: () => number, depth: number): unknown {
  const pick = Math.floor(next() * (depth > 3 ? 5 : 7));
  switch (pick) {
    case 0:
      return NUMBERS[Math.floor(next() * NUMBERS.length)];
    case 1: {
      const length = [0, 5, 31, 32, 255, 256, 1000][Math.floor(next() * 7)] as number;
      let text = '';
      for (let i = 0; i < length; i++) text += String.fromCharCode(32 + Math.floor(next() * 95));
      return text;
    }
    case 2:
      return next() < 0.5;
    case 3:
      return null;
    case 4:
      return Math.floor(next() * 2 ** 32) - 2 ** 31;
    case 5: {
      const object: Record<string, unknown> = {};
      const keys = Math.floor(next() * 20);
      for (let i = 0; i < keys; i++) object[`k${Math.floor(next() * 30)}`] = plainValue(next, depth + 1);
      return object;
    }
    default: {
      const length = [0, 3, 15, 16, 40][Math.floor(next() * 5)] as number;
      return Array.from({ length }, () => plainValue(next, depth + 1));
    }
  }
}

describe('plain-pack: the fast encoder of plain payloads', () => {
  it('PP-1: writes the bytes msgpackr writes, for 2000 random plain values', T, () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const value = plainValue(rng(seed), 0);
      const fast = packPlain(value);
      const reference = packr.pack(value);
      assert.ok(fast !== undefined, `seed ${seed}: plain value of ${reference.length} bytes not taken`); // large ones too (PP-7)
      assert.deepEqual(Buffer.from(fast), Buffer.from(reference), `seed ${seed}`);
    }
  });

  it('PP-1: falls back (undefined) for every value msgpackr gives a meaning beyond plain data', T, () => {
    const proc = new ProcId(ChannelAddr.local(7), 'p');
    class Point {
      constructor(readonly x: number) {}
    }
    const nonPlain: unknown[] = [
      undefined,
      { a: undefined },
      [1, undefined],
      proc,
      { nested: { id: proc } },
      new ActorId(new ProcId(ChannelAddr.local(7), 'prøc'), 'a', 0),
      new Uint8Array([1, 2]),
      new Map([[1, undefined]]), // a Map is written (PP-9, plain-map.test.ts), its values as any others
      new Set([1]),
      new Date(0),
      new Point(1),
      'héllo',
      { ['ключ']: 1 },
      10n,
      Object.create(null),
      () => 1,
    ];
    nonPlain.forEach((value, i) => assert.equal(packPlain(value), undefined, `non-plain value #${i}`));
  });

  it('PP-1: own keys only, as msgpackr filters inherited enumerable ones', T, () => {
    const base = { inherited: 1 };
    const child = Object.create(base) as Record<string, unknown>;
    Object.defineProperty(child, 'constructor', { value: Object, enumerable: false });
    child['own'] = 2;
    const fast = packPlain(child);
    assert.ok(fast !== undefined);
    assert.deepEqual(packr.unpack(fast), { own: 2 });
  });

  it('PP-1: compiled shapes write msgpackr\'s bytes, for each random value sent 20 times (learning, then compiled)', T, () => {
    for (let seed = 1; seed <= 300; seed++) {
      const value = plainValue(rng(seed), 0);
      const reference = Buffer.from(packr.pack(value));
      for (let round = 0; round < 20; round++) {
        const fast = packPlain(value);
        assert.ok(fast !== undefined, `seed ${seed}, round ${round}: not taken`);
        assert.deepEqual(Buffer.from(fast), reference, `seed ${seed}, round ${round}`);
      }
    }
  });

  it('PP-1: an object that differs from a compiled shape (a key more, less, renamed or reordered) is written as itself', T, () => {
    const shape = (seq: number): Record<string, unknown> => ({ type: 'm', seq, payload: { x: 1, y: 'hello' } });
    for (let i = 0; i < 50; i++) packPlain(shape(i)); // compiled at the top level and under `payload`
    const variants: unknown[] = [
      { type: 'm', seq: 1, payload: { x: 1, y: 'hello' }, extra: true },
      { type: 'm', seq: 1 },
      { type: 'm', sequence: 1, payload: { x: 1, y: 'hello' } },
      { seq: 1, type: 'm', payload: { x: 1, y: 'hello' } },
      { type: 'm', seq: 1, payload: { x: 1 } },
      { type: 'm', seq: 1, payload: { y: 'hello', x: 1 } },
      { type: 'm', seq: 1, payload: [1, 2] },
      { type: 'm', seq: 1.5, payload: { x: -70_000, y: 'x'.repeat(40) } },
      {},
    ];
    for (const value of variants) {
      assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)), JSON.stringify(value));
    }
  });

  it('PP-1: a compiled shape still gives up on a value it cannot write (the whole message goes to msgpackr)', T, () => {
    for (let i = 0; i < 50; i++) packPlain({ id: i, name: 'n' });
    const proc = new ProcId(ChannelAddr.local(7), 'p');
    assert.equal(packPlain({ id: proc, name: 'n' }), undefined);
    assert.equal(packPlain({ id: 1, name: 'ñ' }), undefined);
    const long = { id: 1, name: 'x'.repeat(5000) }; // too large for the slab: written as a large value (PP-7)
    assert.deepEqual(Buffer.from(packPlain(long) as Uint8Array), Buffer.from(packr.pack(long)));
  });

  it('PP-4: a position that sees many shapes keeps writing each correctly past its compiled writers', T, () => {
    for (let round = 0; round < 20; round++) {
      for (let kind = 0; kind < 12; kind++) {
        const value = { [`kind${kind}`]: kind, round, nested: { [`n${kind}`]: [kind, { deep: kind }] } };
        assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)));
      }
    }
  });

  it('PP-4: keys are bytes in compiled writers, never code', T, () => {
    const hostile = { "'); throw new Error('x'); ('": 1, '${process.exit(3)}': 2, '\\': 3, '`': 4 };
    for (let i = 0; i < 20; i++) assert.deepEqual(Buffer.from(packPlain(hostile) as Uint8Array), Buffer.from(packr.pack(hostile)));
  });

  it('PP-2: views already returned keep their bytes while later encodings fill new slabs', T, () => {
    const first = packPlain({ n: 1, text: 'first' });
    assert.ok(first !== undefined);
    const copy = Buffer.from(first);
    for (let i = 0; i < 100_000; i++) packPlain({ n: i, text: 'x'.repeat(i % 200) });
    assert.deepEqual(Buffer.from(first), copy);
  });

  it('PP-3: a value given up on halfway leaves the next encoding intact', T, () => {
    assert.equal(packPlain({ a: 1, b: 'x'.repeat(100), c: new Date(0) }), undefined);
    const next = packPlain({ z: 26 });
    assert.ok(next !== undefined);
    assert.deepEqual(packr.unpack(next), { z: 26 });
  });

  it('encodePayload round-trips values on both paths (fast and msgpackr) through decodePayload', T, () => {
    const proc = new ProcId(ChannelAddr.local(7), 'p');
    const values: unknown[] = [{ type: 'm', seq: 1, payload: { x: 1, y: 'hello' } }, { who: new ActorId(proc, 'a', 3), tags: ['ü'] }, [1, 2, 3], 'plain'];
    for (const value of values) assert.deepEqual(decodePayload(encodePayload(value)), value);
  });
});

describe('decodePayload: small payloads from a reused copy', () => {
  it('binary values decoded from small payloads do not share the reused buffer', T, () => {
    const first = decodePayload(encodePayload({ bytes: new Uint8Array([1, 2, 3]) })) as { bytes: Uint8Array };
    decodePayload(encodePayload({ bytes: new Uint8Array([9, 9, 9]) }));
    assert.deepEqual([...first.bytes], [1, 2, 3]);
  });

  it('decodes a view into a larger buffer (a slab or ring copy) by its own bytes only', T, () => {
    const a = packr.pack({ a: 1 });
    const b = packr.pack({ b: 'two' });
    const joined = new Uint8Array(a.length + b.length + 3);
    joined.set(a, 1);
    joined.set(b, 1 + a.length);
    assert.deepEqual(decodePayload(joined.subarray(1 + a.length, 1 + a.length + b.length)), { b: 'two' });
    assert.deepEqual(decodePayload(joined.subarray(1, 1 + a.length)), { a: 1 });
  });

  it('CO-2: trailing or missing bytes are a deserialize error on the small path', T, () => {
    const bytes = packr.pack({ a: 1 });
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    for (const bad of [longer, bytes.subarray(0, bytes.length - 1), new Uint8Array(0)]) {
      assert.throws(() => decodePayload(bad), (err: unknown) => err instanceof CodecError && err.code === 'deserialize');
    }
  });

  it('payloads larger than the reused copy decode as before', T, () => {
    const value = { text: 'y'.repeat(5000), list: Array.from({ length: 300 }, (_, i) => i) };
    assert.deepEqual(decodePayload(encodePayload(value)), value);
  });
});

describe('plain-unpack: the fast decoder of plain payloads', () => {
  it('PU-1: decodes what msgpackr decodes, for 2000 random plain values (each twice: learning, then compiled)', T, () => {
    for (let seed = 1; seed <= 2000; seed++) {
      const bytes = packr.pack(plainValue(rng(seed), 0));
      const expected: unknown = packr.unpack(bytes);
      for (let round = 0; round < 2; round++) assert.deepEqual(unpackPlain(bytes), expected, `seed ${seed}, round ${round}`);
    }
  });

  it('PU-1: objects built by compiled shapes equal msgpackr\'s, key order included, as the schema changes', T, () => {
    const shapes = [{ type: 'a', n: 1 }, { type: 'b', m: { deep: [1, { k: 'v' }] } }, { other: true }];
    for (let i = 0; i < 300; i++) {
      const value = shapes[Math.floor(i / 100)] as object;
      const decoded = unpackPlain(packr.pack(value));
      assert.deepEqual(decoded, value);
      assert.deepEqual(Object.keys(decoded as object), Object.keys(value));
    }
  });

  it('PU-1: a position\'s predicted string gives way to whatever the bytes say', T, () => {
    const values = ['ping', 'ping', 'pong', 'pin', 'pinga', 'ping', '', 'ping'];
    for (let round = 0; round < 3; round++) {
      for (const type of values) assert.deepEqual(unpackPlain(packr.pack({ type, n: round })), { type, n: round });
    }
  });

  it('PU-1: a repeated key keeps msgpackr\'s later-wins value and first position', T, () => {
    // {a: 1, b: 2, a: 3} written by hand: map16 of three entries
    const bytes = Uint8Array.from([0xde, 0, 3, 0xa1, 0x61, 1, 0xa1, 0x62, 2, 0xa1, 0x61, 3]);
    for (let i = 0; i < 20; i++) {
      const decoded = unpackPlain(bytes);
      assert.deepEqual(decoded, packr.unpack(bytes));
      assert.deepEqual(Object.keys(decoded as object), ['a', 'b']);
    }
  });

  it('gives up on everything beyond plain ASCII data, and msgpackr decodes it', T, () => {
    const proc = new ProcId(ChannelAddr.local(7), 'p');
    const values: unknown[] = [
      { id: proc },
      { bytes: new Uint8Array([1]) },
      { text: 'ünïcode' },
      { ['ключ']: 1 },
      { big: 2n ** 40n },
      [undefined],
      new Set([1]),
    ];
    values.forEach((value, i) => {
      const bytes = encodePayload(value);
      assert.equal(unpackPlain(bytes), GIVE_UP, `value #${i}`);
      assert.deepEqual(decodePayload(bytes), packr.unpack(bytes), `value #${i}`);
    });
  });

  it('PU-4: gives up on the key __proto__ (msgpackr renames it; a literal would set the prototype)', T, () => {
    const bytes = Uint8Array.from([0x81, 0xa9, ...Buffer.from('__proto__'), 1]);
    for (let i = 0; i < 20; i++) assert.equal(unpackPlain(bytes), GIVE_UP);
    assert.deepEqual(decodePayload(bytes), packr.unpack(bytes));
  });

  it('PU-2: gives up on every truncation and on trailing bytes, never reading past the end', T, () => {
    const bytes = packr.pack({ type: 'm', seq: 70_000, f: 1.5, list: [-200, -40_000, 'text'], nested: { y: 'hello' } });
    for (let cut = 0; cut < bytes.length; cut++) assert.equal(unpackPlain(bytes.subarray(0, cut)), GIVE_UP, `cut at ${cut}`);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assert.equal(unpackPlain(longer), GIVE_UP);
  });

  it('PU-3: keeps decoding correctly past its trie budget (maps with ever-new keys)', T, () => {
    for (let i = 0; i < 3000; i++) {
      const value: Record<string, number> = {};
      for (let k = 0; k < 10; k++) value[`key_${i}_${k}`] = k;
      assert.deepEqual(unpackPlain(packr.pack(value)), value);
    }
  });
});
