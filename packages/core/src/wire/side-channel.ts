/**
 * wire/side-channel.ts: `SideChannel`, how the envelope records of one ring link carry their
 * payloads' attachments (large binary values, attachments.ts), and the record section that
 * says so (envelope-record.ts writes and reads it after the errors).
 *
 * A ring record holds bytes; the memory of a large value cannot be put in it without copying.
 * So each link has a MessagePort beside its ring (the host makes one per link): the encoder posts
 * the record's attachments on it (a `SharedArrayBuffer` is shared, a moved `ArrayBuffer` is
 * transferred: no copy either way) and writes only their count into the record; the decoder
 * takes them from the port with `receiveMessageOnPort` when it decodes the record. Without a
 * port (a ring built by hand), the bytes are inlined in the record and copied out.
 *
 * Section: u32 count; inlined (`F_ATTACHED_INLINE`), per attachment u32 length and its bytes.
 *
 * ## Invariants
 *
 * - OOB-5 (order): the encoder posts a record's attachments while it encodes the record,
 *   before the ring publishes it; the port is FIFO, the ring is FIFO (RING-1) and every record
 *   `encodeInto` returns reaches the decoder (EC-1). `postMessage` puts the message in the
 *   receiving port's queue before it returns, and the ring's WRITE store that publishes the
 *   record comes after it, so when the decoder reads the record its attachments are first in
 *   the port's queue and a synchronous `receiveMessageOnPort` finds them. Each port message
 *   carries its record number; any other message, or none, is a malformed link
 *   (`CodecError('deserialize')`, LL-3). So order per sender holds whatever the sizes.
 * - OOB-6 (nothing lost, RL-2/RL-3): the encoder keeps the shared attachments of each record
 *   until the consumer released it (READ passed its end: RING-15, handled or returned), so a
 *   takeover decoder (EC-4) of the records a dead consumer never handled gets them whole and
 *   their envelopes come back with their payloads. A moved buffer went to the receiving thread
 *   (postMessage semantics): if that thread dies before handling it, its envelope still comes
 *   back, the moved value empty, and the loss is logged.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { rootLogger } from '../log.js';
import { Attachment } from './attachments.js';
import { CodecError } from './errors.js';

/** The side port message of one record: its number and, per attachment, memory, offset, length, shared. */
type SideMessage = [record: number, ...parts: (ArrayBuffer | SharedArrayBuffer | number | boolean)[]];

interface InFlight {
  readonly record: number;
  readonly attachments: readonly Attachment[];
  /** The ring cursor past the record (-1 until written). */
  end: number;
}

/** How long the encoder waits after a send before it looks again for released records. */
const PRUNE_AFTER_MS = 50;

/** The attachment section of one ring link's envelope records, and its side port (see the module doc). */
export class SideChannel {
  private readonly inFlight: InFlight[] = [];
  private pruneTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * `port`: the link's side port (undefined: inline). `released`: the ring's READ cursor (the
   * encoding side; OOB-6).
   */
  constructor(
    private readonly port: MessagePort | undefined,
    private readonly released: (() => number) | undefined,
  ) {
    port?.unref();
  }

  /** Bytes the record section of `attachments` takes. */
  sectionBytes(attachments: readonly Attachment[]): number {
    if (this.port !== undefined) return 4;
    let bytes = 4;
    for (const a of attachments) bytes += 4 + a.length;
    return bytes;
  }

  /** True without a side port: attachments are copied into the records. */
  get inline(): boolean {
    return this.port === undefined;
  }

  /** Write the section at `p` (and post the memory: OOB-5). The last step of an encode. */
  write(record: number, attachments: readonly Attachment[], out: Uint8Array, view: DataView, p: number): number {
    view.setUint32(p, attachments.length, true);
    p += 4;
    const port = this.port;
    if (port === undefined) {
      for (const a of attachments) {
        view.setUint32(p, a.length, true);
        out.set(a.bytes(), p + 4);
        p += 4 + a.length;
      }
      return p;
    }
    const message: SideMessage = [record];
    let transfer: ArrayBuffer[] | undefined;
    for (const a of attachments) {
      message.push(a.buffer, a.offset, a.length, a.shared);
      if (!a.shared) (transfer ??= []).push(a.buffer as ArrayBuffer);
    }
    port.postMessage(message, transfer);
    if (this.released !== undefined) this.inFlight.push({ record, attachments, end: -1 });
    return p;
  }

