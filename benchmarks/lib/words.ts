/**
 * benchmarks/lib/words.ts: the word-count workload of the `structured` part (issue 16: "a reply
 * of ~10 MB of plain data, 600k word counts"): a deterministic text over a vocabulary, the
 * counting every implementation runs, and the merge of partial counts.
 */

/** The vocabulary's `i`-th word (distinct for distinct `i`). */
export function word(i: number): string {
  return `w${i.toString(36)}x`;
}

/** `words` words drawn from a vocabulary of `vocabulary`, separated by single spaces (LCG draws). */
export function makeText(words: number, vocabulary: number, seed = 1): string {
  const parts = new Array<string>(words);
  let x = seed >>> 0;
  for (let i = 0; i < words; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    parts[i] = word(x % vocabulary);
  }
  return parts.join(' ');
}

/** The text cut into `n` pieces at spaces. */
export function split(text: string, n: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  for (let k = 1; k <= n; k++) {
    let end = k === n ? text.length : Math.floor((text.length * k) / n);
    while (end < text.length && text.charCodeAt(end) !== 32) end++;
    pieces.push(text.slice(start, end));
    start = end + 1;
  }
  return pieces;
}

/** Word counts of `text`. */
export function countWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  let start = 0;
  for (;;) {
    const end = text.indexOf(' ', start);
    const w = end < 0 ? text.slice(start) : text.slice(start, end);
    if (w.length > 0) counts.set(w, (counts.get(w) ?? 0) + 1);
    if (end < 0) return counts;
    start = end + 1;
  }
}

/** The same counts as a plain object (the other shape a reply takes). */
export function asObject(counts: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [w, n] of counts) out[w] = n;
  return out;
}

/** Add `part` into `total`. */
export function mergeInto(total: Map<string, number>, part: Map<string, number>): void {
  for (const [w, n] of part) total.set(w, (total.get(w) ?? 0) + n);
}

/** A checksum of counts (the sum of count x word length), equal for equal counts. */
export function checksum(counts: Map<string, number>): number {
  let sum = 0;
  for (const [w, n] of counts) sum += n * w.length;
  return sum;
}
