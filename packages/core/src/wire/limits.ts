/**
 * wire/limits.ts: the decode limits, and `checkMsgpack`, the validator that walks msgpack bytes
 * from outside this thread once, allocating nothing, before msgpackr decodes them.
 *
 * msgpackr trusts the lengths it reads: an `array32` header allocates `new Array(length)` before
 * a single element is read (6 bytes cost ~256 MB and hundreds of milliseconds), a `str32`
 * header does the same for its characters, nesting is followed until the stack overflows, and
 * extension types it knows but procmesh never writes (records, bundled strings, structured-clone
 * references) change how later bytes decode. msgpackr has no option that bounds any of it
 * (1.12.1: no `maxArraySize` or the like; upstream's pull request #199 bounds one array at a time
 * by the bytes left, which #200 shows is not enough for nested headers). So every decoder that
 * hands msgpackr bytes of another thread or process (`decodeEnvelope`, `decodePayload`, the
 * ring record's extra headers) calls `checkMsgpack` first. Payloads this thread encoded itself
 * (a ref send inside one proc) are not walked, and plain data never is: `plain-unpack.ts`
 * already bounds what it allocates by the bytes present (PU-2, PU-5) and decodes it without
 * msgpackr. Not walked: `MsgpackRecordCodec` (record.ts), the generic ring codec whose msgpackr
 * records change how later bytes read; the data plane's rings use `EnvelopeRecordCodec`, whose
 * msgpack parts (extra headers, payloads) are walked.
 *
 * ## Invariants
 *
 * - DL-1: every length and count is checked against the bytes left before the walk moves on:
 *   an array or map declares at most one element (map: two bytes per entry) per byte left, a
 *   string, binary or extension body at most the bytes left. A walk that completes therefore
 *   bounds what msgpackr allocates by the input's size (every element it allocates a slot for
 *   was read, and took at least one byte).
 * - DL-2: configured limits (`DecodeLimits`, from `config()`): nesting at most `maxDepth`
 *   containers deep (an extension that wraps the value after it, like `Set` or `ActorId`, counts
 *   as one level), at most `maxElements` array elements and map entries in all, no string,
 *   binary or extension body above `maxBytes`.
 * - DL-3: the input is exactly one value: trailing bytes, a truncated value, and the extension
 *   types procmesh never writes (`RESERVED_EXTENSIONS`) are malformed.
 * - DL-4: a failure is a `CodecError`, nothing else: `deserialize` for input that is wrong in
 *   itself (DL-1: it declares more than it holds, the allocation bombs among them; DL-3), as
 *   CO-2 has it for every malformed input; `limit-exceeded` for well-formed input beyond the
 *   configured limits (DL-2).
 * - DL-5: the walk follows msgpackr's reading of extensions: a type registered with a `read`
 *   function (`registerExtension`, msgpack.ts) is a fixext 1 followed by the value it wraps
 *   (any other form of it is malformed, as msgpackr fails on it); msgpackr's own `Error`, `Set`
 *   and `RegExp` types wrap the value after their body; every other type is its body alone.
 */
import { config } from '../config.js';
import { CodecError } from './errors.js';

/** How much a decode of outside bytes may claim (DL-2). */
export interface DecodeLimits {
  /** Deepest nesting of arrays, maps and wrapping extensions (`PROCMESH_DECODE_MAX_DEPTH`). */
  readonly maxDepth: number;
  /** Array elements and map entries in one input, all containers together (`PROCMESH_DECODE_MAX_ELEMENTS`). */
  readonly maxElements: number;
  /** Largest string, binary or extension body (`PROCMESH_DECODE_MAX_BYTES`). */
  readonly maxBytes: number;
}

let configured: DecodeLimits | undefined;

/** The limits of this thread, from `config()` (read once). */
export function decodeLimits(): DecodeLimits {
  if (configured === undefined) {
    const c = config();
    configured = Object.freeze({ maxDepth: c.decodeMaxDepth, maxElements: c.decodeMaxElements, maxBytes: c.decodeMaxBytes });
  }
  return configured;
}

/**
 * DL-3: extension types msgpackr decodes but procmesh never writes: bundled strings (0x62),
 * structured-clone ids and pointers (0x69, 0x70), record definitions (0x72, which would turn
 * later fixints into records for the rest of the input).
 */
