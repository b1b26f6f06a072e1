/**
 * @procmesh/worker-host: procs in worker threads, the main-thread supervisor, the fabric between
 * them. The Node adapter of `@procmesh/core` (which never imports `node:worker_threads`). The
 * surface is recorded in `packages/worker-host/api/worker-host.api.md`.
 */
export { ProcHost, HostError, type ProcHostOptions, type HostErrorCode } from './host.js';
export { Supervisor, type InspectionEvent, type SupervisionFailure } from './supervisor.js';
export { registerActor, registeredActorTypes } from './registry.js';
export type { ActorTreeNode } from './protocol.js';
// `ProcHost.main`: the main thread's proc, its router and server (types only; they move to core
// with the fabric).
export type { FabricProc, FabricProcOptions } from './fabric-proc.js';
export type { FabricRouter, OutboundLink } from './fabric.js';
export type { LinkInit } from './protocol.js';
// Used by benchmarks/ (a MessagePort as a comlink endpoint); moves out of this entry with the
// fabric (`EnvelopeCodec` already left it: it is internal to the ring link).
export { portEndpoint } from './endpoint.js';
