/**
 * OpenTelemetry metrics (telemetry/metrics.ts, TM-1..TM-3; the observed batch path, OB-3):
 * messages sent and handled per proc, the handler-time histogram, envelopes returned
 * undeliverable, the queue-depth gauge, read through a real SDK `MeterProvider` and a reader;
 * nothing counted before a meter provider is registered.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { metrics } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';
import { ActorId, Proc, refreshTelemetry, type Actor, type Context } from '../src/index.js';
import { Hop } from './fixtures/trace-actors.js';

const T = { timeout: 15_000 };
const quiet = pino({ level: 'silent' });

/** A reader the test collects from when it wants (no export interval). */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** The data points of instrument `name` for proc `proc`. */
async function points(reader: TestReader, name: string, proc: Proc): Promise<DataPoint<unknown>[]> {
  const { resourceMetrics, errors } = await reader.collect();
  assert.deepEqual(errors, []);
  const found: DataPoint<unknown>[] = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const p of metric.dataPoints as DataPoint<unknown>[]) if (p.attributes['procmesh.proc'] === String(proc.procId)) found.push(p);
    }
  }
  return found;
}

async function value(reader: TestReader, name: string, proc: Proc): Promise<number | undefined> {
  const found = await points(reader, name, proc);
  assert.ok(found.length <= 1, `one point of ${name}`);
  return found[0]?.value as number | undefined;
}

/** Holds each message until `release()`; the first one is `entered`. */
class Gate implements Actor<{ type: 'hold' }> {
  private release!: () => void;
  readonly entered: Promise<void>;
  private enter!: () => void;
  constructor() {
    this.entered = new Promise((resolve) => (this.enter = resolve));
  }
  private opened = false;
  handle(_cx: Context<{ type: 'hold' }>): Promise<void> | void {
    this.enter();
    if (this.opened) return;
    return new Promise((resolve) => (this.release = resolve));
  }
  /** Release the held message and every later one. */
  open(): void {
    this.opened = true;
    this.release();
  }
}

describe('metrics', () => {
  let reader: TestReader;
  let provider: MeterProvider;
  let before_: Proc;

  before(async () => {
    // TM-1: counted only while a meter provider is registered
    before_ = Proc.local({ logger: quiet });
    const [client] = before_.instance('client');
    const hop = before_.spawn('a', new Hop()).bind();
    const [reply, answer] = client.openOncePort<string[]>();
    hop.send(client, { type: 'hop', path: [], seen: [], reply: reply.bind() });
    await answer.recv();
    reader = new TestReader();
    provider = new MeterProvider({ readers: [reader] });
    metrics.setGlobalMeterProvider(provider);
    assert.deepEqual(refreshTelemetry(), { tracing: false, metrics: true });
  });

  after(async () => {
    metrics.disable();
    refreshTelemetry();
    await provider.shutdown();
  });

  it('TM-1: nothing was counted for messages before the meter provider was registered', T, async () => {
    assert.equal(await value(reader, 'procmesh.messages.sent', before_), undefined);
    assert.equal(await value(reader, 'procmesh.messages.handled', before_), undefined);
  });

  it('TM-1, OB-3: five requests: 10 sends (5 by the client, 5 replies), 5 handled, 5 handler times for the actor type', T, async () => {
    const proc = Proc.local({ logger: quiet });
    const [client] = proc.instance('client');
    const hop = proc.spawn('a', new Hop()).bind();
    for (let i = 0; i < 5; i++) {
      const [reply, answer] = client.openOncePort<string[]>();
      hop.send(client, { type: 'hop', path: [], seen: [], reply: reply.bind() });
      await answer.recv();
    }
    assert.equal(await value(reader, 'procmesh.messages.sent', proc), 10);
    assert.equal(await value(reader, 'procmesh.messages.handled', proc), 5);
    const [histogram, ...more] = await points(reader, 'procmesh.handler.duration', proc);
    assert.equal(more.length, 0);
    assert.ok(histogram !== undefined);
    assert.equal(histogram.attributes['procmesh.actor.type'], 'Hop');
    const h = histogram.value as Histogram;
    assert.equal(h.count, 5);
    assert.ok(h.sum !== undefined && h.sum >= 0);
  });

  it('TM-1: an envelope returned to its sender counts as undeliverable', T, async (t) => {
    const proc = Proc.local({ logger: quiet });
    const [client] = proc.instance('client');
    const nobody = new ActorId(proc.procId, 'nobody', 0);
    client.post(nobody.portId(0), undefined, Uint8Array.of(0xc0));
    await proc.flush();
    while ((await value(reader, 'procmesh.messages.undeliverable', proc)) === undefined) {
      t.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.equal(await value(reader, 'procmesh.messages.undeliverable', proc), 1);
  });

  it('TM-3: the queue-depth gauge reports the work queued behind a busy handler', T, async () => {
    const proc = Proc.local({ logger: quiet });
    const [client] = proc.instance('client');
    const gate = new Gate();
    const handle = proc.spawn('gate', gate);
    for (let i = 0; i < 4; i++) handle.send(client, { type: 'hold' });
    await gate.entered;
    assert.equal(await value(reader, 'procmesh.queue.depth', proc), 3);
    gate.open();
    handle.drainAndStop('done');
    await handle.join();
    assert.equal(await value(reader, 'procmesh.queue.depth', proc), 0);
  });
});
