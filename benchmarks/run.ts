/**
 * benchmarks/run.ts: the procmesh benchmark suite: the named scenario matrix of BENCHMARKS.md
 * and its peers, measured in one run, written to `benchmarks/results/`.
 *
 * Parts, run one after another, each in a child process of its own (`lib/parts.ts`: a part that
 * hangs is killed with its threads; nothing of one part lingers into the next), each part
 * interleaving its own implementations run by run:
 *
 * | part | scenarios | module |
 * |---|---|---|
 * | core | `local.handle-send`, `local.ref-send`, `component.*` | `core.bench.ts` |
 * | ring | `channel.ring.one-way.small`, `channel.ring.ping-pong.small` (postMessage, raw ring) | `ring.bench.ts` |
 * | actors | `actors.*` over the worker host (raw postMessage, comlink) | `actors.bench.ts` |
 * | large | `large.{64KiB,1MiB}.{ring,ring-moved}` (postMessage with transfer, and copied) | `lib/large.ts` |
 * | comlink | comlink calls, 256 in flight and one at a time (unless `actors` measured comlink) | `lib/peers/comlink.ts` |
 * | piscina | piscina tasks, 256 in flight (1, 2 threads, `concurrentTasksPerWorker`), one at a time | `lib/peers/piscina.ts` |
 * | net | `net.{tcp,unix}.{ping-pong,actors-ping-pong,one-way}.*` (raw net + msgpackr, raw net) | `net.bench.ts` |
 * | nats | `nats.actors-ping-pong.small`, `nats.one-way.small` (raw NATS client, JetStream); not measured, with the reason, without `nats-server` | `nats.bench.ts` |
 * | savina | Savina's pingpong, count, threadring, chameneos, big, fjthrput, fjcreate (Erlang/OTP) | `savina/run.ts` |
 *
 * The comlink and piscina figures are peers of `actors.one-way.small.2procs` and
 * `actors.ping-pong.small.2procs`; so are ring.bench's postMessage and raw-ring figures when
 * actors.bench does not measure its own. A module that is missing or fails leaves its scenarios
 * "not measured"; the run goes on.
 *
 * Usage: `pnpm bench [--quick] [--runs N] [--only core,ring,...] [--out DIR]`, or
 * `node benchmarks/dist/run.js ...` after `pnpm build`. `--quick`: fewer messages and 3 runs
 * per figure (under 2 minutes on the 2-core development machine); default: 5 runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LargeResult } from './lib/large.js';
import type { StructuredResult } from './lib/structured.js';
import { actorScenarios, coreScenarios, natsScenarios, netScenarios, ringScenarios } from './lib/modules.js';
import { PARTS, runPartInChild, type PartName, type PartResult } from './lib/parts.js';
import type { ComlinkPeerReport } from './lib/peers/comlink.js';
import type { PiscinaPeerReport } from './lib/peers/piscina.js';
import { machineLine, markdownTable, writeResults, type SuiteReport } from './lib/report.js';
import type { Figure, ModuleStatus, ScenarioResult } from './lib/scenario.js';
import { gitCommit, gitUncommitted, machine } from './lib/stats.js';
import { savinaTable } from './savina/run.js';

interface Args {
  readonly quick: boolean;
  readonly runs: number;
  readonly only: ReadonlySet<PartName>;
  readonly out: string;
}

function parseArgs(argv: readonly string[]): Args {
  const value = (flag: string): string | undefined => {
    const at = argv.indexOf(flag);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const runs = Number(value('--runs') ?? (quick ? 3 : 5));
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs wants a positive integer, not ${value('--runs')}`);
  const only = value('--only')?.split(',') ?? [...PARTS];
  for (const part of only) if (!(PARTS as readonly string[]).includes(part)) throw new Error(`unknown part '${part}' (parts: ${PARTS.join(', ')})`);
  return { quick, runs, only: new Set(only as PartName[]), out: value('--out') ?? fileURLToPath(new URL('../results/', import.meta.url)) };
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Run one part in its own process with a time bound; record how it went. */
async function part<N extends PartName>(name: N, args: Args, statuses: ModuleStatus[]): Promise<PartResult[N] | undefined> {
  if (!args.only.has(name)) {
    statuses.push({ module: name, status: 'skipped', seconds: 0 });
    return undefined;
  }
  // savina runs 7 programs x 4 implementations per run: its own, longer bound
  const limitMs = (args.quick ? 150 : 420) * (name === 'savina' ? 3 : 1) * 1000 * Math.max(1, args.runs / (args.quick ? 3 : 5));
  const started = performance.now();
  log(`[${name}] running...`);
  try {
    const result = await runPartInChild(name, args, limitMs);
    const seconds = (performance.now() - started) / 1000;
    statuses.push({ module: name, status: result === undefined ? 'missing' : 'ok', seconds });
    log(`[${name}] ${result === undefined ? 'missing' : 'done'} in ${seconds.toFixed(1)} s`);
    return result;
  } catch (err) {
    const seconds = (performance.now() - started) / 1000;
    const error = err instanceof Error ? err.message : String(err);
    statuses.push({ module: name, status: 'failed', seconds, error: error.split('\n')[0] ?? error });
    log(`[${name}] failed after ${seconds.toFixed(1)} s: ${error}`);
    return undefined;
  }
}

