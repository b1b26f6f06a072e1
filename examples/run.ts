/**
 * run.ts: one run of the map-reduce job on a fresh `ProcHost`.
 *
 * The host has a restart policy (`restart`, HO-3): a worker whose mapper failed, or that died
 * from outside (`host.killProc`, out of memory under `resourceLimits`), is replaced by a fresh
 * worker with the same `ProcId`, and its mesh member is spawned again with its rank, under the
 * same id. The mappers form a mesh (`host.spawnMesh`); each round of the map step is one cast to
 * the live ranks with room (a chunk per rank, each member binding its rank); the results go to
 * one accumulating port (tally.ts). The coordinator (plain code on the main thread, a client
 * instance on proc 0) keeps `window` chunks outstanding per live rank.
 *
 * Who re-sends the work a dead mapper held: the application, not the host. The restart policy
 * brings back the actor, not what was in flight: the chunk a dead worker was mapping and results
 * on their way back are gone with it; what it had queued comes back undeliverable only if the
 * worker lived to send it (RT-1 for a mapper that threw, LL-2 for its links), not when it was
 * terminated. Only the application knows which requests were in flight and that mapping a chunk
 * twice is harmless (the tally counts it once). So a rank that goes down (its `MeshFailure`,
 * `proc-stopped`, or a map message returned) keeps the chunks it held, and on `proc-restarted`
 * the coordinator re-sends them through the same mesh ref, which reaches the new incarnation. A
 * rank given up on (its restart intensity exceeded) hands its chunks to the live ranks.
 */
import { ACTOR_PORT, ActorMesh, Point, type ActorRef, type Instance, type InstanceCell, type MeshFailure, type PortRef, type PortReceiver, type RestartIntensityOptions, type Undeliverable } from '@procmesh/core';
import { ProcHost, type InspectionEvent } from '@procmesh/worker-host';
import { MapperType, type ChunkResult, type MapperMsg } from './actors.js';
import type { Display, RunView } from './display.js';
import { tallyOf, type JobTally } from './tally.js';

/**
 * The failure injected during a run, once: the mapper that gets chunk `at` throws (or exhausts
 * its worker's heap), or the busiest worker is terminated from outside once `at` chunks are done.
 */
export interface Fault {
  readonly kind: 'throw' | 'oom' | 'kill';
  readonly at: number;
}

export interface JobSpec {
  /** Count the primes below `size`, in `chunks` chunks, `window` of them outstanding per mapper. */
  readonly size: number;
  readonly chunks: number;
  readonly window: number;
  readonly fault: Fault | undefined;
  /** Give up when no result arrives for this long. */
  readonly stallMs: number;
  /** The host's restart policy (HO-3), and each worker's V8 heap bound (`resourceLimits`). */
  readonly restart: Required<RestartIntensityOptions>;
  readonly heapMb: number;
  /** Print no line per failure and restart (the chaos benchmark's thousands). */
  readonly quiet?: boolean;
  /** Called once the job runs (benchmarks/chaos.ts kills workers); what it returns, when it ends. */
  readonly during?: (host: ProcHost) => () => void;
}

export interface RunResult {
  readonly label: string;
  readonly initialProcs: number;
  readonly startupMs: number;
  /** First dispatch to the last chunk's result. */
  readonly wallMs: number;
  readonly count: number;
  readonly sum: number;
  readonly messages: { readonly map: number; readonly casts: number; readonly results: number; readonly returned: number; readonly total: number };
  readonly meshFailures: number;
  /** `proc-restarted` events; chunks sent again after the rank holding them died; results counted once. */
  readonly restarts: number;
  readonly resent: number;
  readonly duplicates: number;
  readonly givenUp: readonly number[];
  /** Actor trees, one block of lines per proc (when asked for). */
  readonly trees: readonly string[];
}

interface Rank {
  readonly rank: number;
  /** Its proc's index on the host. */
  readonly index: number;
  readonly ref: ActorRef<MapperMsg>;
  state: 'live' | 'restarting' | 'given up';
  /** Chunks sent to it and not finished: kept while it is down, re-sent when it is back. */
  readonly held: Set<number>;
  messages: number;
  restarts: number;
}

