/**
 * wire/attachments.ts: large binary values out of band (issue 16; DESIGN decision 3).
 *
 * A binary value of a message (`ArrayBuffer`, a typed array, a `Buffer`) of at least
 * `LARGE_BINARY_BYTES` is not packed into the payload's msgpack bytes: at send time it is copied
 * once into a fresh `SharedArrayBuffer` that only the message owns (an `Attachment`), and the
 * payload holds a small reference to it (a `BinaryRef`, msgpack extension `EXT.BINARY_REF`:
 * attachment index, kind, byte offset, byte length). A buffer the sender lists in `transfer`
 * (`ref.send(cx, msg, { transfer: [buf] })`) is moved instead, whatever its size: postMessage's
 * semantics, the sender's `ArrayBuffer` is detached and the receiver gets its memory, no copy.
 *
 * The encoded payload is then an `AttachedBytes`: a `Uint8Array` of the msgpack bytes that
 * carries its attachments. Transports carry them as they can: the ring hands the memory itself
 * to the receiving thread over the link's side port, in record order (side-channel.ts); the
 * tuple encoding of the net channel, port links and returned envelopes inlines the bytes
 * (tuple.ts); a ref send inside one proc keeps them as they are.
 *
 * Why written here instead of using a library: postMessage moves memory between threads but
 * keeps neither the ring's order nor its return of unread records (RING-13); msgpackr inlines
 * every binary value (two copies on each side of a thread boundary).
 *
 * ## Invariants
 *
 * - OOB-1 (decision 3): a copied attachment is written once, by `encodePayload` at send time,
 *   into memory nothing else refers to; no one writes it again. The first decode of it claims it
 *   (a compare-and-exchange on the claim word of the shared buffer, or a flag for a private or
 *   moved one) and gets views of that memory; every later decode (the same payload cast to
 *   several actors, decoded again after a hop, or returned) copies it. So no receiver ever
 *   observes a mutation by the sender or by another receiver.
 * - OOB-2 (transfer): each buffer of `transfer` is detached exactly when the send's encode
 *   succeeds (also when the message does not refer to it, as postMessage does); a transfer list
 *   that is not a list of distinct, attached, transferable `ArrayBuffer`s throws
 *   `CodecError('invalid-transfer')` and detaches nothing; so does an encode that fails.
 * - OOB-3: views decoded from one payload that shared a buffer at the sender share one at the
 *   receiver (one claim per attachment per decode).
 * - OOB-4: a reference that does not fit its attachment, names a missing attachment or an
 *   unknown kind throws `CodecError('deserialize')` (CO-2).
 */
import { CodecError } from './errors.js';

/** Binary values of at least this many bytes travel out of band. */
export const LARGE_BINARY_BYTES = 16 * 1024;
/** The claim word and padding before a copied attachment's bytes (8: any typed array fits). */
const CLAIM_BYTES = 8;
/**
 * Copies up to this size are carved, front to back, from a shared slab of `SLAB_BYTES` (a fresh
 * `SharedArrayBuffer` costs more than copying 64 KiB into it here); larger ones get their own.
 * A region is never written again once its value is copied (OOB-1); a retained value keeps its
 * slab alive, and its `.buffer` is the slab.
 */
const SLAB_VALUE_MAX = 128 * 1024;
const SLAB_BYTES = 1024 * 1024;
let slab: SharedArrayBuffer | undefined;
let slabAt = 0;

/** The memory of one large binary value. */
export class Attachment {
  private taken = false;
  constructor(
    /**
     * A `SharedArrayBuffer` with the claim word 8 bytes before `offset` (`shared`), or a private
     * or moved `ArrayBuffer`.
     */
    private memory: ArrayBuffer | SharedArrayBuffer,
    readonly offset: number,
    readonly length: number,
    readonly shared: boolean,
  ) {}

  get buffer(): ArrayBuffer | SharedArrayBuffer {
    return this.memory;
  }

  /** OOB-2: the moved memory of a listed buffer (`sendMoving` moved it after the send). */
  rebind(memory: ArrayBuffer): void {
    this.memory = memory;
  }

  /** OOB-1: a fresh shared copy of `bytes` (the sender's only write). */
  static copyOf(bytes: Uint8Array): Attachment {
    const length = bytes.length;
    if (length > SLAB_VALUE_MAX) {
      const buffer = new SharedArrayBuffer(CLAIM_BYTES + length);
      new Uint8Array(buffer, CLAIM_BYTES).set(bytes);
      return new Attachment(buffer, CLAIM_BYTES, length, true);
    }
    const need = (CLAIM_BYTES + length + 7) & ~7;
    if (slab === undefined || slabAt + need > SLAB_BYTES) {
      slab = new SharedArrayBuffer(SLAB_BYTES);
      slabAt = 0;
    }
    const offset = slabAt + CLAIM_BYTES;
    slabAt += need;
    new Uint8Array(slab, offset, length).set(bytes);
    return new Attachment(slab, offset, length, true);
  }

