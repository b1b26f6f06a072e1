/**
 * channel/net/options.ts: what `serveNet`/`dialNet` take: the payload codec, the timing knobs
 * (each overrides the matching key of `config()`), the reconnect backoff, TLS material, who may
 * connect (`auth`: a shared token, mutual TLS, an `authorize` callback; admitted by
 * `admission.ts`, NA-1 ...), the logger, and the clock. Everything is optional; defaults follow
 * upstream (spec §1.14, §7.3); without `auth` a server admits whoever reaches its address.
 */
import type { NetSessionTable } from './resume-table.js';
import type { ChannelTransport } from '../../addr.js';
import type { Clock } from '../../clock.js';
import type { QueueWatermarks } from '../ring/tx.js';
import { config } from '../../config.js';
import { rootLogger, type Logger } from '../../log.js';
import { payloadCodec, type Codec } from '../../wire/payload.js';

/** Turns messages into payload bytes and back (the mailbox layer plugs its envelope codec in). */
export type { Codec };

/** Per-channel overrides of the net keys of `config()`. */
export interface NetTimings {
  /** Max time from post to ack before the Tx closes (default `config().messageDeliveryTimeoutMs`). */
  readonly messageDeliveryTimeoutMs?: number;
  /** Server: ack at least this often while behind (default `config().messageAckTimeIntervalMs`). */
  readonly messageAckTimeIntervalMs?: number;
  /** Server: ack after this many unacked messages (default `config().messageAckEveryNMessages`). */
  readonly messageAckEveryNMessages?: number;
  /** Largest frame body either side accepts (default `config().codecMaxFrameLength`). */
  readonly codecMaxFrameLength?: number;
}

/** Reconnect backoff (upstream: 1 ms, x2, up to 1 s, jitter 0.1, no cap on attempts). */
export interface BackoffOptions {
  readonly initialMs?: number;
  readonly multiplier?: number;
  readonly maxMs?: number;
  /** Randomization factor: each delay is drawn from `delay * (1 +- jitter)`. */
  readonly jitter?: number;
}

/** PEM material (strings or buffers), as `node:tls` takes it. */
export type Pem = string | Buffer | ReadonlyArray<string | Buffer>;

/** TLS for a server (`tls:` addresses). */
export interface TlsServeOptions {
  readonly cert: Pem;
  readonly key: Pem;
  /** CAs that client certificates must chain to (with `requestCert`; required then, NA-2). */
  readonly ca?: Pem;
  /**
   * Mutual TLS: ask every client for a certificate and refuse, in the TLS handshake, those
   * without one or whose certificate does not chain to `ca` (NA-2). The verified certificate
   * is the peer's identity (`NetPeer.certificate`, given to `ServeAuth.authorize`).
   */
  readonly requestCert?: boolean;
}

/** TLS for a client (`tls:` addresses). */
export interface TlsDialOptions {
  /** CAs the server certificate must chain to (default: Node's bundled roots). */
  readonly ca?: Pem;
  /** Client certificate and key, for servers that request one. */
  readonly cert?: Pem;
  readonly key?: Pem;
  /** Name checked against the server certificate (default: the address host). */
  readonly servername?: string;
  /** Default true; false accepts any server certificate (tests only). */
  readonly rejectUnauthorized?: boolean;
}

/** A shared secret: a string (its UTF-8 bytes) or bytes; 1 to `MAX_TOKEN_BYTES` (1024) bytes. */
export type Token = string | Uint8Array;

/** Who may connect to a server (`ServeOptions.auth`); checked on every connection (NA-1). */
export interface ServeAuth {
  /**
   * A shared secret every client must present (`DialAuth.token`), on any transport (tcp, unix,
   * tls). A connection without it, or with another one, is refused before any envelope is read
   * (NA-3, NA-4).
   */
  readonly token?: Token;
  /**
   * Decide per connection, after the TLS handshake and the token check: `true` admits; `false`,
   * a rejected promise or a throw refuses (NA-4). It sees who the peer is (`NetPeer`: its
   * verified client certificate under mutual TLS, its address); an observer returns `true`.
   */
  readonly authorize?: (peer: NetPeer) => boolean | Promise<boolean>;
  /**
   * How long a connection may take to present its credentials when the server requires some
   * (a token or `authorize`) before it is refused (default 10 000 ms, wall clock: NA-5).
   */
  readonly handshakeTimeoutMs?: number;
}

/** The credentials a client presents (`DialOptions.auth`). */
export interface DialAuth {
  /** The server's shared secret (`ServeAuth.token`); sent in the admission hello (NA-1). */
  readonly token?: Token;
}