class Coordinator {
  readonly ranks: Rank[];
  /** Chunks of a rank given up on, for any live rank. */
  private readonly retry: number[] = [];
  private next = 0;
  private seen = 0;
  started = 0;
  finished = 0;
  private faultPending: boolean;
  readonly counts = { map: 0, casts: 0, returned: 0, resent: 0, restarts: 0, meshFailures: 0 };
  /** Rejects the run when no rank is left to map on, or nothing arrives for `stallMs`. */
  private abort: (err: Error) => void = () => undefined;
  private readonly aborted = new Promise<never>((_, reject) => (this.abort = reject));

  constructor(
    private readonly host: ProcHost,
    private readonly spec: JobSpec,
    private readonly display: Display,
    private readonly cx: Instance<never>,
    private readonly mesh: ActorMesh<MapperMsg>,
    private readonly reply: PortRef<ChunkResult>,
    private readonly tally: JobTally,
  ) {
    this.faultPending = spec.fault !== undefined;
    this.ranks = mesh.refs.map((ref, rank) => ({ rank, index: ref.actorId.proc.addr.port, ref, state: 'live', held: new Set(), messages: 0, restarts: 0 }));
  }

  view(): RunView {
    const elapsedMs = this.started === 0 ? 0 : (this.finished || performance.now()) - this.started;
    const procs = this.ranks.map((r) => ({
      index: r.index,
      procId: String(r.ref.actorId.proc),
      state: r.state === 'live' && r.restarts > 0 ? `live ↻${r.restarts}` : r.state,
      chunks: this.tally.byRank[r.rank]?.chunks ?? 0,
      messages: r.messages,
      inFlight: r.held.size,
      busy: (this.tally.byRank[r.rank]?.busyMs ?? 0) / Math.max(1, elapsedMs),
    }));
    return { done: this.tally.order.length, total: this.spec.chunks, elapsedMs, messages: this.counts.map + this.tally.results, procs };
  }

  /** Dispatch, then follow the tally until every chunk is in. */
  async run(results: PortReceiver<JobTally>): Promise<void> {
    this.started = performance.now();
    this.display.start(() => this.view());
    const stopDuring = this.spec.during?.(this.host);
    const missing = (): number => this.spec.chunks - this.tally.order.length;
    const stall = setTimeout(() => this.abort(new Error(`no result for ${this.spec.stallMs} ms; ${missing()} chunk(s) missing`)), this.spec.stallMs);
    try {
      this.dispatch();
      while (missing() > 0) {
        await Promise.race([results.recv(), this.aborted]);
        stall.refresh();
        this.onTally();
      }
    } finally {
      clearTimeout(stall);
      stopDuring?.();
      this.finished = performance.now();
      this.display.stop();
    }
  }

  /** New results in the tally: free their slots, maybe inject the kill, refill. */
  private onTally(): void {
    for (; this.seen < this.tally.order.length; this.seen++) for (const r of this.ranks) r.held.delete(this.tally.order[this.seen] as number);
    const fault = this.spec.fault;
    if (fault?.kind === 'kill' && this.faultPending && this.tally.order.length >= fault.at) {
      this.faultPending = false;
      const busiest = this.live().sort((a, b) => b.held.size - a.held.size)[0];
      if (busiest !== undefined) {
        this.display.note(`  ⚡ fault injection: proc ${busiest.index}'s worker terminated from outside (host.killProc)`);
        this.host.killProc(busiest.index).catch((err: unknown) => this.display.note(`  ✘ could not kill proc ${busiest.index}: ${String(err)}`));
      }
    }
    this.display.update();
    this.dispatch();
  }

