/**
 * wire/envelope-record.ts: `EnvelopeRecordCodec`, the ring record codec of envelopes
 * (DESIGN decision 8; BENCHMARKS.md "probes": intern ids per connection, a fixed binary header,
 * the payload copied straight into the ring, nothing allocated per message where possible).
 *
 * One instance per ring side (`RecordCodec` contract, wire/record.ts): the
 * producer's instance only encodes, the consumer's only decodes.
 *
 * ## Interning (EC-1..EC-3)
 *
 * Actor ids and strings (message types, session ids, and the parts of actor ids) get a slot
 * in a per-ring table the first time the ring carries them; the record that first uses a slot
 * carries its definition ahead of the header's references. Tables are bounded: when one is
 * full, a slot not used by the record being encoded is reassigned (round robin) and simply
 * defined again; the decoder's table follows because it applies definitions in record order.
 *
 * - EC-1: the decoder's tables equal the encoder's as of the record being decoded: records
 *   arrive in order and exactly once (RING invariants), and every record that `encodeInto`
 *   returned reaches the decoder (the codec seam's contract).
 * - EC-2: a record never refers to a slot that a later definition in the same record
 *   reassigns (slots used by a record are stamped with its number and never chosen as victims).
 * - EC-3: an encode that throws leaves nothing behind that the decoder would need: the ring
 *   calls `resetEncoder` and sends its in-band reset record, on which both sides clear their
 *   tables (`resetDecoder`). Record numbers continue across resets; after a reset the decoder
 *   accepts whatever number comes next.
 * - EC-4 (takeover, RING-13): `takeoverDecoder()` on the encoding side decodes the records a
 *   dead consumer never read: its tables are the encoder's, rolled back (through a log of
 *   reassigned slots) to their state before the first unread record. Records it cannot decode
 *   exactly (encoded before a reset, or before the log's horizon) throw `CodecError`.
 *
 * ## Allocation
 *
 * Encoding a message whose ids and strings are interned allocates nothing. Decoding allocates
 * what the envelope is made of: the envelope, its headers (and `seq_info`), its `errors` array
 * and one view of a private slab holding the payload copy (copied out of shared memory: the
 * envelope may outlive the record, and msgpackr reads private memory faster, BENCHMARKS.md).
 * Destination `PortId`s of handler ports are cached per actor slot.
 */
import { ACTOR_PORT, ActorId, PortId, ProcId } from '../id.js';
import { ChannelAddr } from '../addr.js';
import { DeliveryError, type DeliveryErrorKind } from '../mailbox/errors.js';
import { MessageEnvelope, SeqInfo, type Headers } from '../mailbox/envelope.js';
import { CodecError } from './errors.js';
import { attach, attachmentsOf } from './attachments.js';
import { decodePayload } from './payload.js';
import { SideChannel, type SideChannelReader } from './side-channel.js';
import type { RecordCodec } from './record.js';
import { DELIVERY_ERROR_KINDS } from './tuple.js';
import {
  RECORD_MAGIC, O_MAGIC, O_DEFS, O_FLAGS, O_RECORD, O_SENDER, O_DEST, O_PORT, O_TTL, O_TYPE,
  O_SESSION, O_DATA_BYTES, O_TIME, O_SEQ, O_EXTRA_BYTES, HEADER_BYTES, F_RETURN_UNDELIVERABLE,
  F_TIMESTAMP, F_MESSAGE_TYPE, F_SEQ_SESSION, F_SEQ_DIRECT, F_ERRORS, F_ATTACHED, F_ATTACHED_INLINE, DEF_HEADER_BYTES,
  DEF_STRING, DEF_ACTOR, ACTOR_DEF_BODY_BYTES, DEFAULT_ACTOR_SLOTS, DEFAULT_STRING_SLOTS,
  MIN_ENCODE_BYTES, SLAB_BYTES, SLAB_MAX_COPY, SMALL_COPY_BYTES, HEADER_SEND_TIMESTAMP,
  HEADER_MESSAGE_TYPE, HEADER_SEQ_INFO, utf8, EMPTY, EVICTION_LOG_LIMIT, SlotTable, unencodable,
  malformedRecord, beforeHorizon, outOfSequence, undefinedActorSlots, undefinedStringSlot,
  copyInto, newSlab, copyPrivate, encodeExtraHeaders, encodeErrors, type
  EnvelopeRecordCodecOptions, type Eviction, type Snapshot, type StringSlotCache, type PendingDef,
} from './envelope-record-layout.js';

