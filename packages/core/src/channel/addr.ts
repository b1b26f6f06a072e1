/**
 * channel/addr.ts: `ChannelAddr`, the address of a channel endpoint (upstream `channel.rs` §7.1).
 *
 * Grammar (Display always uses `:`; parsing accepts `!` or `:`, the first `!` wins):
 *
 *   local:<u64>                 in-process channel (registry port); `local:0` = "allocate one"
 *   tcp:<ipv4>:<port>           tcp:[<ipv6>]:<port>       (port 0 = "pick one")
 *   unix:<path> | unix:@<name>  filesystem or abstract socket; `unix:` alone = random abstract name
 *   tls:<host>:<port>           metatls:<host>:<port>
 *
 * Errors (code `invalid-channel-address`): "no channel type specified" when there is no
 * separator, "no such channel type: {t}" for an unknown transport, and a per-transport
 * message for a malformed rest.
 */
import { isIP } from 'node:net';
import { ParseError } from '../errors.js';

export type ChannelTransport = 'local' | 'tcp' | 'unix' | 'tls' | 'metatls';

export class ChannelAddr {
  private constructor(
    readonly transport: ChannelTransport,
    /** host (ip for tcp, hostname for tls), unix path, or '' for local */
    readonly host: string,
    /** port number (local: the registry port) */
    readonly port: number,
    private readonly display: string,
  ) {}

  static local(port: number): ChannelAddr {
    if (!Number.isSafeInteger(port) || port < 0) throw invalid(`invalid local addr: ${port}`);
    return new ChannelAddr('local', '', port, `local:${port}`);
  }

  static tcp(host: string, port: number): ChannelAddr {
    const family = isIP(host);
    if (family === 0) throw invalid(`invalid socket address syntax: ${host}:${port}`);
    checkPort(port, host);
    const shown = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    return new ChannelAddr('tcp', host, port, `tcp:${shown}`);
  }

  static unix(path: string): ChannelAddr {
    return new ChannelAddr('unix', path, 0, `unix:${path}`);
  }

  static tls(host: string, port: number, meta = false): ChannelAddr {
    if (host.length === 0) throw invalid(`invalid ${meta ? 'metatls' : 'tls'} address: missing host`);
    checkPort(port, host);
    const transport = meta ? 'metatls' : 'tls';
    const shown = isIP(host) === 6 ? `[${host}]` : host;
    return new ChannelAddr(transport, host, port, `${transport}:${shown}:${port}`);
  }

  /** Parse upstream's string form. Throws `ParseError` with code `invalid-channel-address`. */
  static parse(text: string): ChannelAddr {
    const bang = text.indexOf('!');
    const sep = bang >= 0 ? bang : text.indexOf(':');
    if (sep < 0) throw invalid('no channel type specified');
    const transport = text.slice(0, sep);
    const rest = text.slice(sep + 1);
    switch (transport) {
      case 'local': {
        if (!/^\d+$/.test(rest)) throw invalid(`invalid local addr: ${rest}`);
        return ChannelAddr.local(Number(rest));
      }
      case 'tcp': {
        const { host, port } = splitHostPort(rest, 'socket address');
        return ChannelAddr.tcp(host, port);
      }
      case 'unix':
        return ChannelAddr.unix(rest.length === 0 ? `@${randomAbstractName()}` : rest);
      case 'tls':
      case 'metatls': {
        const { host, port } = splitHostPort(rest, `${transport} address`);
        return ChannelAddr.tls(host, port, transport === 'metatls');
      }
      default:
        throw invalid(`no such channel type: ${transport}`);
    }
  }

  /** tcp/tls/metatls are remote; local/unix are not (upstream `is_remote`). */
  get isRemote(): boolean {
    return this.transport === 'tcp' || this.transport === 'tls' || this.transport === 'metatls';
  }

  equals(other: ChannelAddr): boolean {
    return this.display === other.display;
  }

  toString(): string {
    return this.display;
  }

  toJSON(): string {
    return this.display;
  }
}

function invalid(message: string): ParseError {
  return new ParseError('invalid-channel-address', message);
}

function checkPort(port: number, host: string): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid(`invalid socket address syntax: ${host}:${port}`);
  }
}

function splitHostPort(rest: string, what: string): { host: string; port: number } {
  let host: string;
  let portText: string;
  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0 || rest[close + 1] !== ':') throw invalid(`invalid ${what} syntax: ${rest}`);
    host = rest.slice(1, close);
    portText = rest.slice(close + 2);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon < 0) throw invalid(`invalid ${what} syntax: ${rest}`);
    host = rest.slice(0, colon);
    portText = rest.slice(colon + 1);
    if (host.includes(':')) throw invalid(`invalid ${what} syntax: ${rest}`);
  }
  if (!/^\d{1,5}$/.test(portText)) throw invalid(`invalid ${what} syntax: ${rest}`);
  return { host, port: Number(portText) };
}

const ABSTRACT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomAbstractName(): string {
  let name = '';
  for (let i = 0; i < 24; i++) name += ABSTRACT_ALPHABET[Math.floor(Math.random() * ABSTRACT_ALPHABET.length)];
  return name;
}
