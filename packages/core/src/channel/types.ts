/**
 * channel/types.ts: the transport contract every channel implements (upstream `channel.rs`).
 *
 * A channel is a one-directional, ordered pipe of messages from a `Tx` to an `Rx`. Transports:
 * `local.ts` (in-process queue), `ring/` (SharedArrayBuffer SPSC ring between threads), `net/`
 * (tcp, unix, tls sockets with sessions, acks and resend), `nats/` (subjects on a NATS system,
 * the same session promise over core NATS).
 *
 * ## Contract (every transport; tested per transport)
 *
 * - CH-1 FIFO: messages posted on one `Tx` are received in post order, each at most once.
 * - CH-2 Nothing lost silently: a message that cannot be delivered is handed back through its
 *   `onReturn` callback (or the rejection of `send`) with a `SendError` carrying the message.
 * - CH-3 `post` never throws for transport failures and never blocks; `send` resolves when the
 *   transport considers the message delivered (acked for `net`, enqueued for `local`/`ring`).
 * - CH-4 After close (either side), `status()` is `'closed'`; every queued and later message is
 *   returned with code `closed`.
 * - CH-5 `Rx.recv()` rejects with `ChannelError` code `closed` once the channel is closed and drained.
 */
import { ProcmeshError } from '../errors.js';
import type { ChannelAddr } from '../addr.js';

export type TxStatus = 'active' | 'closed';

export type ChannelErrorCode =
  | 'closed'
  | 'invalid-address'
  | 'full'
  | 'timeout'
  | 'rejected'
  | 'frame-too-large'
  | 'protocol'
  | 'io'
  /** serving `tls:`/`metatls:` without a certificate and key (`ServeOptions.tls`), or mutual TLS without a `ca` */
  | 'missing-certificate'
  /** the server refused this client's credentials: token, client certificate or `authorize` (NA-6) */
  | 'unauthorized'
  /** an `auth` option that cannot work: an empty or over-long token */
  | 'invalid-auth'
  /** nats: no server of the address (or of `NatsOptions.servers`) could be reached */
  | 'unreachable'
  /** nats: serving a subject that another receiver already serves */
  | 'address-in-use'
  /** nats: a name looked up in a `NatsDirectory` that nobody registered */
  | 'not-found';

/** A channel-level failure (upstream `ChannelError`). */
export class ChannelError extends ProcmeshError {
  readonly code: ChannelErrorCode;
  constructor(code: ChannelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** A message handed back to its sender (upstream `SendError { error, message, reason }`). */
export class SendError<M> extends ProcmeshError {
  readonly code: ChannelErrorCode;
  constructor(
    code: ChannelErrorCode,
    readonly value: M,
    readonly reason: string,
  ) {
    super(`send error: ${code}: ${reason}`);
    this.code = code;
  }
}

export type ReturnCallback<M> = (error: SendError<M>) => void;

export interface Tx<M> {
  /** The address this Tx sends to. */
  readonly addr: ChannelAddr;
  /** Enqueue `message`; failures come back through `onReturn` (CH-2, CH-3). */
  post(message: M, onReturn?: ReturnCallback<M>): void;
  /** Enqueue and resolve once delivered (or reject with the `SendError`). */
  send(message: M): Promise<void>;
  status(): TxStatus;
  /** Called once when the Tx turns `closed`. Returns an unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void;
  /** Resolves once every previously posted message was delivered or returned. */
  flush(): Promise<void>;
  /** Close the Tx; queued messages are returned with code `closed`. */
  close(reason?: string): void;
}

export interface Rx<M> {
  /** The address this Rx is served on. */
  readonly addr: ChannelAddr;
  /** Next message; rejects with `ChannelError('closed')` when the channel is closed and drained. */
  recv(): Promise<M>;
  /** Stop receiving; the Tx side sees `closed`. */
  close(reason?: string): void;
  /** Resolves when the Rx has finished (acks flushed, resources released). */
  join(): Promise<void>;
}
