/**
 * mailbox/senders/server.ts: `MailboxServer`, which posts every envelope arriving on a channel
 * into a local sender (usually a `Proc`) (spec §1.5 "MailboxServer").
 *
 * Envelopes that fail at this side are sent back to their sender's `Undeliverable` actor port
 * *through the sender itself* (so over the same fabric or network they came by), with
 * `BrokenLink("message was undeliverable")` appended. A failed envelope that already is a
 * return is abandoned (logged), never returned again (UM-2).
 *
 * `serve(sender, rx)` runs the receive loop over any `Rx`; `deliver(envelope)` is the same
 * entry for transports that push (the ring consumer).
 *
 * ## Invariants
 *
 * - SR-1: posting one arriving envelope never throws out of `deliver` (a throw is logged and
 *   the envelope abandoned), so no input from a peer ends the receive loop or the process.
 * - SR-2: an Rx with `poll()` (channel/nats/rx.ts: one NATS message carries many envelopes) is
 *   drained synchronously after each `recv()`, in the same order.
 * - SR-3 (flow control, mailbox/flow.ts FC-6): an Rx with `lastSender` (channel/net/rx.ts NR-9:
 *   the session a message came by) is the flow sender of what it delivers: each envelope is
 *   posted with `flowContext.sender` set to it, so a gate the envelope puts over its bound holds
 *   that session (its socket stops being read; a NATS session is not taken from nor acked,
 *   channel/nats/rx.ts NS-9) as a ring link's is (local-dial.ts LL-4). SR-2's polled envelopes
 *   too: the sender is read after each `poll()`.
 * - SR-4: an Rx with `onDeliver(listener)` (channel/net/rx.ts) pushes each envelope into
 *   `deliver` synchronously, in order, instead of the `recv()` loop, so a receipt it puts in the
 *   ambient slot (channel/receipt.ts, NR-10) reaches the actor that queues the envelope.
 * - SR-5: `stop()` posts what a polled Rx still holds once closed (channel/nats/rx.ts NS-5: what
 *   it received and acked, held back by flow control, NS-9), so an envelope acked is never dropped.
 */
import { decodeEnvelope } from '../../wire/envelope.js';
import { encodeEnvelopePayload } from '../../wire/payload.js';
import type { Rx } from '../../channel/types.js';
import { ChannelError } from '../../channel/types.js';
import { ACTOR_PORT, ActorId } from '../../id.js';
import { config } from '../../config.js';
import { rootLogger } from '../../log.js';
import { MessageEnvelope, Undeliverable, type Headers } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import { flowContext, type FlowSender } from '../flow.js';
import { Mailbox } from '../mailbox.js';
import { PortHandle } from '../ports.js';
import { abandon, RETURN_MARK, type MailboxSender, type ReturnHandle } from '../sender.js';
import { PanickingMailboxSender } from './simple.js';
import { ChannelAddr } from '../../addr.js';
import { ProcId } from '../../id.js';
import { Sequencer } from '../../sequencing.js';

/** An Rx that names the flow sender of the message it returned or pushed last (SR-3). */
interface FlowRx {
  readonly lastSender: FlowSender | undefined;
}

/** An Rx that pushes each message synchronously (SR-4). */
interface PushRx<M> {
  onDeliver(listener: (message: M) => void): void;
}

/** An Rx that can hand over a buffered message without a promise (SR-2). */
interface PollRx<M> {
  /** The next buffered message, or undefined when none waits. */
  poll(): M | undefined;
}

let serverCounter = 0;

export class MailboxServer {
  /** The id returns are sent from (upstream: a temp proc `mailbox_server_<N>`). */
  readonly serverId: ActorId;
  readonly returnHandle: ReturnHandle;
  private stopped = false;
  private rx: Rx<MessageEnvelope> | undefined;
  private readonly sequencer = new Sequencer();
  private loop: Promise<void> | undefined;

  constructor(private readonly sender: MailboxSender) {
    const n = serverCounter++;
    this.serverId = new ActorId(ProcId.unique(ChannelAddr.local(0), `mailbox_server_${n}`), 'server', 0);
    const mailbox = new Mailbox(this.serverId, new PanickingMailboxSender());
    this.returnHandle = new PortHandle<Undeliverable>(mailbox, mailbox.allocatePort(), (u) => this.bounce(u.envelope), 'Undeliverable');
  }