  /** Private bytes (inlined by a transport, copied out of a record): claimable once. */
  static ofBytes(bytes: Uint8Array): Attachment {
    return new Attachment(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.length, false);
  }

  /** A view of the bytes (empty when a moved buffer was moved on: lost with a dead receiver). */
  bytes(): Uint8Array {
    return this.memory.byteLength < this.offset + this.length ? new Uint8Array(0) : new Uint8Array(this.memory, this.offset, this.length);
  }

  /** OOB-1: true for the first claim of this memory (in any thread), false after. */
  claim(): boolean {
    if (this.shared) return Atomics.compareExchange(new Int32Array(this.memory, this.offset - CLAIM_BYTES, 1), 0, 0, 1) === 0;
    if (this.taken) return false;
    this.taken = true;
    return true;
  }
}

/** Encoded payload bytes that carry the attachments their `BinaryRef`s point to. */
export class AttachedBytes extends Uint8Array {
  /** Methods that make new arrays (`slice`, `subarray`) make plain ones: they carry nothing. */
  static get [Symbol.species](): Uint8ArrayConstructor {
    return Uint8Array;
  }

  constructor(
    buffer: ArrayBufferLike,
    offset: number,
    length: number,
    readonly attachments: readonly Attachment[],
  ) {
    super(buffer as ArrayBuffer, offset, length);
  }
}

/** The attachments of encoded payload bytes, if any. */
export function attachmentsOf(bytes: Uint8Array): readonly Attachment[] | undefined {
  return bytes instanceof AttachedBytes ? bytes.attachments : undefined;
}

/** `bytes` carrying `attachments` (no copy of the bytes). */
export function attach(bytes: Uint8Array, attachments: readonly Attachment[]): Uint8Array {
  return attachments.length === 0 ? bytes : new AttachedBytes(bytes.buffer, bytes.byteOffset, bytes.length, attachments);
}

/** The payload's reference to (part of) an attachment: the msgpack extension's value. */
export class BinaryRef {
  constructor(
    readonly index: number,
    readonly kind: number,
    readonly offset: number,
    readonly length: number,
  ) {}
}

type ViewClass = new (buffer: ArrayBufferLike, byteOffset: number, length: number) => ArrayBufferView;
/** Kind codes: 0 is `ArrayBuffer`; a `Buffer` arrives as a `Uint8Array`, as msgpackr's bin does. */
const VIEW_KINDS: readonly (ViewClass & { readonly BYTES_PER_ELEMENT: number })[] = [
  Uint8Array, // 0 is never used for views
  Uint8Array,
  Int8Array,
  Uint8ClampedArray,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  Float32Array,
  Float64Array,
  BigInt64Array,
  BigUint64Array,
];
const KIND_ARRAY_BUFFER = 0;

function kindOf(view: ArrayBufferView): number {
  if (view instanceof Uint8Array) return 1;
  for (let kind = 2; kind < VIEW_KINDS.length; kind++) if (view instanceof (VIEW_KINDS[kind] as ViewClass)) return kind;
  return -1;
}

// ---- encoding: one payload at a time per thread (encodePayload never re-enters itself) ----

interface EncodeState {
  readonly attachments: Attachment[];
  /** Listed buffer -> index of its attachment (filled by `finishEncode` with the moved memory). */
  readonly moving: Map<ArrayBuffer, number> | undefined;
  readonly transfer: readonly ArrayBuffer[];
}

let state: EncodeState | undefined;
const NO_TRANSFER: readonly ArrayBuffer[] = [];

/** OOB-2: check a transfer list (before anything is encoded or detached). */
function checkTransfer(transfer: readonly unknown[]): readonly ArrayBuffer[] {
  if (!Array.isArray(transfer)) throw new CodecError('invalid-transfer', 'transfer must be an array of ArrayBuffers');
  const seen = new Set<unknown>();
  for (let i = 0; i < transfer.length; i++) {
    const item: unknown = transfer[i];
    if (!(item instanceof ArrayBuffer)) {
      const what = item instanceof SharedArrayBuffer ? 'a SharedArrayBuffer (shared memory is never moved)' : ArrayBuffer.isView(item) ? 'a view (list its .buffer)' : typeof item;
      throw new CodecError('invalid-transfer', `transfer[${i}] is ${what}, not an ArrayBuffer`);
    }
    if (seen.has(item)) throw new CodecError('invalid-transfer', `transfer[${i}] is listed twice`);
    if (item.byteLength === 0 && isDetached(item)) throw new CodecError('invalid-transfer', `transfer[${i}] is detached (moved already)`);
    seen.add(item);
  }
  return transfer as readonly ArrayBuffer[];
}

