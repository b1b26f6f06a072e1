/**
 * introspect.ts: introspection messages, results, and terminated snapshots (spec §1.12).
 *
 * Queries are answered outside the actor loop (a separate "task": the introspect port's sink
 * schedules the answer on a microtask), so an actor whose handler is wedged on an `await`
 * still answers (S1) and answering never changes `last_handler` (S2).
 *
 * ## Invariants
 *
 * - S1: a query is answered while the actor's handler is suspended.
 * - S2: answering a query does not count as handling a message.
 * - S11: storing a snapshot never makes an actor resolvable again.
 * - SN-1, SN-2: the store of terminated snapshots is terminated-snapshots.ts.
 */
import type { Clock } from './clock.js';
import type { ActorId } from './id.js';
import { OncePortRef } from './ref.js';
import type { ActorStatus, HandlerInfo } from './status.js';
import type { ActorSupervisionEvent } from './supervision.js';

/** What a snapshot reads of an actor's tree node (actor/cell.ts `InstanceCell` is one). */
export interface IntrospectCell {
  readonly actorId: ActorId;
  readonly typeName: string;
  readonly status: { get(): ActorStatus };
  readonly messagesProcessed: number;
  readonly createdAt: number;
  readonly totalProcessingTimeUs: number;
  readonly lastHandler: HandlerInfo | undefined;
  readonly isSystem: boolean;
  readonly supervisionEvent: ActorSupervisionEvent | undefined;
  readonly publishedAttrs: Record<string, unknown> | undefined;
  readonly queryChild: ((child: string) => IntrospectResult | undefined) | undefined;
  /** ST-4 (actor/cell.ts): handler time of the last batch and the largest, µs; when it began (ms, 0: never). */
  readonly lastHandlerTimeUs?: number;
  readonly maxHandlerTimeUs?: number;
  readonly lastHandledAt?: number;
  /** Items waiting in the actor's work queue. */
  readonly queueDepth?: number;
  /** ST-5 (actor/cell.ts): failed children's events seen, and the latest. */
  readonly childFailures?: number;
  readonly lastChildFailure?: ActorSupervisionEvent | undefined;
  /** The actor's flight recorder, when on (flight-recorder.ts). */
  readonly flightRecorder?: { toJSON(): string | undefined } | undefined;
  readonly parent: IntrospectCell | undefined;
  readonly children: ReadonlyMap<number, IntrospectCell>;
  /** The proc's clock: the snapshot's `as_of`. */
  readonly clock: Clock;
  /** Muted by flow control now (mailbox/flow.ts FC-1). */
  readonly muted?: boolean;
}

export type IntrospectView = 'entity' | 'actor';

export type IntrospectMessage =
  | { readonly type: 'query'; readonly view: IntrospectView; readonly reply: OncePortRef<IntrospectResult> }
  | { readonly type: 'query-child'; readonly childRef: string; readonly reply: OncePortRef<IntrospectResult> };

/**
 * SP-1: whether a delivered payload is an `IntrospectMessage` (the introspect port's guard: a
 * peer may send anything to it).
 */
export function isIntrospectMessage(value: unknown): value is IntrospectMessage {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; view?: unknown; childRef?: unknown; reply?: unknown };
  if (!(message.reply instanceof OncePortRef)) return false;
  if (message.type === 'query') return message.view === 'entity' || message.view === 'actor';
  return message.type === 'query-child' && typeof message.childRef === 'string';
}

export interface IntrospectResult {
  readonly identity: string;
  /** JSON of the attribute bag, with fully-qualified keys (`ATTR`). */
  readonly attrs: string;
  readonly children: readonly string[];
  readonly parent: string | undefined;
  /** RFC 3339 with milliseconds */
  readonly as_of: string;
}

const PREFIX = 'hyperactor::introspect::';
/** procmesh's own attributes (upstream has no such key): the same short-name scheme. */
const PM_PREFIX = 'procmesh::introspect::';

