/**
 * telemetry/tracing.ts: OpenTelemetry spans of procmesh (issue 14): the W3C trace context put
 * into the headers of each send, and a span per handled message, child of its sender's span.
 *
 * ```
 * client (span S active)  --send-->  [traceparent: S]  -->  A: span "A.req" (parent S)
 *   A's handler sends     --send-->  [traceparent: A.req] -->  B: span "B.req" (parent A.req) ...
 * ```
 *
 * The headers are ordinary envelope headers (wire/trace-context.ts), so they cross procs in one
 * thread, rings between workers and sockets unchanged. Everything here runs only while
 * `telemetry.tracing` is true (TS-1): the send paths and the actor loop test that one switch and
 * call in here, so without an SDK nothing of this module runs.
 *
 * The sender's span is the one of the message its actor is handling (`traceSpan` on the
 * instance, set for the handler's whole run, awaits included: AC-1 guarantees no other message
 * of the actor runs meanwhile), else the span of the active OTel context (a client instance
 * sending from application code inside `tracer.startActiveSpan`). Keeping it on the instance
 * means a handler's sends propagate with or without an OTel context manager registered.
 *
 * ## Invariants
 *
 * - TR-1: a send made while tracing is on carries the trace context of its sender's current
 *   span (the handled message's span, else the active context's span); with neither, or with
 *   `traceparent` already set by the caller, the headers are left as they are.
 * - TR-2: a handled message gets a `CONSUMER` span, the child of the span context in its
 *   headers, or the root of a new trace when they carry none (never of whatever context the
 *   actor loop started in). The span is active (OTel context and `traceSpan`) while the handler
 *   runs, and ends when it returns or its promise settles; a failure is recorded on it
 *   (`recordException`, status `ERROR`).
 */
import {
  context,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type Tracer,
} from '@opentelemetry/api';
import type { Headers } from '../mailbox/envelope.js';
import { extractTraceContext, injectTraceContext, TRACE_HEADER } from '../wire/trace-context.js';
import { INSTRUMENTATION_SCOPE, onTelemetryChange } from './switch.js';

/** What a send context may carry: the span of the message its actor is handling (TR-1). */
export interface TracedContext {
  traceSpan?: Span | undefined;
}

let tracer: Tracer | undefined;
onTelemetryChange(() => {
  tracer = undefined; // a new provider (or none): ask the API again
});

function currentTracer(): Tracer {
  return (tracer ??= trace.getTracer(INSTRUMENTATION_SCOPE));
}

/** TR-1: the span context a send from `cx` carries, or undefined. */
export function senderSpanContext(cx: object): SpanContext | undefined {
  const span = (cx as TracedContext).traceSpan ?? trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  return isSpanContextValid(sc) ? sc : undefined;
}

/** TR-1: put the sender's trace context into `headers` (a fresh object the caller owns). */
export function traceSend(cx: object, headers: Headers): void {
  if (headers[TRACE_HEADER.TRACEPARENT] !== undefined) return;
  const sc = senderSpanContext(cx);
  if (sc !== undefined) injectTraceContext(headers, sc);
}

/**
 * TR-1 for handle sends: `base` (shared, maybe frozen) as is when there is no span to carry,
 * else a copy with the trace context.
 */
export function tracedHeaders(cx: object, base: Headers): Headers {
  const sc = senderSpanContext(cx);
  if (sc === undefined) return base;
  const headers: Headers = { ...base };
  injectTraceContext(headers, sc);
  return headers;
}

/** TR-2: the parent context of a message with `headers`: its sender's span, or none. */
function parentContext(headers: Headers | undefined): Context {
  const remote = headers === undefined ? undefined : extractTraceContext(headers);
  return remote === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, remote);
}

/** TR-2: start the span of one handled message, named `{actor type}.{message type}`. */
export function startHandleSpan(name: string, headers: Headers | undefined, attributes: Attributes): Span {
  return currentTracer().startSpan(name, { kind: SpanKind.CONSUMER, attributes }, parentContext(headers));
}

/** TR-2: run `fn` with `span` active in the OTel context (for the application's own instrumentation). */
export function withSpan<R>(span: Span, fn: () => R): R {
  return context.with(trace.setSpan(ROOT_CONTEXT, span), fn);
}

/** TR-2: end a handled message's span, with its failure when it failed. */
export function endHandleSpan(span: Span, error: unknown, failed: boolean): void {
  if (failed) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}