function noteFor(statuses: readonly ModuleStatus[], name: string): string | undefined {
  const s = statuses.find((m) => m.module === name);
  return s === undefined || s.status === 'ok' ? undefined : `${name}: ${s.status}${s.error !== undefined ? ` (${s.error})` : ''}`;
}

/** Add the same-run peers and limit to the 2-proc actor scenarios where actors.bench has none. */
function withActorPeers(
  scenario: ScenarioResult,
  ring: ScenarioResult[],
  comlink: ComlinkPeerReport | undefined,
  piscina: PiscinaPeerReport | undefined,
): ScenarioResult {
  const from = (id: string): ScenarioResult | undefined => ring.find((s) => s.id === id);
  const borrowed = (s: ScenarioResult | undefined): Figure[] =>
    s === undefined || scenario.peers.some((p) => /postMessage/i.test(p.impl)) ? [] : s.peers.map((p) => ({ ...p, impl: `${p.impl} (ring.bench)` }));
  const add = (peers: Figure[], limit: Figure | undefined): ScenarioResult => {
    const { limit: own, ...rest } = scenario;
    return { ...rest, peers: [...scenario.peers, ...peers], limit: own ?? (limit === undefined ? undefined : { ...limit, impl: `${limit.impl} (ring.bench)` }) };
  };
  if (scenario.id === 'actors.one-way.small.2procs') {
    const channel = from('channel.ring.one-way.small');
    return add([...borrowed(channel), ...(comlink !== undefined ? [comlink.throughput] : []), ...(piscina?.throughput ?? [])], channel?.limit);
  }
  if (scenario.id === 'actors.ping-pong.small.2procs') {
    const channel = from('channel.ring.ping-pong.small');
    return add(
      [...borrowed(channel), ...(comlink !== undefined ? [comlink.roundTrip] : []), ...(piscina !== undefined ? [piscina.roundTrip] : [])],
      channel?.limit,
    );
  }
  return scenario;
}

function largeScenarios(results: readonly LargeResult[] | undefined, note: string | undefined): ScenarioResult[] {
  const sizes: readonly [number, string][] = [
    [64 * 1024, '64KiB'],
    [1024 * 1024, '1MiB'],
  ];
  const out: ScenarioResult[] = [];
  for (const [bytes, label] of sizes) {
    const figures = results?.find((r) => r.bytes === bytes)?.figures ?? [];
    for (const transport of ['ring', 'ring-moved'] as const) {
      const impl = transport === 'ring-moved' ? 'procmesh ring, moved' : 'procmesh ring';
      const links = transport === 'ring' ? 'ring links' : 'ring links, the sender moves each buffer (transfer)';
      out.push({
        id: `large.${label}.${transport}`,
        title: `actors one-way, ${label.replace('KiB', ' KiB').replace('MiB', ' MiB')} messages, 2 procs, ${links}`,
        unit: 'MB/s',
        better: 'higher',
        procmesh: figures.find((f) => f.impl === impl),
        peers: figures.filter((f) => !f.impl.startsWith('procmesh')),
        limit: undefined,
        source: 'lib/large',
        ...(note !== undefined ? { note } : {}),
      });
    }
  }
  return out;
}

