/**
 * channel/net/admission.ts: who gets into a net server (issue 17). Every accepted connection
 * passes the `AdmissionGate` before the session protocol (`rx.ts`) decodes a byte of it; the
 * client (`tx.ts`) opens each connection with a hello that carries its token; a refused client
 * is told why in one frame and its Tx closes for good. `docs/threat-model.md` says what this
 * does and does not protect.
 *
 * ## Handshake bytes (both ends are procmesh; the session layout is in `wire.ts`)
 *
 * ```
 * client -> server, first on a connection (after the TLS handshake on tls:), sent only by a Tx
 * with `DialOptions.auth.token`; the 12-byte preamble and the frames follow at once (pipelined:
 * the client does not wait for an answer, so admission costs no round trip):
 *   [0..4)    magic "AUTH" (0x41 0x55 0x54 0x48; its first byte is not the preamble's "L")
 *   [4]       version, u8: 1
 *   [5]       flags, u8: 0 (reserved; anything else is a malformed hello)
 *   [6..8)    token length n, u16 big-endian, 1..MAX_TOKEN_BYTES (1024)
 *   [8..8+n)  the token's bytes
 *
 * server -> client, only to refuse, after which the server ends the connection:
 *   one frame in the session layout with tag 0x41 (TAG_ADMISSION; session responses use tag 0):
 *   [0]       kind, u8: 1 = refused
 *   [1..)     reason, UTF-8: "missing token", "wrong token", "refused by authorize",
 *             "malformed hello: ...", "no credentials within {n}ms", "client certificate
 *             required", "client certificate not accepted: ..."
 * ```
 *
 * An admitted connection hears nothing from the gate: the session goes on (acks as usual).
 * Compatibility: a server without `auth` admits a client that sends no hello exactly as before
 * this gate existed (a first byte other than "A" goes to the session protocol untouched, bad
 * preambles included, NF-1), and strips a hello it does not need (NA-3). A procmesh client from
 * before the gate, refused by a server that requires a token, sees an unknown frame tag and
 * reconnects until its delivery timeout (NT-4); a current client sees `unauthorized` (NA-6).
 *
 * ## Invariants (NA: net admission)
 *
 * - NA-1 Order on every accepted connection: the TLS handshake (tls:) and, under mutual TLS, the
 *   verified client certificate (NA-2), then the hello (token), then `authorize(peer)`, then the
 *   session (preamble, frames). Nothing a peer sends after its hello is decoded before all three
 *   passed; the bytes of a refused connection are drained and discarded, never decoded, so a
 *   refused peer never gets an envelope read.
 * - NA-2 Mutual TLS (`TlsServeOptions.requestCert`) needs a `ca`: serving without one rejects
 *   with `missing-certificate` (Node would verify client certificates against its public root
 *   bundle). A client without a certificate, or with one that does not chain to `ca`, is refused
 *   as soon as the TLS handshake ends, before a byte is read from the connection: the gate
 *   checks `TLSSocket.authorized` first ("client certificate required", "client certificate not
 *   accepted: {OpenSSL's verdict}"). The server does not leave it to `node:tls`'s
 *   `rejectUnauthorized`, which ends such a connection without a word for a certificate of an
 *   unknown CA (the client would see a clean close and reconnect until its delivery timeout);
 *   the refusal frame tells it (NA-6).
 * - NA-3 Token: the presented and the expected token are compared as SHA-256 digests with
 *   `crypto.timingSafeEqual` (constant time, fixed length whatever the token's length). Missing
 *   or different: refused ("missing token", "wrong token"). A server without a token admits a
 *   client that offers one (the token is read and dropped).
 * - NA-4 Refusal: the server logs "refusing peer: {reason}" with the peer's address (warn),
 *   writes one refusal frame, ends the connection and destroys it after a linger of 1 s. It
 *   keeps serving: other connections and sessions are not affected. The reason sent names only
 *   what the peer already knows (a throw in `authorize` is logged, not sent).
 * - NA-5 Deadline: when the server requires credentials (a token or `authorize`), a connection
 *   that has not presented them within `handshakeTimeoutMs` (default 10 s) is refused ("no
 *   credentials within {n}ms"). The gate's timers (deadline, linger) are wall-clock, like
 *   `node:tls`'s own handshake timeout: they bound what an unauthenticated peer can hold, and
 *   must not wait for a `SimulatedClock` to advance.
 * - NA-6 Client: a refusal (the refusal frame, or a TLS alert that refuses the client's
 *   certificate: certificate required, unknown CA, bad, expired, revoked or unsupported
 *   certificate, access denied) closes the `NetTx` with code `unauthorized`: final, no reconnect,
 *   because a Tx's credentials are fixed for its life and every retry would be refused the same
 *   way; every pending and later message is returned (NT-5), now rather than at the delivery
 *   timeout. (A server certificate the client does not trust is not a refusal: the client keeps
 *   retrying until the delivery timeout, as before, since the server may fix its certificate.)
 * - NA-7 `NetRx.close()` destroys the connections still in the gate, so `join()` resolves.
 * - NA-8 The peer's identity (`NetPeer`: transport, remote address, the verified client
 *   certificate's subject, issuer, subject alt names, SHA-256 fingerprint, serial and validity,
 *   whether the token verified) is what `ServeAuth.authorize` sees; `Proc.direct` passes its
 *   `serve.auth` through, so a proc decides with the same callback.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { ChannelAddr } from '../../addr.js';
import type { Logger } from '../../log.js';
import { ChannelError } from '../types.js';
import type { NetPeer, PeerCertificate, ServeAuth, Token } from './options.js';
import { FRAME_HEADER_LEN, writeFrameHeader } from './wire.js';

/** `"AUTH"`: the first four bytes of a hello. */
export const HELLO_MAGIC: readonly number[] = [0x41, 0x55, 0x54, 0x48];
export const HELLO_VERSION = 1;
/** Magic, version, flags and the u16 token length. */
export const HELLO_HEADER_LEN = 8;
/** The longest token a hello may carry (bounds what a server buffers before admission). */
export const MAX_TOKEN_BYTES = 1024;
/** The frame tag of the server's refusal (session responses use `TAG_SIMPLEX`, 0). */
export const TAG_ADMISSION = 0x41;
export const ADMISSION_REFUSED = 1;

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
/** How long a refused connection may linger (its refusal on the way) before it is destroyed. */
const LINGER_MS = 1_000;