/** The transfer list of the ref send in progress (`sendMoving`), for its `encodePayload`. */
let pending: readonly ArrayBuffer[] | undefined;

/**
 * Run `send` (one ref send: it encodes its payload synchronously, through the caller's context)
 * with `transfer` as its payload's transfer list (OOB-2). A failure to move throws
 * `CodecError('invalid-transfer')` itself, not wrapped in the send's error.
 */
export function sendMoving(transfer: readonly ArrayBuffer[], send: () => void): void {
  checkTransfer(transfer);
  pending = transfer;
  lazyMoves = [];
  let moves: { readonly buffer: ArrayBuffer; readonly length: number; readonly attachment: Attachment | undefined }[];
  try {
    send();
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    if (cause instanceof CodecError && cause.code === 'invalid-transfer') throw cause;
    throw err;
  } finally {
    pending = undefined;
    moves = lazyMoves;
    lazyMoves = undefined;
  }
  // A ring link moved what it posted already (its side port transfers it); move the rest now.
  // A listed buffer that had bytes and has none now was moved (no exception thrown to learn it).
  const left = moves.filter((m) => m.buffer.byteLength > 0 || (m.length === 0 && !isDetached(m.buffer)));
  if (left.length === 0) return;
  let moved: ArrayBuffer[];
  try {
    moved = structuredClone(
      left.map((m) => m.buffer),
      { transfer: left.map((m) => m.buffer) },
    );
  } catch (err) {
    throw new CodecError('invalid-transfer', `cannot move the transfer list: ${(err as Error).message}`, { cause: err });
  }
  left.forEach((m, i) => m.attachment?.rebind(moved[i] as ArrayBuffer));
}

/**
 * Set by `sendMoving`: its encode leaves the listed buffers in place (the ring's side port
 * moves them with no extra step) and lists them here for `sendMoving` to move what is left.
 */
let lazyMoves: { readonly buffer: ArrayBuffer; readonly length: number; readonly attachment: Attachment | undefined }[] | undefined;

/** Whether a ref send with a transfer list is encoding (`sendMoving`). */
export function transferPending(): boolean {
  return pending !== undefined;
}

/** Start encoding a payload (`transfer`: the buffers the sender moves). */
export function beginEncode(transfer: readonly ArrayBuffer[] | undefined): void {
  const checked = transfer === undefined; // the pending list: `sendMoving` checked it
  transfer ??= pending;
  pending = undefined;
  const list = transfer === undefined || transfer.length === 0 ? NO_TRANSFER : checked ? transfer : checkTransfer(transfer);
  state = { attachments: [], moving: list.length === 0 ? undefined : new Map(), transfer: list };
}

/**
 * The payload's stand-in for a binary value (sendable.ts's walk calls this for every
 * `ArrayBuffer` and typed array): a `BinaryRef` when it travels out of band, else the value.
 */
export function outOfBand(value: ArrayBuffer | ArrayBufferView): unknown {
  const s = state;
  if (s === undefined) return value;
  const isBuffer = value instanceof ArrayBuffer;
  const buffer = isBuffer ? value : value.buffer;
  const offset = isBuffer ? 0 : value.byteOffset;
  const length = value.byteLength;
  const kind = isBuffer ? KIND_ARRAY_BUFFER : kindOf(value);
  if (kind < 0) return value;
  if (s.moving !== undefined && buffer instanceof ArrayBuffer && s.transfer.includes(buffer)) {
    let index = s.moving.get(buffer);
    if (index === undefined) {
      index = s.attachments.length;
      s.attachments.push(new Attachment(buffer, 0, buffer.byteLength, false)); // replaced by the moved memory
      s.moving.set(buffer, index);
    }
    return new BinaryRef(index, kind, offset, length);
  }
  if (length < LARGE_BINARY_BYTES) return value;
  const index = s.attachments.length;
  s.attachments.push(Attachment.copyOf(isBuffer ? new Uint8Array(value) : new Uint8Array(buffer, offset, length)));
  return new BinaryRef(index, kind, 0, length);
}

/** Whether the payload being encoded must take the walk (it moves buffers). */
export function encodingMoves(): boolean {
  return state?.moving !== undefined;
}

/**
 * End a successful encode: move the listed buffers (OOB-2: all at once; a failure detaches
 * nothing and throws `invalid-transfer`) and return the bytes with their attachments.
 */