  /**
   * One cast per round, to the live ranks with room (a slice of the mesh: its members keep the
   * points they were spawned with, so each binds its own rank). A round goes out when every live
   * rank has room, or one has run dry, so casts stay full.
   */
  private dispatch(): void {
    while (this.finished === 0) {
      const live = this.live();
      const room = live.filter((r) => r.held.size < this.spec.window);
      if (room.length === 0 || (room.length < live.length && live.every((r) => r.held.size > 0))) return;
      const chunks = new Array<number>(this.mesh.size).fill(-1);
      const to: Rank[] = [];
      for (const r of room) {
        const c = this.take();
        if (c < 0) break;
        chunks[r.rank] = c;
        r.held.add(c);
        to.push(r);
      }
      if (to.length === 0) return;
      const slice = to.length === this.mesh.size ? this.mesh : new ActorMesh(this.mesh.name, this.mesh.typeName, to.map((r) => r.ref));
      this.counts.casts++;
      this.counts.map += to.length;
      for (const r of to) r.messages++;
      slice.cast(this.cx, this.mapMessage(chunks));
    }
  }

  /** A map message (`chunks[rank]` for each rank, -1 for none); the injected throw or oom rides on the first with its chunk. */
  private mapMessage(chunks: number[]): MapperMsg {
    const f = this.spec.fault;
    const fault = f !== undefined && f.kind !== 'kill' && this.faultPending && chunks.includes(f.at) ? { chunk: f.at, kind: f.kind } : null;
    if (fault !== null) this.faultPending = false;
    return { type: 'map', point: Point.unbound, chunks, total: this.spec.chunks, size: this.spec.size, fault, reply: this.reply };
  }

  private take(): number {
    while (this.retry.length > 0) {
      const c = this.retry.shift() as number;
      if (this.tally.done[c] === 0) return c;
    }
    return this.next < this.spec.chunks ? this.next++ : -1;
  }

  private live(): Rank[] {
    return this.ranks.filter((r) => r.state === 'live');
  }

  /** A rank is down: it keeps what it held until its restart. */
  private down(r: Rank | undefined): void {
    if (r?.state === 'live') r.state = 'restarting';
  }

  /** The mesh's failure event (AM-2): the ranks whose mapper failed or whose worker died. */
  onMeshFailure(f: MeshFailure): void {
    for (const [i, rank] of f.ranks.entries()) {
      const r = this.ranks[rank] as Rank;
      const status = f.events[i]?.actorStatus;
      const error = status?.kind === 'failed' ? (status.error.split('\n')[0] ?? '') : String(status);
      this.counts.meshFailures++;
      this.down(r);
      if (this.spec.quiet === true) continue;
      this.display.note(`  ⚠ mesh failure: rank ${rank}, ${r.ref}: ${error}`);
      this.display.note(`    its proc goes down with the ${r.held.size} chunk(s) it held; the restart policy brings it back`);
    }
    this.dispatch();
  }

  onInspection(e: InspectionEvent): void {
    const r = this.ranks.find((x) => x.index === e.proc);
    if (r === undefined) return;
    if (e.type === 'proc-stopped') this.down(r);
    else if (e.type === 'proc-restarted') {
      // what was sent to the incarnations before this one is gone with them: again, by the same ref
      const again = [...r.held].filter((c) => this.tally.done[c] === 0);
      for (const c of again) r.ref.send(this.cx, this.mapMessage(this.mesh.refs.map((_, rank) => (rank === r.rank ? c : -1))));
      r.state = 'live';
      r.restarts++;
      r.messages += again.length;
      this.counts.restarts++;
      this.counts.map += again.length;
      this.counts.resent += again.length;
      if (this.spec.quiet !== true) {
        this.display.note(
          `  ✚ proc ${e.proc} restarted by the restart policy (same id ${e.procId}, restart ${e.restarts} in its window); ` +
            `its mapper is respawned as rank ${r.rank}; ${again.length} chunk(s) re-sent through the same ref`,
        );
      }
      this.dispatch();
    } else if (e.type === 'restart-intensity-exceeded') {
      r.state = 'given up';
      this.retry.push(...r.held);
      r.held.clear();
      this.display.note(`  ✘ proc ${e.proc} given up: more than ${e.maxRestarts} restarts in ${e.withinMs} ms; its chunks go to the live ranks`);
      if (this.live().length === 0) this.abort(new Error(`every proc was given up on; ${this.spec.chunks - this.tally.order.length} chunk(s) missing`));
      this.dispatch();
    }
  }