export type { EnvelopeRecordCodecOptions } from './envelope-record-layout.js';

/**
 * Envelopes as ring records, with per-ring interning of ids and strings (see the module doc).
 * Use one instance per ring side.
 */
export class EnvelopeRecordCodec implements RecordCodec<MessageEnvelope> {
  readonly minEncodeBytes = MIN_ENCODE_BYTES;

  // ---- encoder state ----
  private readonly actors: SlotTable;
  private readonly strings: SlotTable;
  /** Records encoded (the stamp of EC-2 and the record number). */
  private record = 0;
  /** The actor id of each actor slot (for `takeoverDecoder`). */
  private actorIds: (ActorId | undefined)[] = [];
  private evictions: Eviction[] = [];
  /** Records up to this one cannot be decoded by a takeover decoder (a reset, a dropped log). */
  private horizon = 0;
  private readonly defs: PendingDef[] = [];
  private defCount = 0;
  private defBytes = 0;
  // two-entry identity caches of actor -> slot (sender and destination of a stream)
  private cachedActorA: ActorId | undefined;
  private cachedSlotA = -1;
  private cachedActorB: ActorId | undefined;
  private cachedSlotB = -1;
  /**
   * One-entry caches of string -> slot: message types and the parts of actor ids in one,
   * session ids in the other (a stream alternates the two).
   */
  private readonly stringCache: StringSlotCache = { value: undefined, slot: -1 };
  private readonly sessionCache: StringSlotCache = { value: undefined, slot: -1 };
  private encodeView: DataView | undefined;
  private encodeTarget: Uint8Array | undefined;
  private scratch = new Uint8Array(4096);
  private scratchView = new DataView(this.scratch.buffer);

  // ---- decoder state ----
  private readonly localProc: ProcId | undefined;
  /** Attachments of large binary values (side-channel.ts, OOB-5, OOB-6); the takeover's own reader. */
  private readonly side: SideChannel;
  private sideReader: SideChannelReader;
  private decodedActors: (ActorId | undefined)[] = [];
  private decodedStrings: (string | undefined)[] = [];
  /** Handler-port `PortId` per actor slot. */
  private handlerPorts: (PortId | undefined)[] = [];
  /** The last other `PortId` per actor slot. */
  private otherPorts: (PortId | undefined)[] = [];
  private readonly procs = new Map<string, ProcId>();
  /** The record number the next record must carry, or -1 for any (EC-1). */
  private expected = -1;
  /** A takeover decoder's tables, applied at its first record (EC-4). */
  private snapshot: Snapshot | undefined;
  /** A takeover decoder that cannot decode the records before the next reset. */
  private blind = false;
  private decodeView: DataView | undefined;
  private decodeBytes: Uint8Array | undefined;
  private slabBuffer = newSlab();
  private slab = new Uint8Array(this.slabBuffer);
  private slabView = new DataView(this.slabBuffer);
  private slabAt = 0;
  private stringScratch = Buffer.allocUnsafeSlow(256);

  constructor(options: EnvelopeRecordCodecOptions = {}) {
    this.actors = new SlotTable(Math.max(4, options.actorSlots ?? DEFAULT_ACTOR_SLOTS));
    this.strings = new SlotTable(Math.max(8, options.stringSlots ?? DEFAULT_STRING_SLOTS));
    this.localProc = options.localProc;
    this.side = options.side ?? new SideChannel(undefined, undefined);
    this.sideReader = this.side;
  }

  // ---- encoding -----------------------------------------------------------------------------

