/**
 * telemetry/switch.ts: TS-1 (no SDK: both switches off) and TS-2 (a registered tracer or meter
 * provider, found through the public API only, turns its switch on).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { metrics, trace } from '@opentelemetry/api';
import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { refreshTelemetry, telemetry } from '../src/telemetry/switch.js';

describe('the telemetry switch', () => {
  it('TS-1, TS-2: off without an SDK; each provider registered turns its own switch on', () => {
    assert.deepEqual(refreshTelemetry(), { tracing: false, metrics: false });
    assert.equal(trace.setGlobalTracerProvider(new BasicTracerProvider()), true);
    assert.deepEqual(refreshTelemetry(), { tracing: true, metrics: false });
    assert.equal(telemetry.tracing, true);
    assert.equal(metrics.setGlobalMeterProvider(new MeterProvider()), true);
    assert.deepEqual(refreshTelemetry(), { tracing: true, metrics: true });
    trace.disable();
    metrics.disable();
    assert.deepEqual(refreshTelemetry(), { tracing: false, metrics: false });
  });
});
