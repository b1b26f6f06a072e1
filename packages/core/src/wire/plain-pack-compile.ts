/**
 * wire/plain-pack-compile.ts: the compiled writers of plain-pack.ts ("Compiled shapes"): the
 * source of one writer per key sequence, made by `new Function` as msgpackr compiles its record
 * readers. Kept apart from the encoder's state: it only turns keys into code (PP-4).
 */

/** Compiled shapes have at most this many keys, each at most this long (ASCII). */
export const MAX_SHAPE_KEYS = 32;
const MAX_KEY_LENGTH = 64;

/** A compiled writer: the object's map at `p` in `out`; the end, or -1 to give up. */
export type ShapeWriter = (object: Record<string, unknown>, depth: number, out: Uint8Array, p: number, limit: number) => number;

/** The msgpack bytes of a key (fixstr or str8 of ASCII), or undefined if it is not compiled. */
function keyBytes(key: string): number[] | undefined {
  if (key.length > MAX_KEY_LENGTH) return undefined;
  const bytes = key.length < 32 ? [0xa0 | key.length] : [0xd9, key.length];
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code >= 0x80) return undefined;
    bytes.push(code);
  }
  return bytes;
}

/**
 * A writer for objects with exactly `keys` (PP-1, PP-4): map16 header, then per key its bytes
 * as constant stores and its value through `writeValue` at the key's own position (`children`,
 * made only once the keys are known to compile); `room` and `currentBuffer` are plain-pack's
 * (PP-7: a child may move the encoding). Undefined when the keys are not compiled.
 */
export function compileShapeWriter<P>(
  keys: readonly string[],
  children: () => readonly P[],
  writeValue: (value: unknown, depth: number, at: P, p: number) => number,
  room: (needed: number) => boolean,
  currentBuffer: () => Uint8Array,
): ShapeWriter | undefined {
  if (keys.length > MAX_SHAPE_KEYS) return undefined;
  const encoded: number[][] = [];
  for (const key of keys) {
    const bytes = keyBytes(key);
    if (bytes === undefined) return undefined;
    encoded.push(bytes);
  }
  const lines: string[] = [];
  let header: number[] = [0xde, keys.length >>> 8, keys.length & 0xff];
  keys.forEach((key, i) => {
    const bytes = [...header, ...(encoded[i] as number[])];
    header = [];
    lines.push(`if (p + ${bytes.length} > limit) { if (!room(p + ${bytes.length})) return -1; out = currentBuffer(); }`);
    bytes.forEach((byte, k) => lines.push(`out[p + ${k}] = ${byte};`));
    lines.push(`p = writeValue(object[${JSON.stringify(key)}], depth, children[${i}], p + ${bytes.length});`);
    lines.push('if (p < 0) return -1;');
    if (i < keys.length - 1) lines.push('out = currentBuffer();'); // PP-7: the child may have moved the encoding
  });
  if (keys.length === 0) lines.push('if (p + 3 > limit) { if (!room(p + 3)) return -1; out = currentBuffer(); }', 'out[p] = 0xde; out[p + 1] = 0; out[p + 2] = 0;', 'p += 3;');
  const body = `return function write(object, depth, out, p, limit) {\n${lines.join('\n')}\nreturn p;\n};`;
  // one writer per key sequence, as msgpackr compiles its record readers
  const factory = new Function('writeValue', 'children', 'room', 'currentBuffer', body) as (
    write: typeof writeValue,
    positions: readonly P[],
    fits: typeof room,
    buffer: typeof currentBuffer,
  ) => ShapeWriter;
  return factory(writeValue, children(), room, currentBuffer);
}
