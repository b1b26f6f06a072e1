/**
 * `Map`s on the payload fast paths (issue 16, "large structured messages": a word-count reply of
 * 600k entries as a `Map`): the encoder's Map writer (plain-pack.ts PP-9) and the decoder's Map
 * reader (plain-unpack.ts PU-8), held against what they stand in for: the sending walk's
 * `SendableMap` packed by msgpackr (msgpack.ts, EXT.MAP), and msgpackr's decode of those bytes.
 * Also the large-value pieces the pipeline's request needs: a reply port after a long text (PP-5
 * in a large value) and long texts written in one call.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { ActorId, ChannelAddr, CodecError, OncePortRef, PortId, ProcId } from '../src/index.js';
import { decodePayload, encodePayload } from '../src/transport.js';
import { EXT } from '../src/wire/msgpack.js';
import { packPlain } from '../src/wire/plain-pack.js';
import { GIVE_UP, unpackPlain } from '../src/wire/plain-unpack.js';
import { prepareSendable } from '../src/wire/sendable.js';

const T = { timeout: 60_000 };
/** msgpackr with wire/msgpack.ts's options (the extensions msgpack.ts registers are global). */
const packr = new Packr({ useRecords: false, moreTypes: true });

/** What the fast path stands in for: the walk (a Map becomes a SendableMap), then msgpackr. */
function reference(value: unknown): Buffer {
  return Buffer.from(packr.pack(prepareSendable(value)));
}

/** Word counts as a Map: `n` ASCII words (the shape of the structured bench's replies). */
function wordCounts(n: number): Map<string, number> {
  const map = new Map<string, number>();
  for (let i = 0; i < n; i++) map.set(`w${i.toString(36)}x`, (i * 7919) % 1000);
  return map;
}

function entries(value: unknown): unknown[] {
  assert.ok(value instanceof Map);
  return [...value.entries()];
}

describe('plain-pack: Maps (PP-9)', () => {
  it('PP-9: the MAP extension code is msgpack.ts\'s', T, () => {
    const bytes = packPlain(new Map([['a', 1]])) as Uint8Array;
    assert.deepEqual([...bytes.subarray(0, 3)], [0xd4, EXT.MAP, 0]);
  });

  it('PP-9: a Map of 70,000 word counts is the bytes msgpackr writes for the walk\'s SendableMap (array32)', T, () => {
    const value = wordCounts(70_000);
    const fast = packPlain(value);
    assert.ok(fast !== undefined);
    assert.equal(fast[3], 0xdd);
    assert.deepEqual(Buffer.from(fast), reference(value));
  });

  it('PP-9: small and nested Maps (number, object and Map keys, object values) are msgpackr\'s bytes, learning and compiled', T, () => {
    const values: unknown[] = [
      new Map(),
      new Map<unknown, unknown>([[1, 'one'], ['two', 2], [-3.5, null], [true, [1, 2]]]),
      { type: 'counts', counts: new Map([['a', { n: 1, s: 'x' }], ['b', { n: 2, s: 'y' }]]) },
      new Map<unknown, unknown>([[{ k: 1 }, 'object key'], [new Map([[1, 2]]), 'map key'], ['nested', new Map([['deep', new Map([[0, 0]])]])]]),
      new Map(Array.from({ length: 20 }, (_, i) => [`k${i}`, { i, half: i / 2 }] as const)),
      [new Map([['x', 1]]), new Map([['y', 2]])],
    ];
    values.forEach((value, i) => {
      const expected = reference(value);
      for (let round = 0; round < 20; round++) assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), expected, `value #${i}, round ${round}`);
    });
  });

  it('PP-9: a Map subclass, a fake Map, and Maps holding non-plain values are given up on', T, () => {
    class Counts extends Map<string, number> {}
    const fake = Object.create(Map.prototype) as Map<string, number>;
    const values: unknown[] = [new Counts([['a', 1]]), fake, { m: fake }, new Map([['k', undefined]]), new Map([['é', 1]]), new Map([[1n, 1]]), new Map([['p', new ProcId(ChannelAddr.local(1), 'p')]])];
    values.forEach((value, i) => assert.equal(packPlain(value), undefined, `value #${i}`));
  });

  it('PP-9: a fake Map sent is a CodecError (unsendable), not a TypeError', T, () => {
    const fake = Object.create(Map.prototype) as Map<string, number>;
    assert.throws(
      () => encodePayload({ counts: fake }),
      (err: unknown) => err instanceof CodecError && err.code === 'unsendable',
    );
  });

  it('PP-9: a Map whose size changes while it is written is given up on', T, () => {
    const map = new Map<string, unknown>();
    map.set('a', {
      get value(): number {
        map.delete('b');
        return 1;
      },
    });
    map.set('b', 2);
    assert.equal(packPlain(map), undefined);
  });

  it('PP-8, PP-9: a circular large Map is given up on, and the send names the cycle', T, () => {
    const map = wordCounts(5000) as Map<string, unknown>;
    map.set('self', map);
    assert.equal(packPlain(map), undefined);
    assert.throws(
      () => encodePayload(map),
      (err: unknown) => err instanceof CodecError && err.code === 'unsendable' && /circular/.test(err.message),
    );
  });
});

