/**
 * fabric.ts: the wiring between procs (DESIGN decision 8). Every proc's forwarder is a
 * `FabricRouter`: an envelope for proc `local:N,...` goes to the outbound link to proc N. Links
 * are created lazily: the first envelope for N asks the main thread for a link (`need-link`),
 * and envelopes sent before it exists wait in an ordered queue (FB-1).
 *
 * A link is one direction between two procs. Transports implement `OutboundLink` /
 * `InboundLink`: `PortLink*` batch encoded envelopes over a MessagePort (one `postMessage` per
 * microtask batch); the ring links (`ring-link.ts`) use a SharedArrayBuffer SPSC ring.
 *
 * ## Invariants
 *
 * - FB-1: per sender->receiver FIFO: envelopes queued before the link exists are flushed into it
 *   in order, before any later envelope.
 * - FB-2: an envelope for a proc that is gone (or never existed) comes back to its sender as
 *   `BrokenLink` / `Unroutable`; nothing queued for it is dropped silently.
 * - FB-3: `flush()` covers envelopes waiting for a link: it resolves once they went into the
 *   attached link and that link flushed, or once they came back (FB-2).
 * - FB-4: links queue without bound, as upstream's unbounded channels: a burst larger than a
 *   ring (sent before its link existed, or faster than the peer reads) waits in order, none
 *   bounced. `flush()` is the flow control of a sender that wants a bound.
 */
import { BaseMailboxSender, MailboxServer, encodeEnvelope, returnUndeliverable } from '@procmesh/core/transport';
import { DeliveryError, type MailboxSender, type MessageEnvelope, type ReturnHandle } from '@procmesh/core';
import type { MessagePort } from 'node:worker_threads';

export interface OutboundLink {
  send(envelope: MessageEnvelope, returnHandle: ReturnHandle): void;
  /** Resolves once everything sent so far has left this thread. */
  flush(): Promise<void>;
  /** The peer is gone: return what can still be returned; later sends fail. */
  fail(reason: string): void;
  close(): void;
}

export interface InboundLink {
  close(): void;
}

/** Outbound over a MessagePort: encoded envelopes, one `postMessage` per microtask batch. */
export class PortOutboundLink implements OutboundLink {
  private batch: Uint8Array[] = [];
  private scheduled = false;
  private failed: string | undefined;
  constructor(private readonly port: MessagePort) {}

  send(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    if (this.failed !== undefined) {
      returnUndeliverable(envelope, DeliveryError.brokenLink(this.failed), returnHandle);
      return;
    }
    this.batch.push(encodeEnvelope(envelope));
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushBatch);
    }
  }

  private readonly flushBatch = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0 || this.failed !== undefined) return;
    const batch = this.batch;
    this.batch = [];
    this.port.postMessage(batch);
  };

  flush(): Promise<void> {
    this.flushBatch();
    return Promise.resolve();
  }

  fail(reason: string): void {
    this.failed = reason;
    this.batch = [];
    this.port.close();
  }

  close(): void {
    this.flushBatch();
    this.port.close();
  }
}

/** Inbound over a MessagePort: every envelope of a batch goes to the proc's `MailboxServer`. */
export class PortInboundLink implements InboundLink {
  constructor(
    private readonly port: MessagePort,
    server: MailboxServer,
  ) {
    port.on('message', (batch: Uint8Array[]) => {
      for (const bytes of batch) server.deliverBytes(bytes);
    });
  }

  close(): void {
    this.port.close();
  }
}

interface Pending {
  readonly envelope: MessageEnvelope;
  readonly returnHandle: ReturnHandle;
}

/** A proc's forwarder: routes by the destination proc's index (`local:N`). */
export class FabricRouter extends BaseMailboxSender {
  private readonly links = new Map<number, OutboundLink>();
  private readonly pending = new Map<number, Pending[]>();
  private readonly gone = new Map<number, string>();
  /** `flush()` callers waiting for a link still being created (FB-3). */
  private readonly settled = new Map<number, (() => void)[]>();
  /** The peer and link of the previous envelope (a stream to one proc skips the map). */
  private lastPeer = -1;
  private lastLink: OutboundLink | undefined;
  /**
   * Where envelopes for procs outside the fabric (not `local:`) go: a `DialMailboxRouter` on a
   * worker that serves on a socket (`ProcHostOptions.serve`); unset, they are unroutable.
   */
  fallback: MailboxSender | undefined;