export function finishEncode(bytes: Uint8Array): Uint8Array {
  const s = state;
  state = undefined;
  if (s === undefined) return bytes;
  if (s.transfer.length > 0 && lazyMoves !== undefined) {
    for (const buffer of s.transfer) {
      const index = s.moving?.get(buffer);
      lazyMoves.push({ buffer, length: buffer.byteLength, attachment: index === undefined ? undefined : s.attachments[index] });
    }
  } else if (s.transfer.length > 0) {
    let moved: ArrayBuffer[];
    try {
      moved = structuredClone(s.transfer as ArrayBuffer[], { transfer: s.transfer as ArrayBuffer[] });
    } catch (err) {
      throw new CodecError('invalid-transfer', `cannot move the transfer list: ${(err as Error).message}`, { cause: err });
    }
    if (s.moving !== undefined) {
      for (let i = 0; i < s.transfer.length; i++) {
        const index = s.moving.get(s.transfer[i] as ArrayBuffer);
        const memory = moved[i] as ArrayBuffer;
        if (index !== undefined) (s.attachments[index] as Attachment).rebind(memory);
      }
    }
  }
  return attach(bytes, s.attachments);
}

/**
 * Forget the attachments found so far and encode again from the start (payload.ts: the fast
 * path gave up after finding some; the walk finds them again, in the same order).
 */
export function restartEncode(): void {
  const s = state;
  if (s === undefined) return;
  s.attachments.length = 0;
  s.moving?.clear();
}

/** End a failed encode (nothing is detached). */
export function abortEncode(): void {
  state = undefined;
}

// ---- decoding ----

let decoding: readonly Attachment[] | undefined;
/** Per attachment of the payload being decoded: the memory its views use (OOB-3). */
let bases: (Uint8Array | undefined)[] = [];

type DecodeState = { readonly attachments: readonly Attachment[] | undefined; readonly bases: (Uint8Array | undefined)[] };
/** The state outside any decode (no attachments, no bases): what `enterDecode` returns there, so a decode allocates nothing to restore it. */
const OUTSIDE: DecodeState = { attachments: undefined, bases: [] };

/** Decode with `attachments` (from the bytes); returns what to restore afterwards. */
export function enterDecode(bytes: Uint8Array): DecodeState {
  if (decoding === undefined && bases.length === 0) {
    // not inside another decode: `leaveDecode(OUTSIDE)` restores this state (bases only grow while attachments are set)
    decoding = attachmentsOf(bytes);
    return OUTSIDE;
  }
  const saved = { attachments: decoding, bases };
  decoding = attachmentsOf(bytes);
  bases = [];
  return saved;
}

export function leaveDecode(saved: DecodeState): void {
  decoding = saved.attachments;
  if (saved !== OUTSIDE) bases = saved.bases;
  else if (bases.length !== 0) bases = [];
}

/** The `BinaryRef` extension's decoder: the value it stands for (OOB-1, OOB-3, OOB-4). */
export function resolveBinary(data: unknown): ArrayBuffer | ArrayBufferView {
  if (!Array.isArray(data) || data.length !== 4) throw new CodecError('deserialize', 'malformed binary reference');
  const [index, kind, offset, length] = data as unknown[];
  if (!isIndex(index) || !isIndex(kind) || !isIndex(offset) || !isIndex(length) || kind >= VIEW_KINDS.length) {
    throw new CodecError('deserialize', 'malformed binary reference');
  }
  const attachment = decoding?.[index];
  if (attachment === undefined) throw new CodecError('deserialize', `binary reference to attachment ${index}, which the message does not carry`);
  let base = bases[index];
  if (base === undefined) {
    const bytes = attachment.bytes();
    base = bases[index] = attachment.claim() ? bytes : bytes.slice();
  }
  if (base.length === 0 && attachment.length > 0) return emptyOf(kind); // a moved buffer lost with its receiver
  const view = VIEW_KINDS[kind] as ViewClass & { readonly BYTES_PER_ELEMENT: number };
  if (offset + length > base.length || length % view.BYTES_PER_ELEMENT !== 0) {
    throw new CodecError('deserialize', `binary reference [${offset}, ${offset + length}) outside its attachment of ${base.length} bytes`);
  }
  if (kind === KIND_ARRAY_BUFFER) {
    const whole = base.buffer instanceof ArrayBuffer && base.byteOffset === 0 && offset === 0 && length === base.buffer.byteLength;
    return whole ? (base.buffer as ArrayBuffer) : base.slice(offset, offset + length).buffer;
  }
  const at = base.byteOffset + offset;
  if (at % view.BYTES_PER_ELEMENT !== 0) return new view(base.slice(offset, offset + length).buffer, 0, length / view.BYTES_PER_ELEMENT);
  return new view(base.buffer, at, length / view.BYTES_PER_ELEMENT);
}

function emptyOf(kind: number): ArrayBuffer | ArrayBufferView {
  return kind === KIND_ARRAY_BUFFER ? new ArrayBuffer(0) : new (VIEW_KINDS[kind] as ViewClass)(new ArrayBuffer(0), 0, 0);
}

function isDetached(buffer: ArrayBuffer): boolean {
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
