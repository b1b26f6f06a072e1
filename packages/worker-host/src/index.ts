/**
 * @procmesh/worker-host: the Node adapter of `@procmesh/core` (which never imports
 * `node:worker_threads`): `ProcHost` starts procs in worker threads, answers their link requests
 * over the control plane (comlink), and supervises them from the main thread. The data plane
 * between the procs is core's (`LocalProc`, `LocalLinkDialer`). The surface is recorded in
 * `packages/worker-host/api/worker-host.api.md`.
 *
 * @module @procmesh/worker-host
 */
export { ProcHost, HostError, type ProcHostOptions, type HostErrorCode } from './host.js';
export { Supervisor, type InspectionEvent, type SupervisionFailure, type SupervisorEvents } from './supervisor.js';
// Actor types are registered in core (mesh/spawner.ts spawns them); re-exported for actor modules.
export { registerActor, registeredActorTypes } from '@procmesh/core';
export type { ActorTreeNode, TerminatedActor } from './protocol.js';
// The admin endpoint (src/admin/; docs/guide.md, "Watching a running system").
export type { AdminEndpoint, AdminInfo } from './admin/server.js';
export { AdminError, type AdminErrorCode, type AdminOptions } from './admin/options.js';
export type { NodePayload, NodeProperties, RootProperties, ProcProperties, ActorProperties, FailureInfo, ProcFailure } from './admin/nodes.js';
// A MessagePort as a comlink endpoint (the control plane's; benchmarks/ use it for their comlink peer).
export { portEndpoint } from './endpoint.js';
