/**
 * channel/lazy.ts: `LazyTx<M>`, a `Tx` whose transport is attached later: messages posted
 * before it exists wait in order, then go into it ahead of anything posted after. A proc in
 * the same process is dialed at once (`local:N`), while the ring or port to it is still being
 * created over the host's control plane; the `LazyTx` is that link until then.
 *
 * ## Invariants
 *
 * - LZ-1 (FIFO, CH-1): messages queued before `attach` are posted into the attached Tx in post
 *   order, before any later message.
 * - LZ-2 (nothing lost, CH-2): `fail` hands every queued message back with the given code, and
 *   every later one too; so does a close of the attached Tx (its own returns).
 * - LZ-3: `flush()` covers messages still waiting for the Tx: it resolves once they went into
 *   the attached Tx and that Tx flushed, or once they came back (`fail`, `close`).
 * - LZ-4: the queue has no bound (as upstream's unbounded channels; DESIGN decision 8): a
 *   sender that wants one awaits `flush()`.
 */
import type { ChannelAddr } from '../addr.js';
import { SendError, type ChannelErrorCode, type ReturnCallback, type Tx, type TxStatus } from './types.js';

interface Waiting<M> {
  readonly message: M;
  readonly onReturn: ReturnCallback<M> | undefined;
  readonly done: (() => void) | undefined;
}

export class LazyTx<M> implements Tx<M> {
  private inner: Tx<M> | undefined;
  private queue: Waiting<M>[] = [];
  private failed: { readonly code: ChannelErrorCode; readonly reason: string } | undefined;
  private flushWaiters: (() => void)[] = [];
  private readonly closeListeners = new Set<(reason: string) => void>();

  constructor(readonly addr: ChannelAddr) {}

  /** The attached Tx, once there is one. */
  get attached(): Tx<M> | undefined {
    return this.inner;
  }

  post(message: M, onReturn?: ReturnCallback<M>): void {
    const inner = this.inner;
    if (inner !== undefined) inner.post(message, onReturn);
    else this.enqueue(message, onReturn, undefined);
  }

  send(message: M): Promise<void> {
    const inner = this.inner;
    if (inner !== undefined) return inner.send(message);
    return new Promise<void>((resolve, reject) => this.enqueue(message, reject, resolve));
  }

  status(): TxStatus {
    if (this.failed !== undefined) return 'closed';
    return this.inner?.status() ?? 'active';
  }

  onClose(listener: (reason: string) => void): () => void {
    if (this.failed !== undefined) {
      listener(this.failed.reason);
      return () => {};
    }
    if (this.inner !== undefined) return this.inner.onClose(listener);
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** LZ-3. */
  flush(): Promise<void> {
    if (this.inner !== undefined) return this.inner.flush();
    if (this.failed !== undefined || this.queue.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.flushWaiters.push(resolve));
  }

  close(reason = 'sender closed'): void {
    if (this.inner !== undefined) this.inner.close(reason);
    else this.fail('closed', reason);
  }

  /** LZ-1: attach the transport and post what waited for it, in order. */
  attach(tx: Tx<M>): void {
    if (this.inner !== undefined || this.failed !== undefined) {
      tx.close(this.failed?.reason ?? 'link attached twice');
      return;
    }
    this.inner = tx;
    const queue = this.queue;
    this.queue = [];
    for (const w of queue) {
      if (w.done === undefined) tx.post(w.message, w.onReturn);
      else tx.send(w.message).then(w.done, w.onReturn as (err: unknown) => void);
    }
    for (const listener of this.closeListeners) tx.onClose(listener);
    this.closeListeners.clear();
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    if (waiters.length > 0) {
      const settle = (): void => waiters.forEach((resolve) => resolve());
      void tx.flush().then(settle, settle);
    }
  }

  /**
   * LZ-2: the link will never exist (or no longer does): every queued and later message comes
   * back with `code`. An attached Tx is closed (its own returns follow).
   */
  fail(code: ChannelErrorCode, reason: string): void {
    if (this.failed !== undefined) return;
    this.failed = { code, reason };
    const inner = this.inner;
    this.inner = undefined;
    inner?.close(reason);
    const queue = this.queue;
    this.queue = [];
    for (const w of queue) w.onReturn?.(new SendError(code, w.message, reason));
    for (const listener of this.closeListeners) listener(reason);
    this.closeListeners.clear();
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private enqueue(message: M, onReturn: ReturnCallback<M> | undefined, done: (() => void) | undefined): void {
    const failed = this.failed;
    if (failed !== undefined) {
      onReturn?.(new SendError(failed.code, message, failed.reason));
      return;
    }
    this.queue.push({ message, onReturn, done });
  }
}
