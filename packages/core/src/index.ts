/**
 * @procmesh/core: the Proc actor runtime. The curated public surface, what an application
 * writes against: ids, `Proc`, actors, ports and references, errors, status, supervision and
 * introspection, config and logging, the clock. What a transport or host implementer needs
 * (channels, mailbox senders and routers, the envelope codec, the ring and net channels) is
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
 */

// Ids and addresses.
export { ProcId, ActorId, PortId, Reference } from './id.js';
export { ChannelAddr, type ChannelTransport } from './channel/addr.js';

// The proc.
export { Proc, WeakProc, type ProcOptions, type DirectProcOptions, type ActorInstance } from './proc.js';

// Actors.
export type { Actor, Context } from './actor/actor.js';
export { Instance, type InstanceCell, type InstanceKind, type WorkCell } from './actor/instance.js';
export { ActorHandle, ActorRef } from './actor/handle.js';
export { Signal } from './actor/signal.js';
export { ActorStatus, displayStatus, type StatusWatch, type StatusCell, type HandlerInfo } from './actor/status.js';
export type { Sequencer } from './sequencing.js';

// Ports, references and the mailbox as a handler sees it.
export {
  PortHandle,
  PortRef,
  OncePortHandle,
  OncePortRef,
  PortReceiver,
  OncePortReceiver,
  type Accumulator,
  type SendContext,
} from './mailbox/ports.js';
export { ACTOR_PORT, type Mailbox } from './mailbox/mailbox.js';
export type { BaseMailboxSender, MailboxSender, ReturnHandle } from './mailbox/sender.js';
export { MessageEnvelope, Undeliverable, type Headers, type SeqInfo } from './mailbox/envelope.js';

// Errors.
export { ProcmeshError, ParseError, ProcError, PanicError, type ParseErrorCode, type ProcErrorCode } from './errors.js';
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
export { CodecError } from './codec.js';

// Supervision and introspection.
export { ActorSupervisionEvent } from './supervision.js';
export { ATTR, introspectAttrs, type IntrospectMessage, type IntrospectResult, type IntrospectView } from './introspect.js';

// Config, logging, the clock.
export { config, withConfig, type Config } from './config.js';
export { rootLogger, setRootLogger, type Logger } from './log.js';
export { realClock, SimulatedClock, type Clock, type Timer } from './clock.js';
