/**
 * channel/net/transport.ts: the socket layer under the net channel: how each address kind
 * (`tcp:`, `unix:`, `tls:`/`metatls:`) listens and connects (upstream `net.rs` `tcp`, `unix`,
 * `tls` modules and their `Link`s). The session protocol above it does not know which one it has.
 *
 * - tcp: listens on exactly the address given (`tcp:127.0.0.1:0` binds loopback, `tcp:0.0.0.0:0`
 *   every interface); `TCP_NODELAY` on both ends.
 * - unix: `unix:/path` is a filesystem socket (libuv unlinks it when the server closes);
 *   `unix:@name` is a Linux abstract socket, reached in Node through a path starting with NUL.
 *   Elsewhere an abstract name maps to `<tmpdir>/procmesh-<name>.sock` on both ends.
 * - tls: `node:tls` over tcp; the certificate and key come from `ServeOptions.tls`, the trust
 *   roots from `DialOptions.tls`. The bound address keeps the host as written (`tls:localhost:N`).
 *   Mutual TLS (`requestCert` with a `ca`): the server asks every client for a certificate and
 *   verifies it against `ca`, but does not let `node:tls` drop an unverified one silently: the
 *   socket goes to `onConnection` with `authorized` false, and the admission gate (serveNet's
 *   only caller of `listen`) refuses it, in words, before reading a byte of it (NA-2).
 *
 * Where a listener binds: exactly the host of the address, nothing wider. procmesh has no
 * default address; its examples and tests serve `tcp:127.0.0.1:0`, `tls:localhost:0` and
 * `unix:` (abstract or filesystem sockets, reachable only from this machine). Serving another
 * interface takes an address that names it (`tcp:0.0.0.0:0`, `tcp:10.0.0.5:0`), and then the
 * admission options (`ServeOptions.auth`, mutual TLS) decide who gets in (admission.ts).
 */
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { ChannelAddr } from '../../addr.js';
import { ChannelError } from '../types.js';
import type { TlsDialOptions, TlsServeOptions } from './options.js';

/** The filesystem or abstract path for a `unix:` address. */
export function unixSocketPath(addr: ChannelAddr): string {
  const path = addr.host;
  if (!path.startsWith('@')) return path;
  const name = path.slice(1);
  return process.platform === 'linux' ? `\0${name}` : join(tmpdir(), `procmesh-${name}.sock`);
}

export interface Listener {
  readonly server: net.Server;
  readonly bound: ChannelAddr;
}

/**
 * Listen on `addr`; every accepted socket (after the TLS handshake for `tls:`) goes to
 * `onConnection`. Rejects with `ChannelError('io')` ("listen: {addr} {error}") when binding fails.
 */
export async function listen(
  addr: ChannelAddr,
  tlsOptions: TlsServeOptions | undefined,
  onConnection: (socket: net.Socket) => void,
  onTlsError: (error: Error) => void,
): Promise<Listener> {
  let server: net.Server;
  let options: net.ListenOptions;
  switch (addr.transport) {
    case 'tcp':
      server = net.createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
      options = { host: addr.host, port: addr.port };
      break;
    case 'unix':
      server = net.createServer({ allowHalfOpen: true }, onConnection);
      options = { path: unixSocketPath(addr) };
      break;
    case 'tls':
    case 'metatls': {
      if (tlsOptions === undefined) {
        throw new ChannelError('missing-certificate', `listen: ${addr} needs a certificate and key (ServeOptions.tls)`);
      }
      const mutual = tlsOptions.requestCert ?? false;
      if (mutual && tlsOptions.ca === undefined) {
        // NA-2: without a ca, Node would accept a client certificate from any public root.
        throw new ChannelError('missing-certificate', `listen: ${addr} requests client certificates and needs the CA they must chain to (ServeOptions.tls.ca)`);
      }
      // No allowHalfOpen here: a client that gives up during the handshake must close the
      // server's socket too (with it, the socket would linger half-open and unreported).
      const secure = tls.createServer(
        {
          cert: tlsOptions.cert as tls.TlsOptions['cert'],
          key: tlsOptions.key as tls.TlsOptions['key'],
          ...(tlsOptions.ca !== undefined ? { ca: tlsOptions.ca as tls.TlsOptions['ca'] } : {}),
          requestCert: mutual,
          // NA-2: the admission gate refuses an unverified client certificate (and says why);
          // rejectUnauthorized would end the connection without a word for an unknown CA.
          rejectUnauthorized: false,
        },
        (socket) => {
          socket.setNoDelay(true);
          onConnection(socket);
        },
      );
      secure.on('tlsClientError', onTlsError);
      server = secure;
      options = { host: addr.host, port: addr.port };
      break;
    }
    default:
      throw new ChannelError('invalid-address', `not a net address: ${addr}`);
  }
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => reject(new ChannelError('io', `listen: ${addr} ${error.message}`, { cause: error }));
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return { server, bound: boundAddr(addr, server) };
}

function boundAddr(addr: ChannelAddr, server: net.Server): ChannelAddr {
  const info = server.address();
  if (info === null || typeof info === 'string') return addr;
  switch (addr.transport) {
    case 'tcp':
      return ChannelAddr.tcp(info.address, info.port);
    case 'tls':
    case 'metatls':
      return ChannelAddr.tls(addr.host, info.port, addr.transport === 'metatls');
    default:
      return addr;
  }
}

/** A socket connecting to `addr`, and the event that says it is usable. */
export interface Connecting {
  readonly socket: net.Socket;
  readonly readyEvent: 'connect' | 'secureConnect';
}

/** Start connecting to `addr`. Writes made before the ready event are buffered by Node. */
export function connect(addr: ChannelAddr, tlsOptions: TlsDialOptions | undefined): Connecting {
  switch (addr.transport) {
    case 'tcp':
      return { socket: net.connect({ host: addr.host, port: addr.port, noDelay: true }), readyEvent: 'connect' };
    case 'unix':
      return { socket: net.connect({ path: unixSocketPath(addr) }), readyEvent: 'connect' };
    case 'tls':
    case 'metatls': {
      const servername = tlsOptions?.servername ?? (net.isIP(addr.host) === 0 ? addr.host : undefined);
      const socket = tls.connect({
        host: addr.host,
        port: addr.port,
        ...(servername !== undefined ? { servername } : {}),
        ...(tlsOptions?.ca !== undefined ? { ca: tlsOptions.ca as tls.ConnectionOptions['ca'] } : {}),
        ...(tlsOptions?.cert !== undefined ? { cert: tlsOptions.cert as tls.ConnectionOptions['cert'] } : {}),
        ...(tlsOptions?.key !== undefined ? { key: tlsOptions.key as tls.ConnectionOptions['key'] } : {}),
        rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? true,
      });
      socket.setNoDelay(true);
      return { socket, readyEvent: 'secureConnect' };
    }
    default:
      throw new ChannelError('invalid-address', `not a net address: ${addr}`);
  }
}
