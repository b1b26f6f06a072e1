/**
 * channel/local.ts: the in-process transport (upstream `channel/local.rs`, spec §7.2).
 *
 * A process-global (here: per-thread) registry `port -> queue`. `serveLocal()` allocates a port
 * (from 1); `dialLocal(addr)` fails with `closed` if nothing is served there. Messages are passed
 * by reference (the mailbox layer already serialized envelopes). Closing the Rx frees the port;
 * later posts are returned with code `closed` (CH-4). No acks: delivery = enqueue.
 */
import { ChannelAddr } from '../addr.js';
import { ChannelError, SendError, type ReturnCallback, type Rx, type Tx, type TxStatus } from './types.js';

interface Slot<M> {
  queue: M[];
  head: number;
  waiter: { resolve: (m: M) => void; reject: (e: Error) => void } | undefined;
  closed: boolean;
  closeListeners: Set<(reason: string) => void>;
}

const registry = new Map<number, Slot<unknown>>();
let nextPort = 1;

class LocalRx<M> implements Rx<M> {
  constructor(
    readonly addr: ChannelAddr,
    private readonly slot: Slot<M>,
    private readonly port: number,
  ) {}

  recv(): Promise<M> {
    const slot = this.slot;
    if (slot.head < slot.queue.length) {
      const m = slot.queue[slot.head++] as M;
      if (slot.head === slot.queue.length) {
        slot.queue.length = 0;
        slot.head = 0;
      }
      return Promise.resolve(m);
    }
    if (slot.closed) return Promise.reject(new ChannelError('closed', `channel ${this.addr} is closed`));
    if (slot.waiter !== undefined) return Promise.reject(new ChannelError('protocol', 'concurrent recv on one Rx'));
    return new Promise<M>((resolve, reject) => {
      slot.waiter = { resolve, reject };
    });
  }

  close(reason = 'receiver closed'): void {
    if (this.slot.closed) return;
    this.slot.closed = true;
    registry.delete(this.port);
    const waiter = this.slot.waiter;
    this.slot.waiter = undefined;
    waiter?.reject(new ChannelError('closed', `channel ${this.addr} is closed`));
    for (const listener of this.slot.closeListeners) listener(reason);
    this.slot.closeListeners.clear();
  }

  join(): Promise<void> {
    return Promise.resolve();
  }
}

class LocalTx<M> implements Tx<M> {
  private closedReason: string | undefined;
  constructor(
    readonly addr: ChannelAddr,
    private readonly slot: Slot<M>,
  ) {}

  post(message: M, onReturn?: ReturnCallback<M>): void {
    const slot = this.slot;
    if (slot.closed || this.closedReason !== undefined) {
      onReturn?.(new SendError('closed', message, this.closedReason ?? 'receiver closed'));
      return;
    }
    const waiter = slot.waiter;
    if (waiter !== undefined) {
      slot.waiter = undefined;
      waiter.resolve(message);
    } else {
      slot.queue.push(message);
    }
  }

  send(message: M): Promise<void> {
    return new Promise((resolve, reject) => {
      let failed = false;
      this.post(message, (err) => {
        failed = true;
        reject(err);
      });
      if (!failed) resolve();
    });
  }

  status(): TxStatus {
    return this.slot.closed || this.closedReason !== undefined ? 'closed' : 'active';
  }

  onClose(listener: (reason: string) => void): () => void {
    this.slot.closeListeners.add(listener);
    return () => this.slot.closeListeners.delete(listener);
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(reason = 'sender closed'): void {
    this.closedReason ??= reason;
  }
}

/** Serve a new local channel: `local:0` (or no address) allocates a port. */
export function serveLocal<M>(addr: ChannelAddr = ChannelAddr.local(0)): [ChannelAddr, Rx<M>] {
  if (addr.transport !== 'local') throw new ChannelError('invalid-address', `not a local address: ${addr}`);
  if (addr.port !== 0) throw new ChannelError('invalid-address', `invalid local addr: ${addr.port}`);
  const port = nextPort++;
  const slot: Slot<M> = { queue: [], head: 0, waiter: undefined, closed: false, closeListeners: new Set() };
  registry.set(port, slot as Slot<unknown>);
  const bound = ChannelAddr.local(port);
  return [bound, new LocalRx(bound, slot, port)];
}

/** Dial a served local channel. Throws `ChannelError('closed')` if nothing is served there. */
export function dialLocal<M>(addr: ChannelAddr): Tx<M> {
  const slot = addr.transport === 'local' ? registry.get(addr.port) : undefined;
  if (slot === undefined) throw new ChannelError('closed', `no local channel served at ${addr}`);
  return new LocalTx(addr, slot as Slot<M>);
}
