/**
 * channel/nats/options.ts: how a `nats:` channel connects to its NATS system: `NatsOptions`, a
 * plain-data subset of the NATS client's own connection options (servers, user/password, token,
 * nkey seed, creds file, TLS, reconnect timing), and their translation into the client's
 * `ConnectionOptions` (authenticators built by the client's own functions). Plain data on
 * purpose: a `ProcHost` hands the same object to its worker threads.
 *
 * Credentials and TLS are the server's business (its `authorization`, `accounts`, `tls` blocks);
 * procmesh passes them through and adds nothing of its own on top.
 */
import type { ChannelAddr } from '../../addr.js';

/** TLS towards the NATS server (the client's `tls` option; PEM text or file paths). */
export interface NatsTlsOptions {
  /** CA certificate(s) the server's certificate must chain to (PEM text), or `caFile`. */
  readonly ca?: string;
  readonly caFile?: string;
  /** Client certificate and key (PEM text or files), for servers that verify clients. */
  readonly cert?: string;
  readonly certFile?: string;
  readonly key?: string;
  readonly keyFile?: string;
  /** TLS before the NATS INFO (server `handshake_first`). */
  readonly handshakeFirst?: boolean;
  /** Default true; false accepts any server certificate (tests only). */
  readonly rejectUnauthorized?: boolean;
}

/**
 * How a `nats:` channel connects (`serve`/`dial`'s `nats`, `Proc.direct`'s `nats`,
 * `ProcHostOptions.nats`). Everything is optional: without `servers` the channel connects to
 * the server in its address. At most one of `user`/`pass`, `token`, `nkeySeed`, `creds`/
 * `credsFile` is needed; the server decides which it accepts.
 */
export interface NatsOptions {
  /**
   * Servers to connect to (`host:port` or `nats://host:port`); default: the address's server.
   * With `servers` set, every `nats:` address a proc dials goes over this one connection,
   * whichever server its address names (they are subjects of one NATS system).
   */
  readonly servers?: string | readonly string[];
  /** User and password (server `authorization { user, password }` or `users`). */
  readonly user?: string;
  readonly pass?: string;
  /** A token (server `authorization { token }`). */
  readonly token?: string;
  /** An nkey seed (`SU...`; server `authorization { users: [{ nkey }] }`). */
  readonly nkeySeed?: string;
  /** A creds file's contents (JWT and nkey seed, decentralized auth), or its path in `credsFile`. */
  readonly creds?: string;
  readonly credsFile?: string;
  readonly tls?: NatsTlsOptions;
  /** The connection's name, as the server's monitoring shows it (default `procmesh`). */
  readonly name?: string;
  /** How long the first connection may take (default 5 000 ms, the client's `timeout`). */
  readonly connectTimeoutMs?: number;
  /** Wait before reconnecting to a server already tried (default 250 ms; client's default 2 000). */
  readonly reconnectTimeWaitMs?: number;
  /**
   * Reconnect attempts per server before the connection is given up (default -1: forever; the
   * channels' delivery timeout bounds how long a message waits meanwhile).
   */
  readonly maxReconnectAttempts?: number;
  /** The client's ping interval (default 30 000 ms, as the client). */
  readonly pingIntervalMs?: number;
}

/** What `serve`/`dial` take for a `nats:` address, beside the net timings and codec. */
export interface NatsChannelOptions {
  readonly nats?: NatsOptions;
  /**
   * nats: messages written and not yet acked before the Tx waits for acks (default 8192): the
   * bound on what a session has in flight, so a fast sender cannot flood a slow receiver.
   */
  readonly natsWindow?: number;
  /**
   * nats: messages posted and not yet acked over which the Tx tells its sender to wait (NX-9;
   * default 4 x `natsWindow`): `NatsTx.ready()` waits, and `natsWatermarks.over()` is called on
   * each post while over; `under()` and `ready()` once at most half of it is pending.
   */
  readonly natsMaxPending?: number;
  /** nats: told when the Tx's pending messages go over `natsMaxPending`, and back under (NX-9). */
  readonly natsWatermarks?: PendingWatermarks;
}

/**
 * What a sender's flow control learns from a `NatsTx` (NX-9): `over()` on each post while more
 * than `natsMaxPending` messages are pending, `under()` once at most half of them are (or the
 * Tx closed).
 */
export interface PendingWatermarks {
  over(): void;
  under(): void;
}

/** The servers a channel to `addr` connects to. */
export function serversOf(addr: ChannelAddr, options: NatsOptions | undefined): string[] {
  const servers = options?.servers;
  if (servers === undefined) return [addr.host.includes(':') ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`];
  return typeof servers === 'string' ? [servers] : [...servers];
}

/** The part of the client's module the channel uses (loaded on first use: client.ts). */
export interface NatsClientModule {
  connect(options: Record<string, unknown>): Promise<import('@nats-io/transport-node').NatsConnection>;
  createInbox(prefix?: string): string;
  nkeyAuthenticator(seed: Uint8Array): import('@nats-io/transport-node').Authenticator;
  credsAuthenticator(creds: Uint8Array): import('@nats-io/transport-node').Authenticator;
}

/** The client's `ConnectionOptions` for `options` (credentials through its authenticators). */
export async function clientOptions(
  mod: NatsClientModule,
  servers: string[],
  options: NatsOptions | undefined,
): Promise<Record<string, unknown>> {
  const o = options ?? {};
  const out: Record<string, unknown> = {
    servers,
    name: o.name ?? 'procmesh',
    timeout: o.connectTimeoutMs ?? 5_000,
    reconnectTimeWait: o.reconnectTimeWaitMs ?? 250,
    maxReconnectAttempts: o.maxReconnectAttempts ?? -1,
    pingInterval: o.pingIntervalMs ?? 30_000,
  };
  if (o.user !== undefined) out['user'] = o.user;
  if (o.pass !== undefined) out['pass'] = o.pass;
  if (o.token !== undefined) out['token'] = o.token;
  if (o.nkeySeed !== undefined) out['authenticator'] = mod.nkeyAuthenticator(new TextEncoder().encode(o.nkeySeed));
  let creds = o.creds;
  if (creds === undefined && o.credsFile !== undefined) {
    const { readFile } = await import('node:fs/promises');
    creds = await readFile(o.credsFile, 'utf8');
  }
  if (creds !== undefined) out['authenticator'] = mod.credsAuthenticator(new TextEncoder().encode(creds));
  if (o.tls !== undefined) {
    const t = o.tls;
    const tls: Record<string, unknown> = {};
    for (const key of ['ca', 'caFile', 'cert', 'certFile', 'key', 'keyFile', 'handshakeFirst', 'rejectUnauthorized'] as const) {
      if (t[key] !== undefined) tls[key] = t[key];
    }
    out['tls'] = tls;
  }
  return out;
}
