/**
 * mailbox/senders/local-dial.ts: `LocalLinkDialer`, the `Dialer` of a proc for the other procs
 * of its process (`local:N` addresses; DESIGN decision 8). Behind a `DialMailboxRouter`, an
 * envelope for proc `local:N,...` goes to a `MailboxClient` over a lazily attached Tx
 * (channel/lazy.ts): the first dial asks the host for a link (`requestLink`, the control
 * plane's `need-link`), and the host answers by handing this side the ring (or port) of the
 * link (`attachOut`), and the other side its end (`attachIn`). Envelopes sent meanwhile wait in
 * order (LZ-1). Addresses of other transports go to the `remote` dialer (a proc that also
 * serves on a socket), or are unroutable.
 *
 * A link is one direction between two procs: a `RingTx`/`RingRx` pair over one
 * SharedArrayBuffer ring with the interned envelope record codec (wire/envelope-record.ts), and
 * the ring's side port for the memory of large binary values (wire/side-channel.ts). (Links over
 * MessagePorts alone, `transport: 'port'`, were retired in issue 16: docs/guide.md.)
 *
 * ## Invariants
 *
 * - LL-1 (per link FIFO): the ring's RING invariants plus the Tx's ordered overflow queue, and
 *   one Rx loop per link delivering in record order; the lazy Tx keeps order before that (LZ-1).
 * - LL-2 (nothing lost): an envelope for a proc that is gone comes back to its sender as
 *   `BrokenLink`, one for a proc that never existed as `Unroutable`, including those that
 *   waited for the link (LZ-2). When the peer's thread died (the host marked the ring), the
 *   records it never read are read back on this side (RING-13, EC-4: `RingTx.takeBack`) and
 *   returned the same way, through the proc's `MailboxServer`; records that cannot be decoded
 *   are counted in the log.
 * - LL-3: a malformed record or a decode failure ends the inbound link (logged); the producer
 *   sees it closed and returns what it still holds.
 * - LL-5 (restarts): after `forget(peer)` the next envelope for `peer` asks for a new link; the
 *   envelopes sent before came back (LL-2), none reaches the new incarnation out of order.
 * - LL-6 (nothing lost when this thread dies): inbound rings hold every record until its
 *   envelope was handled or returned (RL-3, channel/ring/rx.ts), so what was read but not handled
 *   is still in the ring for the peer's takeover (LL-2 on its side) to return.
 * - LL-7 (nothing lost when the host tears this proc down): `closeInbound` before the final
 *   flush, so no envelope reaches this proc after the flush that would carry its return; the
 *   returns it made before (for a failed or stopped actor's envelopes, whose records are DONE and
 *   so not the takeover's) leave through its outbound links, which the host still creates for a
 *   proc that is stopping.
 * - LL-4 (flow control): a ring link's Tx never refuses an envelope (no `maxQueued`: a full ring
 *   would otherwise bounce envelopes); with `flow` set its overflow queue is a gate (mailbox/flow.ts
 *   FC-6) that mutes the senders that put it over the high watermark, and an inbound ring link is a
 *   sender: delivering into an actor over its bound mutes it, and its Rx stops draining until the
 *   actor is back under (so the ring fills and the sending proc queues, then mutes; the paused
 *   ring keeps its held records, rx.ts RL-3g: a pause is never a stall). Port links
 *   (MessagePort) and links still being created (LZ-1) queue without bound. `proc.flush()` resolves
 *   once everything sent left the thread, links still being created included (LZ-3).
 */
import { ChannelAddr } from '../../addr.js';
import { LazyTx } from '../../channel/lazy.js';
import type { MessagePort } from 'node:worker_threads';
import { READ_INDEX, RingBuffer } from '../../channel/ring/ring.js';
import { RingRx, type RingRxOptions } from '../../channel/ring/rx.js';
import { RingTx } from '../../channel/ring/tx.js';
import { ChannelError, type Rx } from '../../channel/types.js';
import type { Clock } from '../../clock.js';
import type { ProcId } from '../../id.js';
import { rootLogger } from '../../log.js';
import { EnvelopeRecordCodec } from '../../wire/envelope-record.js';
import { SideChannel } from '../../wire/side-channel.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import { flowContext, linkWatermarks, type FlowLimits, type FlowSender } from '../flow.js';
import { returnUndeliverable } from '../sender.js';
import { MailboxClient } from './client.js';
import type { Dialer } from './router.js';
import type { MailboxServer } from './server.js';

