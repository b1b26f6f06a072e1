/**
 * @procmesh/worker-host: procs in worker threads, the main-thread supervisor, the fabric between
 * them. The Node adapter of `@procmesh/core` (which never imports `node:worker_threads`).
 */
export { ProcHost, HostError, type ProcHostOptions, type HostErrorCode } from './host.js';
export { Supervisor, type InspectionEvent, type SupervisionFailure } from './supervisor.js';
export { registerActor, registeredActorTypes } from './registry.js';
export type { ActorTreeNode } from './protocol.js';
export { portEndpoint } from './endpoint.js';
