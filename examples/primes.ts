/**
 * primes.ts: the two independent ways the example counts primes.
 *
 * - `primesIn(lo, hi)`: trial division by 6k +/- 1, the CPU-heavy map function the mappers run
 *   on their chunk (cost grows like sqrt(n) per number: real work to spread over cores).
 * - `sieve(n)`: a sieve of Eratosthenes on the main thread, a different algorithm, used only to
 *   check the distributed answer (count and sum of the primes below `n`).
 *
 * Sums of primes below 2^26 stay far under 2^53, so plain numbers are exact.
 */

/** Count and sum of the primes in one range. */
export interface PrimeTally {
  readonly count: number;
  readonly sum: number;
}

/** Whether `n` is prime, by trial division (deliberately not clever: it is the workload). */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n % 2 === 0) return n === 2;
  if (n % 3 === 0) return n === 3;
  for (let d = 5; d * d <= n; d += 6) {
    if (n % d === 0 || n % (d + 2) === 0) return false;
  }
  return true;
}

/** The primes p with lo <= p < hi. */
export function primesIn(lo: number, hi: number): PrimeTally {
  let count = 0;
  let sum = 0;
  for (let n = Math.max(lo, 2); n < hi; n++) {
    if (isPrime(n)) {
      count++;
      sum += n;
    }
  }
  return { count, sum };
}

/** The primes below `n`, by a sieve of Eratosthenes (odd numbers only). */
export function sieve(n: number): PrimeTally {
  if (n <= 2) return { count: 0, sum: 0 };
  // composite[i] marks the odd number 2i + 1
  const half = n >>> 1;
  const composite = new Uint8Array(half);
  for (let i = 1; (2 * i + 1) * (2 * i + 1) < n; i++) {
    if (composite[i] === 1) continue;
    const p = 2 * i + 1;
    for (let j = (p * p) >>> 1; j < half; j += p) composite[j] = 1;
  }
  let count = 1; // 2
  let sum = 2;
  for (let i = 1; i < half; i++) {
    if (composite[i] === 0) {
      count++;
      sum += 2 * i + 1;
    }
  }
  return { count, sum };
}

/** pi(x) for a few x, from the literature: a check of the checker. */
export const KNOWN_PI: ReadonlyMap<number, number> = new Map([
  [10, 4], [100, 25], [1_000, 168], [10_000, 1_229], [100_000, 9_592], [1_000_000, 78_498], [10_000_000, 664_579], [100_000_000, 5_761_455],
]);

/** The half-open range [lo, hi) of chunk `i` of `chunks` equal slices of [0, size). */
export function chunkRange(i: number, chunks: number, size: number): [number, number] {
  return [Math.floor((i * size) / chunks), Math.floor(((i + 1) * size) / chunks)];
}
