/**
 * protocol.ts: the wire types between the main thread and its workers (types only, like
 * comlink's `protocol.ts`). Control calls go main -> worker over comlink (`WorkerControl`);
 * events go worker -> main as plain `postMessage`s on a dedicated port (`WorkerEvent`).
 * Ids and events cross as msgpackr bytes (`@procmesh/core` codec), so ids nested anywhere and
 * names that do not parse survive.
 */
import type { ConfigEntry, IntrospectResult, ProcmeshErrorCode } from '@procmesh/core';
import type { LinkEnd, NatsOptions } from '@procmesh/core/transport';

/** `workerData` of a procmesh worker. */
export interface WorkerInit {
  /** The proc's index: its `ProcId` is `local:{index},{name}`. */
  readonly index: number;
  readonly procName: string;
  /** Module URLs the worker imports before starting (they register actor types). */
  readonly modules: readonly string[];
  /** Configuration overrides (`Config` keys). */
  readonly config: Readonly<Record<string, number | boolean>>;
  readonly logLevel: string;
  /** Also serve the proc on this socket address or NATS subject prefix (`ProcHostOptions.serve`). */
  readonly serve?: string;
  /** NR-11: the `NetSessionTable` of a serving worker, kept by the host across restarts (HO-3). */
  readonly netSessions?: SharedArrayBuffer;
  /** How a `nats:` serve address connects (`ProcHostOptions.nats`; plain data). */
  readonly nats?: NatsOptions;
  /** The shared token of `ProcHostOptions.peerToken`: required of peers, presented when dialing. */
  readonly peerToken?: string;
}

/** A typed failure of a control call, rebuilt on the main thread as `HostError`. */
export interface WireError {
  /** The worker-side error's code, or `worker-error` for anything that was not a `ProcmeshError`. */
  readonly code: ProcmeshErrorCode | 'worker-error';
  readonly message: string;
}

export type ControlResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: WireError };

/** One node of a proc's actor tree (pre-order, `depth` 0 for roots). */
export interface ActorTreeNode {
  readonly actorId: string;
  readonly depth: number;
  readonly status: string;
  readonly actorType: string;
  readonly messagesProcessed: number;
  /** Infrastructure (`instance.setSystem()`): the host's own clients, for example. */
  readonly isSystem: boolean;
}

/** A terminated actor whose snapshot the proc keeps (SN-1). */
export interface TerminatedActor {
  readonly actorId: string;
  readonly failed: boolean;
}

/** The worker's control endpoint (comlink). */
export interface WorkerControl {
  stopActor(actorId: Uint8Array, reason: string): Promise<ControlResult<boolean>>;
  /** `proc.destroyAndWait`; ids as display strings. */
  destroy(timeoutMs: number, reason: string): Promise<ControlResult<{ stopped: string[]; aborted: string[] }>>;
  tree(): Promise<ActorTreeNode[]>;
  introspect(actorId: Uint8Array): Promise<IntrospectResult | undefined>;
  /** Attach the sending side of a link to `peer` (a ring, or a MessagePort). */
  connectOut(peer: number, end: LinkEnd): Promise<void>;
  /** Attach the receiving side of a link from `peer`. */
  connectIn(peer: number, end: LinkEnd): Promise<void>;
  /** `peer` is gone: return everything queued for it as undeliverable. */
  peerGone(peer: number, reason: string): Promise<void>;
  /** `peer` was restarted with the same index: the next envelope for it gets a new link (LL-5). */
  peerRestarted(peer: number): Promise<void>;
  /** The worker had no link to `peer` because no such proc exists. */
  noSuchPeer(peer: number): Promise<void>;
  /** The proc's terminated-actor snapshots (the admin endpoint). */
  terminated(): Promise<TerminatedActor[]>;
  /** The proc's effective configuration (the admin endpoint's `/v1/config`). */
  config(): Promise<ConfigEntry[]>;
  /** Close ports and let the worker exit. */
  shutdown(): Promise<void>;
}

/** Events from a worker. */
export type WorkerEvent =
  /** `served`: the bound address when the worker serves on a socket. */
  | { readonly type: 'ready'; readonly served?: string }
  /** msgpackr of `WireSupervisionEvent` */
  | { readonly type: 'supervision'; readonly event: Uint8Array }
  | { readonly type: 'need-link'; readonly to: number };

/** A supervision event as data (msgpackr; `actorId` is an `ActorId` extension). */
export interface WireSupervisionEvent {
  readonly actorId: unknown;
  readonly displayName: string | null;
  readonly status: { readonly kind: string; readonly reason?: string; readonly error?: string };
  readonly occurredAt: number;
}