/** Upstream's attribute names. */
export const ATTR = {
  STATUS: `${PREFIX}status`,
  STATUS_REASON: `${PREFIX}status_reason`,
  ACTOR_TYPE: `${PREFIX}actor_type`,
  MESSAGES_PROCESSED: `${PREFIX}messages_processed`,
  CREATED_AT: `${PREFIX}created_at`,
  LAST_HANDLER: `${PREFIX}last_handler`,
  TOTAL_PROCESSING_TIME_US: `${PREFIX}total_processing_time_us`,
  IS_SYSTEM: `${PREFIX}is_system`,
  /** JSON of the flight recorder's events (upstream's `RecordedEvent`s), absent when off or empty. */
  FLIGHT_RECORDER: `${PREFIX}flight_recorder`,
  /** procmesh: items waiting in the work queue. */
  QUEUE_DEPTH: `${PM_PREFIX}queue_depth`,
  /** procmesh (mailbox/flow.ts FC-1): whether flow control mutes the actor now. */
  MUTED: `${PM_PREFIX}muted`,
  /** procmesh (ST-4): the last batch's mean handler time per message, µs. */
  LAST_HANDLER_TIME_US: `${PM_PREFIX}last_handler_time_us`,
  /** procmesh (ST-4): the largest `last_handler_time_us` so far. */
  MAX_HANDLER_TIME_US: `${PM_PREFIX}max_handler_time_us`,
  /** procmesh (ST-4): RFC 3339, when the last handled message began; absent before the first. */
  LAST_HANDLED_AT: `${PM_PREFIX}last_handled_at`,
  /** procmesh (ST-5): how many failed children's supervision events reached this actor. */
  CHILD_FAILURES: `${PM_PREFIX}child_failures`,
  /** procmesh (ST-5): the latest, `{ actor, error_message, root_cause_actor, root_cause_name?, occurred_at }`. */
  LAST_CHILD_FAILURE: `${PM_PREFIX}last_child_failure`,
  CHILDREN: `${PREFIX}children`,
  FAILURE_ERROR_MESSAGE: `${PREFIX}failure_error_message`,
  FAILURE_ROOT_CAUSE_ACTOR: `${PREFIX}failure_root_cause_actor`,
  FAILURE_ROOT_CAUSE_NAME: `${PREFIX}failure_root_cause_name`,
  FAILURE_OCCURRED_AT: `${PREFIX}failure_occurred_at`,
  FAILURE_IS_PROPAGATED: `${PREFIX}failure_is_propagated`,
  ERROR_CODE: `${PREFIX}error_code`,
  ERROR_MESSAGE: `${PREFIX}error_message`,
} as const;

const rfc3339 = (ms: number): string => new Date(ms).toISOString();

const round3 = (us: number): number => Math.round(us * 1000) / 1000;

/** ST-5: a child's failure with its root cause, as the `last_child_failure` attr holds it. */
function failureSummary(event: ActorSupervisionEvent): Record<string, unknown> {
  const root = event.actuallyFailingActor();
  const status = event.actorStatus;
  const summary: Record<string, unknown> = {
    actor: String(event.actorId),
    error_message: status.kind === 'failed' ? status.error : String(status),
    root_cause_actor: String(root.actorId),
    occurred_at: rfc3339(root.occurredAt),
  };
  if (root.displayName !== undefined) summary['root_cause_name'] = root.displayName;
  return summary;
}

/** Parse the attrs of a result (helper for callers and tests). */
export function introspectAttrs(result: IntrospectResult): Record<string, unknown> {
  return JSON.parse(result.attrs) as Record<string, unknown>;
}

