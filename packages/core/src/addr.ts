/**
 * addr.ts: `ChannelAddr`, the address of a channel endpoint (upstream `channel.rs` §7.1).
 *
 * Grammar (Display always uses `:`; parsing accepts `!` or `:`, the first `!` wins):
 *
 *   local:<u64>                 in-process channel (registry port); `local:0` = "allocate one"
 *   tcp:<ipv4>:<port>           tcp:[<ipv6>]:<port>       (port 0 = "pick one")
 *   unix:<path> | unix:@<name>  filesystem or abstract socket; `unix:` alone = random abstract name
 *   tls:<host>:<port>           metatls:<host>:<port>     (host: a name, an ip, or [ipv6])
 *   nats://<host>:<port>/<subject>   a subject on a NATS system, reached through the server at
 *                               host:port (channel/nats/); parsing also takes `nats:nats://...`
 *                               and `nats:<host>:<port>/<subject>`; the port defaults to 4222.
 *                               The subject is dot-separated tokens of [A-Za-z0-9_-] (no
 *                               wildcards: an address names one subject), at most 255 bytes.
 *
 * Errors (`ParseError`, code `invalid-channel-address`) carry upstream's messages:
 *
 *   no separator                 "no channel type specified"
 *   unknown transport            "no such channel type: {t}"
 *   `alias:...`                  "detect possible alias address, but we currently do not support ..."
 *   local, not a u64             Rust's integer errors: "invalid digit found in string",
 *                                "cannot parse integer from empty string",
 *                                "number too large to fit in target type" (here: above 2^53 - 1)
 *   tcp, not `ip:port`           "invalid socket address syntax"
 *   unix path                    "paths must not contain interior null bytes",
 *                                "path must be shorter than SUN_LEN",
 *                                "abstract socket name must be shorter than SUN_LEN"
 *   tls/metatls                  `invalid address "{rest}"`
 *   nats                         `invalid nats address "{rest}": {why}`
 */
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import { ParseError } from './errors.js';

export type ChannelTransport = 'local' | 'tcp' | 'unix' | 'tls' | 'metatls' | 'nats';

/** `sizeof(sockaddr_un.sun_path)` on Linux: a path needs room for its NUL terminator. */
const SUN_PATH_LEN = 108;

export class ChannelAddr {
  private constructor(
    readonly transport: ChannelTransport,
    /** host (ip for tcp, hostname for tls), unix path (`@name` for an abstract socket), or '' for local */
    readonly host: string,
    /** port number (local: the registry port) */
    readonly port: number,
    private readonly display: string,
    /** nats: the subject the address names ('' for the other transports) */
    readonly subject = '',
  ) {}

  static local(port: number): ChannelAddr {
    if (!Number.isSafeInteger(port) || port < 0) throw invalid(`invalid local addr: ${port}`);
    return new ChannelAddr('local', '', port, `local:${port}`);
  }

  static tcp(host: string, port: number): ChannelAddr {
    const family = isIP(host);
    if (family === 0) throw invalid(SOCKET_SYNTAX);
    if (!isPort(port)) throw invalid(SOCKET_SYNTAX);
    const shown = family === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    return new ChannelAddr('tcp', host, port, `tcp:${shown}`);
  }

  /** A unix socket: a filesystem path, or `@name` for a Linux abstract socket. */
  static unix(path: string): ChannelAddr {
    checkUnixPath(path);
    return new ChannelAddr('unix', path, 0, `unix:${path}`);
  }

  static tls(host: string, port: number, meta = false): ChannelAddr {
    if (host.length === 0) throw invalid(`invalid ${meta ? 'metatls' : 'tls'} address: missing host`);
    if (!isPort(port)) throw invalid(`invalid ${meta ? 'metatls' : 'tls'} address: bad port ${port}`);
    const transport = meta ? 'metatls' : 'tls';
    const shown = isIP(host) === 6 ? `[${host}]` : host;
    return new ChannelAddr(transport, host, port, `${transport}:${shown}:${port}`);
  }