  encodeInto(envelope: MessageEnvelope, target: Uint8Array, start: number, end: number): number | Uint8Array {
    const record = ++this.record;
    this.defCount = 0;
    this.defBytes = 0;
    const headers = envelope.headers;

    // Headers: the three well-known ones go in the fixed header; anything else is "extra".
    let flags = envelope.returnUndeliverable ? F_RETURN_UNDELIVERABLE : 0;
    let known = 0;
    const timestamp = headers.send_timestamp;
    if (typeof timestamp === 'number') {
      flags |= F_TIMESTAMP;
      known++;
    }
    const messageType = headers.message_type;
    if (typeof messageType === 'string') {
      flags |= F_MESSAGE_TYPE;
      known++;
    }
    const seqInfo = headers.seq_info;
    let session: string | undefined;
    let seq = 0;
    if (seqInfo !== undefined && seqInfo !== null && typeof seqInfo === 'object') {
      if (seqInfo.kind === 'session' && typeof seqInfo.sessionId === 'string' && typeof seqInfo.seq === 'number') {
        flags |= F_SEQ_SESSION;
        session = seqInfo.sessionId;
        seq = seqInfo.seq;
        known++;
      } else if (seqInfo.kind === 'direct') {
        flags |= F_SEQ_DIRECT;
        known++;
      }
    }
    let keys = 0;
    for (const _key in headers) keys++;
    // May throw (a header msgpackr cannot hold): before any table changes (EC-3).
    const extra = keys === known ? EMPTY : encodeExtraHeaders(headers, flags);
    const errors = envelope.errors.length === 0 ? undefined : encodeErrors(envelope.errors);
    if (errors !== undefined) flags |= F_ERRORS;
    const data = envelope.data;
    const attached = attachmentsOf(data);
    if (attached !== undefined) flags |= this.side.inline ? F_ATTACHED_INLINE : F_ATTACHED;
    const dest = envelope.dest;
    const port = dest.index;
    const ttl = envelope.ttl;
    if ((port | 0) !== port || (ttl | 0) !== ttl) throw unencodable(port, ttl);
    const senderSlot = this.actorSlot(envelope.sender, record);
    const destSlot = this.actorSlot(dest.actor, record);
    const typeSlot = messageType === undefined ? -1 : this.stringSlot(messageType, record, this.stringCache);
    const sessionSlot = session === undefined ? -1 : this.stringSlot(session, record, this.sessionCache);

    const size = HEADER_BYTES + this.defBytes + data.length + extra.length + (errors?.length ?? 0) + (attached === undefined ? 0 : this.side.sectionBytes(attached));
    let out: Uint8Array;
    let view: DataView;
    let at: number;
    if (size <= end - start) {
      out = target;
      at = start;
      view = this.encodeView !== undefined && this.encodeTarget === target ? this.encodeView : this.viewOf(target);
    } else {
      if (this.scratch.length < size) {
        this.scratch = new Uint8Array(Math.max(size, this.scratch.length * 2));
        this.scratchView = new DataView(this.scratch.buffer);
      }
      out = this.scratch;
      at = 0;
      view = this.scratchView;
    }
    view.setUint16(at + O_MAGIC, RECORD_MAGIC, true);
    view.setUint16(at + O_DEFS, this.defCount, true);
    view.setUint32(at + O_FLAGS, flags, true);
    view.setUint32(at + O_RECORD, record >>> 0, true);
    view.setInt32(at + O_SENDER, senderSlot, true);
    view.setInt32(at + O_DEST, destSlot, true);
    view.setInt32(at + O_PORT, port, true);
    view.setInt32(at + O_TTL, ttl, true);
    view.setInt32(at + O_TYPE, typeSlot, true);
    view.setInt32(at + O_SESSION, sessionSlot, true);
    view.setFloat64(at + O_TIME, (flags & F_TIMESTAMP) !== 0 ? (timestamp as number) : 0, true);
    view.setFloat64(at + O_SEQ, seq, true);
    view.setUint32(at + O_DATA_BYTES, data.length, true);
    view.setUint32(at + O_EXTRA_BYTES, extra.length, true);
    let p = at + HEADER_BYTES;
    if (this.defCount > 0) p = this.writeDefs(out, view, p);
    p = copyInto(out, p, data);
    if (extra.length > 0) p = copyInto(out, p, extra);
    if (attached !== undefined) p = this.side.write(record, attached, out, view, p); // OOB-5: posts last of what can throw
    if (errors !== undefined) p = copyInto(out, p, errors);
    return out === target ? p : out.subarray(0, p);
  }

