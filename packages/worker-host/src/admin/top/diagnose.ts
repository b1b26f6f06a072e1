/**
 * admin/top/diagnose.ts: `procmesh top --diagnose`: does every proc answer within a bound? The
 * check reads the root, then each proc's node in parallel, each request bounded by `boundMs`
 * (TP-1). A proc is healthy when its node came back, in time, with state `ready`; a proc that
 * timed out, answered an error (the endpoint's own `gateway_timeout` for a wedged worker, AD-7)
 * or is no longer ready (`gone` after a crash, `stopping`) is listed with the reason. The exit
 * code is what scripts read: 0 all healthy, 1 some proc not, 2 the endpoint itself unreadable.
 *
 * ## Invariants
 *
 * - TP-5: `ok` iff the root answered and every proc it lists is healthy; the report lists
 *   every proc, healthy or not, in the root's order.
 */
import { TopError, type AdminClient } from './client.js';

export interface ProcDiagnosis {
  readonly ref: string;
  readonly ok: boolean;
  readonly state: string | undefined;
  readonly answeredInMs: number;
  /** Why it is not healthy. */
  readonly problem: string | undefined;
}

export interface Diagnosis {
  readonly url: string;
  readonly ok: boolean;
  readonly boundMs: number;
  readonly procs: readonly ProcDiagnosis[];
  /** The endpoint itself could not be read. */
  readonly problem: string | undefined;
}

export const EXIT_OK = 0;
export const EXIT_UNHEALTHY = 1;
export const EXIT_UNREACHABLE = 2;

async function diagnoseProc(client: AdminClient, ref: string): Promise<ProcDiagnosis> {
  const began = performance.now();
  try {
    const node = await client.node(ref);
    const answeredInMs = performance.now() - began;
    if (!('Proc' in node.properties)) return { ref, ok: false, state: undefined, answeredInMs, problem: 'not a proc node' };
    const proc = node.properties.Proc;
    const problem = proc.state === 'ready' ? undefined : `state ${proc.state}${proc.stopped_reason !== null ? `: ${proc.stopped_reason}` : ''}`;
    return { ref, ok: problem === undefined, state: proc.state, answeredInMs, problem };
  } catch (err) {
    const answeredInMs = performance.now() - began;
    const problem = err instanceof TopError ? `${err.code}: ${err.message}` : String(err);
    return { ref, ok: false, state: undefined, answeredInMs, problem };
  }
}

/** TP-5 */
export async function diagnose(client: AdminClient, boundMs: number): Promise<Diagnosis> {
  let refs: readonly string[];
  try {
    refs = (await client.node('root')).children;
  } catch (err) {
    const problem = err instanceof TopError ? `${err.code}: ${err.message}` : String(err);
    return { url: client.url, ok: false, boundMs, procs: [], problem };
  }
  const procs = await Promise.all(refs.map((ref) => diagnoseProc(client, ref)));
  return { url: client.url, ok: procs.every((p) => p.ok), boundMs, procs, problem: undefined };
}

export function exitCode(d: Diagnosis): number {
  if (d.problem !== undefined) return EXIT_UNREACHABLE;
  return d.ok ? EXIT_OK : EXIT_UNHEALTHY;
}

/** The report a person reads: one line per proc, failing ones marked. */
export function formatDiagnosis(d: Diagnosis): string {
  if (d.problem !== undefined) return `procmesh top --diagnose ${d.url}: endpoint not readable: ${d.problem}\n`;
  const lines = d.procs.map((p) => `${p.ok ? 'ok  ' : 'FAIL'} ${p.ref} (${p.answeredInMs.toFixed(0)} ms)${p.problem !== undefined ? `: ${p.problem}` : ''}`);
  const failing = d.procs.filter((p) => !p.ok);
  const summary =
    failing.length === 0
      ? `all ${d.procs.length} procs answered within ${d.boundMs} ms`
      : `${failing.length} of ${d.procs.length} procs failing: ${failing.map((p) => p.ref).join(', ')}`;
  return `${lines.join('\n')}\n${summary}\n`;
}
