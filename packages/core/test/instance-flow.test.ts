/**
 * IF-1 (actor/flow.ts): an instance's flow-control state is made on first need (the first hold a
 * gate puts on it, or the first push over the high watermark), not at spawn: an actor that is never
 * muted and never lags has none, with flow control on.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Proc } from '../src/index.js';
import type { ActorHandle } from '../src/actor/instance.js';
import { deferred } from './fixtures/actors.js';
import { Peer, type PeerMsg } from './fixtures/flow-actors.js';

const T = { timeout: 30_000 };
const HIGH = 64;
const limits = { flowHighWatermark: HIGH, flowLowWatermark: 16, flowStallMs: 3_600_000 };

/** Has the instance behind `handle` made its flow state? */
function hasFlowState(proc: Proc, handle: ActorHandle<PeerMsg>): boolean {
  const cell = proc.getInstance(handle.actorId);
  assert.ok(cell !== undefined, 'the actor is live');
  return cell.instance.flowState !== undefined;
}

/** A producer sends `total` items to a slow consumer in chunks of 8; resolves once all arrived. */
async function run(total: number): Promise<{ proc: Proc; producer: ActorHandle<PeerMsg>; consumer: ActorHandle<PeerMsg> }> {
  const proc = Proc.local({ config: limits });
  const [client] = proc.instance('client');
  const done = deferred();
  const consumer = proc.spawn('consumer', new Peer('consumer', { expect: total, done: done.resolve, slow: true }));
  const producer = proc.spawn('producer', new Peer('producer'));
  producer.send(client, { type: 'flood', to: consumer, total, chunk: 8 });
  await done.promise;
  return { proc, producer, consumer };
}

describe('lazy flow state (IF-1)', () => {
  it('IF-1: a freshly spawned actor has no flow state, with flow control on', T, () => {
    const proc = Proc.local({ config: limits });
    const idle = proc.spawn('idle', new Peer('idle'));
    assert.equal(hasFlowState(proc, idle), false);
  });

  it('IF-1: sending, and a queue that stays under the high watermark, make none', T, async () => {
    const { proc, producer, consumer } = await run(HIGH / 2);
    assert.equal(hasFlowState(proc, producer), false, 'the sender was never held');
    assert.equal(hasFlowState(proc, consumer), false, 'the queue never went over high');
  });

  it('IF-1: a flood makes it on both sides: the consumer went over high, the producer was held', T, async () => {
    const { proc, producer, consumer } = await run(3_000);
    assert.equal(hasFlowState(proc, consumer), true);
    assert.equal(hasFlowState(proc, producer), true);
  });
});