  /** A map message came back: its proc is going away (this can happen inside a cast's `post`, before the mesh failure). */
  onReturned(u: Undeliverable): void {
    this.counts.returned++;
    const rank = this.mesh.rankOf(u.envelope.dest.actor);
    if (rank !== undefined) this.down(this.ranks[rank]);
  }
}

/** Start a host with `procs` workers, run the job, optionally collect the actor trees, shut down. */
export async function runJob(spec: JobSpec, procs: number, display: Display, label: string, withTrees: boolean): Promise<RunResult> {
  const t0 = performance.now();
  const modules = [new URL('./actors.js', import.meta.url)];
  const host = await ProcHost.start({ procs, modules, teardownTimeoutMs: 1000, restart: spec.restart, resourceLimits: { maxOldGenerationSizeMb: spec.heapMb } });
  // `--admin` / PROCMESH_ADMIN: the admin endpoint (docs/guide.md, "Watching a running system").
  if (host.admin !== undefined) console.log(`  admin endpoint: ${host.admin.addr} (${host.admin.url}/v1/root)`);
  try {
    // The coordinator's client instance on proc 0; results fold into one accumulating port.
    const [cx] = host.proc.instance('coordinator');
    const [tally, accumulator] = tallyOf(spec.chunks);
    const [reply, results] = cx.openAccumPort(accumulator);
    const mesh = await host.spawnMesh(MapperType, 'mapper', {}); // rank r on proc r + 1
    const startupMs = performance.now() - t0;
    const c = new Coordinator(host, spec, display, cx, mesh, reply.bind(), tally);
    // map messages that bounce come back to the coordinator's Undeliverable port
    cx.mailbox.openEnqueuePort<Undeliverable>(ACTOR_PORT.UNDELIVERABLE, (u) => c.onReturned(u), 'Undeliverable').bind();
    mesh.onFailure((f) => c.onMeshFailure(f));
    host.supervisor.inspect((e) => c.onInspection(e));
    await c.run(results);
    const trees = withTrees ? await actorTrees(host) : [];
    const { map, casts, returned, ...counts } = c.counts;
    const messages = { map, casts, results: tally.results, returned, total: map + tally.results + returned };
    const givenUp = c.ranks.filter((r) => r.state === 'given up').map((r) => r.index);
    return { label, initialProcs: procs, startupMs, wallMs: c.finished - c.started, count: tally.count, sum: tally.sum, duplicates: tally.duplicates, messages, givenUp, trees, ...counts };
  } finally {
    await host.shutdown(1000);
  }
}

/** Every proc's actor tree: the main thread's proc, then each live worker proc. */
async function actorTrees(host: ProcHost): Promise<string[]> {
  // client instances have no actor type ('()'): their status says what they are
  const line = (id: string, depth: number, type: string, status: string, processed: number): string =>
    `    ${'  '.repeat(depth)}${depth > 0 ? '└─ ' : ''}${id}  ${type === '()' ? status : `${type}  ${status}`}  ${processed} msgs`;
  const main = [`  proc 0  ${host.proc.procId}  (main thread)`];
  host.proc.traverse((cell: InstanceCell, depth: number) => main.push(line(String(cell.actorId), depth, cell.typeName, String(cell.status.get()), cell.messagesProcessed)));
  const blocks = [main.join('\n')];
  for (const [i, procId] of host.procIds()) {
    const nodes = await host.tree(i).catch(() => []);
    blocks.push([`  proc ${i}  ${procId}`, ...nodes.map((n) => line(n.actorId, n.depth, n.actorType, n.status, n.messagesProcessed))].join('\n'));
  }
  return blocks;
}
