/**
 * channel/serve.ts: `serve(addr)` and `dial(addr)` over every transport an address can name
 * (upstream `channel::serve` / `channel::dial`): `local:` in-process, `tcp:`/`unix:`/`tls:`/
 * `metatls:` over sockets (`net/`), `nats:` over a NATS system (`nats/`: the `nats` option says
 * how to connect; serving a nats address subscribes its subject exactly).
 *
 * - `serve` resolves to `[boundAddr, rx]`: `local:0`, `tcp:<ip>:0` and `unix:` pick the concrete
 *   address; `local:N` with N != 0 cannot be served ("invalid local addr: N").
 * - `dial` returns a Tx at once; a net Tx connects on its first post, a local Tx throws
 *   `ChannelError('closed')` when nothing is served there (as upstream).
 * - The net options (codec, timing knobs, TLS, logger) are ignored by `local:`, which passes
 *   messages by reference.
 *
 * @example
 * ```ts
 * const [addr, rx] = await serve<number>('tcp:127.0.0.1:0');
 * const tx = dial<number>(addr);
 * await tx.send(42);           // resolves once the server acked it
 * console.log(await rx.recv()); // 42
 * ```
 */
import { ChannelAddr } from '../addr.js';
import { dialLocal, serveLocal } from './local.js';
import type { DialOptions, ServeOptions } from './net/options.js';
import type { NatsChannelOptions } from './nats/options.js';
import { serveNats } from './nats/rx.js';
import { dialNats } from './nats/tx.js';
import { serveNet } from './net/rx.js';
import { dialNet } from './net/tx.js';
import type { Rx, Tx } from './types.js';

function toAddr(addr: ChannelAddr | string): ChannelAddr {
  return typeof addr === 'string' ? ChannelAddr.parse(addr) : addr;
}

/** Serve a channel on `addr`; resolves to the bound address and the Rx. */
export async function serve<M>(addr: ChannelAddr | string, options: ServeOptions<M> & NatsChannelOptions = {}): Promise<[ChannelAddr, Rx<M>]> {
  const target = toAddr(addr);
  if (target.transport === 'local') return serveLocal<M>(target);
  if (target.transport === 'nats') return serveNats<M>(target, options);
  return serveNet<M>(target, options);
}

/** Dial the channel served at `addr`. */
export function dial<M>(addr: ChannelAddr | string, options: DialOptions<M> & NatsChannelOptions = {}): Tx<M> {
  const target = toAddr(addr);
  if (target.transport === 'local') return dialLocal<M>(target);
  if (target.transport === 'nats') return dialNats<M>(target, options);
  return dialNet<M>(target, options);
}
