/**
 * channel/net: the network channel (exported by `@procmesh/core/transport`) (spec §7.3): `tcp:`, `unix:` and `tls:` transports
 * with upstream's session protocol: a preamble per connection, tagged length-prefixed frames,
 * per-session sequence numbers, cumulative acks, resend after reconnect, the delivery timeout;
 * and who gets in (`admission.ts`): a shared token, mutual TLS, an `authorize(peer)` callback.
 *
 * @example
 * ```ts
 * import { serve, dial } from '@procmesh/core/transport';
 * const [addr, rx] = await serve<{ n: number }>('tcp:127.0.0.1:0');
 * const tx = dial<{ n: number }>(addr);
 * tx.post({ n: 1 }, (err) => console.error('returned', err.reason));
 * console.log(await rx.recv());
 * await tx.flush();  // every message posted so far was acked or returned
 * tx.close();
 * rx.close();
 * ```
 */
export { serve, dial } from '../serve.js';
export { serveNet, NetRx } from './rx.js';
export { dialNet, NetTx } from './tx.js';
export { NetSessionTable, type SessionSlot } from './resume-table.js';
export { MAX_TOKEN_BYTES } from './admission.js';
export {
  defaultCodec,
  type BackoffOptions,
  type Codec,
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
} from './options.js';
