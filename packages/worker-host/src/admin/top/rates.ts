/**
 * admin/top/rates.ts: message rates from two snapshots. The endpoint serves counts
 * (`messages_processed`) and the time of each reading (`as_of`); a rate is the difference of
 * two readings of the same actor over the difference of their times, computed by the client, so
 * the host keeps no per-actor time series and pays nothing for a rate nobody asks for.
 *
 * ## Invariants
 *
 * - TP-4: an actor has a rate only when both snapshots read it, its count did not go down (a
 *   restarted actor starts again from 0) and time moved forward; otherwise no rate, never a
 *   made-up 0 or a negative one.
 */
import { allActors, type Snapshot } from './snapshot.js';

/** Messages per second by actor reference (TP-4). */
export function messageRates(prev: Snapshot | undefined, next: Snapshot): Map<string, number> {
  const rates = new Map<string, number>();
  if (prev === undefined) return rates;
  const before = new Map<string, { count: number; at: number }>();
  for (const a of allActors(prev)) if (a.actor !== undefined) before.set(a.ref, { count: a.actor.messages_processed, at: a.asOf });
  for (const a of allActors(next)) {
    const was = before.get(a.ref);
    if (was === undefined || a.actor === undefined) continue;
    const dt = (a.asOf - was.at) / 1000;
    const dn = a.actor.messages_processed - was.count;
    if (dt > 0 && dn >= 0) rates.set(a.ref, dn / dt);
  }
  return rates;
}
