/**
 * channel/net/framed.ts: an incremental frame reader over a byte stream (upstream
 * `net/framed.rs` `FrameReader`). Layout in `wire.ts`.
 *
 * Feed it the chunks a socket emits; it calls `onPreamble` once (server side) and `onFrame` per
 * complete frame, in order. A frame that lies wholly inside one chunk is handed out as its range
 * of that chunk (no copy, and no view made: the receiver makes the one it needs, e.g. of the
 * payload after the seq); a frame split across chunks is assembled into one buffer allocated once
 * its length is known, handed out whole. The reader itself never reuses a chunk.
 *
 * ## Errors (fatal for the stream: the caller cuts the connection)
 *
 * - NF-1 a preamble whose first 4 bytes are not `LNK\0` -> `ChannelError('protocol')`.
 * - NF-2 a length above `maxFrameLength` -> `ChannelError('frame-too-large')`, raised as soon as
 *   the header is read, before any body byte is buffered (a 2^50 length prefix costs nothing).
 * - NF-3 `midFrame` tells whether the stream ended inside a preamble or frame (upstream: EOF on a
 *   frame boundary is a clean close; EOF mid-frame is `UnexpectedEof`).
 */
import { ChannelError } from '../types.js';
import { FRAME_HEADER_LEN, PREAMBLE_LEN, hasMagic, readFrameLength } from './wire.js';

export interface FrameHandlers {
  /** Called once with the session id when the reader expects a preamble. */
  onPreamble?(sessionId: bigint): void;
  /** Called per frame with its body `bytes[start, end)`; return `false` to stop reading (the rest of the stream is ignored). */
  onFrame(tag: number, bytes: Buffer, start: number, end: number): boolean | void;
}

export class FrameReader {
  /** Header or preamble bytes gathered across chunks. */
  private readonly head = Buffer.allocUnsafe(PREAMBLE_LEN);
  private headLen = 0;
  private preamblePending: boolean;
  /** A body being assembled across chunks. */
  private body: Buffer | undefined;
  private bodyFilled = 0;
  private bodyTag = 0;
  private stopped = false;

  constructor(
    private readonly maxFrameLength: number,
    expectPreamble: boolean,
    private readonly handlers: FrameHandlers,
  ) {
    this.preamblePending = expectPreamble;
  }

  /** Whether the stream so far ends inside a preamble, a header or a body (NF-3). */
  get midFrame(): boolean {
    return this.headLen > 0 || this.body !== undefined;
  }

  /** Stop: later chunks are ignored. */
  stop(): void {
    this.stopped = true;
    this.body = undefined;
  }

  /** Consume one chunk. Throws `ChannelError` (NF-1, NF-2); the stream is then unusable. */
  feed(chunk: Buffer): void {
    let off = 0;
    const len = chunk.length;
    while (off < len && !this.stopped) {
      const body = this.body;
      if (body !== undefined) {
        const n = Math.min(body.length - this.bodyFilled, len - off);
        chunk.copy(body, this.bodyFilled, off, off + n);
        this.bodyFilled += n;
        off += n;
        if (this.bodyFilled === body.length) {
          this.body = undefined;
          if (this.handlers.onFrame(this.bodyTag, body, 0, body.length) === false) this.stop();
        }
        continue;
      }
      const need = this.preamblePending ? PREAMBLE_LEN : FRAME_HEADER_LEN;
      let src: Buffer;
      let at: number;
      if (this.headLen > 0 || len - off < need) {
        const n = Math.min(need - this.headLen, len - off);
        chunk.copy(this.head, this.headLen, off, off + n);
        this.headLen += n;
        off += n;
        if (this.headLen < need) return;
        this.headLen = 0;
        src = this.head;
        at = 0;
      } else {
        src = chunk;
        at = off;
        off += need;
      }
      if (this.preamblePending) {
        if (!hasMagic(src, at)) {
          throw new ChannelError('protocol', `bad preamble: magic ${src.toString('hex', at, at + 4)} is not "LNK\\0"`);
        }
        this.preamblePending = false;
        this.handlers.onPreamble?.(src.readBigUInt64BE(at + 4));
        continue;
      }
      const tag = src[at]!;
      const frameLen = readFrameLength(src, at);
      if (frameLen > this.maxFrameLength) {
        throw new ChannelError('frame-too-large', `frame length ${frameLen} exceeds the maximum ${this.maxFrameLength}`);
      }
      if (len - off >= frameLen) {
        const start = off;
        off += frameLen;
        if (this.handlers.onFrame(tag, chunk, start, off) === false) this.stop();
      } else {
        this.body = Buffer.allocUnsafe(frameLen);
        this.bodyFilled = 0;
        this.bodyTag = tag;
      }
    }
  }
}