export const RESERVED_EXTENSIONS: ReadonlySet<number> = new Set([0x62, 0x69, 0x70, 0x72]);

/** DL-5: msgpackr's own types whose handler reads the value after their body (`Error`, `Set`, `RegExp`). */
const WRAPPING_BUILTINS: ReadonlySet<number> = new Set([0x65, 0x73, 0x78]);

// How the walk treats each extension type (DL-3, DL-5; a table: one load per extension). Types
// registered with a `read` function (EXT_READ) are a fixext 1, then the value they wrap.
const EXT_BODY = 0;
const EXT_RESERVED = 1;
const EXT_WRAPS = 2;
const EXT_READ = 3;
const extKind = new Uint8Array(256);
for (const type of RESERVED_EXTENSIONS) extKind[type] = EXT_RESERVED;
for (const type of WRAPPING_BUILTINS) extKind[type] = EXT_WRAPS;

/** DL-5: record that extension `type` is written as a fixext 1 followed by its value (msgpack.ts). */
export function markWrappingExtension(type: number): void {
  extKind[type & 0xff] = EXT_READ;
}

// The walk's state: one walk at a time per thread (it never calls out).
let src: Uint8Array = new Uint8Array(0);
let end = 0;
let elementsLeft = 0;
let maxElements = 0;
let maxDepth = 0;
let maxBytes = 0;

/**
 * Walk `bytes[start, stop)` as exactly one msgpack value within `limits`; throws `CodecError`
 * (`limit-exceeded` or `deserialize`, DL-4) otherwise. Allocates nothing on success.
 */
export function checkMsgpack(bytes: Uint8Array, start = 0, stop = bytes.length, limits: DecodeLimits = decodeLimits()): void {
  src = bytes;
  end = stop;
  elementsLeft = maxElements = limits.maxElements;
  maxDepth = limits.maxDepth;
  maxBytes = limits.maxBytes;
  try {
    const at = value(start, 0);
    if (at !== stop) throw malformed(`${stop - at} trailing bytes after the value`, at);
  } finally {
    src = EMPTY;
  }
}

const EMPTY = new Uint8Array(0);

/** The offset after the value at `p` (`depth`: containers around it). */
function value(p: number, depth: number): number {
  if (p >= end) throw malformed('truncated input: a value is missing', p);
  const token = src[p] as number;
  if (token < 0x80 || token >= 0xe0) return p + 1;
  if (token < 0x90) return map(p + 1, token & 0x0f, depth, p);
  if (token < 0xa0) return array(p + 1, token & 0x0f, depth, p);
  if (token < 0xc0) {
    // fixstr, inline (the common token of ids and headers)
    const n = token & 0x1f;
    if (n > maxBytes || p + 1 + n > end) return body(p + 1, n, 'string', p);
    return p + 1 + n;
  }
  switch (token) {
    case 0xc0: // nil
    case 0xc1: // never used (msgpackr: its C1 marker)
    case 0xc2: // false
    case 0xc3: // true
      return p + 1;
    case 0xc4:
      return body(p + 2, length(p + 1, 1), 'binary', p);
    case 0xc5:
      return body(p + 3, length(p + 1, 2), 'binary', p);
    case 0xc6:
      return body(p + 5, length(p + 1, 4), 'binary', p);
    case 0xc7:
      return ext(p + 3, length(p + 1, 1), p + 2, false, depth, p);
    case 0xc8:
      return ext(p + 4, length(p + 1, 2), p + 3, false, depth, p);
    case 0xc9:
      return ext(p + 6, length(p + 1, 4), p + 5, false, depth, p);
    case 0xcc:
    case 0xd0:
      return fixed(p, 1);
    case 0xcd:
    case 0xd1:
      return fixed(p, 2);
    case 0xca:
    case 0xce:
    case 0xd2:
      return fixed(p, 4);
    case 0xcb:
    case 0xcf:
    case 0xd3:
      return fixed(p, 8);
    case 0xd4:
      return ext(p + 2, 1, p + 1, true, depth, p);
    case 0xd5:
      return ext(p + 2, 2, p + 1, false, depth, p);
    case 0xd6:
      return ext(p + 2, 4, p + 1, false, depth, p);
    case 0xd7:
      return ext(p + 2, 8, p + 1, false, depth, p);
    case 0xd8:
      return ext(p + 2, 16, p + 1, false, depth, p);
    case 0xd9:
      return body(p + 2, length(p + 1, 1), 'string', p);
    case 0xda:
      return body(p + 3, length(p + 1, 2), 'string', p);
    case 0xdb:
      return body(p + 5, length(p + 1, 4), 'string', p);
    case 0xdc:
      return array(p + 3, length(p + 1, 2), depth, p);
    case 0xdd:
      return array(p + 5, length(p + 1, 4), depth, p);
    case 0xde:
      return map(p + 3, length(p + 1, 2), depth, p);
    default: // 0xdf
      return map(p + 5, length(p + 1, 4), depth, p);
  }
}

