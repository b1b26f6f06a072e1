/**
 * sequencing.ts: per-sender sequence numbers (spec §1.13, upstream `ordering.rs`).
 *
 * Each `Instance` owns a `Sequencer` whose session id is a UUIDv7 (also the instance id).
 * `assignSeq(port)` numbers messages per destination *actor* for actor ports (all handler
 * ports of one actor share a sequence) and per *port* for user ports; sequences start at 1.
 *
 * ## Invariants
 *
 * - SQ-1: for one sender session and one destination key, assigned seqs are 1, 2, 3, ... in
 *   send order.
 * - SQ-2: different senders have independent sessions.
 */
import { randomFillSync } from 'node:crypto';
import type { PortId } from './id.js';
import { SeqInfo } from './mailbox/envelope.js';

/** A time-ordered UUID (version 7). */
export function uuidv7(): string {
  const bytes = new Uint8Array(16);
  randomFillSync(bytes, 6);
  const ms = Date.now();
  const hi = Math.floor(ms / 2 ** 16);
  bytes[0] = (hi >>> 24) & 0xff;
  bytes[1] = (hi >>> 16) & 0xff;
  bytes[2] = (hi >>> 8) & 0xff;
  bytes[3] = hi & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export class Sequencer {
  private readonly counters = new Map<string, number>();
  constructor(readonly sessionId: string = uuidv7()) {}

  /** SQ-1: the next `SeqInfo` for a message to `port`. */
  assignSeq(port: PortId): SeqInfo {
    const key = port.isActorPort ? port.actor.key : port.key;
    const seq = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, seq);
    return SeqInfo.session(this.sessionId, seq);
  }
}
