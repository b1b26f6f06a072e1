/**
 * benchmarks/lib/peers/piscina-task.ts: the trivial piscina task (the pool's `filename`): the
 * small message in, its `seq` out.
 */
import type { Small } from '../stats.js';

export default function task(message: Small): number {
  return message.seq;
}
