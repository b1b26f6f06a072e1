/**
 * Flow control across workers (mailbox/flow.ts FC-1, FC-6; issue 11 "bounded memory without
 * loss"), with real workers: a producer actor streaming numbered items by `ActorRef` as fast as
 * its turns go to a consumer in another worker that spins 20 µs per item (the producer sends
 * one in ~1-2 µs). Before flow control the backlog grew without bound in the producer's link
 * queue (the issue measured 8.3 M queued messages after 20 s). Here the messages queued between
 * them (sent minus handled: the link's queue, the ring, the consumer's work queue) stay within
 * the ring's records plus the watermarks, the consumer's work queue within `high + 1`, the
 * producer shows as muted in introspection, and every item is handled once, in order. The bound
 * is a count, not a memory figure (benchmarks/flow-slow-consumer.ts measures memory).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ATTR, introspectAttrs, type ActorRef } from '@procmesh/core';
import { ProcHost } from '@procmesh/worker-host';
import {
  FLOW_COUNTERS,
  FLOW_HANDLED,
  FLOW_MAX_DEPTH,
  FLOW_ORDER_ERRORS,
  FLOW_SENT,
  serveCounters,
  type FlowConsumerParams,
  type FlowItemMsg,
  type FlowProducerMsg,
  type FlowProducerParams,
} from './fixtures/flow-actors.js';

const T = { timeout: 120_000 };
const modules = [new URL('./fixtures/flow-actors.js', import.meta.url)];
const HIGH = 256;
const LOW = 64;
const CHUNK = 64;
const TOTAL = 40_000;
/** 64 KiB: at most 4,096 records of the smallest size (16 bytes). */
const RING_CAPACITY = 1 << 16;
const RING_RECORDS = RING_CAPACITY / 16;
/** Link overflow queue (high + one chunk) + ring + consumer queue (high + 1) + the item in hand. */
const IN_FLIGHT_BOUND = HIGH + CHUNK + RING_RECORDS + HIGH + 1 + 1;

const macrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

interface Run {
  readonly maxInFlight: number;
  readonly maxDepth: number;
  readonly handled: number;
  readonly orderErrors: number;
  readonly mutedSeen: boolean;
  readonly maxIntrospectedDepth: number;
}

async function stream(flowControl: boolean): Promise<Run> {
  const counters = new SharedArrayBuffer(FLOW_COUNTERS * 4);
  const c = new Int32Array(counters);
  const name = `flow-${flowControl}-${process.pid}`;
  const closeCounters = serveCounters(name, counters);
  const host = await ProcHost.start({
    procs: 2,
    modules,
    ringCapacity: RING_CAPACITY,
    config: { flowControl, flowHighWatermark: HIGH, flowLowWatermark: LOW },
  });
  try {
    const consumerParams: FlowConsumerParams = { counters: name, spinMicros: 20 };
    const consumer: ActorRef<FlowItemMsg> = await host.spawn<FlowItemMsg>(2, 'FlowConsumer', 'consumer', consumerParams);
    const producerParams: FlowProducerParams = { counters: name };
    const producer = await host.spawn<FlowProducerMsg>(1, 'FlowProducer', 'producer', producerParams);
    // make the link first (LZ-1: what waits for a link being made is not watched)
    const [pinged, ping] = host.client.openOncePort<number>();
    producer.send(host.client, { type: 'ping', target: consumer, reply: pinged.bind() });
    assert.equal(await ping.recv(), 0);
    producer.send(host.client, { type: 'flood', target: consumer, total: TOTAL, chunk: CHUNK });
    let maxInFlight = 0;
    let mutedSeen = false;
    let maxIntrospectedDepth = 0;
    let introspecting: Promise<void> | undefined;
    while (Atomics.load(c, FLOW_HANDLED) < TOTAL) {
      const inFlight = Atomics.load(c, FLOW_SENT) - Atomics.load(c, FLOW_HANDLED);
      if (inFlight > maxInFlight) maxInFlight = inFlight;
      introspecting ??= (async () => {
        const [p, q] = await Promise.all([host.introspect(producer), host.introspect(consumer)]);
        if (p !== undefined && introspectAttrs(p)[ATTR.MUTED] === true) mutedSeen = true;
        const depth = q === undefined ? undefined : introspectAttrs(q)[ATTR.QUEUE_DEPTH];
        assert.equal(typeof depth, 'number', 'introspection reports the consumer queue depth');
        if ((depth as number) > maxIntrospectedDepth) maxIntrospectedDepth = depth as number;
        introspecting = undefined;
      })();
      await macrotask();
    }
    await introspecting;
    return {
      maxInFlight,
      maxDepth: Atomics.load(c, FLOW_MAX_DEPTH),
      handled: Atomics.load(c, FLOW_HANDLED),
      orderErrors: Atomics.load(c, FLOW_ORDER_ERRORS),
      mutedSeen,
      maxIntrospectedDepth,
    };
  } finally {
    closeCounters();
    await host.shutdown(1_000);
  }
}

describe('flow control across workers (FC-6)', () => {
  it('a producer flooding a 10x slower consumer in another worker: queued messages stay bounded, every item handled in order', T, async () => {
    const run = await stream(true);
    assert.equal(run.handled, TOTAL);
    assert.equal(run.orderErrors, 0);
    assert.ok(run.maxInFlight <= IN_FLIGHT_BOUND, `messages between them ${run.maxInFlight} <= ${IN_FLIGHT_BOUND} (${JSON.stringify(run)})`);
    assert.ok(run.maxDepth <= HIGH + 1, `consumer queue ${run.maxDepth} <= ${HIGH + 1}`);
    assert.ok(run.maxIntrospectedDepth <= HIGH + 1, `introspected queue depth ${run.maxIntrospectedDepth} <= ${HIGH + 1}`);
    assert.ok(run.mutedSeen, 'introspection showed the producer muted');
  });

  it('FC-8: the same stream with flowControl off queues past that bound (the bound above is flow control)', T, async () => {
    const run = await stream(false);
    assert.equal(run.handled, TOTAL);
    assert.equal(run.orderErrors, 0);
    assert.ok(run.maxInFlight > IN_FLIGHT_BOUND, `messages between them ${run.maxInFlight} > ${IN_FLIGHT_BOUND}`);
    assert.equal(run.mutedSeen, false);
  });
});
