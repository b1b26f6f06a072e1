/**
 * @procmesh/core: the Proc actor runtime. The curated public surface; everything else is
 * internal.
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
export { ProcmeshError, ParseError, ProcError, PanicError, type ParseErrorCode, type ProcErrorCode } from './errors.js';
export { PROCMESH_ERROR_CODES, isProcmeshErrorCode, type ProcmeshErrorCode } from './error-codes.js';
export { ChannelAddr, type ChannelTransport } from './addr.js';
export { ChannelError, SendError, type Tx, type Rx, type TxStatus, type ChannelErrorCode, type ReturnCallback } from './channel/types.js';
export { serveLocal, dialLocal } from './channel/local.js';
export { ProcId, ActorId, PortId, Reference, compareReferences, USER_PORT_OFFSET, ACTOR_PORT } from './id.js';
export { config, withConfig, DEFAULT_CONFIG, type Config } from './config.js';
export { rootLogger, setRootLogger, type Logger } from './log.js';
export { CodecError, type CodecErrorCode } from './wire/errors.js';
export { encodePayload, decodePayload, payloadCodec, type Codec } from './wire/payload.js';
export { encodeEnvelope, decodeEnvelope, envelopeTupleCodec } from './wire/envelope.js';
export { registerExtension, EXT } from './wire/msgpack.js';
export { EnvelopeRecordCodec, type EnvelopeRecordCodecOptions } from './wire/envelope-record.js';
export { Sequencer, uuidv7 } from './sequencing.js';
export { ActorSupervisionEvent } from './supervision.js';
export {
  ATTR,
  introspectAttrs,
  type IntrospectMessage,
  type IntrospectResult,
  type IntrospectView,
} from './introspect.js';
export { MessageEnvelope, Undeliverable, SeqInfo, HEADER, type Headers } from './mailbox/envelope.js';
export {
  MailboxError,
  MailboxSenderError,
  DeliveryError,
  type MailboxErrorCode,
  type MailboxSenderErrorCode,
  type DeliveryErrorKind,
} from './mailbox/errors.js';
export { Mailbox } from './mailbox/mailbox.js';
export { ActorRef, PortRef, OncePortRef, type PostContext, type SendHeaders, type LocalActorHandle, type ActorRefResolver } from './ref.js';
export {
  PortHandle,
  OncePortHandle,
  PortReceiver,
  OncePortReceiver,
  type Accumulator,
  type SendContext,
  type PortOwner,
} from './mailbox/ports.js';
export {
  BaseMailboxSender,
  abandonedMessages,
  onAbandoned,
  returnUndeliverable,
  type MailboxSender,
  type ReturnHandle,
} from './mailbox/sender.js';
export { MailboxMuxer } from './mailbox/senders/muxer.js';
export { MailboxRouter, DialMailboxRouter, type Dialer } from './mailbox/senders/router.js';
export { PanickingMailboxSender, UndeliverableMailboxSender, UnroutableMailboxSender } from './mailbox/senders/simple.js';
export { MailboxClient } from './mailbox/senders/client.js';
export { MailboxServer } from './mailbox/senders/server.js';
export { ActorStatus, StatusTransitionError, displayStatus, type StatusWatch, type HandlerInfo } from './status.js';
export { Signal } from './actor/signal.js';
export { ActorError, ActorErrorKind, UndeliverableMessageError } from './actor/errors.js';
export type { ActorHooks } from './actor/actor.js';
export { Instance, ActorHandle, WorkCell, type Actor, type Context, type ProcServices } from './actor/instance.js';
export { InstanceCell } from './actor/cell.js';
export { Proc, WeakProc, type ProcOptions, type ActorInstance } from './proc.js';
export { dialMailbox, MailboxDialer, type MailboxDialOptions } from './mailbox/senders/dial.js';
export type { DirectProcOptions } from './proc.js';
export { LocalProc, type LocalProcOptions } from './local-proc.js';
export { LocalLinkDialer, type LinkEnd, type LocalLinkDialerOptions } from './mailbox/senders/local-dial.js';
export { LazyTx } from './channel/lazy.js';
export { PortTx, PortRx, type MessagePortLike } from './channel/port.js';
export { realClock, SimulatedClock, type Clock, type Timer } from './clock.js';
