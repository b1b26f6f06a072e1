/**
 * benchmarks/chaos-streams.ts: `pnpm chaos`, the reliability run of issue 11: numbered streams of
 * messages by `ActorRef` between actors on worker procs while the receiving worker is killed at
 * seeded messages, in each way a worker can go (`process.exit` in a handler, an uncaught error,
 * a failed handler whose proc the host's failure policy tears down, `worker.terminate` from
 * outside) and restarted by the restart policy (HO-3); and over tcp links through a proxy that
 * cuts the connection at seeded bytes (`lib/cut-proxy.ts`), with and without kills (the net
 * session resumes on the restarted receiver: NR-10, NR-11; `tcp.links+exit`: a link per stream,
 * handlers that await). At the end
 * every seq is accounted for: handled exactly once, or returned to its sender as undeliverable;
 * 0 lost, 0 duplicated, order kept per sender. Scenarios: `lib/chaos-scenario.ts`; actors:
 * `lib/chaos-actors.ts`.
 *
 * Prints a table (scenario, messages, handled, returned, lost, duplicated, reordered, kills,
 * cuts) and writes JSON (`--out`, default `benchmarks/results/chaos-streams.json`). Exits with 1 when a
 * scenario lost, duplicated or reordered a message.
 *
 * Run: `pnpm chaos` (`tsc -b && node benchmarks/dist/chaos-streams.js`); options `--seed N` (default 11),
 * `--messages N` per ring scenario (default 250000: 1 M over the four kinds of death),
 * `--tcp-messages N` per tcp scenario (default 1000000), `--kills N` per scenario (default 4),
 * `--cut-bytes N` mean bytes per connection before a cut (default 24576), `--streams N`
 * (default 3), `--quiet-ms N` how long a scenario may make no progress before it is given up
 * (default 30000), `--max-seconds N` the most one scenario may take (default 600), `--window N` messages of a stream in flight at most (default 2048), `--only a,b` (scenario names), `--out PATH`. The short form in the test suite
 * (test/chaos-short.test.ts) runs the same code with small counts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEATH_KINDS } from './lib/chaos-actors.js';
import { runChaosScenario, type ChaosRow, type ChaosScenario } from './lib/chaos-scenario.js';
import { gitCommit, gitUncommitted, machine } from './lib/stats.js';

// Quiet logs: every death and every return is logged (thousands here).
process.env['PROCMESH_LOG'] ??= 'silent';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const text = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const SEED = option('--seed', 11);
const MESSAGES = option('--messages', 250_000);
const TCP_MESSAGES = option('--tcp-messages', 1_000_000);
const KILLS = option('--kills', 4);
const CUT_BYTES = option('--cut-bytes', 24_576);
const STREAMS = option('--streams', 3);
const WINDOW = option('--window', 2048);
const QUIET_MS = option('--quiet-ms', 30_000);
const MAX_S = option('--max-seconds', 600);
const ONLY = text('--only')?.split(',');
const OUT = text('--out') ?? fileURLToPath(new URL('../results/chaos-streams.json', import.meta.url));

const perStream = (messages: number): number => Math.max(1, Math.floor(messages / STREAMS));
const scenarios: ChaosScenario[] = [
  ...DEATH_KINDS.map(
    (kind, i): ChaosScenario => ({
      name: `ring.${kind}`,
      link: 'ring',
      streams: STREAMS,
      perStream: perStream(MESSAGES),
      kills: Array.from({ length: KILLS }, () => kind),
      awaits: i % 2 === 1,
      seed: SEED + i,
      window: WINDOW,
    }),
  ),
  { name: 'tcp.cuts', link: 'tcp' as const, streams: STREAMS, perStream: perStream(TCP_MESSAGES), kills: [], awaits: false, seed: SEED + 10, cutMeanBytes: CUT_BYTES, window: WINDOW },
  // NR-10, NR-11: a net session resumes on the restarted receiver, one link and several into one
  // actor (a direct proc per stream), handlers that await
  ...(['exit', 'links+exit'] as const).map(
    (name, i): ChaosScenario => ({
      name: `tcp.${name}`,
      link: 'tcp',
      streams: STREAMS,
      perStream: perStream(Math.min(TCP_MESSAGES, MESSAGES)),
      kills: Array.from({ length: KILLS }, () => 'exit' as const),
      awaits: i === 1,
      links: i === 1 ? STREAMS : 1,
      seed: SEED + 12 + i,
      cutMeanBytes: CUT_BYTES,
      window: WINDOW,
    }),
  ),
  {
    name: 'tcp.cuts+terminate',
    link: 'tcp' as const,
    streams: STREAMS,
    perStream: perStream(Math.min(TCP_MESSAGES, MESSAGES)),
    kills: Array.from({ length: KILLS }, () => 'terminate' as const),
    awaits: false,
    seed: SEED + 11,
    cutMeanBytes: CUT_BYTES,
    window: WINDOW,
  },
].map((s) => ({ ...s, quietMs: QUIET_MS, maxMs: MAX_S * 1000 })).filter((s) => ONLY === undefined || ONLY.includes(s.name));

const COLUMNS: readonly (keyof ChaosRow)[] = ['scenario', 'messages', 'handled', 'returned', 'lost', 'unsent', 'duplicated', 'reordered', 'kills', 'restarts', 'cuts', 'seconds'];

function line(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

const rows: ChaosRow[] = [];
const started = new Date();
const host = machine();
console.log(`procmesh chaos: seed ${SEED}, commit ${gitCommit()}, ${host.cpu} x${host.cores}, node ${host.node}`);
console.log(line(COLUMNS.map(String)));
console.log(line(COLUMNS.map(() => '---')));
for (const sc of scenarios) {
  const row = await runChaosScenario(sc);
  rows.push(row);
  console.log(line(COLUMNS.map((c) => (c === 'kills' ? `${row.kills}/${row.killsScheduled}` : String(row[c])))));
}
const failed = rows.filter((r) => r.lost + r.unsent + r.duplicated + r.reordered > 0);
const totals = rows.reduce(
  (t, r) => ({ messages: t.messages + r.messages, lost: t.lost + r.lost, duplicated: t.duplicated + r.duplicated, reordered: t.reordered + r.reordered, kills: t.kills + r.kills, cuts: t.cuts + r.cuts }),
  { messages: 0, lost: 0, duplicated: 0, reordered: 0, kills: 0, cuts: 0 },
);
console.log(
  `total: ${totals.messages} messages, ${totals.kills} kills, ${totals.cuts} cuts; lost ${totals.lost}, duplicated ${totals.duplicated}, reordered ${totals.reordered}: ${failed.length === 0 ? 'every message accounted for' : `FAILED in ${failed.map((r) => r.scenario).join(', ')}`}`,
);
const report = {
  suite: 'procmesh-chaos',
  version: 1,
  date: started.toISOString(),
  commit: gitCommit(),
  uncommitted: gitUncommitted(),
  machine: host,
  options: { seed: SEED, messages: MESSAGES, tcpMessages: TCP_MESSAGES, kills: KILLS, cutBytes: CUT_BYTES, streams: STREAMS, window: WINDOW },
  totals,
  rows,
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${OUT}`);
process.exit(failed.length === 0 ? 0 : 1);