  /** OOB-6: the record just encoded ends at ring cursor `end` (RingTx). */
  written(end: number): void {
    this.side.written(end);
  }

  resetEncoder(): void {
    this.actors.clear();
    this.strings.clear();
    this.actorIds = [];
    this.evictions = [];
    this.horizon = this.record;
    this.defCount = 0;
    this.defBytes = 0;
    this.forgetCaches();
  }

  /**
   * EC-4: a decoder for the records of this encoder's ring that its consumer never read (the
   * consumer's thread died; the producer's thread takes its role over, RING-13). Feed it every
   * unread record in order, starting at the ring's READ.
   */
  takeoverDecoder(): EnvelopeRecordCodec {
    const decoder = new EnvelopeRecordCodec();
    decoder.sideReader = this.side.takeover();
    decoder.snapshot = {
      record: this.record,
      actors: this.actorIds.slice(),
      strings: this.strings.keys.slice(),
      log: this.evictions.slice(),
      horizon: this.horizon,
    };
    return decoder;
  }

  private logEviction(actor: boolean, slot: number, previous: ActorId | string | undefined, record: number): void {
    this.forgetCaches();
    if (previous === undefined) return;
    if (this.evictions.length >= EVICTION_LOG_LIMIT) {
      const dropped = this.evictions.splice(0, EVICTION_LOG_LIMIT >>> 1);
      this.horizon = Math.max(this.horizon, (dropped[dropped.length - 1] as Eviction).record);
    }
    this.evictions.push({ record, actor, slot, previous });
  }

  private viewOf(target: Uint8Array): DataView {
    this.encodeTarget = target;
    this.encodeView = new DataView(target.buffer, target.byteOffset, target.byteLength);
    return this.encodeView;
  }

  private forgetCaches(): void {
    this.cachedActorA = this.cachedActorB = undefined;
    this.stringCache.value = this.sessionCache.value = undefined;
  }

  private actorSlot(id: ActorId, record: number): number {
    let slot: number;
    if (id === this.cachedActorA) slot = this.cachedSlotA;
    else if (id === this.cachedActorB) slot = this.cachedSlotB;
    else {
      slot = this.actors.slots.get(id.key) ?? this.defineActor(id, record);
      this.cachedActorB = this.cachedActorA;
      this.cachedSlotB = this.cachedSlotA;
      this.cachedActorA = id;
      this.cachedSlotA = slot;
    }
    this.actors.stamps[slot] = record;
    return slot;
  }

  private stringSlot(value: string, record: number, cache: StringSlotCache): number {
    let slot: number;
    if (value === cache.value) slot = cache.slot;
    else {
      slot = this.strings.slots.get(value) ?? this.defineString(value, record);
      cache.value = value;
      cache.slot = slot;
    }
    this.strings.stamps[slot] = record;
    return slot;
  }

  private defineString(value: string, record: number): number {
    const { slot, evicted } = this.strings.allocate(record);
    if (evicted !== undefined) this.logEviction(false, slot, evicted, record);
    this.strings.slots.set(value, slot);
    this.strings.keys[slot] = value;
    this.strings.stamps[slot] = record;
    const bytes = utf8.encode(value);
    this.pushDef(DEF_STRING, slot, bytes, 0, 0, 0, 0);
    this.defBytes += DEF_HEADER_BYTES + 4 + bytes.length;
    return slot;
  }

  private defineActor(id: ActorId, record: number): number {
    const pid = id.pid;
    if (pid < 0 || pid > 0xffffffff || Math.floor(pid) !== pid) throw new CodecError('serialize', `actor id ${id} has a pid that cannot be encoded`);
    const addr = this.stringSlot(String(id.proc.addr), record, this.stringCache);
    const proc = this.stringSlot(id.proc.name, record, this.stringCache);
    const name = this.stringSlot(id.name, record, this.stringCache);
    const { slot, evicted } = this.actors.allocate(record);
    if (evicted !== undefined) this.logEviction(true, slot, this.actorIds[slot], record);
    this.actorIds[slot] = id;
    this.actors.slots.set(id.key, slot);
    this.actors.keys[slot] = id.key;
    this.actors.stamps[slot] = record;
    this.pushDef(DEF_ACTOR, slot, EMPTY, pid, addr, proc, name);
    this.defBytes += DEF_HEADER_BYTES + ACTOR_DEF_BODY_BYTES;
    return slot;
  }

