/**
 * admin/nodes.ts: the admin endpoint's wire model, `NodePayload` (upstream's mesh admin API,
 * `hyperactor_mesh::introspect::dto`), and its builders from what introspection returns.
 *
 * Every addressable entity (the host's root, a proc, an actor) is one `NodePayload`: its
 * `identity` (the reference it was resolved by), `properties` (externally tagged: `{ Root }`,
 * `{ Proc }`, `{ Actor }`, `{ Error }`), the `children` references to resolve next, its `parent`
 * and `as_of`. Upstream has a `Host` level between the root and its procs; a `ProcHost` is one
 * host, so the root is the host and its children are the procs.
 *
 * An actor's properties carry upstream's typed fields and, under `attrs`, every attribute
 * introspection returned, keyed by its short name (`hyperactor::introspect::status` ->
 * `status`), so attributes added to core's introspection later (queue depth, muted, flight
 * recorder, ...) show up without a change here (AD-3).
 *
 * ## Invariants
 *
 * - AD-3: `attrs` holds every key of the introspection result; a short name that two keys share
 *   keeps the second one's fully-qualified key (upstream IK-2: no two keys lost in the remap).
 * - AD-4 (upstream FI-3, FI-4): `failure_info` is present iff the status is failed;
 *   `is_propagated` iff the root cause is another actor.
 * - AD-5 (upstream NI-1, NI-2): a node's `identity` is the reference it was resolved by; an
 *   actor's `parent` is its supervising actor when it has one, else its proc; a proc's is `root`.
 */
import type { ActorSupervisionEvent, IntrospectResult } from '@procmesh/core';

export const ROOT_REF = 'root';

export interface FailureInfo {
  readonly error_message: string;
  readonly root_cause_actor: string;
  readonly root_cause_name: string | null;
  readonly occurred_at: string;
  readonly is_propagated: boolean;
}

/** A failure the host's supervisor saw on a proc (kept after the proc is gone). */
export interface ProcFailure extends FailureInfo {
  readonly actor: string;
  readonly display_name: string | null;
}

export interface RootProperties {
  readonly num_procs: number;
  readonly started_at: string;
  readonly started_by: string;
  readonly pid: number;
  readonly system_children: readonly string[];
}

export type ProcState = 'starting' | 'ready' | 'stopping' | 'gone';

export interface ProcProperties {
  readonly proc_name: string;
  readonly proc_index: number;
  readonly state: string;
  readonly num_actors: number;
  readonly system_children: readonly string[];
  readonly stopped_children: readonly string[];
  readonly stopped_retention_cap: number;
  readonly is_poisoned: boolean;
  readonly failed_actor_count: number;
  readonly served_addr: string | null;
  readonly stopped_reason: string | null;
  readonly failures: readonly ProcFailure[];
}

export interface ActorProperties {
  readonly actor_status: string;
  readonly actor_type: string;
  readonly messages_processed: number;
  readonly created_at: string;
  readonly last_message_handler: string | null;
  readonly total_processing_time_us: number;
  readonly is_system: boolean;
  readonly failure_info: FailureInfo | null;
  readonly flight_recorder: string | null;
  /** AD-3: every attribute, by short name. */
  readonly attrs: Readonly<Record<string, unknown>>;
}

export type NodeProperties =
  | { readonly Root: RootProperties }
  | { readonly Proc: ProcProperties }
  | { readonly Actor: ActorProperties }
  | { readonly Error: { readonly code: string; readonly message: string } };

export interface NodePayload {
  readonly identity: string;
  readonly properties: NodeProperties;
  readonly children: readonly string[];
  readonly parent: string | null;
  readonly as_of: string;
}

/** AD-3: fully-qualified attribute keys to short names. */
export function shortAttrs(fq: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fq)) {
    const at = key.lastIndexOf('::');
    const short = at < 0 ? key : key.slice(at + 2);
    out[Object.hasOwn(out, short) ? key : short] = value;
  }
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The `{ Actor }` node of an introspection result (AD-3, AD-4, AD-5). */
export function actorNode(result: IntrospectResult, procRef: string): NodePayload {
  const attrs = shortAttrs(JSON.parse(result.attrs) as Record<string, unknown>);
  const status = str(attrs['status']) ?? 'unknown';
  const reason = str(attrs['status_reason']);
  const failed = status === 'failed';
  const failure: FailureInfo | null = failed
    ? {
        error_message: str(attrs['failure_error_message']) ?? reason ?? '',
        root_cause_actor: str(attrs['failure_root_cause_actor']) ?? result.identity,
        root_cause_name: str(attrs['failure_root_cause_name']) ?? null,
        occurred_at: str(attrs['failure_occurred_at']) ?? result.as_of,
        is_propagated: attrs['failure_is_propagated'] === true,
      }
    : null;
  const recorder = attrs['flight_recorder'];
  return {
    identity: result.identity,
    properties: {
      Actor: {
        actor_status: reason !== undefined ? `${status}: ${reason}` : status,
        actor_type: str(attrs['actor_type']) ?? 'unknown',
        messages_processed: num(attrs['messages_processed']),
        created_at: str(attrs['created_at']) ?? result.as_of,
        last_message_handler: str(attrs['last_handler']) ?? null,
        total_processing_time_us: num(attrs['total_processing_time_us']),
        is_system: attrs['is_system'] === true,
        failure_info: failure,
        flight_recorder: recorder === undefined || recorder === null ? null : typeof recorder === 'string' ? recorder : JSON.stringify(recorder),
        attrs,
      },
    },
    children: [...result.children],
    parent: result.parent ?? procRef,
    as_of: result.as_of,
  };
}

/** The failure a supervision event reports, with its root cause (upstream `actually_failing_actor`). */
export function failureOf(event: ActorSupervisionEvent): ProcFailure {
  const root = event.actuallyFailingActor();
  const status = event.actorStatus;
  return {
    actor: String(event.actorId),
    display_name: event.displayName ?? null,
    error_message: status.kind === 'failed' ? status.error : String(status),
    root_cause_actor: String(root.actorId),
    root_cause_name: root.displayName ?? null,
    occurred_at: new Date(root.occurredAt).toISOString(),
    is_propagated: !root.actorId.equals(event.actorId),
  };
}

/** The `{ Actor }` node of an actor known only by the failure its (now gone) proc reported. */
export function failedActorNode(failure: ProcFailure, procRef: string): NodePayload {
  const { actor, display_name: _name, ...info } = failure;
  return {
    identity: actor,
    properties: {
      Actor: {
        actor_status: `failed: ${failure.error_message}`,
        actor_type: 'unknown',
        messages_processed: 0,
        created_at: failure.occurred_at,
        last_message_handler: null,
        total_processing_time_us: 0,
        is_system: false,
        failure_info: info,
        flight_recorder: null,
        attrs: { status: 'failed', status_reason: failure.error_message },
      },
    },
    children: [],
    parent: procRef,
    as_of: failure.occurred_at,
  };
}

export function errorNode(identity: string, code: string, message: string): NodePayload {
  return { identity, properties: { Error: { code, message } }, children: [], parent: null, as_of: new Date().toISOString() };
}
