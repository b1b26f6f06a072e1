/**
 * benchmarks/lib/parts.ts: the suite's parts, each run on its own in a child process
 * (`part-child.ts`) so that a part that hangs can be killed with its workers, and no part's
 * threads or heap linger into the next one's measurements.
 *
 * | part | what | from |
 * |---|---|---|
 * | core, ring, actors, net, nats | the benchmark modules' reports | `../{part}.bench.js` (`modules.ts`) |
 * | large | large messages over the worker host vs postMessage | `large.ts` |
 * | structured | ~10 MB structured values vs structuredClone; a word-count pipeline vs piscina | `structured.ts` |
 * | comlink, piscina | the peers no module measures | `peers/` |
 * | savina | Savina's micro benchmarks beside Erlang/OTP | `../savina/run.ts` |
 */
import { fork } from 'node:child_process';
import { runLargeBench, type LargeResult } from './large.js';
import { runStructuredBench, type StructuredResult } from './structured.js';
import { asReport, loadModule, type ModuleReport, type SuiteOptions } from './modules.js';
import { runComlinkPeer, type ComlinkPeerReport } from './peers/comlink.js';
import { runPiscinaPeer, type PiscinaPeerReport } from './peers/piscina.js';
import { runSavinaBench, type SavinaReport } from '../savina/run.js';

export const PARTS = ['core', 'ring', 'actors', 'large', 'structured', 'comlink', 'piscina', 'net', 'nats', 'savina'] as const;
export type PartName = (typeof PARTS)[number];

export interface PartResult {
  readonly core: ModuleReport;
  readonly ring: ModuleReport;
  readonly actors: ModuleReport;
  readonly large: readonly LargeResult[];
  readonly structured: StructuredResult;
  readonly comlink: ComlinkPeerReport;
  readonly piscina: PiscinaPeerReport;
  readonly net: ModuleReport;
  readonly nats: ModuleReport;
  readonly savina: SavinaReport;
}

/** Run `{name}.bench.js`'s `run*Bench`; undefined when the module does not exist. */
async function benchModule(name: string, options: SuiteOptions): Promise<ModuleReport | undefined> {
  const run = await loadModule(name);
  if (run === undefined) return undefined;
  return asReport(name, await run({ runs: options.runs, quick: options.quick }));
}

/** Run one part in this process; undefined when its module does not exist. */
export async function runPart(name: PartName, options: SuiteOptions): Promise<PartResult[PartName] | undefined> {
  switch (name) {
    case 'large':
      return runLargeBench(options);
    case 'structured':
      return runStructuredBench(options);
    case 'comlink':
      return runComlinkPeer(options);
    case 'piscina':
      return runPiscinaPeer(options);
    case 'savina':
      return runSavinaBench(options);
    default:
      return benchModule(name, options);
  }
}

/** What a part's child process sends back (structured clone over IPC). */
export type PartMessage = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

/**
 * Run one part in a child process, killed after `limitMs`. Resolves to the part's result
 * (undefined: its module does not exist); rejects when it fails, exits or times out.
 */
export function runPartInChild<N extends PartName>(name: N, options: SuiteOptions, limitMs: number): Promise<PartResult[N] | undefined> {
  return new Promise((resolve, reject) => {
    // the child's stdout goes to stderr: stdout carries only the suite's table
    const child = fork(new URL('./part-child.js', import.meta.url), [name, String(options.runs), options.quick ? 'quick' : 'default'], {
      serialization: 'advanced',
      stdio: ['ignore', 2, 2, 'ipc'],
    });
    let message: PartMessage | undefined;
    const timer = setTimeout(() => {
      message ??= { ok: false, error: `timed out after ${Math.round(limitMs / 1000)} s (killed)` };
      child.kill('SIGKILL');
    }, limitMs);
    child.on('message', (m: PartMessage) => (message ??= m));
    child.on('error', (err) => {
      message ??= { ok: false, error: err.message };
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const m = message ?? { ok: false, error: `the part's process exited (${signal ?? `code ${code}`}) without a result` };
      if (m.ok) resolve((m.value ?? undefined) as PartResult[N] | undefined);
      else reject(new Error(m.error));
    });
  });
}
