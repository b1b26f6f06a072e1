/**
 * benchmarks/lib/modules.ts: the benchmark modules (`../*.bench.js`) as parts of the suite.
 *
 * Each module is loaded at run time by URL, so a module that does not exist yet (or fails)
 * leaves its scenarios "not measured" instead of breaking the build or the run; its rows are read
 * by shape (`scenario`, `impl`, `median`...), not by its exported types, for the same reason.
 * Every adapter maps the module's rows onto the suite's named scenarios: which implementation is
 * procmesh's, which are the peers, which is the limit.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Figure, ScenarioResult, Unit } from './scenario.js';

/** A row as the modules write them (every field but `median` optional). */
export interface ModuleRow {
  readonly scenario?: string;
  readonly impl?: string;
  readonly transport?: string;
  readonly procs?: number;
  readonly unit?: string;
  readonly median: number;
  readonly runs?: readonly number[];
  readonly p99?: number;
  readonly mbPerSec?: number;
  readonly best?: number;
}

export interface ModuleReport {
  readonly rows: readonly ModuleRow[];
  readonly [key: string]: unknown;
}

export interface SuiteOptions {
  readonly runs: number;
  readonly quick: boolean;
}

type RunFn = (options: { runs?: number; quick?: boolean }) => Promise<unknown>;

