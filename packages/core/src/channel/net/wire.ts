/**
 * channel/net/wire.ts: the bytes on a net channel connection (spec §7.3; upstream `net.rs`,
 * `net/framed.rs`). Types, constants and pure encode/decode helpers; no I/O.
 *
 * ## Layout
 *
 * ```
 * client -> server, once per connection (not framed), 12 bytes:
 *   [0..4)   magic "LNK\0"
 *   [4..12)  session id, u64 big-endian, random per NetTx (the same across its reconnections)
 *
 * every frame, both directions:
 *   [0]      tag, u8 (simplex: 0)
 *   [1..8)   body length, 7 bytes big-endian (at most `codecMaxFrameLength`)
 *   [8..)    body
 *
 * message body (client -> server):
 *   [0..8)   seq, u64 big-endian (from 0 per session)
 *   [8..)    payload: `codec.encode(message)`
 *
 * response body (server -> client):
 *   [0]      kind: 0 = Ack, 1 = Reject, 2 = Closed
 *   Ack:     [1..9)  highest contiguous seq received, u64 big-endian
 *   Reject:  [1..)   reason, UTF-8
 * ```
 *
 * Admission (`admission.ts` has the bytes and NA-1 ...): a client with a token first sends a
 * hello (magic `"AUTH"`, version, flags, u16 length, the token) before the preamble above; a
 * server that refuses a connection answers one frame with tag 0x41 (`[1][reason, UTF-8]`) and
 * ends it. Neither appears on a connection where neither side has `auth`.
 *
 * Upstream encodes the message and response bodies with bincode/serde_multipart; procmesh uses
 * the fixed binary layout above (the payload codec is pluggable), so the two do not interoperate
 * on the wire. Sequence numbers are JavaScript numbers: exact up to 2^53 - 1 messages per session.
 */
import { ChannelError } from '../types.js';

/** `"LNK\0"`: the first four bytes a client sends on every connection. */
export const MAGIC: readonly number[] = [0x4c, 0x4e, 0x4b, 0x00];
/** Magic plus the u64 session id. */
export const PREAMBLE_LEN = 12;
/** Tag byte plus the 7-byte length. */
export const FRAME_HEADER_LEN = 8;
/** The u64 sequence number that starts each message body. */
export const SEQ_LEN = 8;
/** Frame header plus sequence number: the fixed overhead of one message. */
export const MESSAGE_OVERHEAD = FRAME_HEADER_LEN + SEQ_LEN;
/** The tag of a simplex stream (duplex would use 0 initiator->acceptor, 1 acceptor->initiator). */
export const TAG_SIMPLEX = 0;

export const RESPONSE_ACK = 0;
export const RESPONSE_REJECT = 1;
export const RESPONSE_CLOSED = 2;

/** What a server sends back on a connection (upstream `NetRxResponse`). */
export type NetRxResponse =
  | { readonly kind: 'ack'; readonly seq: number }
  | { readonly kind: 'reject'; readonly reason: string }
  | { readonly kind: 'closed' };

const TWO_32 = 2 ** 32;
const TWO_48 = 2 ** 48;

/** Write `value` (a non-negative safe integer) as a u64 big-endian at `offset`. */
export function writeU64(buf: Uint8Array, offset: number, value: number): void {
  writeU32(buf, offset, Math.floor(value / TWO_32));
  writeU32(buf, offset + 4, value >>> 0);
}

/** Write a u32 big-endian at `offset`. */
function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

/** Read a u64 big-endian at `offset` as a number (exact below 2^53). */
export function readU64(buf: Uint8Array, offset: number): number {
  const hi = ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
  const lo = ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0;
  return hi * TWO_32 + lo;
}

/** Write a frame header (`tag`, 7-byte `length`) at `offset`. */
export function writeFrameHeader(buf: Uint8Array, offset: number, tag: number, length: number): void {
  const top = Math.floor(length / TWO_48);
  const rest = length - top * TWO_48;
  buf[offset] = tag;
  buf[offset + 1] = top;
  const hi = Math.floor(rest / TWO_32);
  buf[offset + 2] = (hi >>> 8) & 0xff;
  buf[offset + 3] = hi & 0xff;
  writeU32(buf, offset + 4, rest >>> 0);
}

