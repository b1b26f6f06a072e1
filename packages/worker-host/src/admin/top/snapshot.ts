/**
 * admin/top/snapshot.ts: one reading of a host's whole tree through its admin endpoint, the
 * model `procmesh top` draws and `--json` prints: the root, each proc (its node, or the error it
 * answered with), and under each proc its actors as a tree (a proc's children, then each actor's
 * supervised children, as the endpoint lists them).
 *
 * The reading walks the tree level by level, every node of a level in parallel (the client
 * bounds how many requests are in flight, TP-2). A proc or actor that fails to answer becomes a
 * node with its `error`: one slow proc shows as slow, the rest of the tree is still read.
 *
 * ## Invariants
 *
 * - TP-3: a snapshot names every proc the root lists, in the root's order, each with its node
 *   or its error, and every actor reachable from them exactly once (a reference seen twice is
 *   read once).
 */
import type { ActorProperties, NodePayload, ProcProperties, RootProperties } from '../nodes.js';
import { TopError, type AdminClient } from './client.js';

export interface NodeError {
  readonly code: string;
  readonly message: string;
}

export interface ActorView {
  /** The actor reference (`local:1,proc_1,worker[0]`). */
  readonly ref: string;
  /** The reference less its proc's (`worker[0]`). */
  readonly name: string;
  readonly actor: ActorProperties | undefined;
  /** The node's `as_of` in ms since the epoch: a rate's time base. */
  readonly asOf: number;
  readonly error: NodeError | undefined;
  readonly children: readonly ActorView[];
}

export interface ProcView {
  readonly ref: string;
  readonly proc: ProcProperties | undefined;
  readonly error: NodeError | undefined;
  /** How long the proc's node took to answer (ms). */
  readonly answeredInMs: number;
  readonly actors: readonly ActorView[];
}

export interface Snapshot {
  readonly url: string;
  readonly takenAt: string;
  readonly root: RootProperties;
  readonly procs: readonly ProcView[];
}

const errorOf = (err: unknown): NodeError =>
  err instanceof TopError ? { code: err.code, message: err.message } : { code: 'internal_error', message: err instanceof Error ? err.message : String(err) };

/** The part of `ref` after `procRef,` (the actor's name within its proc). */
export function actorName(ref: string, procRef: string): string {
  return ref.startsWith(`${procRef},`) ? ref.slice(procRef.length + 1) : ref;
}

/** Read the whole tree once (TP-3). */
export async function takeSnapshot(client: AdminClient): Promise<Snapshot> {
  const root = await client.node('root');
  if (!('Root' in root.properties)) throw new TopError('bad_response', `/v1/root is not a root node`);
  const seen = new Set<string>();
  const procs = await Promise.all(root.children.map((ref) => readProc(client, ref, seen)));
  return { url: client.url, takenAt: new Date().toISOString(), root: root.properties.Root, procs };
}

async function readProc(client: AdminClient, ref: string, seen: Set<string>): Promise<ProcView> {
  const began = performance.now();
  let node: NodePayload;
  try {
    node = await client.node(ref);
  } catch (err) {
    return { ref, proc: undefined, error: errorOf(err), answeredInMs: performance.now() - began, actors: [] };
  }
  const answeredInMs = performance.now() - began;
  if (!('Proc' in node.properties)) return { ref, proc: undefined, error: { code: 'bad_response', message: `${ref} is not a proc node` }, answeredInMs, actors: [] };
  const actors = await readActors(client, node.children, ref, seen);
  return { ref, proc: node.properties.Proc, error: undefined, answeredInMs, actors };
}

async function readActors(client: AdminClient, refs: readonly string[], procRef: string, seen: Set<string>): Promise<ActorView[]> {
  const fresh = refs.filter((ref) => !seen.has(ref));
  for (const ref of fresh) seen.add(ref);
  return Promise.all(fresh.map((ref) => readActor(client, ref, procRef, seen)));
}

async function readActor(client: AdminClient, ref: string, procRef: string, seen: Set<string>): Promise<ActorView> {
  const name = actorName(ref, procRef);
  let node: NodePayload;
  try {
    node = await client.node(ref);
  } catch (err) {
    return { ref, name, actor: undefined, asOf: Date.now(), error: errorOf(err), children: [] };
  }
  const asOf = Date.parse(node.as_of);
  if (!('Actor' in node.properties)) return { ref, name, actor: undefined, asOf, error: { code: 'bad_response', message: `${ref} is not an actor node` }, children: [] };
  const children = await readActors(client, node.children, procRef, seen);
  return { ref, name, actor: node.properties.Actor, asOf, error: undefined, children };
}

/** Every actor of a snapshot, depth first (each once, TP-3). */
export function* allActors(snapshot: Snapshot): Generator<ActorView> {
  const walk = function* (actors: readonly ActorView[]): Generator<ActorView> {
    for (const a of actors) {
      yield a;
      yield* walk(a.children);
    }
  };
  for (const p of snapshot.procs) yield* walk(p.actors);
}