  /**
   * A subject on a NATS system whose server (one of them) is `host:port`: displayed
   * `nats://host:port/subject` (channel/nats/ serves and dials it).
   */
  static nats(host: string, port: number, subject: string): ChannelAddr {
    const shown = `${host}:${port}/${subject}`;
    if (host.length === 0 || /[\s/,!@]/.test(host)) throw natsInvalid(shown, 'bad host');
    if (!isPort(port) || port === 0) throw natsInvalid(shown, 'bad port');
    const why = checkSubject(subject);
    if (why !== undefined) throw natsInvalid(shown, why);
    const hostShown = isIP(host) === 6 ? `[${host}]` : host;
    return new ChannelAddr('nats', host, port, `nats://${hostShown}:${port}/${subject}`, subject);
  }

  /** This nats address with another subject (same server). */
  withSubject(subject: string): ChannelAddr {
    if (this.transport !== 'nats') throw invalid(`not a nats address: ${this.display}`);
    return ChannelAddr.nats(this.host, this.port, subject);
  }

  /** Parse upstream's string form. Throws `ParseError` with code `invalid-channel-address`. */
  static parse(text: string): ChannelAddr {
    const bang = text.indexOf('!');
    const sep = bang >= 0 ? bang : text.indexOf(':');
    if (sep < 0) throw invalid('no channel type specified');
    const transport = text.slice(0, sep);
    const rest = text.slice(sep + 1);
    switch (transport) {
      case 'local':
        return ChannelAddr.local(parseU64(rest));
      case 'tcp': {
        const parsed = parseSocketAddr(rest);
        if (parsed === undefined) throw invalid(SOCKET_SYNTAX);
        return ChannelAddr.tcp(parsed.host, parsed.port);
      }
      case 'unix':
        return ChannelAddr.unix(rest.length === 0 ? `@${randomAbstractName()}` : rest);
      case 'tls':
      case 'metatls':
        return parseTls(rest, transport === 'metatls');
      case 'nats':
        return parseNats(rest);
      case 'alias':
        throw invalid(
          "detect possible alias address, but we currently do not support parsing alias' string " +
            'representation since we only want to support parsing its zmq url format.',
        );
      default:
        throw invalid(`no such channel type: ${transport}`);
    }
  }

