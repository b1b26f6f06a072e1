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
 * - NR-1 A session carries records (DATA kind `KIND_RECORDS`) exactly when the Tx's codec is
 *   `envelopeTupleCodec`; the Rx decodes them with one `EnvelopeRecordCodec` per session, and
 *   only when its own codec is `envelopeTupleCodec` too (else the session is rejected, NS-4).
 * - NR-2 Records are encoded at post, in seq order (NX-1), into private slabs the queue entries
 *   keep views of until acked (a slab is never written again once full).
 * - NR-3 A record that is encoded and then not sent (the encode threw, or it is larger than the
 *   server takes: NX-7) would leave a gap in the record numbers and possibly definitions the
 *   decoder never sees: the encoder resets (EC-3) and the next record it sends carries the
 *   reset flag (bit 31 of its item length), on which the decoder resets before decoding it.
 */
import type { MessageEnvelope } from '../../mailbox/envelope.js';
import { envelopeTupleCodec } from '../../wire/envelope.js';
import { EnvelopeRecordCodec } from '../../wire/envelope-record.js';
import type { Codec } from '../net/options.js';

/** Bit 31 of a DATA item's length: reset the record decoder before this item (NR-3). */
export const ITEM_RESET = 0x8000_0000;
/** The item length without the reset flag. */
export const ITEM_LENGTH_MASK = 0x7fff_ffff;

const SLAB_BYTES = 64 * 1024;

/** NR-1: whether a channel with `codec` carries interned envelope records. */
export function carriesRecords(codec: Codec<unknown>): boolean {
  return codec === (envelopeTupleCodec as Codec<unknown>);
}

/** The sending side of one session's records (NR-2, NR-3). */
export class RecordEncoder {
  private readonly codec = new EnvelopeRecordCodec();
  private slab = new Uint8Array(SLAB_BYTES);
  private at = 0;
  private resetPending = false;
  /** Whether the record `encode` returned last must reset the decoder first (NR-3). */
  lastReset = false;

  /** The record of `envelope` (a view the caller may keep). Throws what the codec throws. */
  encode(envelope: MessageEnvelope): Uint8Array {
    if (this.slab.length - this.at < this.codec.minEncodeBytes) {
      this.slab = new Uint8Array(SLAB_BYTES); // NR-2: the full slab stays with its entries
      this.at = 0;
    }
    let end: number | Uint8Array;
    try {
      end = this.codec.encodeInto(envelope, this.slab, this.at, this.slab.length);
    } catch (error) {
      this.drop();
      throw error;
    }
    this.lastReset = this.resetPending;
    this.resetPending = false;
    if (typeof end !== 'number') return end.slice(); // the codec's own scratch: copy it out
    const record = this.slab.subarray(this.at, end);
    this.at = (end + 7) & ~7; // the codec wants 8-aligned starts
    return record;
  }

  /** NR-3: the record `encode` returned last is not sent. */
  drop(): void {
    this.codec.resetEncoder();
    this.resetPending = true;
  }
}

/** The receiving side of one session's records. */
export class RecordDecoder {
  private readonly codec = new EnvelopeRecordCodec();

  /** Decode the record `data[start, end)`; `reset`: the item's NR-3 flag. Throws `CodecError`. */
  decode(data: Uint8Array, start: number, end: number, reset: boolean): MessageEnvelope {
    if (reset) this.codec.resetDecoder();
    return this.codec.decode(data, start, end);
  }
}