  private pushDef(kind: number, slot: number, bytes: Uint8Array, pid: number, addr: number, proc: number, name: number): void {
    const i = this.defCount++;
    if (i > 0xffff) throw new CodecError('serialize', 'too many definitions in one record');
    const def = this.defs[i];
    if (def === undefined) {
      this.defs.push({ kind, slot, bytes, pid, addr, proc, name });
      return;
    }
    def.kind = kind;
    def.slot = slot;
    def.bytes = bytes;
    def.pid = pid;
    def.addr = addr;
    def.proc = proc;
    def.name = name;
  }

  private writeDefs(out: Uint8Array, view: DataView, p: number): number {
    for (let i = 0; i < this.defCount; i++) {
      const def = this.defs[i] as PendingDef;
      view.setUint32(p, def.kind, true);
      view.setUint32(p + 4, def.slot, true);
      p += DEF_HEADER_BYTES;
      if (def.kind === DEF_STRING) {
        view.setUint32(p, def.bytes.length, true);
        p = copyInto(out, p + 4, def.bytes);
      } else {
        view.setUint32(p, def.pid, true);
        view.setInt32(p + 4, def.addr, true);
        view.setInt32(p + 8, def.proc, true);
        view.setInt32(p + 12, def.name, true);
        p += ACTOR_DEF_BODY_BYTES;
      }
      def.bytes = EMPTY;
    }
    return p;
  }

  // ---- decoding -----------------------------------------------------------------------------

  decode(bytes: Uint8Array, start: number, end: number): MessageEnvelope {
    let view = this.decodeView;
    if (view === undefined || bytes !== this.decodeBytes) {
      view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      // Keep the view of the ring (the same object every time), not of a reassembled record.
      if (bytes.buffer instanceof SharedArrayBuffer) {
        this.decodeView = view;
        this.decodeBytes = bytes;
      }
    }
    if (end - start < HEADER_BYTES || view.getUint16(start + O_MAGIC, true) !== RECORD_MAGIC) {
      throw malformedRecord(end - start);
    }
    const number = view.getUint32(start + O_RECORD, true);
    if (this.snapshot !== undefined) this.applySnapshot(number);
    if (this.blind) throw beforeHorizon(number);
    if (this.expected >= 0 && number !== this.expected) {
      throw outOfSequence(number, this.expected);
    }
    this.expected = (number + 1) >>> 0;
    let p = start + HEADER_BYTES;
    const defs = view.getUint16(start + O_DEFS, true);
    for (let i = 0; i < defs; i++) p = this.readDef(bytes, view, p, end);
    const flags = view.getUint32(start + O_FLAGS, true);
    const senderSlot = view.getInt32(start + O_SENDER, true);
    const destSlot = view.getInt32(start + O_DEST, true);
    const sender = this.decodedActors[senderSlot];
    const destActor = this.decodedActors[destSlot];
    if (sender === undefined || destActor === undefined) throw undefinedActorSlots(senderSlot, destSlot);
    const index = view.getInt32(start + O_PORT, true);
    let dest: PortId | undefined;
    if (index === ACTOR_PORT.HANDLER) {
      dest = this.handlerPorts[destSlot];
      if (dest === undefined || dest.actor !== destActor) dest = this.handlerPorts[destSlot] = new PortId(destActor, index);
    } else {
      dest = this.otherPorts[destSlot];
      if (dest === undefined || dest.index !== index || dest.actor !== destActor) dest = this.otherPorts[destSlot] = new PortId(destActor, index);
    }
    const ttl = view.getInt32(start + O_TTL, true);

    let headers: Headers;
    const messageType = (flags & F_MESSAGE_TYPE) !== 0 ? this.decodedString(view.getInt32(start + O_TYPE, true)) : undefined;
    if ((flags & (F_TIMESTAMP | F_SEQ_SESSION)) === (F_TIMESTAMP | F_SEQ_SESSION)) {
      // the ref-send shapes (ports.ts `postSerialized`): one literal each
      const sendTimestamp = view.getFloat64(start + O_TIME, true);
      const seqInfo: SeqInfo = { kind: 'session', sessionId: this.decodedString(view.getInt32(start + O_SESSION, true)), seq: view.getFloat64(start + O_SEQ, true) };
      headers =
        messageType === undefined
          ? { send_timestamp: sendTimestamp, seq_info: seqInfo }
          : { send_timestamp: sendTimestamp, message_type: messageType, seq_info: seqInfo };
    } else {
      headers = {};
      if ((flags & F_TIMESTAMP) !== 0) headers[HEADER_SEND_TIMESTAMP] = view.getFloat64(start + O_TIME, true);
      if (messageType !== undefined) headers[HEADER_MESSAGE_TYPE] = messageType;
      if ((flags & F_SEQ_SESSION) !== 0) {
        headers[HEADER_SEQ_INFO] = SeqInfo.session(this.decodedString(view.getInt32(start + O_SESSION, true)), view.getFloat64(start + O_SEQ, true));
      } else if ((flags & F_SEQ_DIRECT) !== 0) {
        headers[HEADER_SEQ_INFO] = SeqInfo.direct;
      }
    }

    const dataBytes = view.getUint32(start + O_DATA_BYTES, true);
    const extraBytes = view.getUint32(start + O_EXTRA_BYTES, true);
    if (p + dataBytes + extraBytes > end) throw new CodecError('deserialize', 'envelope record shorter than its header says');
    let data = this.copyOut(bytes, view, p, dataBytes);
    p += dataBytes;
    if (extraBytes > 0) {
      const extra = decodePayload(copyPrivate(bytes, p, extraBytes));
      if (typeof extra !== 'object' || extra === null) throw new CodecError('deserialize', 'malformed extra headers');
      Object.assign(headers, extra);
      p += extraBytes;
    }
    if ((flags & (F_ATTACHED | F_ATTACHED_INLINE)) !== 0) {
      const [attachments, after] = this.sideReader.read(number, (flags & F_ATTACHED_INLINE) !== 0, bytes, view, p, end);
      data = attach(data, attachments);
      p = after;
    }
    let errors: DeliveryError[] | undefined;
    if ((flags & F_ERRORS) !== 0) errors = this.readErrors(bytes, view, p, end);
    const envelope = new MessageEnvelope(sender, dest, data, headers, ttl, (flags & F_RETURN_UNDELIVERABLE) !== 0, errors);
    envelope.foreign = true; // EN-1
    return envelope;
  }

