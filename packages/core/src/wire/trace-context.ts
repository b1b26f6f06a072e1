/**
 * wire/trace-context.ts: the W3C Trace Context headers of an envelope (`traceparent`,
 * `tracestate`; https://www.w3.org/TR/trace-context/), written from and read into an
 * OpenTelemetry `SpanContext` (telemetry/tracing.ts uses it).
 *
 * The two headers travel as ordinary envelope headers, so every link (local, ring records,
 * MessagePort, net frames, NATS) carries them unchanged: the ring record codec puts them among
 * its "extra" headers (wire/envelope-record-layout.ts), which an envelope without them does not
 * pay for. An envelope with no trace context has neither key.
 *
 * Written by hand, not with `@opentelemetry/core`'s `W3CTraceContextPropagator`: the format is
 * four fixed-width fields, procmesh depends only on `@opentelemetry/api` (a no-op without an
 * SDK), and the headers must cross procs whatever propagator the application registered (or
 * none: a bare `BasicTracerProvider` registers none). The parse follows the propagator's rules.
 *
 * ## Invariants
 *
 * - TC-1: `traceparent` is `00-{32 hex trace id}-{16 hex span id}-{2 hex flags}`, lower case;
 *   a value that is not (another version's extra fields aside), or carries the all-zero trace or
 *   span id, parses to undefined: a peer's bad header never fails a delivery, it starts no trace.
 * - TC-2: `tracestate` is read only beside a valid `traceparent`, and written only when the span
 *   context has a non-empty one.
 */
import { createTraceState, isSpanContextValid, type SpanContext } from '@opentelemetry/api';

/** The header keys (W3C's names, as HTTP carries them). */
export const TRACE_HEADER = {
  TRACEPARENT: 'traceparent',
  TRACESTATE: 'tracestate',
} as const;

/** What the trace context is written into and read from (`Headers` is one). */
export interface TraceCarrier {
  [key: string]: unknown;
}

const VERSION = '00';
/** version-traceid-spanid-flags, then (for a future version) anything after a dash (TC-1) */
const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(-.*)?$/;

/** `00-{trace id}-{span id}-{flags}` of a span context (TC-1). */
export function formatTraceparent(span: SpanContext): string {
  return `${VERSION}-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** TC-1: the span context of a `traceparent` value, or undefined when it is not a valid one. */
export function parseTraceparent(value: unknown): SpanContext | undefined {
  if (typeof value !== 'string') return undefined;
  const match = TRACEPARENT.exec(value.trim());
  if (match === null) return undefined;
  const [, version, traceId, spanId, flags, rest] = match as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff') return undefined; // forbidden by the spec
  if (version === VERSION && rest !== undefined) return undefined; // version 00 has exactly four fields
  const context: SpanContext = { traceId, spanId, traceFlags: parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(context) ? context : undefined;
}

/** Write `span`'s trace context into `carrier` (TC-1, TC-2). */
export function injectTraceContext(carrier: TraceCarrier, span: SpanContext): void {
  carrier[TRACE_HEADER.TRACEPARENT] = formatTraceparent(span);
  const state = span.traceState?.serialize();
  if (state !== undefined && state !== '') carrier[TRACE_HEADER.TRACESTATE] = state;
}

/** The remote span context in `carrier`, or undefined (TC-1, TC-2). */
export function extractTraceContext(carrier: TraceCarrier): SpanContext | undefined {
  const context = parseTraceparent(carrier[TRACE_HEADER.TRACEPARENT]);
  if (context === undefined) return undefined;
  const state = carrier[TRACE_HEADER.TRACESTATE];
  if (typeof state === 'string' && state !== '') context.traceState = createTraceState(state);
  return context;
}
