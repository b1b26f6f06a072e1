/**
 * benchmarks/net-hold.ts: the cost of acks after handling (NR-10, NR-11; issue 11) on a stream of
 * small messages by `ActorRef` over tcp between two `Proc.direct` procs on one thread: the
 * receiver served `plain` (acks at delivery, as upstream: what a direct proc does) or `held`
 * (`serve: { sessions: NetSessionTable.create() }`: what a worker host's serving worker does; a
 * receipt per message, taken by the sink actor's queue and settled after its handler, each
 * session's handled seq stored in shared memory, acks from the settlements). The two modes run
 * interleaved, `--runs` rounds each, fresh procs per run; msgs/s until the sink handled them all,
 * medians and the ratio.
 *
 * Run: `node benchmarks/dist/net-hold.js [--messages N] [--runs N]` (defaults 200000, 7).
 */
import { ActorRef, Proc, type Actor, type Context } from '@procmesh/core';
import { NetSessionTable } from '@procmesh/core/transport';
import { gitCommit, machine, median } from './lib/stats.js';

process.env['PROCMESH_LOG'] ??= 'silent';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const MESSAGES = option('--messages', 200_000);
const RUNS = option('--runs', 7);
/** Messages sent per macrotask, so acks and settlements interleave with sending. */
const CHUNK = 2_000;

type Item = { n: number };

class Sink implements Actor<Item> {
  count = 0;
  constructor(
    private readonly total: number,
    private readonly done: () => void,
  ) {}
  handle(_cx: Context<Item>, _msg: Item): void {
    if (++this.count === this.total) this.done();
  }
}

type Mode = 'plain' | 'held';

async function once(mode: Mode): Promise<number> {
  let finished!: () => void;
  const all = new Promise<void>((resolve) => (finished = resolve));
  const receiver = await Proc.direct('tcp:127.0.0.1:0', 'hold_rx', mode === 'held' ? { serve: { sessions: NetSessionTable.create() } } : {});
  const sender = await Proc.direct('tcp:127.0.0.1:0', 'hold_tx');
  try {
    const sink = ActorRef.attest<Item>(receiver.spawn('sink', new Sink(MESSAGES, finished)).bind().actorId);
    const [client] = sender.instance('client');
    const started = performance.now();
    for (let i = 0; i < MESSAGES; i += CHUNK) {
      for (let k = i; k < Math.min(MESSAGES, i + CHUNK); k++) sink.send(client, { n: k });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await all;
    await sender.flush(); // every message acked (NR-10: acked once handled)
    return MESSAGES / ((performance.now() - started) / 1000);
  } finally {
    await sender.stopServing();
    await receiver.stopServing();
  }
}

const rates: Record<Mode, number[]> = { plain: [], held: [] };
for (let r = 0; r < RUNS; r++) {
  const order: Mode[] = r % 2 === 0 ? ['plain', 'held'] : ['held', 'plain'];
  for (const mode of order) rates[mode].push(await once(mode));
}
const host = machine();
const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');
console.log(`procmesh net-hold: commit ${gitCommit()}, ${host.cpu} x${host.cores}, node ${host.node}, ${MESSAGES} messages, ${RUNS} runs each, interleaved`);
console.log('| receiver | msgs/s median | min | max | vs plain |');
console.log('|---|---|---|---|---|');
for (const mode of ['plain', 'held'] as const) {
  const m = median(rates[mode]);
  console.log(`| ${mode} | ${fmt(m)} | ${fmt(Math.min(...rates[mode]))} | ${fmt(Math.max(...rates[mode]))} | ${(m / median(rates.plain)).toFixed(2)}x |`);
}
process.exit(0);
