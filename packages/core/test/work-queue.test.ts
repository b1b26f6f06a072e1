/**
 * `WorkQueue` (actor/work-queue.ts): FIFO across chunks (WQ-1), and the sender of a handler
 * message carried in the tag slot (WQ-3): `shift()` gives back what `push` was given.
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
});