/** A token's bytes; throws `ChannelError('invalid-auth')` when empty or over `MAX_TOKEN_BYTES`. */
export function tokenBytes(token: Token): Buffer {
  const bytes = typeof token === 'string' ? Buffer.from(token, 'utf8') : Buffer.from(token);
  if (bytes.length === 0 || bytes.length > MAX_TOKEN_BYTES) {
    throw new ChannelError('invalid-auth', `a token must have 1 to ${MAX_TOKEN_BYTES} bytes, not ${bytes.length}`);
  }
  return bytes;
}

/** The hello a client writes first on each connection (layout above). */
export function encodeHello(token: Token): Buffer {
  const bytes = tokenBytes(token);
  const buf = Buffer.allocUnsafe(HELLO_HEADER_LEN + bytes.length);
  for (let i = 0; i < HELLO_MAGIC.length; i++) buf[i] = HELLO_MAGIC[i]!;
  buf[4] = HELLO_VERSION;
  buf[5] = 0;
  buf.writeUInt16BE(bytes.length, 6);
  bytes.copy(buf, HELLO_HEADER_LEN);
  return buf;
}

/** What the first bytes of a connection are. */
export type HelloParse =
  | { readonly kind: 'incomplete' }
  /** Not a hello (the session protocol judges these bytes). */
  | { readonly kind: 'absent' }
  | { readonly kind: 'malformed'; readonly reason: string }
  /** A hello of `length` bytes carrying `token`. */
  | { readonly kind: 'present'; readonly token: Buffer; readonly length: number };

const INCOMPLETE: HelloParse = { kind: 'incomplete' };
const ABSENT: HelloParse = { kind: 'absent' };

/** Parse the start of a connection. */
export function parseHello(buf: Buffer): HelloParse {
  const n = Math.min(buf.length, HELLO_MAGIC.length);
  for (let i = 0; i < n; i++) if (buf[i] !== HELLO_MAGIC[i]) return ABSENT;
  if (buf.length < HELLO_HEADER_LEN) return INCOMPLETE;
  if (buf[4] !== HELLO_VERSION) return { kind: 'malformed', reason: `malformed hello: version ${buf[4]!}` };
  if (buf[5] !== 0) return { kind: 'malformed', reason: `malformed hello: flags ${buf[5]!}` };
  const length = buf.readUInt16BE(6);
  if (length === 0 || length > MAX_TOKEN_BYTES) return { kind: 'malformed', reason: `malformed hello: token length ${length}` };
  if (buf.length < HELLO_HEADER_LEN + length) return INCOMPLETE;
  return { kind: 'present', token: buf.subarray(HELLO_HEADER_LEN, HELLO_HEADER_LEN + length), length: HELLO_HEADER_LEN + length };
}

/** The refusal frame (header and body). */
export function encodeRefusal(reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8');
  const buf = Buffer.allocUnsafe(FRAME_HEADER_LEN + 1 + text.length);
  writeFrameHeader(buf, 0, TAG_ADMISSION, 1 + text.length);
  buf[FRAME_HEADER_LEN] = ADMISSION_REFUSED;
  text.copy(buf, FRAME_HEADER_LEN + 1);
  return buf;
}