describe('plain-unpack: Maps (PU-8)', () => {
  it('PU-8: a 70,000-entry Map decodes to msgpackr\'s Map, entries in order', T, () => {
    const value = wordCounts(70_000);
    const bytes = reference(value);
    const decoded = unpackPlain(bytes);
    assert.notEqual(decoded, GIVE_UP);
    assert.deepEqual(entries(decoded), entries(packr.unpack(bytes)));
    assert.deepEqual(entries(decoded), [...value.entries()]);
  });

  it('PU-8: small and nested Maps decode to what msgpackr decodes', T, () => {
    const values: unknown[] = [
      new Map(),
      new Map<unknown, unknown>([[1, 'one'], ['two', 2], [null, false]]),
      { counts: new Map([['a', { n: 1 }], ['b', { n: 2 }]]), after: 'x' },
      new Map<unknown, unknown>([[{ k: 1 }, 'object key'], ['nested', new Map([['deep', [1, 2, 3]]])]]),
    ];
    values.forEach((value, i) => {
      const bytes = reference(value);
      for (let round = 0; round < 12; round++) {
        const decoded = unpackPlain(bytes);
        assert.notEqual(decoded, GIVE_UP, `value #${i}`);
        assert.deepEqual(decoded, packr.unpack(bytes), `value #${i}, round ${round}`);
      }
    });
  });

  it('PU-8: a repeated key keeps its first position and the later value, as msgpackr\'s Map.set does', T, () => {
    for (const n of [2, 200]) {
      const flat = Buffer.concat(Array.from(wordCounts(n), ([k, v]) => Buffer.concat([packr.pack(k), packr.pack(v)])));
      const count = 2 * n + 2;
      const bytes = Buffer.concat([Buffer.from([0xd4, EXT.MAP, 0, 0xdc, count >>> 8, count & 0xff]), flat, packr.pack('w0x'), packr.pack(-7)]);
      const decoded = unpackPlain(bytes);
      assert.deepEqual(entries(decoded), entries(packr.unpack(bytes)), `${n} entries`);
      assert.equal((decoded as Map<string, number>).get('w0x'), -7);
      assert.equal(entries(decoded)[0] instanceof Array && (entries(decoded)[0] as unknown[])[0], 'w0x');
    }
  });

  it('PU-8: the key __proto__ is an ordinary Map key', T, () => {
    const value = new Map([['__proto__', 1], ['b', 2]]);
    const decoded = unpackPlain(reference(value)) as Map<string, number>;
    assert.deepEqual(entries(decoded), [['__proto__', 1], ['b', 2]]);
    assert.equal(Object.getPrototypeOf(decoded), Map.prototype);
  });

  it('PU-5, PU-8: malformed Maps (odd count, counts beyond the bytes, cut) are given up on, and decodePayload throws a CodecError', T, () => {
    const hostile = [
      Uint8Array.from([0xd4, EXT.MAP, 0, 0x93, 1, 2, 3]),
      Uint8Array.from([0xd4, EXT.MAP, 0, 0xdd, 0xff, 0xff, 0xff, 0xfe, 1, 2]),
      Uint8Array.from([0xd4, EXT.MAP, 0, 0xdd, 0, 0, 0, 4, 0xd4, EXT.MAP, 0, 0xdd, 0, 0, 0, 4, 1, 2]), // nested, each within the bytes left
      Uint8Array.from([0xd4, EXT.MAP, 0, 0xa1]),
      Uint8Array.from([0xd4, EXT.MAP]),
    ];
    hostile.forEach((bytes, i) => {
      assert.equal(unpackPlain(bytes), GIVE_UP, `input #${i}`);
      assert.throws(() => decodePayload(bytes), (err: unknown) => err instanceof CodecError, `input #${i}`);
    });
  });

  it('PU-8: a filler byte other than 0 is left to msgpackr (which skips it)', T, () => {
    const bytes = Uint8Array.from([0xd4, EXT.MAP, 1, 0x92, 1, 2]);
    assert.equal(unpackPlain(bytes), GIVE_UP);
    assert.deepEqual(entries(decodePayload(bytes)), [[1, 2]]);
  });

  it('PU-2, PU-8: a large Map cut anywhere is given up on', T, () => {
    const bytes = packPlain(wordCounts(70_000)) as Uint8Array;
    for (const cut of [1, 3, 4, 8, 9, 1000, bytes.length - 1]) assert.equal(unpackPlain(bytes.subarray(0, cut)), GIVE_UP, `cut at ${cut}`);
  });

  it('encodePayload and decodePayload round-trip a 600,000-entry Map on the fast paths', T, () => {
    const value = wordCounts(600_000);
    const bytes = encodePayload(value);
    assert.deepEqual(Buffer.from(bytes.subarray(0, 4)), Buffer.from([0xd4, EXT.MAP, 0, 0xdd]));
    const decoded = decodePayload(bytes);
    assert.ok(decoded instanceof Map);
    assert.equal(decoded.size, value.size);
    assert.deepEqual(entries(decoded), [...value.entries()]);
  });
});

