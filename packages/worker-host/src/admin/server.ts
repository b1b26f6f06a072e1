/**
 * admin/server.ts: the admin endpoint of a `ProcHost`: JSON over HTTP (node:http) on the model
 * of hyperactor's mesh admin API, described in `openapi.json` beside this file (served at
 * `/v1/openapi.json`, checked against real responses by test/admin-openapi.test.ts).
 *
 * ```
 * GET /v1/root              the host: its procs as children           NodePayload { Root }
 * GET /v1/{reference}       a proc or an actor (percent-encoded)       NodePayload { Proc | Actor }
 * GET /v1/config/{proc}     the proc's effective configuration          { entries }
 * GET /v1/events            supervision and lifecycle events            text/event-stream
 * GET /v1/admin             the endpoint itself                         AdminInfo
 * GET /v1/openapi.json      this API's description                      OpenAPI 3.1
 * ```
 *
 * Errors are `{ error: { code, message } }` with a stable `code` (`not_found`, `bad_request`,
 * `unauthorized`, `method_not_allowed`, `gateway_timeout`, `service_unavailable`,
 * `internal_error`); the code, not the HTTP status, is what a client decides on (as upstream).
 * Started by `ProcHost.start({ admin })` (one call) and closed by `shutdown()`.
 *
 * ## Invariants
 *
 * - AD-9: with a token, a request without `Authorization: Bearer <token>` gets `unauthorized`
 *   and reads nothing; without one (loopback only, AD-2), a request whose `Host` is not a
 *   loopback name gets `unauthorized` too (a web page cannot reach it by DNS rebinding).
 * - AD-10 (upstream MA-R1): no request can take the host down: every handler's error becomes an
 *   error envelope.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventLog, type AdminEvent } from './events.js';
import { isLoopback, type ResolvedAdmin } from './options.js';
import { ApiError, Resolver, type AdminHostView } from './resolve.js';

const OPENAPI = new URL('../../../src/admin/openapi.json', import.meta.url);
const HEARTBEAT_MS = 15_000;

/** `GET /v1/admin`. */
export interface AdminInfo {
  readonly url: string;
  readonly addr: string;
  readonly pid: number;
  readonly started_at: string;
  readonly token_required: boolean;
}

/** A running admin endpoint (`ProcHost.admin`). */
export interface AdminEndpoint {
  /** `tcp:<ip>:<port>`, the address `procmesh top` takes. */
  readonly addr: string;
  /** `http://<ip>:<port>` */
  readonly url: string;
  info(): AdminInfo;
}

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** @internal */
export class AdminServer implements AdminEndpoint {
  /** `tcp:<ip>:<port>`, the address `procmesh top` takes. */
  readonly addr: string;
  /** `http://<ip>:<port>` */
  readonly url: string;
  private readonly streams = new Set<ServerResponse>();
  private readonly unobserve: () => void;
  private closed = false;

  private constructor(
    private readonly server: Server,
    private readonly options: ResolvedAdmin,
    private readonly resolver: Resolver,
    private readonly log: EventLog,
    private readonly dispose: () => void,
    unobserve: () => void,
  ) {
    const { address, port } = server.address() as AddressInfo;
    const shown = address.includes(':') ? `[${address}]` : address;
    this.addr = `tcp:${shown}:${port}`;
    this.url = `http://${shown}:${port}`;
    this.unobserve = unobserve;
  }

  /** @internal `ProcHost.start` calls it once, after its workers are ready. */
  static async start(options: ResolvedAdmin, host: AdminHostView): Promise<AdminServer> {
    const log = new EventLog();
    const unobserve = host.supervisor.observe((event) => log.record(event));
    const [client] = host.proc.instance('admin_client');
    client.setSystem();
    const resolver = new Resolver(host, log, options.timeoutMs, client);
    const server = createServer();
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(options.port, options.host, () => (server.off('error', reject), resolve()));
      });
    } catch (err) {
      unobserve();
      client[Symbol.dispose]();
      throw err;
    }
    const admin = new AdminServer(server, options, resolver, log, () => client[Symbol.dispose](), unobserve);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void admin.handle(req, res));
    return admin;
  }

  /** AD-9 */
  private authorized(req: IncomingMessage): boolean {
    const token = this.options.token;
    if (token !== undefined) {
      const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      return timingSafeEqual(digest(given), digest(token));
    }
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    return host === 'localhost' || isLoopback(host);
  }

  /** AD-10 */
  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!this.authorized(req)) throw new ApiError(401, 'unauthorized', 'missing or wrong token (Authorization: Bearer <token>)');
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ApiError(405, 'method_not_allowed', `${req.method} is not served; the API is read-only`);
      const url = new URL(req.url ?? '/', 'http://admin');
      const path = url.pathname;
      if (!path.startsWith('/v1/')) throw new ApiError(404, 'not_found', `no route ${path} (the API is under /v1/)`);
      const rest = path.slice(4);
      if (rest === 'events') return this.events(req, res, url);
      if (rest === 'admin') return json(res, 200, this.info());
      if (rest === 'openapi.json') return json(res, 200, JSON.parse(await readFile(OPENAPI, 'utf8')));
      if (rest.startsWith('config/')) return json(res, 200, await this.resolver.config(decode(rest.slice(7))));
      if (rest === '' || rest.includes('/')) throw new ApiError(404, 'not_found', `no route ${path}`);
      return json(res, 200, await this.resolver.resolve(decode(rest)));
    } catch (err) {
      const e = err instanceof ApiError ? err : new ApiError(500, 'internal_error', err instanceof Error ? err.message : String(err));
      if (!res.headersSent) json(res, e.status, { error: { code: e.code, message: e.message } });
      else res.end();
    }
  }

  info(): AdminInfo {
    return { url: this.url, addr: this.addr, pid: process.pid, started_at: this.resolver.startedAt, token_required: this.options.token !== undefined };
  }

  /** `GET /v1/events`: replay after `Last-Event-ID` (or `?since=`), then live (AD-6). */
  private events(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const since = Number(req.headers['last-event-id'] ?? url.searchParams.get('since') ?? 0);
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write('retry: 1000\n\n');
    const send = (e: AdminEvent): void => void res.write(`id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    for (const e of this.log.since(Number.isSafeInteger(since) ? since : 0)) send(e);
    const unsubscribe = this.log.subscribe(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS).unref();
    this.streams.add(res);
    res.on('close', () => {
      unsubscribe();
      clearInterval(heartbeat);
      this.streams.delete(res);
    });
  }

  /** Stop serving: event streams end with a `shutdown` event, connections close. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unobserve();
    for (const res of this.streams) res.end(`event: shutdown\ndata: {}\n\n`);
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.dispose();
  }
}

function decode(ref: string): string {
  try {
    return decodeURIComponent(ref);
  } catch {
    throw new ApiError(400, 'bad_request', `'${ref}' is not percent-encoded`);
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
