/**
 * channel/net/options.ts: what `serveNet`/`dialNet` take: the payload codec, the timing knobs
 * (each overrides the matching key of `config()`), the reconnect backoff, TLS material and the
 * logger, and the clock. Everything is optional; defaults follow upstream (spec §1.14, §7.3).
 */
import type { Clock } from '../../clock.js';
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
  /** CAs that client certificates must chain to (with `requestCert`). */
  readonly ca?: Pem;
  /** Ask clients for a certificate and reject those that do not verify against `ca`. */
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

export interface DialOptions<M> extends NetTimings {
  readonly codec?: Codec<M>;
  readonly backoff?: BackoffOptions;
  readonly tls?: TlsDialOptions;
  readonly logger?: Logger;
  /** Time for the delivery timeout and the reconnect backoff (default `realClock`). */
  readonly clock?: Clock;
}

export interface ServeOptions<M> extends NetTimings {
  readonly codec?: Codec<M>;
  readonly tls?: TlsServeOptions;
  readonly logger?: Logger;
  /** Time for the ack interval and the linger before a rejected socket is destroyed (default `realClock`). */
  readonly clock?: Clock;
  /**
   * Received messages buffered in the Rx before the server stops reading sockets (upstream:
   * a 1024-message delivery queue). Reading resumes once half of them were taken.
   */
  readonly rxBufferSize?: number;
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
