/**
 * ring-link.ts: fabric links over a SharedArrayBuffer SPSC ring (`@procmesh/core/ring`,
 * DESIGN decision 8): one ring per direction, created by the host on the first send.
 *
 * Envelopes are msgpackr-encoded by `EnvelopeRecordCodec` and copied into the ring by the
 * `RingTx` (which keeps an ordered overflow queue when the ring is full: no drop, no reorder);
 * the receiving side decodes from a private copy (decoding strings straight from shared memory
 * is slow, BENCHMARKS.md) and posts into the proc through its `MailboxServer`.
 *
 * ## Invariants
 *
 * - RL-1: per link FIFO (the ring's RING invariants, plus the overflow queue in order).
 * - RL-2: an envelope the ring hands back (closed, peer died, full past its bound) is returned
 *   to its sender as `BrokenLink`; records already in the ring when the consumer died are lost
 *   with it (the ring cannot tell which of them were read) and are counted in the log.
 */
import {
  DeliveryError,
  decodeEnvelope,
  encodeEnvelope,
  returnUndeliverable,
  rootLogger,
  type MailboxServer,
  type MessageEnvelope,
  type ReturnHandle,
} from '@procmesh/core';
import { RingBuffer, RingRx, RingTx, type RecordCodec } from '@procmesh/core/ring';
import type { MessagePort } from 'node:worker_threads';
import type { InboundLink, OutboundLink } from './fabric.js';

/** Whole envelopes as records (`codec.ts` envelope encoding). */
export class EnvelopeRecordCodec implements RecordCodec<MessageEnvelope> {
  readonly minEncodeBytes = 0;

  encodeInto(message: MessageEnvelope): Uint8Array {
    return encodeEnvelope(message);
  }

  decode(bytes: Uint8Array, start: number, end: number): MessageEnvelope {
    // a private copy: `bytes` may be a Buffer over shared memory, whose `slice` is only a view
    return decodeEnvelope(new Uint8Array(bytes.subarray(start, end)));
  }
}

export class RingOutboundLink implements OutboundLink {
  private readonly tx: RingTx<MessageEnvelope>;
  private failed: string | undefined;

  constructor(ring: SharedArrayBuffer, private readonly port: MessagePort) {
    this.tx = new RingTx(RingBuffer.attach(ring), new EnvelopeRecordCodec());
  }

  send(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    if (this.failed !== undefined) {
      returnUndeliverable(envelope, DeliveryError.brokenLink(this.failed), returnHandle);
      return;
    }
    this.tx.post(envelope, (err) =>
      returnUndeliverable(err.value, DeliveryError.brokenLink(this.failed ?? `ring to peer ${err.code}: ${err.reason}`), returnHandle),
    );
  }

  flush(): Promise<void> {
    return this.tx.flush();
  }

  fail(reason: string): void {
    this.failed = reason;
    this.tx.close(reason);
    this.port.close();
  }

  close(): void {
    this.tx.close('link closed');
    this.port.close();
  }
}

export class RingInboundLink implements InboundLink {
  private readonly rx: RingRx<MessageEnvelope>;

  constructor(ring: SharedArrayBuffer, private readonly port: MessagePort, server: MailboxServer) {
    this.rx = new RingRx(RingBuffer.attach(ring), new EnvelopeRecordCodec());
    this.rx.onMessage((envelope) => server.deliver(envelope));
    this.rx.onClose((reason) => rootLogger().debug({ reason }, 'inbound ring closed'));
  }

  close(): void {
    this.rx.close('link closed');
    this.port.close();
  }
}
