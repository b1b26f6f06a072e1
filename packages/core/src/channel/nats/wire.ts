/**
 * channel/nats/wire.ts: the bytes of a `nats:` channel inside NATS message payloads. Types,
 * constants and pure encode/decode helpers; no I/O.
 *
 * ## Layout
 *
 * ```
 * Tx -> Rx, published on the served subject with reply = the Tx's inbox:
 *   [0]        kind: 1 = DATA, 2 = PROBE, 3 = HELLO, 4 = RECORDS (DATA of envelope records)
 *   [1..9)     session id, u64 big-endian (random per Tx, below 2^53)
 *   [9..13)    the Rx incarnation the Tx has heard from, u32 (0: none yet)
 *   DATA:  [13..21) seq of the first message, u64; [21..25) count, u32;
 *          then per message: [len u32][payload]   (seqs first, first + 1, ...)
 *   RECORDS: as DATA, each payload an envelope record (records.ts); bit 31 of len: reset first
 *   PROBE: [13..21) the Tx's next seq (everything below was written once)
 *   HELLO: nothing more (serve asks whether a subject is served already)
 *
 * Rx -> Tx, published on the Tx's inbox:
 *   [0]        kind: 17 = ACK, 18 = NAK, 19 = REJECT, 20 = CLOSED, 21 = HELLO reply
 *   [1..9)     session id; [9..13) the Rx incarnation, u32 (random, nonzero)
 *   ACK/NAK:   [13..21) next: every seq below was received (NAK: and next is missing)
 *   REJECT:    [13..) reason, UTF-8
 * ```
 *
 * The session id plays the role of the net channel's preamble: it is in every message because
 * NATS has no connections between the two ends. Sequence numbers are exact up to 2^53 - 1.
 */
import { randomBytes } from 'node:crypto';
import { readU64, writeU64 } from '../net/wire.js';
import { ChannelError } from '../types.js';

export const KIND_DATA = 1;
export const KIND_PROBE = 2;
export const KIND_HELLO = 3;
export const KIND_RECORDS = 4;
export const KIND_ACK = 17;
export const KIND_NAK = 18;
export const KIND_REJECT = 19;
export const KIND_CLOSED = 20;
export const KIND_HELLO_REPLY = 21;

/** Kind, session, incarnation. */
export const HEAD_LEN = 13;
/** DATA head: plus first seq and count. */
export const DATA_HEAD_LEN = HEAD_LEN + 12;
/** Per message inside DATA: its u32 length. */
export const ITEM_HEAD_LEN = 4;

export interface Head {
  readonly kind: number;
  readonly session: number;
  readonly incarnation: number;
}

export function writeHead(buf: Uint8Array, kind: number, session: number, incarnation: number): void {
  buf[0] = kind;
  writeU64(buf, 1, session);
  writeU32(buf, 9, incarnation);
}

export function readHead(buf: Uint8Array): Head {
  if (buf.length < HEAD_LEN) throw new ChannelError('protocol', `nats frame of ${buf.length} bytes is too short`);
  return { kind: buf[0]!, session: readU64(buf, 1), incarnation: readU32(buf, 9) };
}

export function writeU32(buf: Uint8Array, offset: number, value: number): void {
  buf[offset] = value >>> 24;
  buf[offset + 1] = (value >>> 16) & 0xff;
  buf[offset + 2] = (value >>> 8) & 0xff;
  buf[offset + 3] = value & 0xff;
}

export function readU32(buf: Uint8Array, offset: number): number {
  return ((buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!) >>> 0;
}

/** A head plus one u64 (PROBE, ACK, NAK). */
export function encodeWithSeq(kind: number, session: number, incarnation: number, seq: number): Uint8Array {
  const buf = new Uint8Array(HEAD_LEN + 8);
  writeHead(buf, kind, session, incarnation);
  writeU64(buf, HEAD_LEN, seq);
  return buf;
}

export function encodeBare(kind: number, session: number, incarnation: number): Uint8Array {
  const buf = new Uint8Array(HEAD_LEN);
  writeHead(buf, kind, session, incarnation);
  return buf;
}

export function encodeReject(session: number, incarnation: number, reason: string): Uint8Array {
  const text = new TextEncoder().encode(reason);
  const buf = new Uint8Array(HEAD_LEN + text.length);
  writeHead(buf, KIND_REJECT, session, incarnation);
  buf.set(text, HEAD_LEN);
  return buf;
}

/** The u64 after the head; throws `protocol` when missing. */
export function readSeq(buf: Uint8Array): number {
  if (buf.length < HEAD_LEN + 8) throw new ChannelError('protocol', `nats frame of kind ${buf[0]} has no sequence number`);
  return readU64(buf, HEAD_LEN);
}

export function readReason(buf: Uint8Array): string {
  return new TextDecoder().decode(buf.subarray(HEAD_LEN));
}

/** A random session id in [1, 2^53) (node:crypto). */
export function randomSession(): number {
  const b = randomBytes(8);
  const value = (b.readUInt32BE(0) & 0x1fffff) * 2 ** 32 + b.readUInt32BE(4);
  return value === 0 ? 1 : value;
}

/** A random nonzero u32: an Rx incarnation (node:crypto). */
export function randomIncarnation(): number {
  return randomBytes(4).readUInt32BE(0) || 1;
}
