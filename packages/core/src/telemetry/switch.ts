/**
 * telemetry/switch.ts: whether this thread has an OpenTelemetry SDK, read once per proc
 * start instead of once per message (issue 14: "a no-op when no SDK is installed", at no
 * measurable cost).
 *
 * `@opentelemetry/api` is always loaded, but without a registered SDK its tracer and meter are
 * no-ops. Asking the API per message (`context.active()`, `trace.getSpan`, `startSpan`) would
 * still cost tens of nanoseconds per message and a span object per handled message; instead,
 * `refreshTelemetry()` asks it whether a tracer provider and a meter provider are registered,
 * and the hot paths test the two booleans here (TS-1). A proc refreshes them when it is built
 * (a worker builds its proc after loading the application's modules, where an SDK is
 * registered); an application that registers its SDK later calls `refreshTelemetry()`.
 *
 * ## Invariants
 *
 * - TS-1: with neither provider registered, `tracing` and `metrics` are false, and the send and
 *   handle paths do no OpenTelemetry work beyond testing them.
 * - TS-2: detection uses the public API only: a tracer provider is registered when the global
 *   one is not the API's proxy with its no-op delegate; a meter provider when the global meter
 *   is not the API's no-op meter.
 * - TS-3: `active` is `tracing || metrics`, so a send or a batch of handled messages tests one
 *   boolean whatever is registered.
 */
import { createNoopMeter, metrics, ProxyTracerProvider, trace } from '@opentelemetry/api';

/** The no-op delegate of an API proxy without a provider (TS-2). */
const NOOP_TRACER_PROVIDER = new ProxyTracerProvider().getDelegate();
const NOOP_METER = createNoopMeter();

/** The instrumentation scope of procmesh's spans and instruments. */
export const INSTRUMENTATION_SCOPE = '@procmesh/core';

/** What the hot paths test (TS-1). */
export const telemetry = {
  /** A tracer provider is registered: spans per handled message, trace context on sends. */
  tracing: false,
  /** A meter provider is registered: the handler-time histogram, the observable instruments. */
  metrics: false,
  /** `tracing || metrics`: the one test of the send paths and of each batch (TS-3). */
  active: false,
};

const listeners = new Set<() => void>();

/**
 * Look again whether an OpenTelemetry SDK is registered in this thread (TS-2). Procs call it
 * when they are built; call it after registering an SDK once procs exist. Returns what it found.
 */
export function refreshTelemetry(): { readonly tracing: boolean; readonly metrics: boolean } {
  const provider = trace.getTracerProvider();
  const tracing = !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NOOP_TRACER_PROVIDER;
  const metered = metrics.getMeter(INSTRUMENTATION_SCOPE) !== NOOP_METER;
  const changed = tracing !== telemetry.tracing || metered !== telemetry.metrics;
  telemetry.tracing = tracing;
  telemetry.metrics = metered;
  telemetry.active = tracing || metered;
  if (changed) for (const l of listeners) l();
  return { tracing, metrics: metered };
}

/** Called after a refresh that changed the switch (telemetry/metrics.ts registers its instruments). */
export function onTelemetryChange(listener: () => void): void {
  listeners.add(listener);
}
