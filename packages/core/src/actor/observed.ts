/**
 * actor/observed.ts: the observed batch path (issue 14): what a batch of work runs instead of
 * the actor itself while an OpenTelemetry SDK is registered.
 *
 * actor/run.ts tests `telemetry.active` once per batch (TS-3) and hands `processBatch` either
 * the actor or `observedActor(inst, actor)`, a wrapper whose hooks start and end each message's
 * span (TR-2), count it and record its handler time (TM-1) around the actor's own hook. So
 * without an SDK a batch costs one branch and a message nothing, and with one the observed
 * path keeps `processBatch`'s order, failure and async handling as they are (no second copy of
 * the loop to keep in step).
 *
 * ## Invariants
 *
 * - OB-1: the wrapper calls the actor's hooks with the actor as `this` (the actor's state is
 *   never written on the wrapper). It has `handleUndeliverableMessage` and
 *   `handleSupervisionEvent` only where the actor has them, so the loop's defaults (fail on a
 *   returned message, propagate failures) apply unchanged.
 * - OB-2: one wrapper per instance and actor object, made on the first observed batch and held
 *   weakly by the instance.
 * - OB-3: every message the wrapper runs is counted and timed once, when its handler returned
 *   or its promise settled, failed or not.
 */
import type { Attributes, Span } from '@opentelemetry/api';
import type { Headers, Undeliverable } from '../mailbox/envelope.js';
import { ACTOR_TYPE_ATTRIBUTE, PROC_ATTRIBUTE, procCounts, recordHandled, type ProcCounts } from '../telemetry/metrics.js';
import { telemetry } from '../telemetry/switch.js';
import { endHandleSpan, startHandleSpan, withSpan } from '../telemetry/tracing.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import type { Actor, Instance } from './instance.js';

const wrappers = new WeakMap<Instance<never>, ObservedActor<never>>();

/** OB-2: the observed wrapper of `actor` running in `inst`. */
export function observedActor<M>(inst: Instance<M>, actor: Actor<M>): Actor<M> {
  const key = inst as unknown as Instance<never>;
  let w = wrappers.get(key) as ObservedActor<M> | undefined;
  if (w === undefined || w.actor !== actor) {
    w = new ObservedActor(inst, actor);
    wrappers.set(key, w as unknown as ObservedActor<never>);
  }
  return w;
}

const now = (): number => performance.now();

class ObservedActor<M> implements Actor<M> {
  readonly handleUndeliverableMessage?: (cx: Instance<M>, undeliverable: Undeliverable) => void | Promise<void>;
  readonly handleSupervisionEvent?: (cx: Instance<M>, event: ActorSupervisionEvent) => boolean | Promise<boolean>;
  private readonly counts: ProcCounts;
  private readonly metricAttributes: Attributes;
  private readonly actorId: string;

  constructor(
    private readonly inst: Instance<M>,
    readonly actor: Actor<M>,
  ) {
    const procId = inst.selfId.proc;
    this.counts = procCounts(procId);
    this.metricAttributes = { [PROC_ATTRIBUTE]: String(procId), [ACTOR_TYPE_ATTRIBUTE]: inst.handlerTypeName };
    this.actorId = String(inst.selfId);
    // OB-1: only the hooks the actor has
    if (actor.handleUndeliverableMessage !== undefined) {
      this.handleUndeliverableMessage = (cx, undeliverable) => this.observe(cx, undeliverable, 'Undeliverable', true);
    }
    const onEvent = actor.handleSupervisionEvent;
    if (onEvent !== undefined) this.handleSupervisionEvent = (cx, event) => onEvent.call(actor, cx, event);
  }

  handle(cx: Instance<M>, message: M): void | Promise<void> {
    const arm = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
    return this.observe(cx, message, typeof arm === 'string' ? arm : cx.headers.message_type, false);
  }

  /** TR-2, OB-3: one message, in its span, counted and timed. */
  private observe(cx: Instance<M>, message: unknown, type: string | undefined, undeliverable: boolean): void | Promise<void> {
    const begin = now();
    const span = telemetry.tracing ? this.startSpan(cx.headers, type) : undefined;
    let result: void | Promise<void>;
    try {
      result = span === undefined ? this.call(cx, message, undeliverable) : withSpan(span, () => this.call(cx, message, undeliverable));
    } catch (err) {
      this.finish(span, begin, err, true);
      throw err;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      return (result as Promise<void>).then(
        () => this.finish(span, begin, undefined, false),
        (err: unknown) => {
          this.finish(span, begin, err, true);
          throw err;
        },
      );
    }
    this.finish(span, begin, undefined, false);
    return result;
  }

  private call(cx: Instance<M>, message: unknown, undeliverable: boolean): void | Promise<void> {
    const actor = this.actor;
    if (undeliverable) return (actor.handleUndeliverableMessage as NonNullable<Actor<M>['handleUndeliverableMessage']>).call(actor, cx, message as Undeliverable);
    return actor.handle(cx, message as M);
  }

  private startSpan(headers: Headers, type: string | undefined): Span {
    const inst = this.inst;
    const attributes: Attributes = {
      'messaging.system': 'procmesh',
      'messaging.operation.type': 'process',
      'messaging.destination.name': this.actorId,
      [PROC_ATTRIBUTE]: this.metricAttributes[PROC_ATTRIBUTE] as string,
    };
    if (type !== undefined) attributes['procmesh.message.type'] = type;
    const sender = inst.work.sender;
    if (sender !== undefined) attributes['procmesh.sender'] = String(sender);
    const span = startHandleSpan(type === undefined ? inst.handlerTypeName : `${inst.handlerTypeName}.${type}`, headers, attributes);
    inst.traceSpan = span; // TR-1: the handler's sends carry it
    return span;
  }

  private finish(span: Span | undefined, begin: number, error: unknown, failed: boolean): void {
    if (span !== undefined) {
      if (this.inst.traceSpan === span) this.inst.traceSpan = undefined;
      endHandleSpan(span, error, failed);
    }
    if (telemetry.metrics) recordHandled(this.counts, this.metricAttributes, (now() - begin) / 1000);
  }
}
