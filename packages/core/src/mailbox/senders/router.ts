/**
 * mailbox/senders/router.ts: prefix routing (spec §1.5).
 *
 * - `MailboxRouter`: a table `Reference -> MailboxSender`; the longest prefix of the
 *   destination wins (greatest key <= target that is a prefix of it, ID-2/ID-3); a miss is
 *   `Unroutable("no destination found for actor in routing table")` or goes to the fallback.
 * - `DialMailboxRouter`: an address book `Reference -> ChannelAddr`; a miss dials the address
 *   embedded in the destination's `ProcId`; one cached client per address. Dialing is injected
 *   (`Dialer`), so the router works over any transport (net, ring, local).
 */
import type { ChannelAddr } from '../../addr.js';
import { Reference, compareReferences, type ProcId } from '../../id.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import { BaseMailboxSender, returnUndeliverable, type MailboxSender, type ReturnHandle } from '../sender.js';
import { UnroutableMailboxSender } from './simple.js';

interface Route<V> {
  readonly ref: Reference;
  readonly value: V;
}

/** A sorted prefix table (shared by both routers). */
class PrefixTable<V> {
  private routes: Route<V>[] = [];

  bind(ref: Reference, value: V): V | undefined {
    const i = this.search(ref);
    const existing = this.routes[i];
    if (existing !== undefined && compareReferences(existing.ref, ref) === 0) {
      this.routes[i] = { ref, value };
      return existing.value;
    }
    this.routes.splice(i, 0, { ref, value });
    return undefined;
  }

  /** Remove every entry under `prefix`; returns the removed values. */
  unbind(prefix: Reference): V[] {
    const removed: V[] = [];
    this.routes = this.routes.filter((r) => {
      if (Reference.isPrefixOf(prefix, r.ref)) {
        removed.push(r.value);
        return false;
      }
      return true;
    });
    return removed;
  }

  /** Longest prefix of `target` (scans down from the greatest key <= target). */
  lookup(target: Reference): V | undefined {
    let i = this.search(target);
    const at = this.routes[i];
    if (at !== undefined && compareReferences(at.ref, target) === 0) return at.value;
    for (i -= 1; i >= 0; i--) {
      const r = this.routes[i] as Route<V>;
      if (Reference.isPrefixOf(r.ref, target)) return r.value;
      if (!Reference.procOf(r.ref).equals(Reference.procOf(target))) break;
    }
    return undefined;
  }

  /** First index whose ref >= target. */
  private search(target: Reference): number {
    let lo = 0;
    let hi = this.routes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareReferences((this.routes[mid] as Route<V>).ref, target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  values(): V[] {
    return this.routes.map((r) => r.value);
  }

  get size(): number {
    return this.routes.length;
  }

  /** Some entry is `proc` or under it. */
  hasEntryIn(proc: ProcId): boolean {
    return this.routes.some((r) => Reference.procOf(r.ref).equals(proc));
  }
}

export class MailboxRouter extends BaseMailboxSender {
  private readonly table = new PrefixTable<MailboxSender>();
  private fallbackSender: MailboxSender | undefined;

  bind(ref: Reference, sender: MailboxSender): void {
    this.table.bind(ref, sender);
  }

  unbind(prefix: Reference): void {
    this.table.unbind(prefix);
  }

  /** Misses go to `sender` instead of being unroutable. Returns this router. */
  fallback(sender: MailboxSender): this {
    this.fallbackSender = sender;
    return this;
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const sender = this.table.lookup(Reference.port(envelope.dest));
    if (sender !== undefined) sender.post(envelope, returnHandle);
    else if (this.fallbackSender !== undefined) this.fallbackSender.post(envelope, returnHandle);
    else returnUndeliverable(envelope, DeliveryError.unroutable('no destination found for actor in routing table'), returnHandle);
  }

  override async flush(): Promise<void> {
    await Promise.all([...this.table.values(), ...(this.fallbackSender ? [this.fallbackSender] : [])].map((s) => s.flush()));
  }
}

/** Entries of `DialMailboxRouter.byProc` before it starts over. */
const BY_PROC_LIMIT = 1024;

/** Creates a sender (typically a `MailboxClient`) for a channel address; throws on failure. */
export type Dialer = (addr: ChannelAddr) => MailboxSender;

export class DialMailboxRouter extends BaseMailboxSender {
  private readonly book = new PrefixTable<ChannelAddr>();
  private readonly clients = new Map<string, MailboxSender>();
  /**
   * Clients by destination proc (identity: decoded ids of one proc share one object), for the
   * procs no entry of the book applies to: a stream to a few procs skips the book and the
   * string-keyed client map. The previous destination is checked first. Any bind or unbind
   * forgets them.
   */
  private readonly byProc = new Map<ProcId, MailboxSender>();
  private lastProc: ProcId | undefined;
  private lastClient: MailboxSender | undefined;

  constructor(
    private readonly dialer: Dialer,
    private readonly defaultSender: MailboxSender = new UnroutableMailboxSender(),
    /** When true, local and unix destinations missing from the book go to the default. */
    private readonly directAddressedRemoteOnly = false,
  ) {
    super();
  }

  /** Route `ref` to `addr`; replacing an address evicts its cached client. */
  bind(ref: Reference, addr: ChannelAddr): void {
    this.forgetLast();
    const old = this.book.bind(ref, addr);
    if (old !== undefined && !old.equals(addr)) this.clients.delete(String(old));
  }

  /** Forget the cached client of `addr` (its link was replaced): the next envelope dials again. */
  evict(addr: ChannelAddr): void {
    this.forgetLast();
    this.clients.delete(String(addr));
  }

  unbind(prefix: Reference): void {
    this.forgetLast();
    for (const addr of this.book.unbind(prefix)) this.clients.delete(String(addr));
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const proc = envelope.dest.actor.proc;
    if (proc === this.lastProc) {
      (this.lastClient as MailboxSender).post(envelope, returnHandle);
      return;
    }
    const known = this.byProc.get(proc);
    if (known !== undefined) {
      this.lastProc = proc;
      this.lastClient = known;
      known.post(envelope, returnHandle);
      return;
    }
    let addr = this.book.size === 0 ? undefined : this.book.lookup(Reference.port(envelope.dest));
    const fromBook = addr !== undefined;
    if (addr === undefined) {
      const procAddr = proc.addr;
      if (this.directAddressedRemoteOnly && !procAddr.isRemote) {
        this.defaultSender.post(envelope, returnHandle);
        return;
      }
      addr = procAddr;
    }
    const key = String(addr);
    let client = this.clients.get(key);
    if (client === undefined) {
      try {
        client = this.dialer(addr);
      } catch (err) {
        returnUndeliverable(envelope, DeliveryError.unroutable(`cannot dial destination: ${(err as Error).message}`), returnHandle);
        return;
      }
      this.clients.set(key, client);
    }
    if (!fromBook && (this.book.size === 0 || !this.book.hasEntryIn(proc))) {
      // bounded: ids built anew per envelope (not interned) would otherwise pile up
      if (this.byProc.size >= BY_PROC_LIMIT) this.byProc.clear();
      this.byProc.set(proc, client);
      this.lastProc = proc;
      this.lastClient = client;
    }
    client.post(envelope, returnHandle);
  }

  override async flush(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.flush()));
  }

  private forgetLast(): void {
    this.byProc.clear();
    this.lastProc = undefined;
    this.lastClient = undefined;
  }
}
