/**
 * @procmesh/core: the Proc actor runtime. The curated public surface, what an application
 * writes against: ids, `Proc`, actors, ports and references, errors, status, supervision and
 * introspection, config and logging, the clock. What a transport or host implementer needs
 * (channels, mailbox senders and routers, the wire codecs, the ring, port and net channels, the
 * local links between the procs of a process) is
 * `@procmesh/core/transport`; test helpers are `@procmesh/core/testing`; everything else is
 * internal. The surface is recorded in `packages/core/api/core.api.md` (`node scripts/api-report.mjs`).
 *
 * Some are exported here as types only (`Mailbox`, `InstanceCell`, `WorkCell`, `StatusCell`,
 * `Sequencer`, `BaseMailboxSender`, `MailboxSender`, `ReturnHandle`, `SeqInfo`): an application
 * meets them in `Proc`'s and `Instance`'s signatures but never constructs them; the values of
 * those a transport needs are in `@procmesh/core/transport`.
 *
 * @example
 * ```ts
 * import { Proc, type Actor, type Context, type OncePortRef } from '@procmesh/core';
 * const proc = Proc.local();
 * const [client] = proc.instance('client');
 * const counter = proc.spawn('counter', new Counter());
 * counter.send(client, { type: 'inc', by: 2 });
 * ```
 *
 * @module @procmesh/core
 */

// Ids and addresses.
export { ProcId, ActorId, PortId, Reference, ACTOR_PORT } from './id.js';
export { ChannelAddr, type ChannelTransport } from './addr.js';

// The proc.
export { Proc, type ProcOptions, type DirectProcOptions, type ActorInstance } from './proc.js';
// Who may reach a `Proc.direct` proc (`DirectProcOptions.serve.auth` / `.dial.auth`, docs/threat-model.md).
export type { ServeAuth, DialAuth, Token, NetPeer, PeerCertificate } from './channel/net/options.js';
// Procs on a NATS system (`Proc.direct('nats://host:port/prefix', name, { nats })`): connection
// options, and finding procs and actors by name.
export { NatsDirectory, type NatsDirectoryEntry } from './channel/nats/directory.js';
export type { NatsOptions, NatsTlsOptions, NatsChannelOptions, PendingWatermarks } from './channel/nats/options.js';
export { WeakProc } from './weak-proc.js';

// Actors.
export { Instance, ActorHandle, type Actor, type Context, type ProcServices, type InstanceKind, type InstanceIntake, type WorkCell } from './actor/instance.js';
export type { ActorSpawnOptions } from './actor/spawn-options.js';
export type { ActorHooks } from './actor/actor.js';
export type { InstanceCell, CellInstance } from './actor/cell.js';
export { Signal } from './actor/signal.js';
export { ActorStatus, StatusTransitionError, displayStatus, type StatusWatch, type StatusCell, type StatusListener, type HandlerInfo } from './status.js';

// References and ports.
export { ActorRef, PortRef, OncePortRef, type Sendable, type SendableLeaf, type SendableRef, type PostContext, type AskContext, type AskOptions, type SendOptions, type AskRequest, type AskReply, type SendHeaders, type LocalActorHandle, type ActorRefResolver } from './ref.js';
// Request/reply with a timeout and a typed reply (ref.ask).
export { AskError, AskTable, ASK_HEADER, DEFAULT_ASK_TIMEOUT_MS, type AskErrorCode } from './actor/ask.js';
export {
  PortHandle,
  OncePortHandle,
  PortReceiver,
  OncePortReceiver,
  type Accumulator,
  type SendContext,
  type PortOwner,
  type PayloadGuard,
} from './mailbox/ports.js';
export type { Mailbox } from './mailbox/mailbox.js';
export type { Sequencer } from './sequencing.js';
export type { BaseMailboxSender, MailboxSender, ReturnHandle } from './mailbox/sender.js';

// Envelopes, as handlers see them (`cx.headers`, `Undeliverable` returns).
export { MessageEnvelope, Undeliverable, type Headers, type SeqInfo } from './mailbox/envelope.js';

// Errors.
export { ProcmeshError, ParseError, ProcError, PanicError, type ParseErrorCode, type ProcErrorCode } from './errors.js';
export { PROCMESH_ERROR_CODES, isProcmeshErrorCode, type ProcmeshErrorCode } from './error-codes.js';
export { ChannelError, SendError, type ChannelErrorCode } from './channel/types.js';
export {
  MailboxError,
  MailboxSenderError,
  DeliveryError,
  type MailboxErrorCode,
  type MailboxSenderErrorCode,
  type DeliveryErrorKind,
} from './mailbox/errors.js';
export { ActorError, ActorErrorKind, UndeliverableMessageError } from './actor/errors.js';
export { CodecError, type CodecErrorCode } from './wire/errors.js';

// The sending contract (wire/sendable.ts): what a message may hold.
export { registerCodec, USER_CODEC_TAGS, type ClassCodec } from './wire/msgpack.js';

// Supervisors (supervise/): child specs, restart strategies, intensity, backoff.
export { Supervisor, type SupervisorMsg, type ChildInfo } from './supervise/supervisor.js';
export {
  SupervisorError,
  childSpec,
  type ChildSpec,
  type AnyChildSpec,
  type RestartType,
  type RestartStrategy,
  type BackoffOptions,
  type SupervisorOptions,
  type SupervisorErrorCode,
} from './supervise/spec.js';

// Registered actor types, spawning on any proc, actor meshes (mesh/).
export { registerActor, actorType, registeredActorTypes, type ActorType, type MessageOf, type ParamsOf } from './actor/registry.js';
export { spawnRemote, spawnMany, type SpawnContext, type SpawnOptions } from './mesh/spawn.js';
export { SPAWNER_NAME, startSpawner, spawnerRef, type SpawnSpec, type SpawnOutcome, type SpawnerMsg } from './mesh/spawner.js';
export { SpawnError, type SpawnErrorCode } from './mesh/errors.js';
export { ActorMesh, spawnMesh, gather, CAST_RANK_HEADER, type MeshFailure, type CastContext, type GatherContext, type MeshSpawnContext } from './mesh/actor-mesh.js';
export { Point, bindPoint, type Extent } from './mesh/point.js';
export { sum, collect, firstError, type Ranked, type RankedResult, type FirstErrorState } from './mesh/accumulators.js';

export { RestartIntensity, type RestartIntensityOptions } from './supervise/restart-intensity.js';

// Supervision and introspection.
export { ActorSupervisionEvent } from './supervision.js';
export { ATTR, introspectAttrs, type IntrospectMessage, type IntrospectResult, type IntrospectView, type IntrospectCell } from './introspect.js';
export { FlightRecorder, type FlightEvent, type FlightEventKind } from './flight-recorder.js';
export { refreshTelemetry } from './telemetry/switch.js';

// Configuration, logging, time.
export { config, configEntries, withConfig, type Config, type ConfigEntry } from './config.js';
export type { FlowLimits, FlowSender } from './mailbox/flow.js';
export { rootLogger, setRootLogger, type Logger } from './log.js';
export { realClock, SimulatedClock, type Clock, type Timer } from './clock.js';