  resetDecoder(): void {
    this.decodedActors = [];
    this.decodedStrings = [];
    this.handlerPorts = [];
    this.otherPorts = [];
    this.expected = -1;
    this.snapshot = undefined;
    this.blind = false;
  }

  /** EC-4: the encoder's tables as they were before record `number` (the first unread one). */
  private applySnapshot(number: number): void {
    const snapshot = this.snapshot as Snapshot;
    this.snapshot = undefined;
    const first = snapshot.record - (((snapshot.record >>> 0) - number) >>> 0);
    const actors = snapshot.actors;
    const strings = snapshot.strings;
    const log = snapshot.log;
    for (let i = log.length - 1; i >= 0; i--) {
      const eviction = log[i] as Eviction;
      if (eviction.record < first) break;
      if (eviction.actor) actors[eviction.slot] = eviction.previous as ActorId;
      else strings[eviction.slot] = eviction.previous as string;
    }
    this.decodedActors = actors;
    this.decodedStrings = strings;
    this.handlerPorts = [];
    this.otherPorts = [];
    this.blind = first <= snapshot.horizon;
  }

  private decodedString(slot: number): string {
    const value = this.decodedStrings[slot];
    if (value === undefined) throw undefinedStringSlot(slot);
    return value;
  }

  private readDef(bytes: Uint8Array, view: DataView, p: number, end: number): number {
    if (p + DEF_HEADER_BYTES + 4 > end) throw new CodecError('deserialize', 'truncated definition');
    const kind = view.getUint32(p, true);
    const slot = view.getUint32(p + 4, true);
    p += DEF_HEADER_BYTES;
    if (kind === DEF_STRING) {
      const length = view.getUint32(p, true);
      p += 4;
      if (p + length > end) throw new CodecError('deserialize', 'truncated string definition');
      this.decodedStrings[slot] = this.readString(bytes, p, length);
      return p + length;
    }
    if (kind === DEF_ACTOR) {
      if (p + ACTOR_DEF_BODY_BYTES > end) throw new CodecError('deserialize', 'truncated actor definition');
      const pid = view.getUint32(p, true);
      const addr = this.decodedString(view.getInt32(p + 4, true));
      const procName = this.decodedString(view.getInt32(p + 8, true));
      const name = this.decodedString(view.getInt32(p + 12, true));
      this.decodedActors[slot] = new ActorId(this.procId(addr, procName), name, pid);
      this.handlerPorts[slot] = undefined;
      this.otherPorts[slot] = undefined;
      return p + ACTOR_DEF_BODY_BYTES;
    }
    throw new CodecError('deserialize', `unknown definition kind ${kind}`);
  }