/**
 * One side of a link, as the host hands it over: a ring, and its side port, which carries the
 * memory of large binary values (wire/side-channel.ts; without one they are copied into the ring).
 */
export interface LinkEnd {
  /** The link's ring (one direction). */
  readonly ring: SharedArrayBuffer;
  /** This side's end of the link's side port (OOB-5). */
  readonly side?: MessagePort;
}

export interface LocalLinkDialerOptions {
  /** The proc this dialer serves (decoded ids of it share this object). */
  readonly proc: ProcId;
  /** Where envelopes arriving over inbound links go (the proc's `MailboxServer`). */
  readonly server: MailboxServer;
  /**
   * Ask the host for a link to proc `local:{peer}` (once per peer). The host answers with
   * `attachOut`, or with `peerGone` / `noSuchPeer`.
   */
  readonly requestLink: (peer: number) => void;
  /** The clock of the inbound rings' drain loops (and of their stall escape, RL-3e). */
  readonly clock?: Clock;
  /** RL-3e: how long an inbound ring waits for a release before it gives up holding. Default 1000 ms. */
  readonly stallMs?: number;
  /** Flow control's watermarks (mailbox/flow.ts FC-6); unset, links are not watched (FC-8). */
  readonly flow?: FlowLimits | undefined;
}

/** FC-6: an inbound ring link as a sender a gate can hold: held, its Rx stops draining. */
class InboundLink implements FlowSender {
  private holds = 0;
  constructor(private readonly rx: RingRx<MessageEnvelope>) {}
  flowHold(): void {
    if (this.holds++ === 0) this.rx.pause();
  }
  flowRelease(): void {
    if (--this.holds <= 0) {
      this.holds = 0;
      this.rx.resume();
    }
  }
}

export class LocalLinkDialer {
  private readonly links = new Map<number, LazyTx<MessageEnvelope>>();
  private readonly rings = new Map<number, RingTx<MessageEnvelope>>();
  private readonly inbound = new Set<Rx<MessageEnvelope>>();
  /** SR-1 (server.ts): never throws, so the inbound loops need no guard of their own. */
  private readonly deliver: (envelope: MessageEnvelope) => void;
  /**
   * Dials addresses of other transports (tcp, unix, tls: a `MailboxDialer` when the proc also
   * serves on a socket); unset, they are unroutable.
   */
  remote: Dialer | undefined;

  constructor(private readonly options: LocalLinkDialerOptions) {
    const server = options.server;
    this.deliver = (envelope) => server.deliver(envelope);
  }

  /** Bound: give it to a `DialMailboxRouter`. */
  readonly dial: Dialer = (addr) => {
    if (addr.transport !== 'local') {
      if (this.remote !== undefined) return this.remote(addr);
      throw new ChannelError('invalid-address', `no route to ${addr}: this proc reaches local: procs only (serve on a socket to dial others)`);
    }
    return new MailboxClient(this.link(addr.port), false);
  };

  /** The sending side of the link to `peer` is ready (LZ-1: what waited goes first). */
  attachOut(peer: number, end: LinkEnd): void {
    // LL-4: no bound on the overflow queue (a full ring would otherwise bounce envelopes); FC-6
    const flow = this.options.flow;
    const buffer = RingBuffer.attach(end.ring);
    const side = new SideChannel(end.side, () => Atomics.load(buffer.i32, READ_INDEX)); // OOB-6
    const ring = new RingTx(buffer, new EnvelopeRecordCodec({ side }), {
      maxQueued: Number.POSITIVE_INFINITY,
      ...(flow !== undefined ? { watermarks: linkWatermarks(flow) } : {}),
    });
    this.rings.set(peer, ring);
    this.link(peer, false).attach(ring);
  }

