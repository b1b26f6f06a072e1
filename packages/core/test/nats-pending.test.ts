/**
 * The pending ring of a `nats:` Tx (channel/nats/pending.ts): every pending message is found at
 * its seq while the ring wraps and grows (PR-1, PR-3); taking messages off the head calls their
 * ack callbacks once, in order, and `drain` returns what is left, oldest first (PR-2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PendingRing } from '../src/channel/nats/pending.js';
import type { ReturnCallback } from '../src/channel/types.js';
import { prng } from '../src/testing.js';

const T = { timeout: 10_000 };

describe('nats pending ring', () => {
  it('PR-1, PR-3: each pending seq keeps its fields while the ring wraps and grows', T, () => {
    const rand = prng(7);
    const ring = new PendingRing<string>();
    const slabs = [new Uint8Array(8), new Uint8Array(8)];
    let checked = 0;
    for (let round = 0; round < 40; round++) {
      const posts = Math.floor(rand() * 900);
      for (let k = 0; k < posts; k++) {
        const s = ring.tail;
        ring.push(`m${s}`, undefined, undefined, slabs[s % 2]!, s % 1000, (s % 1000) + 7, s % 3 === 0, s * 0.5);
      }
      for (let s = ring.head; s < ring.tail; s++) {
        assert.equal(ring.buf(s), slabs[s % 2]);
        assert.equal(ring.start(s), s % 1000);
        assert.equal(ring.end(s), (s % 1000) + 7);
        assert.equal(ring.opensFrame(s), s % 3 === 0);
        assert.equal(ring.postedAt(s), s * 0.5);
        checked++;
      }
      ring.shiftTo(ring.head + Math.floor(rand() * ring.size)); // the head moves: the ring wraps
    }
    assert.ok(ring.size > 1024, `grew past its first capacity while wrapped (size ${ring.size})`);
    assert.ok(checked > 10_000);
    const left = ring.drain().map((p) => p.message);
    assert.deepEqual(left, Array.from({ length: left.length }, (_, k) => `m${ring.tail - left.length + k}`));
    assert.equal(ring.size, 0);
  });

  it('PR-2: shiftTo calls each ack callback once, in seq order; drain returns the rest with their return callbacks', T, () => {
    const ring = new PendingRing<number>();
    const acked: number[] = [];
    const onReturn: ReturnCallback<number> = () => {};
    const slab = new Uint8Array(4);
    for (let s = 0; s < 3000; s++) ring.push(s, onReturn, s % 2 === 0 ? () => acked.push(s) : undefined, slab, 0, 4, false, 0);
    ring.shiftTo(1500);
    ring.shiftTo(1200); // behind the head: nothing
    assert.deepEqual(acked, Array.from({ length: 750 }, (_, k) => 2 * k));
    const left = ring.drain();
    assert.equal(left.length, 1500);
    assert.equal(left[0]!.message, 1500);
    assert.equal(left[1499]!.message, 2999);
    assert.ok(left.every((p) => p.onReturn === onReturn));
    assert.equal(acked.length, 750, 'drain calls no ack callback');
  });
});
