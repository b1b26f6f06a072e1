/**
 * @procmesh/core/transport: what a transport or host implementer writes against (worker-host is
 * one): the channel contract (`Tx`/`Rx`) and its local, ring (SharedArrayBuffer SPSC) and net
 * (`tcp:`, `unix:`, `tls:`) implementations, the MessagePort channel and the lazily attached Tx;
 * mailbox senders, routers, `MailboxClient` and `MailboxServer`; the local links between the
 * procs of one process (`LocalProc`, `LocalLinkDialer`); the wire codecs; `Sequencer`. Applications use
 * `@procmesh/core`. The surface is recorded in `packages/core/api/transport.api.md`.
 *
 * The names a transport signature refers to that an application also uses (`ChannelAddr`,
 * `MessageEnvelope`, `ChannelError`, ...) are re-exported here too, so that this entry is
 * complete on its own.
 *
 * @example
 * ```ts
 * import { serve, dial } from '@procmesh/core/transport';
 * const [addr, rx] = await serve<{ n: number }>('tcp:127.0.0.1:0');
 * const tx = dial<{ n: number }>(addr);
 * tx.post({ n: 1 }, (err) => console.error('returned', err.reason));
 * console.log(await rx.recv());
 * ```
 *
 * @module @procmesh/core/transport
 */

// The channel contract; the local channel; serve/dial by address.
export { ChannelError, SendError, type Tx, type Rx, type TxStatus, type ChannelErrorCode, type ReturnCallback } from './channel/types.js';
export { ChannelAddr, type ChannelTransport } from './addr.js';
export { serveLocal, dialLocal } from './channel/local.js';
export { serve, dial } from './channel/serve.js';
export { LazyTx } from './channel/lazy.js';

// The ring channel (channel/ring/index.ts documents it).
export {
  RingBuffer,
  RingError,
  DEFAULT_CAPACITY,
  MAX_RECORD_BYTES,
  MIN_CAPACITY,
  MAX_CAPACITY,
  RingProducer,
  RingConsumer,
  BytesCodec,
  MsgpackRecordCodec,
  bytesCodec,
  msgpackCodec,
  RingTx,
  DEFAULT_MAX_QUEUED,
  RingRx,
  ringTx,
  ringRx,
  type RingErrorCode,
  type RingOptions,
  type RecordVisitor,
  type MsgpackRecordCodecOptions,
  type RecordCodec,
  type RingTxOptions,
  type QueueWatermarks,
  type RingRxOptions,
  type RingRxStats,
} from './channel/ring/index.js';

// The net channel (channel/net/index.ts documents it).
export {
  serveNet,
  NetRx,
  NetSessionTable,
  type SessionSlot,
  dialNet,
  NetTx,
  defaultCodec,
  MAX_TOKEN_BYTES,
  type BackoffOptions,
  type DialAuth,
  type DialOptions,
  type NetPeer,
  type NetTimings,
  type PeerCertificate,
  type Pem,
  type ServeAuth,
  type ServeOptions,
  type Token,
  type TlsDialOptions,
  type TlsServeOptions,
} from './channel/net/index.js';

// The nats channel (channel/nats/index.ts documents it).
export {
  serveNats,
  NatsRx,
  dialNats,
  NatsTx,
  DEFAULT_NATS_WINDOW,
  NatsDirectory,
  type NatsDirectoryEntry,
  type NatsServeOptions,
  type NatsDialOptions,
  type NatsChannelOptions,
  type NatsOptions,
  type NatsTlsOptions,
  type PendingWatermarks,
} from './channel/nats/index.js';

// Mailbox senders and routers.
export {
  BaseMailboxSender,
  returnUndeliverable,
  onAbandoned,
  abandonedMessages,
  type MailboxSender,
  type LocalRoute,
  type ReturnHandle,
} from './mailbox/sender.js';
export { Mailbox, type LazyPortBinder } from './mailbox/mailbox.js';
export type { PortEntry, Sink, PayloadGuard } from './mailbox/ports.js';
export { MailboxMuxer } from './mailbox/senders/muxer.js';
export { MailboxRouter, DialMailboxRouter, type Dialer } from './mailbox/senders/router.js';
export { PanickingMailboxSender, UndeliverableMailboxSender, UnroutableMailboxSender } from './mailbox/senders/simple.js';
export { MailboxClient } from './mailbox/senders/client.js';
export { MailboxServer } from './mailbox/senders/server.js';
export { dialMailbox, MailboxDialer, type MailboxDialOptions } from './mailbox/senders/dial.js';
export { SideChannel, type SideChannelReader } from './wire/side-channel.js';
export { Attachment, LARGE_BINARY_BYTES } from './wire/attachments.js';
export { LocalLinkDialer, type LinkEnd, type LocalLinkDialerOptions } from './mailbox/senders/local-dial.js';
export type { FlowLimits } from './mailbox/flow.js';
export { LocalProc, type LocalProcOptions } from './local-proc.js';

// Envelopes and the wire.
export { MessageEnvelope, Undeliverable, SeqInfo, HEADER, type Headers } from './mailbox/envelope.js';
export { DeliveryError, type DeliveryErrorKind } from './mailbox/errors.js';
export { CodecError, type CodecErrorCode } from './wire/errors.js';
export { encodePayload, decodePayload, payloadCodec, type Codec } from './wire/payload.js';
export { checkMsgpack, decodeLimits, type DecodeLimits } from './wire/limits.js';
export { encodeEnvelope, decodeEnvelope, envelopeTupleCodec } from './wire/envelope.js';
export { EnvelopeRecordCodec, type EnvelopeRecordCodecOptions } from './wire/envelope-record.js';
export { Sequencer, SequenceError } from './sequencing.js';
export type { WorkQueue } from './actor/work-queue.js';
export type { Fifo } from './actor/fifo.js';
export type { ReceiptQueue, ReceiptSink } from './channel/receipt.js';
export type { FlowOwner, InstanceFlow } from './actor/flow.js';
export type { FlowGate } from './mailbox/flow.js';

// Spawning through a proc's spawner with untyped specs (a host respawning the roots it recorded).
export { spawnSpecs } from './mesh/spawn.js';
