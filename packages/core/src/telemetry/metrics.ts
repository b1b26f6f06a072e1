/**
 * telemetry/metrics.ts: procmesh's OpenTelemetry instruments (issue 14: messages sent and
 * handled, handler time, queue depth, undeliverables through the OTel metrics API).
 *
 * | instrument | kind | unit | attributes |
 * |---|---|---|---|
 * | `procmesh.messages.sent` | observable counter | `{message}` | `procmesh.proc` |
 * | `procmesh.messages.handled` | observable counter | `{message}` | `procmesh.proc` |
 * | `procmesh.messages.undeliverable` | observable counter | `{message}` | `procmesh.proc` |
 * | `procmesh.queue.depth` | observable gauge | `{message}` | `procmesh.proc` |
 * | `procmesh.handler.duration` | histogram | `s` | `procmesh.proc`, `procmesh.actor.type` |
 *
 * `sent` counts the envelopes the proc's instances posted (ref sends: `postSerialized`) and the
 * handle sends they made; `handled` the messages its spawned actors handled (succeeded or
 * failed); `undeliverable` the envelopes that came back to the proc's senders; `queue.depth`
 * the work items queued in its actors now.
 *
 * The counters are plain numbers per proc (`ProcCounts`) that the observable callbacks read at
 * collection: counting a message is an increment, not an SDK call with an attribute lookup. The
 * instruments are made when a meter provider is found (`refreshTelemetry`, telemetry/switch.ts)
 * and made again from the new provider's meter when it changes.
 *
 * ## Invariants
 *
 * - TM-1: with no meter provider registered (`telemetry.metrics` false), nothing counts and no
 *   instrument exists (TS-1).
 * - TM-2: a proc's counters are cumulative from the first message counted while a meter
 *   provider was registered; they stay after the proc is gone (a counter never goes down).
 * - TM-3: the queue depth of a proc is read from the proc itself at collection (held weakly: a
 *   proc nobody holds is not kept alive by the metrics).
 */
import { metrics, type Attributes, type Histogram, type ObservableResult } from '@opentelemetry/api';
import { INSTRUMENTATION_SCOPE, onTelemetryChange, telemetry } from './switch.js';

/** The attribute of every instrument: the proc's id. */
export const PROC_ATTRIBUTE = 'procmesh.proc';
/** The handler-time histogram's second attribute: the actor's type (its class name). */
export const ACTOR_TYPE_ATTRIBUTE = 'procmesh.actor.type';

/** The counters of one proc (TM-2). */
export interface ProcCounts {
  readonly attributes: Attributes;
  sent: number;
  handled: number;
  undeliverable: number;
}

/** What the queue-depth gauge reads of a proc (`Proc` implements it; TM-3). */
export interface QueueDepthSource {
  readonly procId: { readonly key: string; toString(): string };
  /** Work items queued in the proc's actors now. */
  queuedWork(): number;
}

const counts = new Map<string, ProcCounts>();
const sources = new Set<WeakRef<QueueDepthSource>>();
let pruneAt = 1024;
let histogram: Histogram | undefined;
/** The provider the instruments were made from (made once per provider). */
let madeFrom: unknown;

/** The counters of the proc `procId` (made on first use). */
export function procCounts(procId: { readonly key: string; toString(): string }): ProcCounts {
  let c = counts.get(procId.key);
  if (c === undefined) {
    c = { attributes: { [PROC_ATTRIBUTE]: String(procId) }, sent: 0, handled: 0, undeliverable: 0 };
    counts.set(procId.key, c);
  }
  return c;
}

/** TM-3: a proc whose queue depth the gauge reports while it lives. */
export function registerQueueDepthSource(source: QueueDepthSource): void {
  sources.add(new WeakRef(source));
  if (sources.size >= pruneAt) {
    for (const ref of sources) if (ref.deref() === undefined) sources.delete(ref);
    pruneAt = Math.max(1024, sources.size * 2);
  }
}

/** TM-1: count a message sent by an instance of proc `procId` (only while metrics are on). */
export function countSent(procId: { readonly key: string; toString(): string }): void {
  if (telemetry.metrics) procCounts(procId).sent++;
}

/** TM-1: count an envelope returned to a sender of proc `procId`. */
export function countUndeliverable(procId: { readonly key: string; toString(): string }): void {
  if (telemetry.metrics) procCounts(procId).undeliverable++;
}

/** A handled message and its handler time (seconds) under `attributes` (proc and actor type). */
export function recordHandled(c: ProcCounts, attributes: Attributes, seconds: number): void {
  c.handled++;
  histogram?.record(seconds, attributes);
}

function observeCounts(field: 'sent' | 'handled' | 'undeliverable'): (result: ObservableResult) => void {
  return (result) => {
    for (const c of counts.values()) result.observe(c[field], c.attributes);
  };
}

function observeQueueDepth(result: ObservableResult): void {
  const byProc = new Map<string, { attributes: Attributes; depth: number }>();
  for (const ref of sources) {
    const source = ref.deref();
    if (source === undefined) {
      sources.delete(ref);
      continue;
    }
    const key = source.procId.key;
    const entry = byProc.get(key);
    const depth = source.queuedWork();
    if (entry !== undefined) entry.depth += depth;
    else byProc.set(key, { attributes: { [PROC_ATTRIBUTE]: String(source.procId) }, depth });
  }
  for (const { attributes, depth } of byProc.values()) result.observe(depth, attributes);
}

/** Make the instruments from the current meter provider (TM-1: none while there is none). */
function makeInstruments(): void {
  if (!telemetry.metrics) {
    histogram = undefined;
    madeFrom = undefined;
    return;
  }
  const provider = metrics.getMeterProvider();
  if (provider === madeFrom) return;
  madeFrom = provider;
  const meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  meter
    .createObservableCounter('procmesh.messages.sent', { description: 'messages sent by the actors of a proc', unit: '{message}' })
    .addCallback(observeCounts('sent'));
  meter
    .createObservableCounter('procmesh.messages.handled', { description: 'messages handled by the actors of a proc', unit: '{message}' })
    .addCallback(observeCounts('handled'));
  meter
    .createObservableCounter('procmesh.messages.undeliverable', { description: 'envelopes returned undeliverable to the senders of a proc', unit: '{message}' })
    .addCallback(observeCounts('undeliverable'));
  meter
    .createObservableGauge('procmesh.queue.depth', { description: 'work items queued in the actors of a proc', unit: '{message}' })
    .addCallback(observeQueueDepth);
  histogram = meter.createHistogram('procmesh.handler.duration', { description: 'time an actor took to handle one message', unit: 's' });
}

onTelemetryChange(makeInstruments);
