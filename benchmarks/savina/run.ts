/**
 * benchmarks/savina/run.ts: the `savina` part of the suite (`pnpm bench --only savina`): the
 * seven Savina micro benchmarks with Savina's default parameters (`common.ts`), each program in
 * four implementations measured interleaved, run 1 of each, then run 2 of each...:
 *
 * - `procmesh 1 proc`: one `Proc` on this thread; actors reach each other by `ActorRef`.
 * - `procmesh 2 worker procs`: a `ProcHost` with two worker procs; the program's actors are
 *   spread over them by slot (`place.ts`), all sends by `ActorRef`.
 * - `Erlang`: the same programs in Erlang/OTP (`erlang/savina.erl`) with the default
 *   schedulers, and with `+S 1` (one scheduler). Skipped with a note where `erl` cannot be had.
 *
 * Time is inside the runtime after set-up (actors spawned and wired before `go`; fjcreate's
 * creation is in the time, being the benchmark); every run verifies its result, and a run that
 * does not verify fails the part. `--quick` divides every count by 10.
 */
import { Proc, type Actor, type Instance } from '@procmesh/core';
import { ProcHost } from '@procmesh/worker-host';
import { median } from '../lib/stats.js';
import { setupBig } from './big.js';
import { setupChameneos } from './chameneos.js';
import { PROGRAMS, SAVINA_DEFAULTS, type ProgramName } from './common.js';
import { setupCount } from './count.js';
import { ErlNode, compileSavina, ensureErlang } from './erlang.js';
import { setupFjCreate } from './fjcreate.js';
import { setupFjThrput } from './fjthrput.js';
import { setupPingPong } from './pingpong.js';
import type { Kick, Place } from './place.js';
import { setupThreadRing } from './threadring.js';
import { SAVINA_TYPES } from './types.js';

export type SavinaImpl = 'procmesh 1 proc' | 'procmesh 2 worker procs' | 'Erlang' | 'Erlang +S 1';

export interface SavinaRow {
  readonly program: ProgramName;
  readonly impl: SavinaImpl;
  /** Median ms over the runs. */
  readonly median: number;
  readonly runs: readonly number[];
  readonly detail: string;
}

export interface SavinaReport {
  readonly params: Record<ProgramName, Record<string, number>>;
  readonly rows: readonly SavinaRow[];
  /** Erlang's default schedulers online (undefined when Erlang was skipped). */
  readonly erlangSchedulers: number | undefined;
  readonly notes: readonly string[];
}