/** The actor view of a live (or just terminated) cell (upstream `live_actor_payload`). */
export function actorPayload(cell: IntrospectCell): IntrospectResult {
  const status = cell.status.get();
  const attrs: Record<string, unknown> = {};
  if (status.kind === 'stopped') {
    attrs[ATTR.STATUS] = 'stopped';
    attrs[ATTR.STATUS_REASON] = status.reason;
  } else if (status.kind === 'failed') {
    attrs[ATTR.STATUS] = 'failed';
    attrs[ATTR.STATUS_REASON] = status.error;
  } else {
    attrs[ATTR.STATUS] = String(status);
  }
  attrs[ATTR.ACTOR_TYPE] = cell.typeName;
  attrs[ATTR.MESSAGES_PROCESSED] = cell.messagesProcessed;
  attrs[ATTR.CREATED_AT] = rfc3339(cell.createdAt);
  if (cell.lastHandler !== undefined) {
    const h = cell.lastHandler;
    attrs[ATTR.LAST_HANDLER] = h.arm === undefined ? h.typeName : `${h.typeName}.${h.arm}`;
  }
  attrs[ATTR.TOTAL_PROCESSING_TIME_US] = Math.round(cell.totalProcessingTimeUs);
  attrs[ATTR.LAST_HANDLER_TIME_US] = round3(cell.lastHandlerTimeUs ?? 0);
  attrs[ATTR.MAX_HANDLER_TIME_US] = round3(cell.maxHandlerTimeUs ?? 0);
  if (cell.lastHandledAt !== undefined && cell.lastHandledAt > 0) attrs[ATTR.LAST_HANDLED_AT] = rfc3339(cell.lastHandledAt);
  attrs[ATTR.QUEUE_DEPTH] = status.kind === 'stopped' || status.kind === 'failed' ? 0 : (cell.queueDepth ?? 0);
  attrs[ATTR.CHILD_FAILURES] = cell.childFailures ?? 0;
  const childFailure = cell.lastChildFailure;
  if (childFailure !== undefined) attrs[ATTR.LAST_CHILD_FAILURE] = failureSummary(childFailure);
  const recorded = cell.flightRecorder?.toJSON();
  if (recorded !== undefined) attrs[ATTR.FLIGHT_RECORDER] = recorded;
  attrs[ATTR.IS_SYSTEM] = cell.isSystem;
  if (cell.muted !== undefined) attrs[ATTR.MUTED] = cell.muted;
  const event = cell.supervisionEvent;
  if (status.kind === 'failed' && event !== undefined) {
    const root = event.actuallyFailingActor();
    attrs[ATTR.FAILURE_ERROR_MESSAGE] = status.error;
    attrs[ATTR.FAILURE_ROOT_CAUSE_ACTOR] = String(root.actorId);
    if (root.displayName !== undefined) attrs[ATTR.FAILURE_ROOT_CAUSE_NAME] = root.displayName;
    attrs[ATTR.FAILURE_OCCURRED_AT] = rfc3339(root.occurredAt);
    attrs[ATTR.FAILURE_IS_PROPAGATED] = !root.actorId.equals(cell.actorId);
  }
  return {
    identity: String(cell.actorId),
    attrs: JSON.stringify(attrs),
    children: [...cell.children.keys()].sort((a, b) => a - b).map((pid) => String(cell.children.get(pid)?.actorId)),
    parent: cell.parent === undefined ? undefined : String(cell.parent.actorId),
    as_of: rfc3339(cell.clock.now()),
  };
}

/** The entity view: published attrs if any, else the actor view. */
export function entityPayload(cell: IntrospectCell): IntrospectResult {
  if (cell.publishedAttrs === undefined) return actorPayload(cell);
  const children = [...cell.children.values()].map((c) => String(c.actorId));
  return {
    identity: String(cell.actorId),
    attrs: JSON.stringify({ ...cell.publishedAttrs, [ATTR.CHILDREN]: children }),
    children,
    parent: cell.parent === undefined ? undefined : String(cell.parent.actorId),
    as_of: rfc3339(cell.clock.now()),
  };
}

/** Answer a `QueryChild` (callback, or a `not_found` error result). */
export function childPayload(cell: IntrospectCell, childRef: string): IntrospectResult {
  const found = cell.queryChild?.(childRef);
  if (found !== undefined) return found;
  return {
    identity: '',
    attrs: JSON.stringify({ [ATTR.ERROR_CODE]: 'not_found', [ATTR.ERROR_MESSAGE]: `child ${childRef} not found (no callback registered)` }),
    children: [],
    parent: undefined,
    as_of: rfc3339(cell.clock.now()),
  };
}