/** The reason in a refusal frame's body; throws `ChannelError('protocol')` when malformed. */
export function decodeRefusal(body: Uint8Array): string {
  if (body.length < 1 || body[0] !== ADMISSION_REFUSED) {
    throw new ChannelError('protocol', `malformed admission frame (${body.length} bytes, kind ${String(body[0])})`);
  }
  return Buffer.from(body.buffer, body.byteOffset + 1, body.length - 1).toString('utf8');
}

/**
 * The OpenSSL codes of the TLS alerts a server sends when it refuses the client's certificate
 * (NA-6). A client's own verdict on the server's certificate has other codes
 * (`DEPTH_ZERO_SELF_SIGNED_CERT`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE`, ...) and is not a refusal.
 */
const CERTIFICATE_REFUSALS: ReadonlySet<string> = new Set([
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
]);

/** Whether a client socket's error is the server refusing its certificate (NA-6). */
export function isCertificateRefusal(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code !== undefined && CERTIFICATE_REFUSALS.has(code);
}

/** Why a mutual TLS connection has no verified client certificate; undefined when it has one (NA-2). */
function clientCertificateProblem(socket: net.Socket): string | undefined {
  if (!(socket instanceof tls.TLSSocket)) return 'client certificate required';
  if (socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || cert.fingerprint256 === undefined) return 'client certificate required';
  const why = socket.authorizationError;
  return `client certificate not accepted: ${why instanceof Error ? why.message : String(why)}`;
}

function digest(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

/** Where a connection comes from, and its verified client certificate (NA-8). */
function identify(socket: net.Socket, addr: ChannelAddr): Omit<NetPeer, 'tokenVerified'> {
  const host = socket.remoteAddress;
  const remoteAddress =
    host === undefined ? String(addr) : net.isIPv6(host) ? `[${host}]:${socket.remotePort ?? 0}` : `${host}:${socket.remotePort ?? 0}`;
  const base = { transport: addr.transport, remoteAddress };
  if (!(socket instanceof tls.TLSSocket) || !socket.authorized) return base;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || cert.fingerprint256 === undefined) return base;
  const certificate: PeerCertificate = {
    subject: attributes(cert.subject),
    issuer: attributes(cert.issuer),
    subjectAltNames: splitAltNames(cert.subjectaltname),
    fingerprint256: cert.fingerprint256,
    serialNumber: cert.serialNumber,
    validFrom: cert.valid_from,
    validTo: cert.valid_to,
  };
  return { ...base, certificate };
}

/** A distinguished name as Node reports it (values may be arrays) into `{ CN: '...' }`. */
function attributes(name: unknown): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  if (name === null || typeof name !== 'object') return out;
  for (const [key, value] of Object.entries(name as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.map(String).join(', ');
  }
  return out;
}

/** Node's `subjectaltname` ("DNS:a, IP Address:1.2.3.4"; an entry with a comma is quoted). */
function splitAltNames(text: string | undefined): string[] {
  if (text === undefined || text.length === 0) return [];
  const out: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i]!;
    } else if (c === '"') {
      quoted = !quoted;
      current += c;
    } else if (!quoted && c === ',' && text[i + 1] === ' ') {
      out.push(current);
      current = '';
      i++;
    } else {
      current += c;
    }
  }
  if (current.length > 0) out.push(current);
  return out;
}

/**
 * The gate of one server (NA-1): holds each accepted connection until it is admitted (then hands
 * it to the session protocol) or refused (NA-4). Built before the server listens, so a bad token
 * rejects `serve`.
 */
export class AdmissionGate {
  private readonly expected: Buffer | undefined;
  private readonly authorize: ServeAuth['authorize'];
  private readonly timeoutMs: number;
  /** Whether a connection must present something (NA-5). */
  private readonly required: boolean;
  /** Connections not handed on yet: waiting, deciding, or refused and lingering (NA-7). */
  private readonly held = new Set<net.Socket>();
  private closed = false;

  constructor(
    private readonly addr: ChannelAddr,
    auth: ServeAuth | undefined,
    /** `TlsServeOptions.requestCert`: only a verified client certificate gets past (NA-2). */
    private readonly mutualTls: boolean,
    private readonly log: Logger,
  ) {
    this.expected = auth?.token !== undefined ? digest(tokenBytes(auth.token)) : undefined;
    this.authorize = auth?.authorize;
    this.timeoutMs = auth?.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    this.required = this.expected !== undefined || this.authorize !== undefined;
  }

