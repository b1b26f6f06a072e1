/**
 * channel/ring/spin-policy.ts: `SpinPolicy`, how long an inbound ring's drain loop (rx.ts,
 * RING-4) busy-waits for the next record before it sleeps on `Atomics.waitAsync`.
 *
 * ## Why a band, not the cost of one wake-up (issue 16, "no bimodal hops across workers")
 *
 * The budget adapts to the idle gaps the consumer sees after a sleep: how long after its ring went
 * empty the producer published (NOTIFY_TIME, ring.ts). In a chain of hops between two threads
 * (pingpong, threadring) that gap includes the *peer's* own wake-up when the peer slept too
 * (~100-600 µs on a loaded 2-core machine). The earlier policy spun at most 200 µs, so once both
 * sides slept, each side's gap was longer than any spin it allowed, both budgets stayed at 0 and
 * every hop paid a sleep and a wake-up: runs were either 2-9 µs per hop (both spinning) or
 * 150-650 µs (both sleeping), a stable slow state. Here the budget may grow to `maxMicros` (default
 * 2 ms, rx.ts), a band wide enough to cover a peer's wake-up, so one side spinning through the
 * peer's wake-up is enough to bring both back to spinning (SPIN-1).
 *
 * ## Invariants
 *
 * - SPIN-1: a gap within the band (0 <= gap <= maxMicros) sets the budget to at least
 *   min(maxMicros, 2 * gap): the next gap like it is caught by the spin, without a sleep.
 * - SPIN-2: the budget never exceeds `maxMicros`, so a link that goes quiet spins at most one budget
 *   after its last record and then sleeps; a link with no records costs no CPU (it sleeps in
 *   `Atomics.waitAsync` until a producer wakes it, ring.ts C1-C3).
 * - SPIN-3: only `LONG_GAPS_TO_STOP` consecutive gaps beyond the band stop the spin (budget 0): one GC
 *   pause or preemption does not make the next hops sleep, and sporadic traffic (gaps of many
 *   milliseconds) pays at most that many spins before it costs nothing per record. A gap within
 *   the band resets the count, and brings the spin back at once (SPIN-1).
 * - SPIN-4: `maxMicros` 0 never spins.
 * - SPIN-5: a spin busy-waits only its first `HOT_SPIN_MICROS`; the rest of the budget waits parked
 *   (`RingConsumer.park`: the C1-C3 flag with a synchronous `Atomics.wait` of `PARK_SLICE_MICROS`
 *   at most per step), woken by the producer's P3 through the kernel. A 2 ms busy-wait would hold
 *   a core: on a machine with fewer free cores than spinning threads (2 cores, two workers and the
 *   main thread, other processes) the peer then waits for a time slice and a hop costs ~1 ms,
 *   worse than sleeping. Parked, the thread gives the core up and still wakes in ~5-10 µs, not
 *   the ~100-600 µs of an `Atomics.waitAsync` wake-up through the event loop. Like the busy-wait,
 *   a parked step holds this thread's event loop (bounded per turn by rx.ts's `turnMs`).
 *
 * The policy is a pure function of the gaps (µs), so tests drive it without a clock or threads.
 */

/** Below this a budget is not worth a spin step (rx.ts spins in 2 µs slices). */
export const MIN_SPIN_MICROS = 2;
/** SPIN-5: busy-wait this long at the start of a spin, then park. */
export const HOT_SPIN_MICROS = 50;
/** SPIN-5: longest parked wait of one spin step (then the loop looks at the turn and other Rxs). */
export const PARK_SLICE_MICROS = 100;
/** SPIN-3: consecutive idle gaps beyond the band before the spin stops. */
export const LONG_GAPS_TO_STOP = 4;

export class SpinPolicy {
  /** Current budget, µs: how long the next idle spell spins before sleeping (0: sleep at once). */
  budget: number;
  private longGaps = 0;

  /** `maxMicros`: the band (SPIN-1) and the bound of every spin (SPIN-2); 0 never spins (SPIN-4). */
  constructor(readonly maxMicros: number) {
    this.budget = Math.max(0, maxMicros);
  }

  /** After a sleep: the producer published `gap` µs after the ring went empty. */
  observeGap(gap: number): void {
    const max = this.maxMicros;
    if (max <= 0) return; // SPIN-4
    if (gap >= 0 && gap <= max) {
      // SPIN-1
      this.longGaps = 0;
      this.budget = Math.min(max, Math.max(this.budget, gap * 2, MIN_SPIN_MICROS));
    } else if (gap > max && ++this.longGaps >= LONG_GAPS_TO_STOP) {
      // SPIN-3 (a negative gap is a stale NOTIFY_TIME: no information)
      this.longGaps = 0;
      this.budget = 0;
    }
  }
}
