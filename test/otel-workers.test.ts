/**
 * Issue 14: one request followed through three procs on two workers and a socket with the
 * OpenTelemetry SDK (TR-1, TR-2). The main thread's `Proc.direct` proc (standing in for another
 * machine) holds the client, whose request span is active when it sends; worker 1 (reached over
 * tcp) forwards to worker 2 (over the ring), which forwards to the direct proc (over tcp), which
 * answers. Each worker registers its own SDK by a module in `ProcHost`'s `modules`
 * (fixtures/otel-worker.ts), exporting its spans over a `BroadcastChannel`; the main thread's
 * spans go to an `InMemorySpanExporter`. All spans share the request's trace id, and each hop's
 * span is the child of the one before.
 */
import assert from 'node:assert/strict';
import { BroadcastChannel } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { context, trace, SpanKind } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Proc, refreshTelemetry, type ActorRef, type Instance } from '@procmesh/core';
import { bindServedProcs } from './fixtures/bind-served.js';
import { ProcHost } from '@procmesh/worker-host';
import { SPAN_CHANNEL, wireSpan, type WireSpan } from './fixtures/otel-wire.js';
import { Hop, HopType, type HopMsg } from './fixtures/trace-actors.js';

const T = { timeout: 30_000 };
const modules = [new URL('./fixtures/otel-worker.js', import.meta.url), new URL('./fixtures/trace-actors.js', import.meta.url)];

describe('a trace across two workers and a socket (issue 14)', () => {
  const exporter = new InMemorySpanExporter();
  const fromWorkers: WireSpan[] = [];
  const channel = new BroadcastChannel(SPAN_CHANNEL);
  let provider: BasicTracerProvider;
  let host: ProcHost;
  let remote: Proc;
  let client: Instance<never>;

  before(async () => {
    channel.onmessage = (event) => fromWorkers.push((event as { data: WireSpan }).data);
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    assert.equal(trace.setGlobalTracerProvider(provider), true);
    host = await ProcHost.start({ procs: 2, modules, serve: 'tcp:127.0.0.1:0', teardownTimeoutMs: 500 });
    remote = await Proc.direct('tcp:127.0.0.1:0', 'remote');
    assert.equal(refreshTelemetry().tracing, true);
    [client] = remote.instance('client');
    bindServedProcs(remote, host);
  }, T);

  after(async () => {
    await remote.flush();
    await host.shutdown(500);
    await remote.stopServing('test over');
    channel.close();
    trace.disable();
    context.disable();
    refreshTelemetry();
    await provider.shutdown();
  }, T);

  it('TR-1, TR-2: the request span, then worker 1, worker 2 and the direct proc: one trace id, each span the child of the one before', T, async (t) => {
    const a = await host.spawn(1, HopType, 'a', {});
    const b = await host.spawn(2, HopType, 'b', {});
    const c: ActorRef<HopMsg> = remote.spawn('c', new Hop()).bind();
    const tracer = trace.getTracer('test');
    const { path, traceId, rootSpanId } = await tracer.startActiveSpan('request', async (span) => {
      const [reply, answer] = client.openOncePort<string[]>();
      a.send(client, { type: 'hop', path: [b, c], seen: [], reply: reply.bind() });
      const seen = await answer.recv();
      span.end();
      return { path: seen, traceId: span.spanContext().traceId, rootSpanId: span.spanContext().spanId };
    });
    const procs = [String(a.actorId.proc), String(b.actorId.proc), String(remote.procId)];
    assert.deepEqual(path, procs);

    // worker 1's and 2's spans come over the channel; the direct proc's span ends after its reply
    const hops = (): WireSpan[] => [
      ...fromWorkers.filter((s) => s.traceId === traceId),
      ...exporter
        .getFinishedSpans()
        .filter((s) => s.spanContext().traceId === traceId && s.name !== 'request')
        .map(wireSpan),
    ];
    while (hops().length < 3) {
      t.signal.throwIfAborted();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const byProc = new Map(hops().map((s) => [s.proc, s]));
    let parent = rootSpanId;
    for (const proc of procs) {
      const span = byProc.get(proc);
      assert.ok(span !== undefined, `a span on ${proc}`);
      assert.equal(span.name, 'Hop.hop');
      assert.equal(span.kind, SpanKind.CONSUMER);
      assert.equal(span.parentSpanId, parent, `the span on ${proc} is the child of the hop before`);
      parent = span.spanId;
    }
    // two worker threads and the main thread
    assert.equal(new Set(hops().map((s) => s.threadId)).size, 3);
    assert.equal(hops().length, 3);
  });
});