export interface SavinaOptions {
  readonly runs: number;
  readonly quick: boolean;
  /** Only these programs (default: all). */
  readonly programs?: readonly ProgramName[];
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

function params(quick: boolean): Record<ProgramName, Record<string, number>> {
  const out = {} as Record<ProgramName, Record<string, number>>;
  for (const name of PROGRAMS) {
    const p: Record<string, number> = { ...SAVINA_DEFAULTS[name] };
    if (quick) for (const k of Object.keys(p)) if (p[k]! >= 10_000) p[k] = Math.floor(p[k]! / 10);
    out[name] = p;
  }
  return out;
}

function setup(name: ProgramName, place: Place, p: Record<string, number>): Promise<Kick> {
  const q = p as never;
  switch (name) {
    case 'pingpong':
      return setupPingPong(place, q);
    case 'count':
      return setupCount(place, q);
    case 'threadring':
      return setupThreadRing(place, q);
    case 'chameneos':
      return setupChameneos(place, q);
    case 'big':
      return setupBig(place, q);
    case 'fjthrput':
      return setupFjThrput(place, q);
    case 'fjcreate':
      return setupFjCreate(place, q);
  }
}

/** The Erlang command line of a program: its parameters in savina.erl's order. */
function erlCommand(name: ProgramName, p: Record<string, number>): string {
  const order: Record<ProgramName, readonly string[]> = {
    pingpong: ['n'],
    count: ['n'],
    threadring: ['actors', 'hops'],
    chameneos: ['chameneos', 'meetings'],
    big: ['actors', 'pings'],
    fjthrput: ['actors', 'messages'],
    fjcreate: ['actors'],
  };
  return [name, ...order[name].map((k) => String(p[k]))].join(' ');
}

let names = 0;

/** Set up, run and verify one program; ms inside the runtime. */
async function runOnce(name: ProgramName, place: Place, p: Record<string, number>): Promise<{ ms: number; detail: string }> {
  const k = await setup(name, place, p);
  k.go();
  const { starts, dones } = await k.result;
  const bad = dones.find((d) => !d.ok);
  if (bad !== undefined) throw new Error(`${name} did not verify: ${bad.detail}`);
  return { ms: Math.max(...dones.map((d) => d.end)) - Math.min(...starts), detail: dones.map((d) => d.detail).join('; ') };
}

async function oneProc(name: ProgramName, p: Record<string, number>): Promise<{ ms: number; detail: string }> {
  const proc = Proc.local();
  const [client] = proc.instance('client');
  const place: Place = {
    procs: 1,
    client: client as Instance<never>,
    spawn: <M>(_slot: number, type: string, params: unknown) =>
      Promise.resolve(proc.spawn(`${type}-${names++}`, (SAVINA_TYPES[type] as (p: unknown) => Actor<M>)(params)).bind()),
  };
  try {
    return await runOnce(name, place, p);
  } finally {
    await proc.destroyAndWait(2000);
  }
}

function workerPlace(host: ProcHost, procs: number): Place {
  return {
    procs,
    client: host.client,
    spawn: <M>(slot: number, type: string, params: unknown) => host.spawn<M>((slot % procs) + 1, type, `${type}-${names++}`, params),
  };
}

export async function runSavinaBench(options: SavinaOptions): Promise<SavinaReport> {
  const p = params(options.quick);
  const programs = options.programs ?? PROGRAMS;
  const notes: string[] = [];
  const missing = ensureErlang(log);
  let erl: ErlNode | undefined;
  let erl1: ErlNode | undefined;
  let erlangSchedulers: number | undefined;
  if (missing !== undefined) notes.push(`Erlang skipped: ${missing}`);
  else {
    const beams = compileSavina();
    erl = new ErlNode(beams);
    erl1 = new ErlNode(beams, 1);
    [erlangSchedulers] = await Promise.all([erl.ready, erl1.ready]);
  }
  const host = await ProcHost.start({ procs: 2, modules: [new URL('./worker-actors.js', import.meta.url)] });
  const runs = new Map<string, { ms: number[]; detail: string }>();
  const record = (program: ProgramName, impl: SavinaImpl, ms: number, detail: string): void => {
    const key = `${program}|${impl}`;
    const r = runs.get(key) ?? { ms: [], detail };
    r.ms.push(ms);
    runs.set(key, r);
  };
  try {
    for (let run = 0; run < options.runs; run++) {
      for (const name of programs) {
        const one = await oneProc(name, p[name]);
        record(name, 'procmesh 1 proc', one.ms, one.detail);
        const two = await runOnce(name, workerPlace(host, 2), p[name]);
        record(name, 'procmesh 2 worker procs', two.ms, two.detail);
        for (const [node, impl] of [
          [erl, 'Erlang'],
          [erl1, 'Erlang +S 1'],
        ] as const) {
          if (node === undefined) continue;
          const r = await node.run(erlCommand(name, p[name]));
          if (!r.ok) throw new Error(`${impl} ${name} did not verify: ${r.detail}`);
          record(name, impl, r.us / 1000, r.detail);
        }
        log(`[savina] run ${run + 1}/${options.runs} ${name}: 1 proc ${one.ms.toFixed(1)} ms, 2 procs ${two.ms.toFixed(1)} ms${erl !== undefined ? `, Erlang ${runs.get(`${name}|Erlang`)!.ms.at(-1)!.toFixed(1)} / +S 1 ${runs.get(`${name}|Erlang +S 1`)!.ms.at(-1)!.toFixed(1)} ms` : ''}`);
      }
    }
  } finally {
    erl?.close();
    erl1?.close();
    await host.shutdown();
  }
  const rows: SavinaRow[] = [];
  for (const [key, r] of runs) {
    const [program, impl] = key.split('|') as [ProgramName, SavinaImpl];
    rows.push({ program, impl, median: median(r.ms), runs: r.ms, detail: r.detail });
  }
  return { params: p, rows, erlangSchedulers, notes };
}

/** The Savina table: ms per implementation and procmesh's ratio to Erlang (> 1: procmesh slower). */
export function savinaTable(report: SavinaReport): string {
  const ms = (program: ProgramName, impl: SavinaImpl): number | undefined => report.rows.find((r) => r.program === program && r.impl === impl)?.median;
  const f = (v: number | undefined): string => (v === undefined ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}x`);
  const s = report.erlangSchedulers;
  const lines = [
    `| benchmark (Savina defaults) | procmesh 1 proc, ms | Erlang +S 1, ms | ratio | procmesh 2 worker procs, ms | Erlang${s !== undefined ? ` (${s} schedulers)` : ''}, ms | ratio |`,
    '|---|---|---|---|---|---|---|',
  ];
  for (const program of PROGRAMS) {
    if (!report.rows.some((r) => r.program === program)) continue;
    const one = ms(program, 'procmesh 1 proc');
    const two = ms(program, 'procmesh 2 worker procs');
    const e1 = ms(program, 'Erlang +S 1');
    const e = ms(program, 'Erlang');
    const params = Object.entries(report.params[program]).map(([k, v]) => `${k} ${v}`).join(', ');
    lines.push(`| ${program} (${params}) | ${f(one)} | ${f(e1)} | ${ratio(one, e1)} | ${f(two)} | ${f(e)} | ${ratio(two, e)} |`);
  }
  for (const note of report.notes) lines.push('', note);
  return lines.join('\n');
}