/** A verified client certificate (mutual TLS), as `node:tls` reports it. */
export interface PeerCertificate {
  /** Subject attributes, e.g. `{ CN: 'worker-1', O: 'acme' }`; a repeated attribute joined with `, `. */
  readonly subject: Readonly<Record<string, string>>;
  /** Issuer attributes, as `subject`. */
  readonly issuer: Readonly<Record<string, string>>;
  /** Subject alternative names as Node prints them: `DNS:worker-1`, `IP Address:10.0.0.5`, `URI:spiffe://...`. */
  readonly subjectAltNames: readonly string[];
  /** SHA-256 fingerprint of the DER certificate, colon-separated upper-case hex (`AB:CD:...`). */
  readonly fingerprint256: string;
  /** Serial number, upper-case hex. */
  readonly serialNumber: string;
  /** Start of validity, as OpenSSL prints it (`Dec  6 21:00:00 2026 GMT`). */
  readonly validFrom: string;
  /** End of validity, as `validFrom`. */
  readonly validTo: string;
}

/** Who is on the other end of an accepted connection (NA-8): what `ServeAuth.authorize` sees. */
export interface NetPeer {
  /** The served transport. */
  readonly transport: ChannelTransport;
  /** `ip:port` (`[ip]:port` for IPv6) of the remote end; for `unix:` the served address. */
  readonly remoteAddress: string;
  /** The client certificate, verified against `TlsServeOptions.ca` (mutual TLS only). */
  readonly certificate?: PeerCertificate;
  /** Whether the peer presented the server's token (false when the server has none). */
  readonly tokenVerified: boolean;
}

export interface DialOptions<M> extends NetTimings {
  readonly codec?: Codec<M>;
  readonly backoff?: BackoffOptions;
  readonly tls?: TlsDialOptions;
  /** Credentials for a server that requires them (`ServeOptions.auth`). */
  readonly auth?: DialAuth;
  readonly logger?: Logger;
  /** Time for the delivery timeout and the reconnect backoff (default `realClock`). */
  readonly clock?: Clock;
  /**
   * Told when the Tx's queue (unacked and not yet written) is over `high`, and when it is back at
   * or under `low` (flow control, NT-12); one object per Tx.
   */
  readonly watermarks?: QueueWatermarks;
}

export interface ServeOptions<M> extends NetTimings {
  readonly codec?: Codec<M>;
  readonly tls?: TlsServeOptions;
  /** Who may connect (NA-1 ...); default: whoever reaches the address (which is loopback unless told otherwise). */
  readonly auth?: ServeAuth;
  readonly logger?: Logger;
  /** Time for the ack interval and the linger before a rejected socket is destroyed (default `realClock`). */
  readonly clock?: Clock;
  /**
   * Received messages buffered in the Rx before the server stops reading sockets (upstream:
   * a 1024-message delivery queue). Reading resumes once half of them were taken.
   */
  readonly rxBufferSize?: number;
  /**
   * Sessions that outlive this server (NR-11, rx.ts): each session's handled seq is kept in the
   * table, and frames are acked only once handled (NR-10); a server built on a table that holds
   * sessions resumes them. A worker host gives each serving worker one (worker-host HO-3).
   */
  readonly sessions?: NetSessionTable;
  /** NR-10d: how long a delivered frame may stay unhandled before it is acked anyway (default: half the delivery timeout). */
  readonly holdMs?: number;
}

export interface ResolvedTimings {
  readonly deliveryTimeoutMs: number;
  readonly ackIntervalMs: number;
  readonly ackEveryN: number;
  readonly maxFrameLength: number;
}

export function resolveTimings(options: NetTimings): ResolvedTimings {
  const base = config();
  return {
    deliveryTimeoutMs: options.messageDeliveryTimeoutMs ?? base.messageDeliveryTimeoutMs,
    ackIntervalMs: options.messageAckTimeIntervalMs ?? base.messageAckTimeIntervalMs,
    ackEveryN: Math.max(1, options.messageAckEveryNMessages ?? base.messageAckEveryNMessages),
    maxFrameLength: options.codecMaxFrameLength ?? base.codecMaxFrameLength,
  };
}

export interface ResolvedBackoff {
  readonly initialMs: number;
  readonly multiplier: number;
  readonly maxMs: number;
  readonly jitter: number;
}

export function resolveBackoff(options: BackoffOptions | undefined): ResolvedBackoff {
  return {
    initialMs: options?.initialMs ?? 1,
    multiplier: options?.multiplier ?? 2,
    maxMs: options?.maxMs ?? 1_000,
    jitter: options?.jitter ?? 0.1,
  };
}

/** The default codec: the payload codec of `wire/` (msgpackr's one configuration, plain-data fast paths). */
export function defaultCodec<M>(): Codec<M> {
  return payloadCodec<M>();
}

export function netLogger(logger: Logger | undefined, bindings: Record<string, string>): Logger {
  return (logger ?? rootLogger()).child({ channel: 'net', ...bindings });
}

/** A duration the way upstream's messages print one (Rust `Duration` Debug): `2s`, `1.5s`, `500ms`. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${ms / 1000}s`;
  if (ms >= 1 || ms === 0) return `${ms}ms`;
  return `${Math.round(ms * 1000)}µs`;
}
