/**
 * mailbox/senders/client.ts: `MailboxClient`, a `MailboxSender` over a channel `Tx` (spec §1.5).
 *
 * Posts go straight into the Tx (whose own queue keeps order, CH-1); a message the Tx hands
 * back becomes `BrokenLink(...)` returned to the sender. `flush()` waits until every submitted
 * envelope was delivered (acked) or returned.
 */
import type { Tx } from '../../channel/types.js';
import { rootLogger } from '../../log.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import { BaseMailboxSender, returnUndeliverable, type ReturnHandle } from '../sender.js';

export class MailboxClient extends BaseMailboxSender {
  constructor(private readonly tx: Tx<MessageEnvelope>) {
    super();
    tx.onClose((reason) => rootLogger().warn({ addr: String(tx.addr), reason }, `connection to ${tx.addr} lost`));
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    this.tx.post(envelope, (err) => {
      returnUndeliverable(
        err.value,
        DeliveryError.brokenLink(`failed to enqueue in MailboxClient when processing buffer: ${err.code} with reason ${err.reason}`),
        returnHandle,
      );
    });
  }

  override flush(): Promise<void> {
    return this.tx.flush();
  }

  get status(): 'active' | 'closed' {
    return this.tx.status();
  }

  /** Close the channel: pending and later envelopes are returned (`BrokenLink`, CH-4). */
  close(reason?: string): void {
    this.tx.close(reason);
  }
}