/** Import `../{name}.bench.js` and find its `run*Bench` export; undefined when absent. */
export async function loadModule(name: string): Promise<RunFn | undefined> {
  const url = new URL(`../${name}.bench.js`, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return undefined;
  const mod = (await import(url.href)) as Record<string, unknown>;
  const entry = Object.entries(mod).find(([key, value]) => /^run\w*Bench$/.test(key) && typeof value === 'function');
  if (entry === undefined) throw new Error(`${name}.bench.js exports no run*Bench function (exports: ${Object.keys(mod).join(', ')})`);
  return entry[1] as RunFn;
}

/** Check that a module's report has rows with numeric medians. */
export function asReport(name: string, value: unknown): ModuleReport {
  const rows = (value as { rows?: unknown } | null)?.rows;
  if (!Array.isArray(rows)) throw new Error(`${name}: the report has no rows`);
  for (const row of rows) {
    if (typeof (row as ModuleRow | null)?.median !== 'number') throw new Error(`${name}: a row without a numeric median: ${JSON.stringify(row)}`);
  }
  return value as ModuleReport;
}

function figure(row: ModuleRow | undefined, impl: string, unit?: Unit, scale = 1): Figure | undefined {
  if (row === undefined) return undefined;
  const runs = (row.runs ?? [row.median]).map((r) => r * scale);
  return {
    impl,
    median: row.median * scale,
    runs,
    ...(row.p99 !== undefined ? { p99: row.p99 * scale } : {}),
    ...(row.mbPerSec !== undefined && unit !== 'MB/s' ? { mbPerSec: row.mbPerSec } : {}),
    ...(unit !== undefined ? { unit } : {}),
  };
}

const find = (report: ModuleReport | undefined, match: Partial<Record<'scenario' | 'impl' | 'transport', string>>): ModuleRow | undefined =>
  report?.rows.find((r) => Object.entries(match).every(([k, v]) => (r as unknown as Record<string, unknown>)[k] === v));

// ---------------------------------------------------------------------------------------------
// core.bench: one proc.

const CORE_SCENARIOS: readonly { readonly row: string; readonly id: string; readonly title: string }[] = [
  { row: 'handle send + handle', id: 'local.handle-send', title: 'local handle send + handle, one proc' },
  { row: 'ref send (same proc)', id: 'local.ref-send', title: 'local ref send (encode, route, decode, handle), one proc' },
  { row: 'id parse', id: 'component.id-parse', title: 'ActorId.parse' },
  { row: 'id format', id: 'component.id-format', title: 'PortId build + format' },
  { row: 'envelope encode', id: 'component.envelope-encode', title: 'envelope encode' },
  { row: 'envelope decode', id: 'component.envelope-decode', title: 'envelope decode' },
];

export function coreScenarios(report: ModuleReport | undefined, note?: string): ScenarioResult[] {
  return CORE_SCENARIOS.map(({ row, id, title }) => ({
    id,
    title,
    unit: id.startsWith('local.') ? 'msgs/s' : 'ops/s',
    better: 'higher',
    procmesh: figure(find(report, { scenario: row }), 'procmesh'),
    peers: [],
    limit: undefined,
    source: 'core.bench',
    ...(note !== undefined ? { note } : {}),
  }));
}

// ---------------------------------------------------------------------------------------------
// ring.bench: the ring channel, worker to worker.

export function ringScenarios(report: ModuleReport | undefined, note?: string): ScenarioResult[] {
  const extra = note !== undefined ? { note } : {};
  const oneWay = (impl: string): ModuleRow | undefined => find(report, { scenario: 'one-way small', impl });
  const ping = (impl: string): ModuleRow | undefined => find(report, { scenario: 'ping-pong small', impl });
  return [
    {
      id: 'channel.ring.one-way.small',
      title: 'ring channel one-way, small messages, 2 threads',
      unit: 'msgs/s',
      better: 'higher',
      procmesh: figure(oneWay('ring'), 'procmesh ring channel'),
      peers: [figure(oneWay('postMessage'), 'postMessage'), figure(oneWay('postMessage x64'), 'postMessage, 64 per post')].filter(isFigure),
      limit: figure(oneWay('raw ring'), 'raw ring, 64 B records'),
      source: 'ring.bench',
      ...extra,
    },
    {
      id: 'channel.ring.ping-pong.small',
      title: 'ring channel ping-pong round trip, small message',
      unit: 'µs',
      better: 'lower',
      procmesh: figure(ping('ring'), 'procmesh ring channel'),
      peers: [figure(ping('postMessage'), 'postMessage')].filter(isFigure),
      limit: figure(ping('raw ring'), 'raw ring, 64 B records'),
      source: 'ring.bench',
      ...extra,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// net.bench: TCP and Unix sockets on loopback.

const MIB = 1024 * 1024;

export function netScenarios(report: ModuleReport | undefined, note?: string): ScenarioResult[] {
  const extra = note !== undefined ? { note } : {};
  const out: ScenarioResult[] = [];
  for (const transport of ['tcp', 'unix'] as const) {
    const row = (scenario: string, impl: string): ModuleRow | undefined => find(report, { scenario, transport, impl });
    out.push({
      id: `net.${transport}.ping-pong.small`,
      title: `${transport} loopback ping-pong round trip, small message`,
      unit: 'µs',
      better: 'lower',
      procmesh: figure(row('ping-pong small', 'procmesh'), 'procmesh net channel'),
      peers: [],
      limit: figure(row('ping-pong small', 'raw net'), 'raw net echo'),
      source: 'net.bench',
      ...extra,
    });
    out.push({
      id: `net.${transport}.actors-ping-pong.small`,
      title: `${transport} loopback ActorRef ping-pong round trip between two Proc.direct procs`,
      unit: 'µs',
      better: 'lower',
      procmesh: figure(row('ping-pong small', 'procmesh actors'), 'procmesh actors, Proc.direct'),
      peers: [],
      limit: figure(row('ping-pong small', 'raw net'), 'raw net echo'),
      source: 'net.bench',
      ...extra,
    });
    out.push({
      id: `net.${transport}.one-way.small`,
      title: `${transport} loopback one-way, small messages`,
      unit: 'msgs/s',
      better: 'higher',
      procmesh: figure(row('one-way small', 'procmesh'), 'procmesh net channel'),
      peers: [figure(row('one-way small', 'raw+msgpackr'), 'raw net + msgpackr')].filter(isFigure),
      limit: figure(row('one-way small', 'raw net'), 'raw net, same bytes'),
      source: 'net.bench',
      ...extra,
    });
    // net.bench counts 1 MiB messages per second: as MB/s (10^6 bytes) that is x 1.048576.
    const mb = MIB / 1e6;
    out.push({
      id: `net.${transport}.one-way.1MiB`,
      title: `${transport} loopback one-way, 1 MiB messages`,
      unit: 'MB/s',
      better: 'higher',
      procmesh: figure(row('one-way 1 MiB', 'procmesh'), 'procmesh net channel', 'MB/s', mb),
      peers: [figure(row('one-way 1 MiB', 'raw+msgpackr'), 'raw net + msgpackr', 'MB/s', mb)].filter(isFigure),
      limit: figure(row('one-way 1 MiB', 'raw net'), 'raw net, same bytes', 'MB/s', mb),
      source: 'net.bench',
      ...extra,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// nats.bench: two Proc.direct procs on one nats-server (skipped, with its reason, without one).

export function natsScenarios(report: ModuleReport | undefined, note?: string): ScenarioResult[] {
  const missing = typeof report?.['missing'] === 'string' ? (report['missing'] as string) : undefined;
  const why = note ?? (missing !== undefined ? `nats: not measured: ${missing}` : undefined);
  const extra = why !== undefined ? { note: why } : {};
  const row = (scenario: string, impl: string): ModuleRow | undefined => find(report, { scenario, impl });
  return [
    {
      id: 'nats.actors-ping-pong.small',
      title: 'NATS ActorRef ping-pong round trip between two Proc.direct procs (issue 15 target: within 1.5x of the limit)',
      unit: 'µs',
      better: 'lower',
      procmesh: figure(row('ping-pong small', 'procmesh actors'), 'procmesh actors over nats:'),
      peers: [figure(row('ping-pong small', 'JetStream publish'), 'JetStream publish + PubAck (no reply)')].filter(isFigure),
      limit: figure(row('ping-pong small', 'raw request/reply'), 'raw NATS request/reply, same bytes'),
      source: 'nats.bench',
      ...extra,
    },
    {
      id: 'nats.one-way.small',
      title: 'NATS one-way, small messages, ActorRef sends (issue 15 target: at least 0.8x the limit)',
      unit: 'msgs/s',
      better: 'higher',
      procmesh: figure(row('one-way small', 'procmesh actors'), 'procmesh actors over nats:'),
      peers: [
        figure(row('one-way small', 'raw publish + msgpack'), 'raw NATS publish, msgpackr encode per message, decode + order check at the peer'),
        figure(row('one-way small', 'JetStream publish'), 'JetStream publish, 256 in flight'),
      ].filter(isFigure),
      limit: figure(row('one-way small', 'raw publish'), 'raw NATS publish, same bytes'),
      source: 'nats.bench',
      ...extra,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// actors.bench: actors across worker procs (its rows are read by name patterns).

/** The actor scenarios the matrix names, shown as "not measured" when no row fills them. */
export const ACTOR_SCENARIOS: readonly { readonly id: string; readonly title: string; readonly unit: Unit; readonly better: 'higher' | 'lower' }[] = [
  { id: 'actors.one-way.small.2procs', title: 'actors one-way, small messages, 2 procs', unit: 'msgs/s', better: 'higher' },
  { id: 'actors.ping-pong.small.2procs', title: 'actors ping-pong round trip, small message, 2 procs', unit: 'µs', better: 'lower' },
  { id: 'actors.one-way.small.4procs', title: 'actors one-way, small messages, 4 procs', unit: 'msgs/s', better: 'higher' },
  { id: 'actors.all-to-all.small.4procs', title: 'actors all-to-all, small messages, 4 procs', unit: 'msgs/s', better: 'higher' },
];

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** The suite id of an actors.bench row: `actors.{kind}.{size}[.{transport}].{n}procs`. */
function actorScenarioId(row: ModuleRow): string {
  const text = (row.scenario ?? '').toLowerCase();
  const kind = /all.to.all/.test(text) ? 'all-to-all' : /ping|round.trip|latency|rtt/.test(text) ? 'ping-pong' : /one.way|throughput/.test(text) ? 'one-way' : slug(text);
  const size = /(\d+\s*[km]i?b)/i.exec(text)?.[1]?.replace(/\s+/g, '') ?? 'small';
  const procs = row.procs ?? Number(/(\d+)\s*procs?/.exec(text)?.[1] ?? 2);
  const transport = row.transport !== undefined && row.transport !== 'ring' ? `.${slug(row.transport)}` : '';
  return `actors.${kind}.${size}${transport}.${procs}procs`;
}

const isProcmesh = (impl: string): boolean => /procmesh|actor/i.test(impl);
const isLimit = (impl: string): boolean => /raw ring/i.test(impl);
const isLatency = (row: ModuleRow): boolean => (row.unit !== undefined ? /s$/.test(row.unit) && !/\/s$/.test(row.unit) : /ping|round.trip|latency|rtt/i.test(row.scenario ?? ''));

export function actorScenarios(report: ModuleReport | undefined, note?: string): ScenarioResult[] {
  const extra = note !== undefined ? { note } : {};
  // the matrix's scenarios first, in its order, then any other the module measures
  const groups = new Map<string, ModuleRow[]>(ACTOR_SCENARIOS.map((s) => [s.id, []]));
  for (const row of report?.rows ?? []) {
    const id = actorScenarioId(row);
    groups.set(id, [...(groups.get(id) ?? []), row]);
  }
  const out: ScenarioResult[] = [];
  for (const [id, rows] of groups) {
    const known = ACTOR_SCENARIOS.find((s) => s.id === id);
    const latency = known !== undefined ? known.better === 'lower' : rows.some(isLatency);
    const unit: Unit = known?.unit ?? (latency ? 'µs' : 'msgs/s');
    const pm = rows.find((r) => isProcmesh(r.impl ?? ''));
    const limit = rows.find((r) => isLimit(r.impl ?? ''));
    out.push({
      id,
      title: known?.title ?? `actors ${rows[0]?.scenario ?? id}`,
      unit,
      better: latency ? 'lower' : 'higher',
      procmesh: figure(pm, pm?.impl ?? 'procmesh'),
      peers: rows.filter((r) => r !== pm && r !== limit).map((r) => figure(r, r.impl ?? '?') as Figure),
      limit: figure(limit, limit?.impl ?? 'raw ring'),
      source: 'actors.bench',
      ...extra,
    });
  }
  return out;
}

function isFigure(f: Figure | undefined): f is Figure {
  return f !== undefined;
}