  /**
   * Post one arriving envelope into the local sender. SR-1: nothing one envelope does escapes
   * (a throw is logged with the envelope's addresses and the loop goes on), so no input from a
   * peer ends the receive loop or the process.
   */
  deliver(envelope: MessageEnvelope): void {
    try {
      this.sender.post(envelope, this.returnHandle);
    } catch (err) {
      rootLogger().error({ err, sender: String(envelope.sender), dest: String(envelope.dest) }, 'mailbox server: posting an arriving envelope threw');
      envelope.addError(DeliveryError.mailbox(`posting threw: ${err instanceof Error ? err.message : String(err)}`));
      abandon(envelope); // UM-1: logged as abandoned
    }
  }

  /** Decode and post (malformed bytes are logged and dropped: there is nobody to return to). */
  deliverBytes(bytes: Uint8Array): void {
    let envelope: MessageEnvelope;
    try {
      envelope = decodeEnvelope(bytes);
    } catch (err) {
      rootLogger().error({ err }, 'mailbox server: malformed envelope dropped');
      return;
    }
    this.deliver(envelope);
  }

  /** Run the receive loop over `rx` until it closes or `stop()` (upstream `serve`). */
  static serve(sender: MailboxSender, rx: Rx<MessageEnvelope>): MailboxServer {
    const server = new MailboxServer(sender);
    server.rx = rx;
    const flowRx = 'lastSender' in rx ? (rx as unknown as FlowRx) : undefined;
    // SR-3: posted with the Rx's sender of the envelope (returned or pushed last) as the flow sender
    const deliver =
      flowRx === undefined
        ? (envelope: MessageEnvelope): void => server.deliver(envelope)
        : (envelope: MessageEnvelope): void => {
            const outer = flowContext.sender;
            flowContext.sender = flowRx.lastSender;
            server.deliver(envelope); // SR-1: never throws
            flowContext.sender = outer;
          };
    const onDeliver = (rx as Partial<PushRx<MessageEnvelope>>).onDeliver;
    if (typeof onDeliver === 'function') {
      onDeliver.call(rx, deliver); // SR-4
      server.loop = rx.join();
      return server;
    }
    server.loop = (async () => {
      while (!server.stopped) {
        let envelope: MessageEnvelope;
        try {
          envelope = await rx.recv();
        } catch (err) {
          if (!(err instanceof ChannelError && err.code === 'closed')) rootLogger().error({ err }, 'mailbox server: channel error');
          break;
        }
        deliver(envelope);
        // SR-2: what the Rx has buffered already, without a promise each
        const poll = (rx as Partial<PollRx<MessageEnvelope>>).poll;
        if (poll === undefined) continue;
        for (let next = poll.call(rx); next !== undefined && !server.stopped; next = poll.call(rx)) deliver(next); // SR-3 too
      }
      await rx.join();
    })();
    return server;
  }

  /**
   * Stop the loop: the Rx is closed (upstream drops it with the server task), so a pending
   * receive ends at once; resolves when the loop exited. Envelopes not yet received are the
   * channel's to hand back (CH-4).
   */
  async stop(reason = 'mailbox server stopped'): Promise<void> {
    this.stopped = true;
    this.rx?.close(reason);
    await this.loop;
    const rx = this.rx;
    const poll = (rx as Partial<PollRx<MessageEnvelope>> | undefined)?.poll;
    if (poll !== undefined) for (let next = poll.call(rx); next !== undefined; next = poll.call(rx)) this.deliver(next); // SR-5
  }

  /** Send a failed envelope back to its sender's Undeliverable port, through the sender. */
  private bounce(envelope: MessageEnvelope): void {
    if (envelope.headers[RETURN_MARK] === true) {
      abandon(envelope);
      return;
    }
    envelope.addError(DeliveryError.brokenLink('message was undeliverable'));
    const dest = envelope.sender.portId(ACTOR_PORT.UNDELIVERABLE);
    // SEQ_INFO as any ref send has it, so a destination with a reorder buffer accepts it (SQ-3).
    // realClock: a server has no proc's clock at hand (it posts into a MailboxSender)
    const headers: Headers = { [RETURN_MARK]: true, send_timestamp: Date.now(), seq_info: this.sequencer.assignSeq(dest) };
    const back = new MessageEnvelope(
      this.serverId,
      dest,
      encodeEnvelopePayload(new Undeliverable(envelope)),
      headers,
      config().messageTtlDefault,
    );
    this.sender.post(back, this.abandonHandle);
  }

  /** Returns of returns are abandoned. */
  private readonly abandonHandle: ReturnHandle = new PortHandle<Undeliverable>(
    new Mailbox(new ActorId(ProcId.unique(ChannelAddr.local(0), 'mailbox_server_abandon'), 'abandon', 0), new PanickingMailboxSender()),
    USER_PORT,
    (u) => abandon(u.envelope),
    'Undeliverable',
  );
}

const USER_PORT = 1024;
