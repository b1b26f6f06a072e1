/**
 * channel/nats/client.ts: the NATS connections under the `nats:` channels of a process. The
 * maintained client (`@nats-io/transport-node`) is imported here, on first use only: a proc
 * that never names a `nats:` address never loads it.
 *
 * ## Invariants
 *
 * - NC-1 One connection per key, shared by every Rx, Tx and directory that asks for it, and
 *   closed (drained) when the last of them releases it. The key is the `NatsOptions` object's
 *   identity plus, when it has no `servers`, the address's server: `Proc.direct` hands its
 *   serve options to its dialer, so a proc's channels share one connection.
 * - NC-2 Connecting fails fast and typed, never hangs: the server refusing the credentials is
 *   `ChannelError('unauthorized')`, no server answering `ChannelError('unreachable')` (within
 *   `connectTimeoutMs`), anything else `ChannelError('io')`. A failed connection is not cached:
 *   the next acquire tries again.
 * - NC-3 The client reconnects by itself (to the same server or to another of the cluster,
 *   learned from the server's INFO); each `reconnect` is told to the listeners, which resend
 *   what was not acked (NX-3). A connection closed for good (`maxReconnectAttempts` spent, or
 *   an auth error on reconnect) is told as `closed` with the client's reason.
 */
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { ChannelAddr } from '../../addr.js';
import { ChannelError } from '../types.js';
import { clientOptions, serversOf, type NatsClientModule, type NatsOptions } from './options.js';

let loading: Promise<NatsClientModule> | undefined;

/** The client module, imported once. */
export function natsModule(): Promise<NatsClientModule> {
  loading ??= import('@nats-io/transport-node') as unknown as Promise<NatsClientModule>;
  return loading;
}

/** What a channel hears about its connection (NC-3). */
export interface LinkListener {
  onReconnect?(): void;
  onDisconnect?(): void;
  /** The connection is closed for good (not by a release). */
  onClosed?(reason: string): void;
}

/** A counted use of a shared connection (NC-1). */
export class NatsLink {
  private released = false;

  /** @internal made by `acquireLink`. */
  constructor(
    private readonly shared: Shared,
    readonly nc: NatsConnection,
    readonly mod: NatsClientModule,
  ) {}

  /** Largest message payload the server takes. */
  get maxPayload(): number {
    return this.nc.info?.max_payload ?? 1024 * 1024;
  }

  /** Whether the connection is up now (not reconnecting). */
  get connected(): boolean {
    return this.shared.up;
  }

  listen(listener: LinkListener): () => void {
    this.shared.listeners.add(listener);
    return () => this.shared.listeners.delete(listener);
  }

  subscribe(subject: string, callback: (msg: Msg) => void): Subscription {
    return this.nc.subscribe(subject, {
      callback: (err, msg) => {
        if (err === null) callback(msg);
      },
    });
  }

  /** Give the connection back; the last release drains and closes it (NC-1). */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    const shared = this.shared;
    shared.refs -= 1;
    if (shared.refs > 0) return;
    pool.delete(shared.key);
    shared.closing = true;
    try {
      await this.nc.drain();
    } catch {
      await this.nc.close().catch(() => undefined);
    }
  }
}

interface Shared {
  readonly key: string;
  refs: number;
  up: boolean;
  closing: boolean;
  readonly listeners: Set<LinkListener>;
  readonly ready: Promise<{ nc: NatsConnection; mod: NatsClientModule }>;
}

const pool = new Map<string, Shared>();
const optionIds = new WeakMap<NatsOptions, number>();
let nextOptionId = 1;

function keyOf(addr: ChannelAddr, options: NatsOptions | undefined): string {
  let id = 0;
  if (options !== undefined) {
    id = optionIds.get(options) ?? nextOptionId++;
    optionIds.set(options, id);
  }
  const servers = options?.servers !== undefined ? '*' : serversOf(addr, undefined).join(',');
  return `${id}|${servers}`;
}

/** A use of the connection for `addr` with `options`, connecting if there is none (NC-1, NC-2). */
export async function acquireLink(addr: ChannelAddr, options: NatsOptions | undefined): Promise<NatsLink> {
  const key = keyOf(addr, options);
  let shared = pool.get(key);
  if (shared === undefined) {
    const created: Shared = {
      key,
      refs: 0,
      up: false,
      closing: false,
      listeners: new Set(),
      ready: open(addr, options),
    };
    shared = created;
    pool.set(key, created);
    created.ready.then(
      ({ nc }) => {
        created.up = true;
        void watch(created, nc);
      },
      () => {
        if (pool.get(key) === created) pool.delete(key); // NC-2: not cached
      },
    );
  }
  shared.refs += 1;
  try {
    const { nc, mod } = await shared.ready;
    return new NatsLink(shared, nc, mod);
  } catch (error) {
    shared.refs -= 1;
    throw error;
  }
}

async function open(addr: ChannelAddr, options: NatsOptions | undefined): Promise<{ nc: NatsConnection; mod: NatsClientModule }> {
  const mod = await natsModule();
  const servers = serversOf(addr, options);
  let opts: Record<string, unknown>;
  try {
    opts = await clientOptions(mod, servers, options);
  } catch (error) {
    throw new ChannelError('io', `nats: bad connection options for ${addr}: ${text(error)}`, { cause: error });
  }
  try {
    return { nc: await mod.connect(opts), mod };
  } catch (error) {
    throw connectError(servers, error);
  }
}

/** NC-2: the client's connect failure as a typed error. */
export function connectError(servers: readonly string[], error: unknown): ChannelError {
  const name = error instanceof Error ? error.name : '';
  const where = servers.join(', ');
  if (name === 'AuthorizationError' || name === 'UserAuthenticationExpiredError' || /authorization|authentication/i.test(text(error))) {
    return new ChannelError('unauthorized', `nats: ${where} refused the credentials: ${text(error)}`, { cause: error });
  }
  if (name === 'ConnectionError' || name === 'TimeoutError' || /ECONNREFUSED|EHOSTUNREACH|ENOTFOUND|timeout|refused/i.test(text(error))) {
    return new ChannelError('unreachable', `nats: cannot reach ${where}: ${text(error)}`, { cause: error });
  }
  return new ChannelError('io', `nats: connecting to ${where} failed: ${text(error)}`, { cause: error });
}

/** NC-3: tell the listeners what the connection does. */
async function watch(shared: Shared, nc: NatsConnection): Promise<void> {
  const each = (f: (l: LinkListener) => void): void => {
    for (const listener of [...shared.listeners]) f(listener);
  };
  void nc.closed().then((error) => {
    shared.up = false;
    if (pool.get(shared.key) === shared) pool.delete(shared.key);
    if (shared.closing) return;
    const reason = `nats connection closed${error instanceof Error ? `: ${error.message}` : ''}`;
    each((l) => l.onClosed?.(reason));
  });
  for await (const status of nc.status()) {
    if (status.type === 'disconnect') {
      shared.up = false;
      each((l) => l.onDisconnect?.());
    } else if (status.type === 'reconnect') {
      shared.up = true;
      each((l) => l.onReconnect?.());
    }
  }
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