/** The body length in the frame header at `offset` (7 bytes after the tag; up to 2^56 - 1). */
export function readFrameLength(buf: Uint8Array, offset: number): number {
  const top = buf[offset + 1]!;
  const hi = (buf[offset + 2]! << 8) | buf[offset + 3]!;
  const lo = ((buf[offset + 4]! << 24) | (buf[offset + 5]! << 16) | (buf[offset + 6]! << 8) | buf[offset + 7]!) >>> 0;
  return top * TWO_48 + hi * TWO_32 + lo;
}

/** The 12-byte connection preamble for `sessionId`. */
export function encodePreamble(sessionId: bigint): Buffer {
  const buf = Buffer.allocUnsafe(PREAMBLE_LEN);
  for (let i = 0; i < MAGIC.length; i++) buf[i] = MAGIC[i]!;
  buf.writeBigUInt64BE(sessionId, MAGIC.length);
  return buf;
}

/** True when `buf` at `offset` starts with the magic. */
export function hasMagic(buf: Uint8Array, offset: number): boolean {
  for (let i = 0; i < MAGIC.length; i++) if (buf[offset + i] !== MAGIC[i]) return false;
  return true;
}

/** A whole message frame (header, seq, payload) in one buffer: for tools and tests. */
export function encodeMessageFrame(seq: number, payload: Uint8Array, tag = TAG_SIMPLEX): Buffer {
  const buf = Buffer.allocUnsafe(MESSAGE_OVERHEAD + payload.length);
  writeFrameHeader(buf, 0, tag, SEQ_LEN + payload.length);
  writeU64(buf, FRAME_HEADER_LEN, seq);
  buf.set(payload, MESSAGE_OVERHEAD);
  return buf;
}

/** A whole response frame (header and body). */
export function encodeResponse(response: NetRxResponse): Buffer {
  switch (response.kind) {
    case 'ack': {
      const buf = Buffer.allocUnsafe(FRAME_HEADER_LEN + 9);
      writeFrameHeader(buf, 0, TAG_SIMPLEX, 9);
      buf[FRAME_HEADER_LEN] = RESPONSE_ACK;
      writeU64(buf, FRAME_HEADER_LEN + 1, response.seq);
      return buf;
    }
    case 'reject': {
      const reason = Buffer.from(response.reason, 'utf8');
      const buf = Buffer.allocUnsafe(FRAME_HEADER_LEN + 1 + reason.length);
      writeFrameHeader(buf, 0, TAG_SIMPLEX, 1 + reason.length);
      buf[FRAME_HEADER_LEN] = RESPONSE_REJECT;
      reason.copy(buf, FRAME_HEADER_LEN + 1);
      return buf;
    }
    case 'closed': {
      const buf = Buffer.allocUnsafe(FRAME_HEADER_LEN + 1);
      writeFrameHeader(buf, 0, TAG_SIMPLEX, 1);
      buf[FRAME_HEADER_LEN] = RESPONSE_CLOSED;
      return buf;
    }
  }
}

/** Decode a response body; throws `ChannelError('protocol')` when malformed. */
export function decodeResponse(body: Uint8Array): NetRxResponse {
  switch (body[0]) {
    case RESPONSE_ACK:
      if (body.length !== 9) break;
      return { kind: 'ack', seq: readU64(body, 1) };
    case RESPONSE_REJECT:
      return { kind: 'reject', reason: Buffer.from(body.buffer, body.byteOffset + 1, body.length - 1).toString('utf8') };
    case RESPONSE_CLOSED:
      if (body.length !== 1) break;
      return { kind: 'closed' };
    default:
      break;
  }
  throw new ChannelError('protocol', `malformed response frame (${body.length} bytes, kind ${String(body[0])})`);
}