function structuredScenarios(result: StructuredResult | undefined, note: string | undefined): ScenarioResult[] {
  const rows: readonly [string, string, readonly Figure[] | undefined][] = [
    ['structured.wordcounts.object.codec', `encode + decode, ${result?.entries ?? 600_000} word counts as a plain object (~10 MB)`, result?.objectCodec],
    ['structured.wordcounts.map.codec', `encode + decode, ${result?.entries ?? 600_000} word counts as a Map (~10 MB)`, result?.mapCodec],
    ['structured.wordcount.pipeline.2procs', `word-count pipeline, ${result?.words ?? 3_000_000} words, 2 workers, Map replies merged on the main thread`, result?.pipeline],
  ];
  return rows.map(([id, title, figures]) => ({
    id,
    title,
    unit: 'ms' as const,
    better: 'lower' as const,
    procmesh: figures?.[0],
    peers: figures?.slice(1) ?? [],
    limit: undefined,
    source: 'lib/structured',
    ...(note !== undefined ? { note } : {}),
  }));
}

async function main(): Promise<void> {
  // channels closing at teardown warn ("connection lost"); workers inherit the level
  process.env['PROCMESH_LOG'] ??= 'error';
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const date = new Date().toISOString();
  const commit = gitCommit();
  const uncommitted = gitUncommitted();
  const host = machine();
  const statuses: ModuleStatus[] = [];
  log(`procmesh benchmarks: ${args.quick ? 'quick' : 'default'} run, ${args.runs} runs per figure; load ${host.loadAtStart.join(' / ')}`);

  const core = await part('core', args, statuses);
  const ring = await part('ring', args, statuses);
  const actors = await part('actors', args, statuses);
  const large = await part('large', args, statuses);
  const structured = await part('structured', args, statuses);
  let comlink: ComlinkPeerReport | undefined;
  if (actors?.rows.some((r) => /comlink/i.test(r.impl ?? '')) === true) {
    statuses.push({ module: 'comlink', status: 'skipped', seconds: 0, error: 'actors.bench measures comlink' });
  } else comlink = await part('comlink', args, statuses);
  const piscina = await part('piscina', args, statuses);
  const net = await part('net', args, statuses);
  const nats = await part('nats', args, statuses);
  const savina = await part('savina', args, statuses);

  const ringResults = ringScenarios(ring, noteFor(statuses, 'ring'));
  const all = [
    ...coreScenarios(core, noteFor(statuses, 'core')),
    ...ringResults,
    ...actorScenarios(actors, noteFor(statuses, 'actors')).map((s) => withActorPeers(s, ringResults, comlink, piscina)),
    ...largeScenarios(large, noteFor(statuses, 'large')),
    ...structuredScenarios(structured, noteFor(statuses, 'structured')),
    ...netScenarios(net, noteFor(statuses, 'net')),
    ...natsScenarios(nats, noteFor(statuses, 'nats')),
  ];
  // the matrix first, the components (ids, codecs) last
  const scenarios = [...all.filter((s) => !s.id.startsWith('component.')), ...all.filter((s) => s.id.startsWith('component.'))];

  const report: SuiteReport = {
    suite: 'procmesh-benchmarks',
    version: 1,
    date,
    commit,
    uncommitted,
    mode: args.quick ? 'quick' : 'default',
    runs: args.runs,
    durationSeconds: (performance.now() - started) / 1000,
    machine: host,
    loadAtEnd: loadavg().map((l) => Math.round(l * 100) / 100),
    modules: statuses,
    scenarios,
  };
  mkdirSync(args.out, { recursive: true });
  const files = writeResults(args.out, report);
  console.log(machineLine(report));
  console.log('');
  console.log(markdownTable(report));
  if (savina !== undefined) {
    // the Savina table beside the matrix's (its own files: the matrix's format stays as it is)
    const table = savinaTable(savina);
    writeFileSync(join(args.out, 'savina.json'), `${JSON.stringify({ date, commit, machine: host, ...savina }, null, 2)}\n`);
    writeFileSync(join(args.out, 'savina.md'), `# Savina micro benchmarks\n\n${machineLine(report)}\n\n${table}\n`);
    files.push(join(args.out, 'savina.json'), join(args.out, 'savina.md'));
    console.log('');
    console.log(table);
  }
  log(`\nwrote ${files.join(', ')}`);
}

await main();
