/**
 * channel/nats/directory.ts: `NatsDirectory`, finding procs and actors on a NATS system by name,
 * so that a client does not need ids passed by hand. Request/reply on well-known subjects, not a
 * KV bucket: an entry lives exactly as long as the subscription of whoever registered it (a
 * proc that dies leaves no stale entry behind), a lookup is one round trip answered by the
 * holder itself, a miss is answered at once by the server (no responders), and the server needs
 * no JetStream.
 *
 * Subjects, under the prefix of the directory's address (`nats://h:p/app` -> `app`):
 *
 * ```
 * app.$names.<name>   the holder of <name> answers a lookup with "actor <ActorId>" or "proc <ProcId>"
 * app.$names          every directory answers with the JSON list of the names it registered
 * ```
 *
 * `$` cannot appear in a `nats:` address subject (addr.ts), so no proc's subject can collide.
 *
 * ## Invariants
 *
 * - DY-1 A name has one holder: `register` asks the name's subject first and fails with
 *   `ChannelError('address-in-use')` when somebody answers.
 * - DY-2 `lookup` of a name nobody holds fails with `ChannelError('not-found')` as soon as the
 *   server says there is no responder; a holder that does not answer within the timeout is
 *   `ChannelError('timeout')`.
 * - DY-3 `unregister` (or `close`) stops answering at once; lookups after it are `not-found`.
 *
 * @example
 * ```ts
 * const dir = await NatsDirectory.open('nats://127.0.0.1:4222/app');
 * await dir.register('counter', counter.bind());         // in the proc that holds it
 * const ref = await dir.lookupActor<CounterMsg>('counter'); // anywhere on the system
 * ```
 */
import type { Msg, Subscription } from '@nats-io/transport-node';
import { ChannelAddr } from '../../addr.js';
import { ActorId, ProcId } from '../../id.js';
import { ActorRef } from '../../ref.js';
import { ChannelError } from '../types.js';
import { acquireLink, type NatsLink } from './client.js';
import type { NatsOptions } from './options.js';

/** One registration as `list` reports it. */
export interface NatsDirectoryEntry {
  readonly name: string;
  /** `actor <ActorId>` or `proc <ProcId>` as text: parse with `ActorId.parse` / `ProcId.parse`. */
  readonly kind: 'actor' | 'proc';
  readonly id: string;
}

