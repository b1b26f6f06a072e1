/**
 * channel/port.ts: a channel over a MessagePort (`PortTx<M>` / `PortRx<M>`): each message is
 * encoded with a `Codec` (envelopes: the tuple of wire/envelope.ts), and the encodings of one
 * synchronous run go in one `postMessage` (a batch per microtask). The alternative to the ring
 * between two threads of one process (`ProcHostOptions.transport: 'port'`), and the one that
 * needs no SharedArrayBuffer.
 *
 * Core never imports `node:worker_threads`: the port is typed structurally (`MessagePortLike`,
 * which Node's `MessagePort` satisfies).
 *
 * ## Invariants
 *
 * - PO-1 (CH-1): batches are posted in order and a port delivers them in order; a batch is
 *   delivered in order.
 * - PO-2: a message is "delivered" (`send`, `flush`) once its batch was posted: the port owns
 *   it from there. Closing the Tx hands back what was not posted yet (CH-4).
 * - PO-3: an entry the Rx cannot decode is logged and dropped (there is nobody to return it
 *   to); the rest of its batch is delivered.
 */
import { rootLogger } from '../log.js';
import type { Codec } from '../wire/payload.js';
import { ChannelAddr } from '../addr.js';
import { ChannelError, SendError, type ReturnCallback, type Rx, type Tx, type TxStatus } from './types.js';

/** What a channel needs of a MessagePort (Node's `MessagePort` has it). */
export interface MessagePortLike {
  postMessage(value: unknown): void;
  on(event: 'message', listener: (value: unknown) => void): unknown;
  close(): void;
}

const RESOLVED = Promise.resolve();

export class PortTx<M> implements Tx<M> {
  private batch: Uint8Array[] = [];
  private scheduled = false;
  private closedReason: string | undefined;
  private readonly closeListeners = new Set<(reason: string) => void>();

  constructor(
    private readonly port: MessagePortLike,
    private readonly codec: Codec<M>,
    readonly addr: ChannelAddr = ChannelAddr.local(0),
  ) {}

  post(message: M, onReturn?: ReturnCallback<M>): void {
    if (this.closedReason !== undefined) {
      onReturn?.(new SendError('closed', message, this.closedReason));
      return;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.codec.encode(message);
    } catch (err) {
      onReturn?.(new SendError('rejected', message, `cannot encode: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    this.batch.push(bytes);
    if (!this.scheduled) {
      this.scheduled = true;
      void RESOLVED.then(this.postBatch);
    }
  }

  send(message: M): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.post(message, reject);
      void RESOLVED.then(() => resolve());
    });
  }

  status(): TxStatus {
    return this.closedReason === undefined ? 'active' : 'closed';
  }

  onClose(listener: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) {
      listener(this.closedReason);
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** PO-2. */
  flush(): Promise<void> {
    this.postBatch();
    return Promise.resolve();
  }

  close(reason = 'sender closed'): void {
    if (this.closedReason !== undefined) return;
    this.postBatch();
    this.closedReason = reason;
    this.port.close();
    for (const listener of this.closeListeners) listener(reason);
    this.closeListeners.clear();
  }

  private readonly postBatch = (): void => {
    this.scheduled = false;
    if (this.batch.length === 0 || this.closedReason !== undefined) return;
    const batch = this.batch;
    this.batch = [];
    this.port.postMessage(batch);
  };
}

export class PortRx<M> implements Rx<M> {
  private listener: ((message: M) => void) | undefined;
  private queue: M[] = [];
  private waiter: { resolve: (message: M) => void; reject: (error: Error) => void } | undefined;
  private endError: ChannelError | undefined;
  private readonly joined: Promise<void>;
  private resolveJoin!: () => void;

  constructor(
    private readonly port: MessagePortLike,
    private readonly codec: Codec<M>,
    readonly addr: ChannelAddr = ChannelAddr.local(0),
  ) {
    this.joined = new Promise<void>((resolve) => (this.resolveJoin = resolve));
    port.on('message', (batch) => this.receive(batch));
  }

  /** Deliver every message to `listener`, synchronously, in order (queued ones first). */
  onMessage(listener: (message: M) => void): void {
    this.listener = listener;
    const queued = this.queue;
    this.queue = [];
    for (const message of queued) listener(message);
  }

  recv(): Promise<M> {
    const next = this.queue.shift();
    if (next !== undefined) return Promise.resolve(next);
    if (this.endError !== undefined) return Promise.reject(this.endError);
    if (this.waiter !== undefined) return Promise.reject(new ChannelError('protocol', 'concurrent recv on one Rx'));
    return new Promise<M>((resolve, reject) => (this.waiter = { resolve, reject }));
  }

  close(reason = 'receiver closed'): void {
    if (this.endError !== undefined) return;
    this.endError = new ChannelError('closed', `channel ${this.addr} is closed: ${reason}`);
    this.port.close();
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.reject(this.endError);
    this.resolveJoin();
  }

  join(): Promise<void> {
    return this.joined;
  }

  private receive(batch: unknown): void {
    if (this.endError !== undefined) return;
    if (!Array.isArray(batch)) {
      rootLogger().error({ addr: String(this.addr) }, 'port channel: a batch that is not an array was dropped');
      return;
    }
    for (const bytes of batch as unknown[]) {
      let message: M;
      try {
        if (!(bytes instanceof Uint8Array)) throw new ChannelError('protocol', 'a port batch entry is not bytes');
        message = this.codec.decode(bytes);
      } catch (err) {
        rootLogger().error({ err, addr: String(this.addr) }, 'port channel: malformed message dropped (PO-3)');
        continue;
      }
      const listener = this.listener;
      if (listener !== undefined) listener(message);
      else if (this.waiter !== undefined) {
        const waiter = this.waiter;
        this.waiter = undefined;
        waiter.resolve(message);
      } else this.queue.push(message);
    }
  }
}
