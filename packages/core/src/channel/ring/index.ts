/**
 * channel/ring: the SharedArrayBuffer SPSC ring channel (exported by `@procmesh/core/transport`) (DESIGN.md decision 8).
 *
 * - `RingBuffer`: the shared memory (create on one thread, `attach` on the other); any thread
 *   holding it may `markProducerDied` / `markConsumerDied` (call them from a Worker's 'exit').
 * - `RingTx<M>` / `RingRx<M>`: the ring as a channel `Tx` / `Rx`, with an overflow queue,
 *   adaptive spin-then-sleep wake-ups and close/death handling; `ringTx` / `ringRx` build them
 *   with the default msgpackr codec.
 * - `RingProducer` / `RingConsumer`: the raw byte-record API (`tryWrite`, `tryPush`,
 *   `reserve`+`commit`+`publish`, `poll`), which never throws on the hot path.
 * - `RecordCodec<M>`: the seam for envelope codecs; `MsgpackRecordCodec`, `BytesCodec`.
 *
 * Layout, protocol proofs and the invariants RING-1..RING-12: `ring.ts`.
 *
 * @example
 * ```ts
 * // main thread
 * const ring = RingBuffer.create({ capacity: 1 << 20 });
 * const producer = new Worker(url, { workerData: { ring: ring.buffer } });
 * producer.on('exit', (code) => ring.markProducerDied(code));
 * // producer worker
 * const tx = ringTx<Msg>(workerData.ring);
 * tx.post({ type: 'inc', by: 1 });
 * // consumer worker
 * const rx = ringRx<Msg>(workerData.ring);
 * rx.onMessage((msg) => handle(msg));
 * ```
 */
import { msgpackCodec, type RecordCodec } from '../../wire/record.js';
import { RingBuffer } from './ring.js';
import { RingRx, type RingRxOptions } from './rx.js';
import { RingTx, type RingTxOptions } from './tx.js';

export {
  RingBuffer,
  RingError,
  DEFAULT_CAPACITY,
  MAX_RECORD_BYTES,
  MIN_CAPACITY,
  MAX_CAPACITY,
  STATE_CONSUMER_DIED,
  STATE_CONSUMER_END,
  RECORD_TAG_MESSAGE,
  RECORD_TAG_CODEC_RESET,
  nowMicros,
  type RingErrorCode,
  type RingOptions,
} from './ring.js';
export { RingProducer } from './producer.js';
export { RingConsumer, type RecordVisitor } from './consumer.js';
export {
  BytesCodec,
  MsgpackRecordCodec,
  bytesCodec,
  msgpackCodec,
  MSGPACKR_MIN_ROOM,
  type MsgpackRecordCodecOptions,
  type RecordCodec,
} from '../../wire/record.js';
export { RingTx, DEFAULT_MAX_QUEUED, type RingTxOptions, type QueueWatermarks } from './tx.js';
export { RingRx, type RingRxOptions, type RingRxStats } from './rx.js';

function asRing(ring: SharedArrayBuffer | RingBuffer): RingBuffer {
  return ring instanceof RingBuffer ? ring : RingBuffer.attach(ring);
}

/** The producer side of `ring` as a channel (default codec: msgpackr records). */
export function ringTx<M>(ring: SharedArrayBuffer | RingBuffer, codec: RecordCodec<M> = msgpackCodec<M>(), options?: RingTxOptions): RingTx<M> {
  return new RingTx(asRing(ring), codec, options);
}

/** The consumer side of `ring` as a channel (default codec: msgpackr records). */
export function ringRx<M>(ring: SharedArrayBuffer | RingBuffer, codec: RecordCodec<M> = msgpackCodec<M>(), options?: RingRxOptions): RingRx<M> {
  return new RingRx(asRing(ring), codec, options);
}