  /** The receiving side of a link from another proc: its envelopes go to the proc (LL-1, LL-3). */
  attachIn(end: LinkEnd): void {
    const side = new SideChannel(end.side, undefined);
    const rx = new RingRx(RingBuffer.attach(end.ring), new EnvelopeRecordCodec({ localProc: this.options.proc, side }), this.rxOptions());
    this.inbound.add(rx);
    rx.onClose((reason) => {
      this.inbound.delete(rx);
      side.close();
      rootLogger().debug({ reason }, 'inbound link closed');
    });
    if (this.options.flow !== undefined) {
      // FC-6: the link is the sender of what it delivers (a gate it overfills pauses it)
      const link = new InboundLink(rx);
      const deliver = this.deliver;
      const flow = flowContext;
      rx.onMessage((envelope) => {
        const outer = flow.sender;
        flow.sender = link;
        deliver(envelope); // SR-1: never throws
        flow.sender = outer;
      });
      return;
    }
    rx.onMessage(this.deliver);
  }

  /** LL-2: `peer` is gone; what waits for it, and everything later, comes back as `BrokenLink`. */
  peerGone(peer: number, reason: string): void {
    this.link(peer, false).fail('closed', reason);
    const ring = this.rings.get(peer);
    this.rings.delete(peer);
    if (ring === undefined) return;
    const handle = this.options.server.returnHandle;
    let taken: ReturnType<RingTx<MessageEnvelope>['takeBack']>;
    try {
      taken = ring.takeBack((envelope) => returnUndeliverable(envelope, DeliveryError.brokenLink(reason), handle));
    } catch (err) {
      rootLogger().warn({ err }, 'ring to a dead peer: cannot take the consumer role over');
      return;
    }
    if (taken !== undefined && (taken.lost > 0 || taken.corruption !== undefined)) {
      rootLogger().warn({ returned: taken.returned, lost: taken.lost, corruption: taken.corruption }, 'ring to a dead peer: some unread envelopes could not be returned');
    } else if (taken?.partial === true) {
      // The peer died while reading a fragmented record: expected of a torn-down peer.
      rootLogger().debug({ returned: taken.returned }, 'ring to a dead peer: the rest of a partly read record was skipped');
    }
  }

  /** LL-2: there is no proc `local:{peer}`: what waits for it comes back as `Unroutable`. */
  noSuchPeer(peer: number): void {
    this.link(peer, false).fail('invalid-address', `no proc local:${peer} in this process`);
  }

  /**
   * LL-5: `peer` was restarted (a fresh worker with the same index): forget the failed link, so
   * the next envelope for it asks the host for a new one. Call after `peerGone`.
   */
  forget(peer: number): void {
    this.links.delete(peer);
    this.rings.delete(peer);
  }

  /** LL-6: inbound rings hold each record until its envelope was handled (RL-3, rx.ts). */
  private rxOptions(): RingRxOptions {
    const stall = this.options.stallMs;
    const clock = this.options.clock;
    return { hold: true, ...(clock !== undefined ? { clock } : {}), ...(stall !== undefined ? { stallMs: stall } : {}) };
  }

  /**
   * LL-7: stop reading every inbound link (a proc being torn down, after its actors stopped):
   * each sender's Tx sees its receiver closed and returns what it still queues; the records in the
   * ring not yet released stay there for the sender's takeover (RL-3, LL-2) once this thread is
   * gone. Outbound links keep going, so the returns this proc made still leave (`proc.flush()`).
   */
  closeInbound(reason = 'proc torn down'): void {
    for (const rx of this.inbound) rx.close(reason);
    this.inbound.clear();
  }

  /** Close every link: what is queued comes back (CH-4); inbound links stop. */
  close(reason = 'link closed'): void {
    for (const link of this.links.values()) link.close(reason);
    for (const rx of this.inbound) rx.close(reason);
    this.inbound.clear();
    this.rings.clear();
  }

  /** The lazy Tx to `peer`, created (and, if `request`, asked of the host) on first use. */
  private link(peer: number, request = true): LazyTx<MessageEnvelope> {
    let link = this.links.get(peer);
    if (link === undefined) {
      link = new LazyTx<MessageEnvelope>(ChannelAddr.local(peer));
      this.links.set(peer, link);
      if (request) this.options.requestLink(peer);
    }
    return link;
  }
}
