/**
 * admin/options.ts: what `ProcHostOptions.admin` (or `PROCMESH_ADMIN`) asks for, checked before
 * any worker starts, and the admin endpoint's typed error.
 *
 * The endpoint is off unless asked for. It listens on a `tcp:` address (`tcp:127.0.0.1:0` picks
 * a port). It binds loopback unless told otherwise: an address that is not loopback is refused
 * unless a token is set (`token`, or `PROCMESH_ADMIN_TOKEN`), and then every request must carry
 * it (`Authorization: Bearer <token>`; docs/guide.md, "Watching a running system").
 *
 * ## Invariants
 *
 * - AD-2: the admin endpoint never listens on a non-loopback address without a token; a bad
 *   address or a missing token is an `AdminError` before any worker is started.
 */
import { isIP } from 'node:net';
import { ChannelAddr, ProcmeshError } from '@procmesh/core';

export interface AdminOptions {
  /** `tcp:<ip>:<port>` (`tcp:127.0.0.1:0`: loopback, any free port). */
  readonly addr: string;
  /** Required of every request when set; required to be set for a non-loopback address (AD-2). */
  readonly token?: string;
  /** Bound on each call into a proc while answering a request (default 2000 ms). */
  readonly timeoutMs?: number;
}

/** `invalid-admin-address`: not a `tcp:` address; `admin-token-required`: non-loopback without a token (AD-2). */
export type AdminErrorCode = 'invalid-admin-address' | 'admin-token-required';

/** A refused admin endpoint configuration. */
export class AdminError extends ProcmeshError {
  readonly code: AdminErrorCode;
  constructor(code: AdminErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** @internal The checked options. */
export interface ResolvedAdmin {
  readonly host: string;
  readonly port: number;
  readonly token: string | undefined;
  readonly timeoutMs: number;
}

export function isLoopback(host: string): boolean {
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '0:0:0:0:0:0:0:1';
}

/** @internal AD-2: `undefined` when the endpoint is off (no option, `PROCMESH_ADMIN` unset or empty). */
export function resolveAdmin(option: string | AdminOptions | undefined, env: NodeJS.ProcessEnv = process.env): ResolvedAdmin | undefined {
  const opts: AdminOptions | undefined =
    typeof option === 'string' ? { addr: option } : option ?? (env['PROCMESH_ADMIN'] ? { addr: env['PROCMESH_ADMIN'] } : undefined);
  if (opts === undefined || opts.addr === '') return undefined;
  let addr: ChannelAddr;
  try {
    addr = ChannelAddr.parse(opts.addr);
  } catch (err) {
    throw new AdminError('invalid-admin-address', `admin address '${opts.addr}': ${err instanceof Error ? err.message : String(err)}`);
  }
  if (addr.transport !== 'tcp') throw new AdminError('invalid-admin-address', `admin address '${opts.addr}' is not a tcp: address`);
  const token = opts.token ?? (env['PROCMESH_ADMIN_TOKEN'] || undefined);
  if (!isLoopback(addr.host) && token === undefined) {
    throw new AdminError('admin-token-required', `admin address '${opts.addr}' is not loopback: set a token (AdminOptions.token or PROCMESH_ADMIN_TOKEN)`);
  }
  return { host: addr.host, port: addr.port, token, timeoutMs: opts.timeoutMs ?? 2000 };
}