  constructor(
    readonly selfIndex: number,
    private readonly requestLink: (peer: number) => void,
  ) {
    super();
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const addr = envelope.dest.actor.proc.addr;
    if (addr.transport !== 'local') {
      if (this.fallback !== undefined) {
        this.fallback.post(envelope, returnHandle);
        return;
      }
      returnUndeliverable(envelope, DeliveryError.unroutable(`no route to ${addr} in this fabric`), returnHandle);
      return;
    }
    const peer = addr.port;
    let link = peer === this.lastPeer ? this.lastLink : undefined;
    if (link === undefined) {
      link = this.links.get(peer);
      if (link !== undefined) {
        this.lastPeer = peer;
        this.lastLink = link;
      }
    }
    if (link !== undefined) {
      link.send(envelope, returnHandle);
      return;
    }
    const reason = this.gone.get(peer);
    if (reason !== undefined) {
      returnUndeliverable(envelope, DeliveryError.brokenLink(reason), returnHandle);
      return;
    }
    let queue = this.pending.get(peer);
    if (queue === undefined) {
      queue = [];
      this.pending.set(peer, queue);
      this.requestLink(peer);
    }
    queue.push({ envelope, returnHandle });
  }

  /** FB-1: attach the outbound link to `peer` and flush what waited for it, in order. */
  attach(peer: number, link: OutboundLink): void {
    this.links.set(peer, link);
    const queue = this.pending.get(peer);
    this.pending.delete(peer);
    if (queue !== undefined) for (const p of queue) link.send(p.envelope, p.returnHandle);
    const waiters = this.takeWaiters(peer);
    if (waiters !== undefined) {
      void link.flush().then(
        () => waiters.forEach((resolve) => resolve()),
        () => waiters.forEach((resolve) => resolve()),
      );
    }
  }

  /** FB-2: `peer` is gone; queued and future envelopes for it come back as `BrokenLink`. */
  peerGone(peer: number, reason: string): void {
    this.gone.set(peer, reason);
    const link = this.links.get(peer);
    this.links.delete(peer);
    this.forgetLast();
    link?.fail(reason);
    this.failPending(peer, DeliveryError.brokenLink(reason));
  }

  /** FB-2: no proc has that index. */
  noSuchPeer(peer: number): void {
    this.failPending(peer, DeliveryError.unroutable(`no proc local:${peer} in this fabric`));
  }

  private failPending(peer: number, error: DeliveryError): void {
    const queue = this.pending.get(peer);
    this.pending.delete(peer);
    if (queue !== undefined) for (const p of queue) returnUndeliverable(p.envelope, new DeliveryError(error.kind, error.detail), p.returnHandle);
    this.takeWaiters(peer)?.forEach((resolve) => resolve());
  }

  /**
   * FB-3: resolves once everything posted so far left this thread through its link, or came
   * back: envelopes still waiting for a link count, until it is attached and flushed (or the
   * peer turned out to be gone).
   */
  override async flush(): Promise<void> {
    const waiting = [...this.pending.keys()].map((peer) => {
      return new Promise<void>((resolve) => {
        let list = this.settled.get(peer);
        if (list === undefined) this.settled.set(peer, (list = []));
        list.push(resolve);
      });
    });
    await Promise.all([...[...this.links.values()].map((l) => l.flush()), ...waiting, this.fallback?.flush()]);
  }

  close(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.forgetLast();
  }

  private takeWaiters(peer: number): (() => void)[] | undefined {
    const waiters = this.settled.get(peer);
    this.settled.delete(peer);
    return waiters;
  }

  private forgetLast(): void {
    this.lastPeer = -1;
    this.lastLink = undefined;
  }
}