  private procId(addr: string, name: string): ProcId {
    const key = `${addr},${name}`;
    const local = this.localProc;
    if (local !== undefined && local.key === key) return local;
    let proc = this.procs.get(key);
    if (proc === undefined) {
      try {
        proc = new ProcId(ChannelAddr.parse(addr), name);
      } catch (err) {
        throw new CodecError('deserialize', `malformed proc address '${addr}'`, { cause: err });
      }
      this.procs.set(key, proc);
    }
    return proc;
  }

  /** UTF-8 from (possibly shared) memory, through a private copy. */
  private readString(bytes: Uint8Array, p: number, length: number): string {
    if (this.stringScratch.length < length) this.stringScratch = Buffer.allocUnsafeSlow(Math.max(length, this.stringScratch.length * 2));
    const scratch = this.stringScratch;
    for (let i = 0; i < length; i++) scratch[i] = bytes[p + i] as number;
    return scratch.toString('utf8', 0, length);
  }

  private readErrors(bytes: Uint8Array, view: DataView, p: number, end: number): DeliveryError[] {
    if (p + 4 > end) throw new CodecError('deserialize', 'truncated errors');
    const count = view.getUint32(p, true);
    p += 4;
    const errors: DeliveryError[] = [];
    for (let i = 0; i < count; i++) {
      const parts: string[] = [];
      for (let k = 0; k < 2; k++) {
        if (p + 4 > end) throw new CodecError('deserialize', 'truncated errors');
        const length = view.getUint32(p, true);
        p += 4;
        if (p + length > end) throw new CodecError('deserialize', 'truncated errors');
        parts.push(this.readString(bytes, p, length));
        p += length;
      }
      const [kind, detail] = parts as [string, string];
      if (!DELIVERY_ERROR_KINDS.has(kind)) throw new CodecError('deserialize', `unknown delivery error kind '${kind}'`);
      errors.push(new DeliveryError(kind as DeliveryErrorKind, detail));
    }
    return errors;
  }

  /**
   * A private copy of `bytes[p, p + length)` (`view` is a DataView of `bytes`): a view of the
   * current slab. Small copies go a 32-bit word at a time: element loads from shared memory
   * cost several times more per byte (~70 ns against ~14 ns for a small payload here).
   */
  private copyOut(bytes: Uint8Array, view: DataView, p: number, length: number): Uint8Array {
    if (length > SLAB_MAX_COPY) return copyPrivate(bytes, p, length);
    let at = this.slabAt;
    if (at + length > SLAB_BYTES) {
      // Envelopes still holding views keep the old slab alive; this side moves on.
      this.slabBuffer = newSlab();
      this.slab = new Uint8Array(this.slabBuffer);
      this.slabView = new DataView(this.slabBuffer);
      at = 0;
    }
    if (length <= SMALL_COPY_BYTES) {
      const slabView = this.slabView;
      let i = 0;
      for (; i + 4 <= length; i += 4) slabView.setInt32(at + i, view.getInt32(p + i, true), true);
      for (; i < length; i++) slabView.setUint8(at + i, view.getUint8(p + i));
    } else {
      this.slab.set(bytes.subarray(p, p + length), at);
    }
    this.slabAt = (at + length + 7) & ~7;
    // not `subarray`: its species lookup costs more than the copy
    return new Uint8Array(this.slabBuffer, at, length);
  }
}

