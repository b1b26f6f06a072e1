/**
 * proc-options.ts: what a `Proc` is built with (`ProcOptions`: configuration, logger, crash
 * policy, clock) and what `Proc.direct` takes besides (the served and dialed channels' options).
 * Apart from proc.ts so the proc's own file stays on its behaviour.
 */
import type { Logger } from 'pino';
import type { NatsChannelOptions, NatsOptions } from './channel/nats/options.js';
import type { ServeOptions } from './channel/net/options.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { MailboxDialOptions } from './mailbox/senders/dial.js';
import type { MessageEnvelope } from './mailbox/envelope.js';

export interface ProcOptions {
  /** Overrides of the `PROCMESH_*` configuration. */
  readonly config?: Partial<Config>;
  /** The proc's logger (default: a child of the root logger with a `proc` field). */
  readonly logger?: Logger;
  /**
   * What a crash does (PD-4). Default: `process.exit(1)`, which ends the process on the main
   * thread and the worker thread inside a worker.
   */
  readonly onCrash?: (message: string) => void;
  /**
   * The proc's clock (default `realClock`): its actors' timestamps (status, supervision events,
   * `send_timestamp`, introspection) and timers (child stop waits, cleanup and destroy
   * timeouts, `selfMessageWithDelay`). Tests pass a `SimulatedClock`.
   */
  readonly clock?: Clock;
}

/**
 * What `Proc.direct` takes besides the proc options.
 *
 * Who may reach the proc: `serve.auth` (a shared `token`, an `authorize(peer)` callback) and
 * `serve.tls` (`requestCert` with a `ca`: mutual TLS); the proc's own credentials for the procs
 * it dials: `dial.auth.token`, `dial.tls.cert`/`key`. The application learns who connects
 * through `serve.auth.authorize`, called once per connection, before any envelope of it is read,
 * with the `NetPeer` (its verified client certificate, its address); returning `false` refuses
 * it (NA-1 ... NA-8 in `channel/net/admission.ts`; docs/threat-model.md).
 *
 * @example
 * ```ts
 * const proc = await Proc.direct('tls:localhost:0', 'server', {
 *   serve: {
 *     tls: { cert, key, ca, requestCert: true },
 *     auth: { authorize: (peer) => peer.certificate?.subject.CN === 'worker-1' },
 *   },
 *   dial: { tls: { ca, cert: myCert, key: myKey } },
 * });
 * ```
 */
export interface DirectProcOptions extends ProcOptions {
  /** The served channel's options (timings, TLS, auth, logger); the codec is the envelope codec. */
  readonly serve?: Omit<ServeOptions<MessageEnvelope> & NatsChannelOptions, 'codec'>;
  /**
   * How a proc on a `nats:` address connects (servers, credentials, TLS: channel/nats/options.ts),
   * for its served subject and every `nats:` address it dials, over one shared connection.
   */
  readonly nats?: NatsOptions;
  /** Options of every channel the proc dials (timings, backoff, TLS, auth, logger). */
  readonly dial?: MailboxDialOptions;
}
