/**
 * Large plain values on the payload fast paths (issue 16, "large structured messages"): the
 * encoder's grow-on-demand buffer (plain-pack.ts PP-7, PP-8) and the decoder's wide maps and
 * 32-bit headers (plain-unpack.ts PU-5, PU-7), held against msgpackr, the codec they stand in for.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { CodecError } from '../src/index.js';
import { decodePayload, encodePayload } from '../src/transport.js';
import { packPlain } from '../src/wire/plain-pack.js';
import { GIVE_UP, unpackPlain } from '../src/wire/plain-unpack.js';

const T = { timeout: 60_000 };
/** msgpackr with wire/msgpack.ts's options, and the variant that writes map32 (its map16 writer refuses wide objects). */
const packr = new Packr({ useRecords: false, moreTypes: true });
const widePackr = new Packr({ useRecords: false, moreTypes: true, variableMapSize: true });

/** Word counts as one object: `n` keys of ASCII words (the shape of the structured bench). */
function wordCounts(n: number): Record<string, number> {
  const object: Record<string, number> = {};
  for (let i = 0; i < n; i++) object[`w${i.toString(36)}x`] = (i * 7919) % 1000;
  return object;
}

describe('plain-pack: large values (PP-7, PP-8)', () => {
  it('PP-7: an object of 70,000 keys is one map32, the bytes msgpackr writes with variableMapSize', T, () => {
    const value = wordCounts(70_000);
    const fast = packPlain(value);
    assert.ok(fast !== undefined);
    assert.equal(fast[0], 0xdf);
    assert.deepEqual(Buffer.from(fast), Buffer.from(widePackr.pack(value)));
    assert.throws(() => packr.pack(value)); // msgpackr's map16 writer (the one PP-1 matches) refuses it
  });

  it('PP-7: msgpackr decodes a 70,000-key object to the value, keys in order', T, () => {
    const value = wordCounts(70_000);
    const decoded = packr.unpack(packPlain(value) as Uint8Array) as Record<string, number>;
    assert.deepEqual(decoded, value);
    assert.deepEqual(Object.keys(decoded), Object.keys(value));
  });

  it('PP-7: an array of 70,000 elements and a string of 70,000 bytes are msgpackr\'s array32 and str32', T, () => {
    const values: unknown[] = [Array.from({ length: 70_000 }, (_, i) => i * 3 - 1000), 'a'.repeat(70_000), { text: 'b'.repeat(65_536), list: Array.from({ length: 65_536 }, (_, i) => ({ i })) }];
    for (const value of values) assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)));
  });

  it('PP-7: a large value under compiled shapes writes msgpackr\'s bytes (the encoding moves mid-writer)', T, () => {
    const shaped = (items: unknown[], tail: string): unknown => ({ type: 'reply', items, tail, after: { n: items.length } });
    for (let i = 0; i < 30; i++) packPlain(shaped([{ word: 'a', count: i }], 'x')); // compiled at every level
    for (const size of [200, 5_000, 70_000]) {
      const value = shaped(Array.from({ length: size }, (_, i) => ({ word: `w${i}`, count: i })), 't'.repeat(size % 300));
      assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)), `${size} items`);
    }
  });

  it('PP-7: a child that moves the encoding without passing the slab\'s bound keeps its parent\'s next key', T, () => {
    // the number lands just before the 4 KiB bound (room reserved for a float64 moves the encoding)
    for (let pad = 4060; pad < 4100; pad++) {
      const value = { a: 'p'.repeat(pad), b: 1, c: 'end' };
      for (let i = 0; i < 10; i++) packPlain({ a: 'q', b: i, c: 'e' }); // compile {a, b, c}
      assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)), `pad ${pad}`);
    }
  });

  it('PP-2, PP-3: a large value has a buffer of its own; small encodings before and after keep theirs', T, () => {
    const before = packPlain({ n: 1 }) as Uint8Array;
    const copy = Buffer.from(before);
    const big = packPlain(wordCounts(20_000)) as Uint8Array;
    assert.notEqual(big.buffer, before.buffer);
    const after = packPlain({ n: 2 }) as Uint8Array;
    assert.equal(after.buffer, before.buffer);
    assert.deepEqual(Buffer.from(before), copy);
    assert.deepEqual(packr.unpack(after), { n: 2 });
    assert.deepEqual(packr.unpack(big), wordCounts(20_000));
  });

  it('PP-8: a circular large value is given up on, and the send names the cycle', T, () => {
    const loop: Record<string, unknown> = { text: 'y'.repeat(5000) };
    loop['left'] = loop;
    loop['right'] = loop; // without PP-8 a fan-out of two would write 2^32 copies
    assert.equal(packPlain(loop), undefined);
    assert.throws(
      () => encodePayload(loop),
      (err: unknown) => err instanceof CodecError && err.code === 'unsendable' && /circular/.test(err.message),
    );
    assert.deepEqual(packr.unpack(packPlain({ z: 1 }) as Uint8Array), { z: 1 }); // the slab is intact
  });

  it('PP-8: a value shared twice (not circular) is written twice, as msgpackr does', T, () => {
    const shared = { words: Array.from({ length: 3000 }, (_, i) => `s${i}`) };
    const value = { a: shared, b: [shared, shared] };
    assert.deepEqual(Buffer.from(packPlain(value) as Uint8Array), Buffer.from(packr.pack(value)));
  });

  it('a large value with non-ASCII text goes to msgpackr and round-trips', T, () => {
    const value = { ...wordCounts(5000), café: 1 };
    assert.equal(packPlain(value), undefined);
    assert.deepEqual(decodePayload(encodePayload(value)), value);
  });
});