  /** OOB-6: the record just encoded ends at ring cursor `end`; forget the released ones. */
  written(end: number): void {
    const inFlight = this.inFlight;
    if (inFlight.length === 0) return;
    const last = inFlight[inFlight.length - 1] as InFlight;
    if (last.end === -1) last.end = end;
    this.prune();
  }

  private prune(): void {
    const inFlight = this.inFlight;
    const released = (this.released as () => number)();
    let n = 0;
    while (n < inFlight.length) {
      const e = inFlight[n] as InFlight;
      if (e.end === -1 || ((released - e.end) | 0) < 0) break;
      n++;
    }
    if (n > 0) inFlight.splice(0, n);
    if (inFlight.length > 0 && this.pruneTimer === undefined) {
      this.pruneTimer = setTimeout(() => {
        this.pruneTimer = undefined;
        this.prune();
      }, PRUNE_AFTER_MS);
      this.pruneTimer.unref();
    }
  }

  /** Read the section of record `record` at `p`: its attachments and where it ends. */
  read(record: number, inline: boolean, bytes: Uint8Array, view: DataView, p: number, end: number): [Attachment[], number] {
    if (p + 4 > end) throw new CodecError('deserialize', 'truncated attachments');
    const count = view.getUint32(p, true);
    p += 4;
    const attachments: Attachment[] = [];
    if (inline) {
      for (let i = 0; i < count; i++) {
        if (p + 4 > end) throw new CodecError('deserialize', 'truncated attachments');
        const length = view.getUint32(p, true);
        p += 4;
        if (p + length > end) throw new CodecError('deserialize', 'truncated attachment');
        attachments.push(Attachment.ofBytes(bytes.slice(p, p + length)));
        p += length;
      }
      return [attachments, p];
    }
    if (this.port === undefined) throw new CodecError('deserialize', 'a record with attachments on a side port, and this ring has none');
    const received = receiveMessageOnPort(this.port) as { message: unknown } | undefined;
    const message = received?.message;
    if (!Array.isArray(message) || message[0] !== record || message.length !== 1 + 4 * count) {
      throw new CodecError('deserialize', `attachments of record ${record} are not next on the side port`);
    }
    for (let i = 1; i < message.length; i += 4) {
      const [buffer, offset, length, shared] = message.slice(i, i + 4) as unknown[];
      const isShared = buffer instanceof SharedArrayBuffer;
      const claimable = !isShared || ((offset as number) >= 8 && (offset as number) % 8 === 0); // the claim word (attachments.ts)
      if ((!isShared && !(buffer instanceof ArrayBuffer)) || shared !== isShared || !fits(buffer as ArrayBuffer, offset, length) || !claimable) {
        throw new CodecError('deserialize', `malformed attachment of record ${record}`);
      }
      attachments.push(new Attachment(buffer as ArrayBuffer, offset as number, length as number, isShared));
    }
    return [attachments, p];
  }

  /** OOB-6: a reader of this encoder's records for a takeover decoder (EC-4). */
  takeover(): SideChannelReader {
    const byRecord = new Map<number, readonly Attachment[]>();
    for (const e of this.inFlight) byRecord.set(e.record, e.attachments);
    return {
      read: (record, inline, bytes, view, p, end) => {
        if (inline) return this.read(record, true, bytes, view, p, end);
        const attachments = byRecord.get(record);
        if (p + 4 > end || attachments === undefined || view.getUint32(p, true) !== attachments.length) {
          throw new CodecError('deserialize', `the attachments of record ${record} were released`);
        }
        const lost = attachments.filter((a) => a.bytes().length < a.length);
        if (lost.length > 0) rootLogger().warn({ record, lost: lost.length }, 'a moved buffer was lost with the receiving thread; its envelope comes back without it');
        return [attachments as Attachment[], p + 4];
      },
    };
  }

  /** Close the port (the link ended; what a takeover needs stays). */
  close(): void {
    this.port?.close();
  }
}

/** What decodes a record's attachment section: the link's `SideChannel`, or a takeover's reader of the encoder's. */
export interface SideChannelReader {
  /** The attachments of record `record` (section at `p`) and where the section ends. */
  read(record: number, inline: boolean, bytes: Uint8Array, view: DataView, p: number, end: number): [Attachment[], number];
}

function fits(buffer: ArrayBuffer | SharedArrayBuffer, offset: unknown, length: unknown): boolean {
  return Number.isInteger(offset) && Number.isInteger(length) && (offset as number) >= 0 && (length as number) >= 0 && (offset as number) + (length as number) <= buffer.byteLength;
}