/** A big-endian length of `size` bytes at `p`. */
function length(p: number, size: number): number {
  if (p + size > end) throw malformed('truncated input: a length is cut off', p);
  if (size === 1) return src[p] as number;
  if (size === 2) return ((src[p] as number) << 8) | (src[p + 1] as number);
  return (src[p] as number) * 0x100_0000 + (((src[p + 1] as number) << 16) | ((src[p + 2] as number) << 8) | (src[p + 3] as number));
}

/** A scalar of `size` bytes after its token at `p`. */
function fixed(p: number, size: number): number {
  const after = p + 1 + size;
  if (after > end) throw malformed('truncated input: a number is cut off', p);
  return after;
}

/** DL-1, DL-2: a string or binary body of `n` bytes at `p`. */
function body(p: number, n: number, what: string, at: number): number {
  if (n > maxBytes) throw overLimit(`a ${what} of ${n} bytes is above the limit of ${maxBytes}`, at);
  if (n > end - p) throw malformed(`a ${what} declares ${n} bytes, ${Math.max(0, end - p)} bytes left`, at);
  return p + n;
}

/** DL-1, DL-2: `n` elements from `p`. */
function array(p: number, n: number, depth: number, at: number): number {
  if (depth >= maxDepth) throw overLimit(`nesting deeper than ${maxDepth}`, at);
  if (n > end - p) throw malformed(`an array declares ${n} elements, ${Math.max(0, end - p)} bytes left`, at);
  if ((elementsLeft -= n) < 0) throw overLimit(`more than ${maxElements} elements`, at);
  for (let i = 0; i < n; i++) p = value(p, depth + 1);
  return p;
}

/** DL-1, DL-2: `n` entries (key, value) from `p`. */
function map(p: number, n: number, depth: number, at: number): number {
  if (depth >= maxDepth) throw overLimit(`nesting deeper than ${maxDepth}`, at);
  if (n > (end - p) / 2) throw malformed(`a map declares ${n} entries, ${Math.max(0, end - p)} bytes left`, at);
  if ((elementsLeft -= n) < 0) throw overLimit(`more than ${maxElements} elements`, at);
  for (let i = 0; i < n; i++) p = value(value(p, depth + 1), depth + 1);
  return p;
}

/** DL-1..DL-3, DL-5: an extension body of `n` bytes at `p`, its type at `typeAt`. */
function ext(p: number, n: number, typeAt: number, fixext1: boolean, depth: number, at: number): number {
  if (typeAt >= end) throw malformed('truncated input: an extension type is cut off', at);
  const type = src[typeAt] as number;
  const kind = extKind[type] as number;
  if (kind === EXT_RESERVED) throw malformed(`extension type 0x${type.toString(16)} is not accepted`, at);
  const after = body(p, n, 'extension body', at);
  if (kind === EXT_BODY) return after;
  if (kind === EXT_READ && !fixext1) throw malformed(`extension type ${type} in a form other than fixext 1`, at);
  if (depth >= maxDepth) throw overLimit(`nesting deeper than ${maxDepth}`, at);
  return value(after, depth + 1);
}

function overLimit(detail: string, at: number): CodecError {
  return new CodecError('limit-exceeded', `limit exceeded: ${detail} (offset ${at})`);
}

function malformed(detail: string, at: number): CodecError {
  return new CodecError('deserialize', `malformed msgpack: ${detail} (offset ${at})`);
}
