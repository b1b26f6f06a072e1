/**
 * weak-proc.ts: `WeakProc`, a weak reference to a proc: the forwarder of every mailbox a proc
 * creates (a mailbox must not keep its proc alive; upstream `WeakProc`). Generic over what it
 * refers to, so it needs nothing of proc.ts.
 */
import { DeliveryError } from './mailbox/errors.js';
import type { MessageEnvelope } from './mailbox/envelope.js';
import { BaseMailboxSender, returnUndeliverable, type LocalRoute, type MailboxSender, type ReturnHandle } from './mailbox/sender.js';
import type { ActorId } from './id.js';

/**
 * A weak reference to a proc; the forwarder of every mailbox a proc creates.
 *
 * `deref()` keeps its target alive to the end of the current job, and records that in a set
 * (~15 ns a call here, once per send). A proc found alive is held here the same way instead, to
 * the end of the current microtask run: the same lifetime, one `deref()` per burst of sends.
 */
export class WeakProc<P extends MailboxSender & object> extends BaseMailboxSender {
  private readonly ref: WeakRef<P>;
  private held: P | undefined;
  private readonly release = (): void => {
    this.held = undefined;
  };
  constructor(proc: P) {
    super();
    this.ref = new WeakRef(proc);
  }

  upgrade(): P | undefined {
    let proc = this.held;
    if (proc === undefined) {
      proc = this.ref.deref();
      if (proc !== undefined) {
        this.held = proc;
        queueMicrotask(this.release);
      }
    }
    return proc;
  }

  override postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const proc = this.upgrade();
    if (proc === undefined) returnUndeliverable(envelope, DeliveryError.brokenLink('fail to upgrade WeakProc'), returnHandle);
    else proc.post(envelope, returnHandle);
  }

  /** @internal MB-8: the proc's own resolution (a WeakProc is the first of its `LOCAL_HOPS`). */
  resolveLocal(actor: ActorId): LocalRoute | undefined {
    return this.upgrade()?.resolveLocal?.(actor);
  }

  override flush(): Promise<void> {
    return this.upgrade()?.flush() ?? Promise.resolve();
  }
}
