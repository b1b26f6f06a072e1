/**
 * admin/top/client.ts: the HTTP client `procmesh top` reads an admin endpoint with (admin/server.ts
 * serves it): one `GET` per reference, each bounded by a timeout, the token sent when given, and
 * at most `concurrency` requests in flight (a host with many actors is read in parallel without
 * opening a connection per actor at once). Built on Node's global `fetch` (undici): no library
 * needed for JSON over HTTP.
 *
 * An answer is a `NodePayload` or the endpoint's error envelope `{ error: { code, message } }`;
 * anything else (refused connection, timeout, not JSON) is a `TopError` with code `unreachable`
 * or `timeout`, so the caller decides on a code, never on a message.
 *
 * ## Invariants
 *
 * - TP-1: every request settles within `timeoutMs` (then `timeout`).
 * - TP-2: at most `concurrency` requests are in flight.
 */
import type { NodePayload } from '../nodes.js';

/** What went wrong reading the endpoint: its own error code, or the client's. */
export type TopErrorCode = 'unreachable' | 'timeout' | 'bad_response' | 'bad_address' | (string & {});

export class TopError extends Error {
  constructor(
    readonly code: TopErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'TopError';
  }
}

export interface ClientOptions {
  /** Per request (TP-1), default 2000 ms. */
  readonly timeoutMs?: number;
  /** `Authorization: Bearer <token>` (a non-loopback endpoint requires one). */
  readonly token?: string | undefined;
  /** TP-2, default 16. */
  readonly concurrency?: number;
}

/**
 * The endpoint's base URL from what a person types: `tcp:127.0.0.1:9901` (what the host
 * prints), `127.0.0.1:9901`, or `http://127.0.0.1:9901`.
 */
export function endpointUrl(addr: string): string {
  const text = addr.trim();
  let url: URL;
  try {
    if (/^https?:\/\//.test(text)) url = new URL(text);
    else url = new URL(`http://${text.replace(/^tcp:/, '')}`);
  } catch {
    throw new TopError('bad_address', `'${addr}' is not an admin address (tcp:HOST:PORT or http://HOST:PORT)`);
  }
  if (url.port === '' && !/^https?:\/\//.test(text)) throw new TopError('bad_address', `'${addr}' has no port (tcp:HOST:PORT)`);
  return `${url.protocol}//${url.host}`;
}

export class AdminClient {
  readonly url: string;
  private readonly timeoutMs: number;
  private readonly headers: Record<string, string>;
  private readonly concurrency: number;
  private inFlight = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(addr: string, options: ClientOptions = {}) {
    this.url = endpointUrl(addr);
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.concurrency = Math.max(1, options.concurrency ?? 16);
    this.headers = { accept: 'application/json' };
    if (options.token !== undefined) this.headers['authorization'] = `Bearer ${options.token}`;
  }

  /** `GET /v1/{ref}` (percent-encoded): the node, or a `TopError` with the endpoint's code. */
  node(ref: string): Promise<NodePayload> {
    return this.get(`/v1/${encodeURIComponent(ref)}`) as Promise<NodePayload>;
  }

  /** `GET path` as JSON (TP-1, TP-2). */
  async get(path: string): Promise<unknown> {
    await this.slot();
    try {
      return await this.fetchJson(path);
    } finally {
      this.release();
    }
  }

  private async fetchJson(path: string): Promise<unknown> {
    let res: Response;
    let body: string;
    try {
      res = await fetch(`${this.url}${path}`, { headers: this.headers, signal: AbortSignal.timeout(this.timeoutMs) });
      body = await res.text();
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') throw new TopError('timeout', `${path}: no answer within ${this.timeoutMs} ms`);
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message : err instanceof Error ? err.message : String(err);
      throw new TopError('unreachable', `${this.url}: ${cause}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch {
      throw new TopError('bad_response', `${path}: HTTP ${res.status}, not JSON`);
    }
    const error = (parsed as { error?: { code?: unknown; message?: unknown } } | null)?.error;
    if (!res.ok || error !== undefined) {
      const code = typeof error?.code === 'string' ? error.code : 'bad_response';
      throw new TopError(code, typeof error?.message === 'string' ? error.message : `${path}: HTTP ${res.status}`);
    }
    return parsed;
  }

  /** TP-2 */
  private slot(): Promise<void> {
    if (this.inFlight < this.concurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(() => (this.inFlight++, resolve())));
  }

  private release(): void {
    this.inFlight--;
    this.waiting.shift()?.();
  }
}