describe('plain-pack: a large request (PP-5, PP-7)', () => {
  const proc = new ProcId(ChannelAddr.local(3), 'main');
  const reply = new OncePortRef(new PortId(new ActorId(proc, 'client', 0), 12), true);

  it('PP-5, PP-7: a reply port after a long text is written by the fast path, msgpackr\'s bytes', T, () => {
    const value = { type: 'count', text: 'word '.repeat(200_000), reply };
    const fast = packPlain(value);
    assert.ok(fast !== undefined);
    assert.deepEqual(Buffer.from(fast), Buffer.from(packr.pack(value)));
    const decoded = unpackPlain(fast) as typeof value;
    assert.equal(decoded.text, value.text);
    assert.ok(decoded.reply instanceof OncePortRef);
    assert.equal(String(decoded.reply.portId), String(reply.portId));
  });

  it('PP-5: a ref that passes the slab\'s bound moves the encoding instead of giving up', T, () => {
    for (let pad = 3800; pad < 4100; pad += 7) {
      const value = { text: 'p'.repeat(pad), reply };
      assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)), `pad ${pad}`);
    }
  });

  it('PP-7: long ASCII texts written in one call are msgpackr\'s bytes at every length around the bounds', T, () => {
    for (const length of [511, 512, 513, 4095, 4096, 65_535, 65_536, 100_000]) {
      const value = ['a', 'x'.repeat(length), 'z'];
      assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)), `length ${length}`);
    }
  });
});
