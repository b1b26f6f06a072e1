/**
 * mailbox/senders/dial.ts: mailbox traffic over channels (spec §1.5, §7.3): the envelope codec
 * for the net channel, `dialMailbox(addr)` (a `MailboxClient` over `dial(addr)`), and
 * `MailboxDialer`, the `Dialer` a `DialMailboxRouter` uses that remembers what it dialed so it
 * can close it (a `Proc.direct` proc closes its dialer when it stops serving).
 *
 * - DM-1 Every transport an address can name works: `tcp:`/`unix:`/`tls:` get a `NetTx`, `nats:` a `NatsTx`, with
 *   `envelopeTupleCodec` (msgpackr, ids and refs as extension types, CO-1); `local:` passes the
 *   envelope object (its payload is already bytes).
 * - DM-2 The envelope is encoded when posted (NT-1): later changes to it by the sender (TTL,
 *   errors) do not travel.
 * - DM-4 Flow control (`MailboxDialOptions.flow`, a proc's limits): each dialed net Tx's queue is
 *   a gate (mailbox/flow.ts FC-6, channel/net/tx.ts NT-12) that mutes the actors whose sends put
 *   it over the high watermark, until acks bring it back under the low one or the Tx closes
 *   (its envelopes then come back, DM-3). A NATS Tx's pending messages are watched the same way
 *   (channel/nats/tx.ts NX-10; its receiver stops acking while held, rx.ts NS-9).
 * - DM-3 A Tx that closes (delivery timeout, server `Closed`, `Reject`) returns every pending
 *   and later envelope as `BrokenLink("failed to enqueue in MailboxClient when processing buffer:
 *   ...")`; the router keeps the dead client cached until the address is rebound (as upstream).
 *
 * @example
 * ```ts
 * const router = new DialMailboxRouter(dialMailbox);   // dials each proc by its ProcId's address
 * const proc = Proc.configured(ProcId.withName(addr, 'p'), router);
 * ```
 */
import type { ChannelAddr } from '../../addr.js';
import { ChannelError } from '../../channel/types.js';
import type { DialOptions } from '../../channel/net/options.js';
import type { NatsChannelOptions } from '../../channel/nats/options.js';
import { dial } from '../../channel/serve.js';
import { envelopeTupleCodec } from '../../wire/envelope.js';
import type { MessageEnvelope } from '../envelope.js';
import { linkWatermarks, type FlowLimits } from '../flow.js';
import { MailboxClient } from './client.js';
import type { Dialer } from './router.js';

/**
 * Options of a dialed mailbox channel: the net and nats ones except the codec (always
 * `envelopeTupleCodec`) and the watermarks (one gate per Tx, made from `flow`: DM-4).
 */
export type MailboxDialOptions = Omit<DialOptions<MessageEnvelope> & NatsChannelOptions, 'codec' | 'watermarks'> & {
  /** Flow control's limits (a proc's `flowLimits`); unset, the dialed queues are not watched (FC-8). */
  readonly flow?: FlowLimits | undefined;
};

/** A `MailboxClient` over `dial(addr)` with the envelope codec (DM-1), its queue watched with `flow` (DM-4). */
export function dialMailbox(addr: ChannelAddr | string, options: MailboxDialOptions = {}): MailboxClient {
  const { flow, ...rest } = options;
  const watermarks = flow !== undefined ? { watermarks: linkWatermarks(flow) } : {};
  return new MailboxClient(dial<MessageEnvelope>(addr, { ...rest, ...watermarks, codec: envelopeTupleCodec }));
}

/** A `Dialer` that keeps the clients it made, to close them together. */
export class MailboxDialer {
  private readonly clients = new Set<MailboxClient>();
  private closedReason: string | undefined;

  constructor(private readonly options: MailboxDialOptions = {}) {}

  /** Bound: pass it to `DialMailboxRouter` as is. Throws `ChannelError('closed')` once the dialer is closed. */
  readonly dial: Dialer = (addr) => {
    if (this.closedReason !== undefined) throw new ChannelError('closed', `dialer closed: ${this.closedReason}`);
    const client = dialMailbox(addr, this.options);
    this.clients.add(client);
    return client;
  };

  /** Clients dialed so far (and not closed by `close`). */
  get size(): number {
    return this.clients.size;
  }

  /** Close every client: pending envelopes are returned to their senders (CH-4). */
  close(reason = 'dialer closed'): void {
    this.closedReason ??= reason;
    for (const client of this.clients) client.close(reason);
    this.clients.clear();
  }
}