const NAME = /^[A-Za-z0-9_-]+$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class NatsDirectory {
  private readonly held = new Map<string, { readonly sub: Subscription; readonly entry: NatsDirectoryEntry }>();
  private listSub: Subscription | undefined;
  private closed = false;

  private constructor(
    /** The prefix subject every name of this directory is under. */
    readonly prefix: string,
    private readonly link: NatsLink,
  ) {}

  /**
   * The directory under `addr`'s subject, over the same shared connection a proc with the same
   * `nats` options uses (NC-1). Rejects like `serve` when the server cannot be reached.
   */
  static async open(addr: ChannelAddr | string, options: { readonly nats?: NatsOptions } = {}): Promise<NatsDirectory> {
    const target = typeof addr === 'string' ? ChannelAddr.parse(addr) : addr;
    if (target.transport !== 'nats') throw new ChannelError('invalid-address', `not a nats address: ${target}`);
    return new NatsDirectory(target.subject, await acquireLink(target, options.nats));
  }

  /**
   * Answer lookups of `name` with `target` (an actor's ref or id, or a proc id) until the
   * returned function is called or the directory closes (DY-1, DY-3).
   */
  async register(name: string, target: ActorId | ProcId | { readonly actorId: ActorId }): Promise<() => void> {
    this.checkOpen();
    checkName(name);
    const entry = entryOf(name, target);
    const subject = `${this.prefix}.$names.${name}`;
    let taken = false;
    try {
      await this.link.nc.request(subject, new Uint8Array(0), { timeout: 1_000 });
      taken = true;
    } catch (error) {
      if (!isNoResponders(error)) taken = true; // a silent subscriber holds it too
    }
    if (taken || this.held.has(name)) throw new ChannelError('address-in-use', `directory ${this.prefix}: the name ${JSON.stringify(name)} is registered already`);
    const answer = encoder.encode(`${entry.kind} ${entry.id}`);
    const sub = this.link.subscribe(subject, (msg) => respond(msg, answer));
    this.held.set(name, { sub, entry });
    this.listSub ??= this.link.subscribe(`${this.prefix}.$names`, (msg) =>
      respond(msg, encoder.encode(JSON.stringify([...this.held.values()].map((h) => h.entry)))),
    );
    await this.link.nc.flush();
    return () => this.unregister(name, sub);
  }

  /** The id registered under `name` (DY-2). */
  async lookup(name: string, timeoutMs = 2_000): Promise<ActorId | ProcId> {
    this.checkOpen();
    checkName(name);
    let msg: Msg;
    try {
      msg = await this.link.nc.request(`${this.prefix}.$names.${name}`, new Uint8Array(0), { timeout: timeoutMs });
    } catch (error) {
      if (isNoResponders(error)) throw new ChannelError('not-found', `directory ${this.prefix}: nobody registered ${JSON.stringify(name)}`);
      throw new ChannelError('timeout', `directory ${this.prefix}: lookup of ${JSON.stringify(name)}: ${errorText(error)}`, { cause: error });
    }
    const text = decoder.decode(msg.data);
    const space = text.indexOf(' ');
    const kind = text.slice(0, space);
    const id = text.slice(space + 1);
    if (kind === 'actor') return ActorId.parse(id);
    if (kind === 'proc') return ProcId.parse(id);
    throw new ChannelError('protocol', `directory ${this.prefix}: malformed answer for ${JSON.stringify(name)}`);
  }

  /** A ref to the actor registered under `name` (the type is the caller's claim, as `ActorRef.attest`). */
  async lookupActor<M>(name: string, timeoutMs?: number): Promise<ActorRef<M>> {
    const id = await this.lookup(name, timeoutMs);
    if (!(id instanceof ActorId)) throw new ChannelError('not-found', `directory ${this.prefix}: ${JSON.stringify(name)} is a proc, not an actor`);
    return ActorRef.attest<M>(id);
  }

  /** Every registration that answers within `waitMs` of quiet (scatter-gather on `prefix.$names`). */
  async list(waitMs = 300): Promise<NatsDirectoryEntry[]> {
    this.checkOpen();
    const out: NatsDirectoryEntry[] = [];
    let replies: AsyncIterable<Msg>;
    try {
      replies = await this.link.nc.requestMany(`${this.prefix}.$names`, new Uint8Array(0), { strategy: 'stall', stall: waitMs, maxWait: waitMs * 10 });
    } catch (error) {
      if (isNoResponders(error)) return out;
      throw error;
    }
    try {
      for await (const msg of replies) {
        if (msg.headers?.code === 503) break;
        const entries = JSON.parse(decoder.decode(msg.data)) as NatsDirectoryEntry[];
        out.push(...entries);
      }
    } catch (error) {
      if (!isNoResponders(error)) throw error;
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Unregister everything and release the connection. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [name, h] of [...this.held]) this.unregister(name, h.sub);
    await this.link.release();
  }

  private unregister(name: string, sub: Subscription): void {
    const held = this.held.get(name);
    if (held === undefined || held.sub !== sub) return;
    this.held.delete(name);
    try {
      sub.unsubscribe();
      if (this.held.size === 0) {
        this.listSub?.unsubscribe();
        this.listSub = undefined;
      }
    } catch {
      // the connection is closed already
    }
  }

  private checkOpen(): void {
    if (this.closed) throw new ChannelError('closed', `directory ${this.prefix} is closed`);
  }
}

function checkName(name: string): void {
  if (!NAME.test(name)) throw new ChannelError('invalid-address', `a directory name is [A-Za-z0-9_-]+, got ${JSON.stringify(name)}`);
}

function entryOf(name: string, target: ActorId | ProcId | { readonly actorId: ActorId }): NatsDirectoryEntry {
  if (target instanceof ProcId) return { name, kind: 'proc', id: String(target) };
  if (target instanceof ActorId) return { name, kind: 'actor', id: String(target) };
  return { name, kind: 'actor', id: String(target.actorId) };
}

function respond(msg: Msg, data: Uint8Array): void {
  try {
    msg.respond(data);
  } catch {
    // the connection is closed already
  }
}

function isNoResponders(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'NoRespondersError' || (error.cause instanceof Error && error.cause.name === 'NoRespondersError')) return true;
  const probe = error as Error & { isNoResponders?: () => boolean };
  return typeof probe.isNoResponders === 'function' && probe.isNoResponders();
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
