/**
 * wire/trace-context.ts: the W3C `traceparent` / `tracestate` envelope headers (TC-1, TC-2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TraceFlags, createTraceState, type SpanContext } from '@opentelemetry/api';
import { extractTraceContext, formatTraceparent, injectTraceContext, parseTraceparent, TRACE_HEADER } from '../src/wire/trace-context.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('W3C trace context headers (wire/trace-context.ts)', () => {
  it('TC-1: formats version 00 with lower-case hex and two-digit flags', () => {
    const span: SpanContext = { traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED };
    assert.equal(formatTraceparent(span), `00-${TRACE}-${SPAN}-01`);
    assert.equal(formatTraceparent({ ...span, traceFlags: TraceFlags.NONE }), `00-${TRACE}-${SPAN}-00`);
  });

  it('TC-1: a formatted traceparent parses back to the same ids and flags, marked remote', () => {
    const parsed = parseTraceparent(`00-${TRACE}-${SPAN}-01`);
    assert.deepEqual(parsed, { traceId: TRACE, spanId: SPAN, traceFlags: 1, isRemote: true });
  });

  it('TC-1: malformed values, zero ids, version ff and extra fields on 00 parse to undefined', () => {
    for (const bad of [
      undefined,
      42,
      '',
      `00-${TRACE}-${SPAN}`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `ff-${TRACE}-${SPAN}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
    ]) {
      assert.equal(parseTraceparent(bad), undefined, String(bad));
    }
  });

  it('TC-1: a future version may carry fields after the four', () => {
    assert.equal(parseTraceparent(`01-${TRACE}-${SPAN}-01-later`)?.traceId, TRACE);
  });

  it('TC-2: inject writes tracestate only when the span has one; extract reads it back', () => {
    const plain: Record<string, unknown> = {};
    injectTraceContext(plain, { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
    assert.deepEqual(Object.keys(plain), [TRACE_HEADER.TRACEPARENT]);
    const withState: Record<string, unknown> = {};
    injectTraceContext(withState, { traceId: TRACE, spanId: SPAN, traceFlags: 1, traceState: createTraceState('vendor=a,other=b') });
    assert.equal(withState[TRACE_HEADER.TRACESTATE], 'vendor=a,other=b');
    const back = extractTraceContext(withState);
    assert.equal(back?.spanId, SPAN);
    assert.equal(back?.traceState?.get('vendor'), 'a');
  });

  it('TC-2: a tracestate without a valid traceparent is ignored', () => {
    assert.equal(extractTraceContext({ [TRACE_HEADER.TRACESTATE]: 'vendor=a' }), undefined);
  });
});
