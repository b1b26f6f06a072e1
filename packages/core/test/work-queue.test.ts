/**
 * `WorkQueue` (actor/work-queue.ts): FIFO across chunks (WQ-1), and the sender of a handler
 * message carried in the tag slot (WQ-3): `shift()` gives back what `push` was given; chunks
 * allocated lazily and growing (WQ-4) keep both. (What WQ-4 saves in heap is measured in
 * benchmarks/savina/actor-cost.ts, not asserted here.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelAddr, ProcId } from '../src/index.js';
import { MESSAGE_TAG, WorkQueue } from '../src/actor/work-queue.js';
import { DIRECT_HEADERS } from '../src/mailbox/envelope.js';

const sender = new ProcId(ChannelAddr.local(1), 'p').actorId('a');

describe('WorkQueue', () => {
  it('WQ-3: a handler message keeps its sender; other tags and unknown senders come back without one', () => {
    const q = new WorkQueue();
    q.push(MESSAGE_TAG, 'from a', DIRECT_HEADERS, sender);
    q.push(1, 'returned', DIRECT_HEADERS, sender);
    q.push(MESSAGE_TAG, 'anonymous', DIRECT_HEADERS);
    const got: [number, unknown, unknown][] = [];
    while (q.shift()) got.push([q.tag, q.message, q.sender]);
    assert.deepEqual(got, [
      [MESSAGE_TAG, 'from a', sender],
      [1, 'returned', undefined],
      [MESSAGE_TAG, 'anonymous', undefined],
    ]);
  });

  it('WQ-1: 5,000 items across chunks come out in push order, each once', () => {
    const q = new WorkQueue();
    for (let i = 0; i < 5_000; i++) q.push(MESSAGE_TAG, i, DIRECT_HEADERS, i % 2 === 0 ? sender : undefined);
    let next = 0;
    while (q.shift()) {
      assert.equal(q.message, next);
      assert.equal(q.sender, next % 2 === 0 ? sender : undefined);
      next++;
    }
    assert.equal(next, 5_000);
  });

  it('WQ-4: pushes and shifts interleaved across growing chunks, then clear() and reuse, keep FIFO', () => {
    const q = new WorkQueue();
    assert.equal(q.shift(), false);
    let pushed = 0;
    let next = 0;
    // bursts of growing size with partial drains: chunks of 8, 16, ... items, spares of every size
    for (let burst = 1; burst <= 3_000; burst = burst * 2 + 1) {
      for (let i = 0; i < burst; i++) q.push(MESSAGE_TAG, pushed++, DIRECT_HEADERS);
      for (let i = 0; i < burst / 2 && q.shift(); i++) assert.equal(q.message, next++);
    }
    while (q.shift()) assert.equal(q.message, next++);
    assert.equal(next, pushed);
    q.push(MESSAGE_TAG, 'dropped', DIRECT_HEADERS);
    assert.equal(q.clear(), 1);
    assert.equal(q.shift(), false);
    q.push(MESSAGE_TAG, 'after clear', DIRECT_HEADERS, sender);
    assert.equal(q.shift(), true);
    assert.deepEqual([q.message, q.sender, q.size], ['after clear', sender, 0]);
  });
});
