/**
 * channel/nats/records.ts: envelopes over a `nats:` session as interned binary records (the
 * ring's `EnvelopeRecordCodec`, wire/envelope-record.ts) instead of one msgpack tuple each.
 *
 * Why: a channel of `MessageEnvelope`s (a proc's served subject and the channels its dialer
 * makes: the codec is `envelopeTupleCodec`) spends most of its time encoding and decoding the
 * tuples, ids and all (`node --cpu-prof` of benchmarks/nats.bench.ts one-way: msgpackr's pack
 * and unpack were the largest self times on both sides). A record interns the actor ids and
 * strings once per session and is about half the bytes. The record codec needs what the ring
 * gives it, and a session gives the same: every record reaches the decoder once and in order
 * (NS-1 decodes an item only when its seq is the next one; resends of delivered items are
 * skipped without decoding), so the decoder's tables follow the encoder's (EC-1).
 *
 * ## Invariants
 *
 * - NRC-1 A session carries records (DATA kind `KIND_RECORDS`) exactly when the Tx's codec is
 *   `envelopeTupleCodec`; the Rx decodes them with one `EnvelopeRecordCodec` per session, and
 *   only when its own codec is `envelopeTupleCodec` too (else the session is rejected, NS-4).
 * - NRC-2 Records are encoded at post, in seq order (NX-1), in place into the Tx's outbox
 *   (outbox.ts), which keeps them unchanged until acked (OX-1).
 * - NRC-3 A record that is encoded and then not sent (the encode threw, or it is larger than the
 *   server takes: NX-7) would leave a gap in the record numbers and possibly definitions the
 *   decoder never sees: the encoder resets (EC-3) and the next record it sends carries the
 *   reset flag (bit 31 of its item length), on which the decoder resets before decoding it.
 * - NRC-4 On the wire a record's fixed header is packed (record-head.ts, RH-1..3): `pack` once the
 *   Tx keeps the record (after NRC-3's checks), `unpack` right before the codec decodes it.
 */
import type { MessageEnvelope } from '../../mailbox/envelope.js';
import { envelopeTupleCodec } from '../../wire/envelope.js';
import { EnvelopeRecordCodec } from '../../wire/envelope-record.js';
import type { Codec } from '../net/options.js';
import { HeadPacker, HeadUnpacker } from './record-head.js';

/** Bit 31 of a DATA item's length: reset the record decoder before this item (NRC-3). */
export const ITEM_RESET = 0x8000_0000;
/** The item length without the reset flag. */
export const ITEM_LENGTH_MASK = 0x7fff_ffff;

/** NRC-1: whether a channel with `codec` carries interned envelope records. */
export function carriesRecords(codec: Codec<unknown>): boolean {
  return codec === (envelopeTupleCodec as Codec<unknown>);
}

/** The sending side of one session's records (NRC-2, NRC-3). */
export class RecordEncoder {
  private readonly codec = new EnvelopeRecordCodec();
  private readonly packer = new HeadPacker();
  private resetPending = false;
  /** Room a record may need in place (the codec's own minimum). */
  readonly minEncodeBytes = this.codec.minEncodeBytes;
  /** Whether the record `encodeInto` wrote last must reset the decoder first (NRC-3). */
  lastReset = false;

  /**
   * Encode `envelope` into `target[start, end)` (the Tx's outbox, outbox.ts): the end offset, or
   * the record in the codec's own scratch when it does not fit there (copy it out before the
   * next encode). Throws what the codec throws.
   */
  encodeInto(envelope: MessageEnvelope, target: Uint8Array, start: number, end: number): number | Uint8Array {
    let out: number | Uint8Array;
    try {
      out = this.codec.encodeInto(envelope, target, start, end);
    } catch (error) {
      this.drop();
      throw error;
    }
    this.lastReset = this.resetPending;
    this.resetPending = false;
    return out;
  }

  /** NRC-4: the record `encodeInto` wrote into `target[start, end)` is kept: its packed end. */
  packInPlace(target: Uint8Array, start: number, end: number): number {
    return this.packer.packInPlace(target, start, end);
  }

  /** NRC-4: the record `encodeInto` returned (outside the target) is kept: packed. */
  pack(record: Uint8Array): Uint8Array {
    return this.packer.pack(record);
  }

  /** NRC-3: the record `encodeInto` returned last is not sent. */
  drop(): void {
    this.codec.resetEncoder();
    this.resetPending = true;
  }
}

/** The receiving side of one session's records. */
export class RecordDecoder {
  private readonly codec = new EnvelopeRecordCodec();
  private readonly unpacker = new HeadUnpacker();

  /**
   * Decode the packed record `data[start, end)` (NRC-4); `reset`: the item's NRC-3 flag. Throws
   * `CodecError`, or `ChannelError('protocol')` for a packed header that overruns its item.
   */
  decode(data: Uint8Array, start: number, end: number, reset: boolean): MessageEnvelope {
    if (reset) this.codec.resetDecoder();
    const length = this.unpacker.unpack(data, start, end);
    return this.codec.decode(this.unpacker.bytes, 0, length);
  }
}