  /** Take an accepted socket; `onAdmitted` gets it, paused bytes intact, once it is admitted. */
  admit(socket: net.Socket, onAdmitted: (socket: net.Socket) => void): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    this.held.add(socket);
    const base = identify(socket, this.addr);
    const remote = base.remoteAddress;
    let buffered: Buffer = Buffer.alloc(0);
    let timer: NodeJS.Timeout | undefined;
    const onError = (error: Error): void => this.log.debug({ peer: remote, err: error.message }, 'connection error');
    const stopWaiting = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      socket.off('data', onData);
      socket.off('end', onEnd);
      // Paused: nothing more is read until the session protocol takes the socket (NA-1); a
      // paused stream also holds back its 'end' for the session to see.
      socket.pause();
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const hello = parseHello(buffered);
      switch (hello.kind) {
        case 'incomplete':
          return;
        case 'malformed':
          stopWaiting();
          this.refuse(socket, remote, hello.reason);
          return;
        case 'absent':
          stopWaiting();
          this.decide(socket, base, undefined, buffered, onAdmitted, onError);
          return;
        case 'present':
          stopWaiting();
          this.decide(socket, base, hello.token, buffered.subarray(hello.length), onAdmitted, onError);
          return;
      }
    };
    const onEnd = (): void => {
      stopWaiting();
      if (buffered.length === 0 && !this.required) {
        // A connection that said nothing: nothing to admit or refuse (the session would do the same).
        this.held.delete(socket);
        socket.end();
        return;
      }
      this.log.warn({ peer: remote }, 'cutting off peer: connection ended before its credentials');
      socket.destroy();
    };
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.once('close', () => {
      if (timer !== undefined) clearTimeout(timer);
      this.held.delete(socket);
    });
    const certificateProblem = this.mutualTls ? clientCertificateProblem(socket) : undefined;
    if (certificateProblem !== undefined) {
      // NA-2: before reading anything.
      stopWaiting();
      this.refuse(socket, remote, certificateProblem);
      return;
    }
    if (this.required) {
      // NA-5
      timer = setTimeout(() => {
        timer = undefined;
        stopWaiting();
        this.refuse(socket, remote, `no credentials within ${this.timeoutMs}ms`);
      }, this.timeoutMs);
      timer.unref();
    }
  }

  /** NA-7: destroy every connection still in the gate; later ones are destroyed at once. */
  close(): void {
    this.closed = true;
    for (const socket of this.held) socket.destroy();
    this.held.clear();
  }

  /** NA-3, then `authorize`: admit or refuse. */
  private decide(
    socket: net.Socket,
    base: Omit<NetPeer, 'tokenVerified'>,
    presented: Buffer | undefined,
    rest: Buffer,
    onAdmitted: (socket: net.Socket) => void,
    onError: (error: Error) => void,
  ): void {
    const remote = base.remoteAddress;
    let tokenVerified = false;
    if (this.expected !== undefined) {
      if (presented === undefined) return this.refuse(socket, remote, 'missing token');
      // NA-3: fixed-length digests, so the comparison takes the same time whatever was sent.
      if (!timingSafeEqual(digest(presented), this.expected)) return this.refuse(socket, remote, 'wrong token');
      tokenVerified = true;
    }
    const admitNow = (): void => {
      if (this.closed || socket.destroyed) {
        socket.destroy();
        return;
      }
      this.held.delete(socket);
      socket.off('error', onError);
      if (rest.length > 0) socket.unshift(rest);
      onAdmitted(socket);
      socket.resume();
    };
    const authorize = this.authorize;
    if (authorize === undefined) return admitNow();
    const peer: NetPeer = { ...base, tokenVerified };
    const refused = (error: unknown): void => {
      const text = error instanceof Error ? error.message : String(error);
      this.refuse(socket, remote, 'refused by authorize', `authorize threw: ${text}`);
    };
    const settle = (ok: boolean): void => {
      if (ok === true) admitNow();
      else this.refuse(socket, remote, 'refused by authorize');
    };
    let verdict: boolean | Promise<boolean>;
    try {
      verdict = authorize(peer);
    } catch (error) {
      return refused(error);
    }
    if (typeof verdict === 'boolean') settle(verdict);
    else Promise.resolve(verdict).then(settle, refused);
  }

  /** NA-4: log, answer one refusal frame, end; drain and discard whatever else comes (NA-1). */
  private refuse(socket: net.Socket, remote: string, reason: string, detail = reason): void {
    if (socket.destroyed) return;
    this.log.warn({ peer: remote }, `refusing peer: ${detail}`);
    socket.on('data', () => {});
    socket.resume();
    socket.end(encodeRefusal(reason));
    const linger = setTimeout(() => socket.destroy(), LINGER_MS);
    linger.unref();
    socket.once('close', () => clearTimeout(linger));
  }
}
