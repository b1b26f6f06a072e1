/**
 * mailbox/senders/client.ts: `MailboxClient`, a `MailboxSender` over a channel `Tx` (spec §1.5).
 *
 * Posts go straight into the Tx (whose own queue keeps order, CH-1); a message the Tx hands
 * back becomes `BrokenLink(...)` returned to the sender (`Unroutable(...)` when the Tx says the
 * address has no such peer: code `invalid-address`). `flush()` waits until every submitted
 * envelope was delivered (acked) or returned.
 *
 * The return callback of the last return handle is kept: a stream of posts from one sender
 * allocates no closure per envelope.
 */
import type { ReturnCallback, SendError, Tx } from '../../channel/types.js';
import { rootLogger } from '../../log.js';
import type { MessageEnvelope } from '../envelope.js';
import { DeliveryError } from '../errors.js';
import { BaseMailboxSender, returnUndeliverable, type ReturnHandle } from '../sender.js';

export class MailboxClient extends BaseMailboxSender {
  private lastHandle: ReturnHandle | undefined;
  private lastOnReturn: ReturnCallback<MessageEnvelope> | undefined;

  /**
   * `logClose`: log a warning when the Tx closes (a lost connection). Off for the links between
   * the procs of one process: a proc that ends is reported by its host.
   */
  constructor(
    private readonly tx: Tx<MessageEnvelope>,
    logClose = true,
  ) {
    super();
    if (logClose) tx.onClose((reason) => rootLogger().warn({ addr: String(tx.addr), reason }, `connection to ${tx.addr} lost`));
  }

  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    let onReturn = this.lastOnReturn;
    if (returnHandle !== this.lastHandle || onReturn === undefined) {
      onReturn = (err) => returnUndeliverable(err.value, deliveryError(err), returnHandle);
      this.lastHandle = returnHandle;
      this.lastOnReturn = onReturn;
    }
    this.tx.post(envelope, onReturn);
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

function deliveryError(err: SendError<MessageEnvelope>): DeliveryError {
  if (err.code === 'invalid-address') return DeliveryError.unroutable(err.reason);
  return DeliveryError.brokenLink(`failed to enqueue in MailboxClient when processing buffer: ${err.code} with reason ${err.reason}`);
}