describe('plain-unpack: large values (PU-5, PU-7)', () => {
  it('PU-7: a 70,000-key map32 decodes to what msgpackr decodes, keys in order', T, () => {
    const bytes = widePackr.pack(wordCounts(70_000));
    const decoded = unpackPlain(bytes);
    assert.notEqual(decoded, GIVE_UP);
    assert.deepEqual(decoded, packr.unpack(bytes));
    assert.deepEqual(Object.keys(decoded as object), Object.keys(wordCounts(70_000)));
  });

  it('PU-7: a wide map keeps msgpackr\'s later-wins value and first position for a repeated key', T, () => {
    const value = wordCounts(100);
    const bytes = Buffer.concat([Buffer.from([0xde, 0, 101]), packr.pack(value).subarray(3), packr.pack('w0x'), packr.pack(-5)]);
    const decoded = unpackPlain(bytes) as Record<string, number>;
    assert.deepEqual(decoded, packr.unpack(bytes));
    assert.equal(decoded['w0x'], -5);
    assert.equal(Object.keys(decoded)[0], 'w0x');
  });

  it('PU-7: a wide map with the key __proto__ is given up on', T, () => {
    const value = wordCounts(100);
    const bytes = Buffer.concat([Buffer.from([0xde, 0, 101]), packr.pack(value).subarray(3), packr.pack('__proto__'), packr.pack(1)]);
    assert.equal(unpackPlain(bytes), GIVE_UP);
  });

  it('PU-7: array32 and str32 decode to what msgpackr decodes', T, () => {
    for (const value of [Array.from({ length: 70_000 }, (_, i) => i), 'z'.repeat(70_000), { list: Array.from({ length: 70_000 }, (_, i) => ({ i, s: 'k' })) }]) {
      const bytes = packr.pack(value);
      assert.deepEqual(unpackPlain(bytes), packr.unpack(bytes));
    }
  });

  it('PU-5: 32-bit headers claiming more than the bytes hold are given up on, and decodePayload throws a CodecError', T, () => {
    const hostile = [
      Uint8Array.from([0xdf, 0xff, 0xff, 0xff, 0xff, 0xa1, 0x61, 1]),
      Uint8Array.from([0xdd, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
      Uint8Array.from([0xdb, 0xff, 0xff, 0xff, 0xff, 0x61]),
      Uint8Array.from([0xdd, 0, 0, 0, 3, 0xdd, 0, 0, 0, 3, 0xdd, 0, 0, 0, 3, 1]), // nested, each within the bytes left
    ];
    for (const bytes of hostile) {
      assert.equal(unpackPlain(bytes), GIVE_UP);
      assert.throws(() => decodePayload(bytes), (err: unknown) => err instanceof CodecError);
    }
  });

  it('PU-2: a large value cut anywhere is given up on', T, () => {
    const bytes = packPlain({ ...wordCounts(70_000), tail: 'x'.repeat(70_000) }) as Uint8Array;
    for (const cut of [0, 1, 3, 5, 6, 1000, bytes.length - 70_001, bytes.length - 1]) assert.equal(unpackPlain(bytes.subarray(0, cut)), GIVE_UP, `cut at ${cut}`);
  });

  it('encodePayload and decodePayload round-trip a 70,000-key object on the fast paths', T, () => {
    const value = wordCounts(70_000);
    const bytes = encodePayload(value);
    assert.notEqual(unpackPlain(bytes), GIVE_UP);
    assert.deepEqual(decodePayload(bytes), value);
  });
});