  /** tcp/tls/metatls/nats are remote; local/unix are not (upstream `is_remote`). */
  get isRemote(): boolean {
    return this.transport === 'tcp' || this.transport === 'tls' || this.transport === 'metatls' || this.transport === 'nats';
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

const SOCKET_SYNTAX = 'invalid socket address syntax';

function invalid(message: string): ParseError {
  return new ParseError('invalid-channel-address', message);
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 0 && port <= 65535;
}

/** Rust's `u64::from_str` (an optional `+`, then decimal digits), capped at 2^53 - 1. */
function parseU64(text: string): number {
  const digits = text.startsWith('+') ? text.slice(1) : text;
  if (text.length === 0) throw invalid('cannot parse integer from empty string');
  if (!/^\d+$/.test(digits)) throw invalid('invalid digit found in string');
  const value = Number(digits);
  if (!Number.isSafeInteger(value)) throw invalid('number too large to fit in target type');
  return value;
}

/** Rust's `SocketAddr::from_str`: `a.b.c.d:port` or `[v6]:port`; undefined when malformed. */
function parseSocketAddr(text: string): { host: string; port: number } | undefined {
  let host: string;
  let portText: string;
  if (text.startsWith('[')) {
    const close = text.indexOf(']');
    if (close < 0 || text[close + 1] !== ':') return undefined;
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (isIP(host) !== 6) return undefined;
  } else {
    const colon = text.lastIndexOf(':');
    if (colon < 0) return undefined;
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (isIP(host) !== 4) return undefined;
  }
  if (!/^\d+$/.test(portText)) return undefined;
  const port = Number(portText);
  return isPort(port) ? { host, port } : undefined;
}

/** Upstream `tls::parse`: a socket address, else `hostname:port` split at the last ':'. */
function parseTls(rest: string, meta: boolean): ChannelAddr {
  const socket = parseSocketAddr(rest);
  if (socket !== undefined) return ChannelAddr.tls(socket.host, socket.port, meta);
  const colon = rest.lastIndexOf(':');
  const bad = invalid(`invalid address ${JSON.stringify(rest)}`);
  if (colon < 0) throw bad;
  let host = rest.slice(0, colon);
  const portText = rest.slice(colon + 1);
  if (!/^\d+$/.test(portText) || !isPort(Number(portText))) throw bad;
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.length === 0) throw bad;
  return ChannelAddr.tls(host, Number(portText), meta);
}

/** Longest subject a nats address may name (NATS itself allows more; ids embed it). */
const MAX_SUBJECT_BYTES = 255;
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Why `subject` is not a nats address subject, or undefined when it is one. */
function checkSubject(subject: string): string | undefined {
  if (subject.length === 0) return 'missing subject';
  if (Buffer.byteLength(subject) > MAX_SUBJECT_BYTES) return `subject longer than ${MAX_SUBJECT_BYTES} bytes`;
  for (const token of subject.split('.')) {
    if (token.length === 0) return 'empty subject token';
    if (!SUBJECT_TOKEN.test(token)) return `subject token ${JSON.stringify(token)} is not [A-Za-z0-9_-]+`;
  }
  return undefined;
}

function natsInvalid(rest: string, why: string): ParseError {
  return invalid(`invalid nats address ${JSON.stringify(rest)}: ${why}`);
}

/** `//host:port/subject`, `nats://host:port/subject` or `host:port/subject` (port default 4222). */
function parseNats(rest: string): ChannelAddr {
  let text = rest;
  if (text.startsWith('nats://')) text = text.slice('nats://'.length);
  else if (text.startsWith('//')) text = text.slice(2);
  const slash = text.indexOf('/');
  if (slash < 0) throw natsInvalid(rest, 'missing subject');
  const server = text.slice(0, slash);
  const subject = text.slice(slash + 1);
  let host: string;
  let portText: string | undefined;
  if (server.startsWith('[')) {
    const close = server.indexOf(']');
    if (close < 0) throw natsInvalid(rest, 'bad host');
    host = server.slice(1, close);
    const after = server.slice(close + 1);
    if (after.length > 0 && !after.startsWith(':')) throw natsInvalid(rest, 'bad host');
    portText = after.length > 0 ? after.slice(1) : undefined;
    if (isIP(host) !== 6) throw natsInvalid(rest, 'bad host');
  } else {
    const colon = server.lastIndexOf(':');
    host = colon < 0 ? server : server.slice(0, colon);
    portText = colon < 0 ? undefined : server.slice(colon + 1);
  }
  if (portText !== undefined && !/^\d+$/.test(portText)) throw natsInvalid(rest, 'bad port');
  const port = portText === undefined ? DEFAULT_NATS_PORT : Number(portText);
  if (host.length === 0) throw natsInvalid(rest, 'bad host');
  return ChannelAddr.nats(host, port, subject);
}

/** The NATS client port. */
const DEFAULT_NATS_PORT = 4222;

function checkUnixPath(path: string): void {
  if (path.startsWith('@')) {
    // The kernel stores an abstract name after a leading NUL byte.
    if (Buffer.byteLength(path.slice(1)) + 1 > SUN_PATH_LEN) {
      throw invalid('abstract socket name must be shorter than SUN_LEN');
    }
    return;
  }
  if (path.includes('\0')) throw invalid('paths must not contain interior null bytes');
  if (Buffer.byteLength(path) >= SUN_PATH_LEN) throw invalid('path must be shorter than SUN_LEN');
}

const ABSTRACT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function randomAbstractName(): string {
  let name = '';
  for (let i = 0; i < 24; i++) name += ABSTRACT_ALPHABET[randomInt(ABSTRACT_ALPHABET.length)];
  return name;
}
