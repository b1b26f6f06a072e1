/**
 * run.ts: one run of the map-reduce job on a fresh `ProcHost`.
 *
 * The host has a restart policy (`restart`, HO-3): a worker whose mapper failed, or that died
 * from outside (`host.killProc`, out of memory under `resourceLimits`), is replaced by a fresh
 * worker with the same `ProcId`, and its mesh member is spawned again with its rank, under the
 * same id. The mappers form a mesh (`host.spawnMesh`); each round of the map step is one cast
 * to the live ranks (a chunk per rank, each member binding its rank); the results go to one accumulating port
 * (tally.ts). The coordinator (plain code on the main thread, its own client instance on proc 0)
 * keeps `window` chunks outstanding per live rank and knows which rank holds which chunk.
 *
 * Who re-sends the work a dead mapper held: the application, not the host. The restart policy
 * brings back the actor, not what was in flight: the chunk a dead worker was mapping and results
 * on their way back are gone with it; what it had queued comes back undeliverable only if the
 * worker lived to send it (RT-1 for a mapper that threw, LL-2 for its links), not when it was
 * terminated. Only the application knows which requests were in flight and that mapping a chunk
 * twice is harmless (the tally counts it once). So the coordinator marks the rank down on its `MeshFailure` (or
 * `proc-stopped`), and on `proc-restarted` re-sends what that rank held through the same mesh
 * ref, which reaches the new incarnation. Map messages that come back undeliverable (cast to a
 * proc that was going away) are re-sent the same way; a rank given up on (its restart intensity
 * exceeded) hands its chunks to the live ranks.
 */
import { ACTOR_PORT, ActorMesh, Point, type Instance, type ActorRef, type InstanceCell, type MeshFailure, type PortRef, type PortReceiver, type RestartIntensityOptions, type Undeliverable } from '@procmesh/core';
import { decodePayload } from '@procmesh/core/transport';
import { ProcHost, type InspectionEvent, type ProcHostOptions } from '@procmesh/worker-host';
import { MapperType, type ChunkResult, type MapperFault, type MapperMsg } from './actors.js';
import type { Display, ProcView } from './display.js';
import { emptyTally, tallyInto, type JobTally } from './tally.js';

const ACTORS = new URL('./actors.js', import.meta.url);

/** The failure injected during a run. */
export type Fault =
  /** The mapper that gets `chunk` throws, or exhausts its worker's heap (once). */
  | { readonly kind: MapperFault; readonly chunk: number }
  /** The busiest worker is terminated from outside (`host.killProc`) at `atFraction` of the job. */
  | { readonly kind: 'kill'; readonly atFraction: number };

export interface JobSpec {
  /** Count the primes below `size`. */
  readonly size: number;
  readonly chunks: number;
  /** Chunks outstanding per mapper. */
  readonly window: number;
  readonly fault: Fault | undefined;
  /** Give up when no result arrives for this long. */
  readonly stallMs: number;
  /** The host's restart policy (HO-3). */
  readonly restart: Required<RestartIntensityOptions>;
  /** Each worker's V8 heap bound (`resourceLimits.maxOldGenerationSizeMb`). */
  readonly heapMb: number;
  /** Print no line per failure and restart (the chaos benchmark's thousands). */
  readonly quiet?: boolean;
  /**
   * Called once the job runs, with its host (benchmarks/chaos.ts kills workers from it); the
   * function it returns is called when the job ends.
   */
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
  readonly failures: readonly string[];
  /** `proc-restarted` events. */
  readonly restarts: number;
  /** Chunks sent again after the rank holding them died or the message came back. */
  readonly resent: number;
  readonly duplicates: number;
  readonly givenUp: readonly number[];
  readonly procs: readonly ProcView[];
  /** Actor trees, one block of lines per proc (when asked for). */
  readonly trees: readonly string[];
}

interface Rank {
  readonly rank: number;
  readonly index: number;
  readonly procId: string;
  state: 'live' | 'restarting' | 'given up';
  /** Chunks sent to the current incarnation and not finished. */
  readonly outstanding: Set<number>;
  /** Chunks it held when it went down: re-sent to it once it is back (or to others if it is not). */
  held: number[];
  messages: number;
  restarts: number;
}

class Coordinator {
  private readonly ranks: Rank[];
  /** The rank a chunk is outstanding on, or -1. */
  private readonly owner: Int32Array;
  /** Chunks to hand to any live rank first (returned to a live rank, or from a rank given up on). */
  private readonly retry: number[] = [];
  private next = 0;
  private cursor = 0;
  private started = 0;
  private finished = 0;
  private closed = false;
  private faultPending: boolean;
  private kicked = false;
  private readonly slices = new Map<string, ActorMesh<MapperMsg>>();
  private readonly counts = { map: 0, casts: 0, returned: 0, resent: 0, restarts: 0 };
  private readonly failures: string[] = [];
  /** Rejects the run when no rank is left to map on. */
  private abort: (err: Error) => void = () => undefined;
  private readonly aborted = new Promise<never>((_, reject) => (this.abort = reject));

  constructor(
    private readonly host: ProcHost,
    private readonly spec: JobSpec,
    private readonly display: Display,
    private readonly label: string,
    private readonly cx: Instance<never>,
    private readonly mesh: ActorMesh<MapperMsg>,
    private readonly reply: PortRef<ChunkResult>,
    private readonly results: PortReceiver<JobTally>,
    private readonly tally: JobTally,
  ) {
    this.owner = new Int32Array(spec.chunks).fill(-1);
    this.faultPending = spec.fault !== undefined;
    this.ranks = mesh.refs.map((ref, rank) => ({
      rank,
      index: ref.actorId.proc.addr.port,
      procId: String(ref.actorId.proc),
      state: 'live',
      outstanding: new Set(),
      held: [],
      messages: 0,
      restarts: 0,
    }));
  }

  view(): { label: string; done: number; total: number; elapsedMs: number; messages: number; procs: ProcView[] } {
    const end = this.finished > 0 ? this.finished : performance.now();
    const elapsedMs = this.started > 0 ? end - this.started : 0;
    return {
      label: this.label,
      done: this.tally.doneCount,
      total: this.spec.chunks,
      elapsedMs,
      messages: this.counts.map + this.tally.results,
      procs: this.ranks.map((r) => ({
        index: r.index,
        procId: r.procId,
        state: r.state === 'live' && r.restarts > 0 ? `live ↻${r.restarts}` : r.state,
        chunks: this.tally.byRank[r.rank]?.chunks ?? 0,
        messages: r.messages,
        inFlight: r.outstanding.size,
        busy: (this.tally.byRank[r.rank]?.busyMs ?? 0) / Math.max(1, elapsedMs),
      })),
    };
  }

  /** Dispatch, then follow the tally until every chunk is in. */
  async run(): Promise<void> {
    this.started = performance.now();
    this.display.start(() => this.view());
    const stopDuring = this.spec.during?.(this.host);
    try {
      this.dispatch();
      while (this.tally.doneCount < this.spec.chunks) {
        await withTimeout(Promise.race([this.results.recv(), this.aborted]), this.spec.stallMs, () => this.stalled());
        this.onTally();
      }
      this.finished = performance.now();
    } finally {
      stopDuring?.();
      this.closed = true;
      if (this.finished === 0) this.finished = performance.now();
      this.display.stop();
    }
  }

  result(): Omit<RunResult, 'label' | 'initialProcs' | 'startupMs' | 'count' | 'sum' | 'trees'> {
    const { map, casts, returned, resent, restarts } = this.counts;
    const results = this.tally.results;
    return {
      wallMs: this.finished - this.started,
      messages: { map, casts, results, returned, total: map + results + returned },
      failures: this.failures,
      restarts,
      resent,
      duplicates: this.tally.duplicates,
      givenUp: this.ranks.filter((r) => r.state === 'given up').map((r) => r.index),
      procs: this.view().procs,
    };
  }

  private stalled(): Error {
    return new Error(`no result for ${this.spec.stallMs} ms; ${this.spec.chunks - this.tally.doneCount} chunk(s) missing`);
  }

  /** New results in the tally: free their ranks' slots, maybe inject the kill, refill. */
  private onTally(): void {
    for (; this.cursor < this.tally.order.length; this.cursor++) {
      const c = this.tally.order[this.cursor] as number;
      const r = this.owner[c] as number;
      if (r >= 0) this.ranks[r]?.outstanding.delete(c);
      this.owner[c] = -1;
    }
    const fault = this.spec.fault;
    if (fault?.kind === 'kill' && this.faultPending && this.tally.doneCount >= fault.atFraction * this.spec.chunks) {
      this.faultPending = false;
      const busiest = this.live().sort((a, b) => b.outstanding.size - a.outstanding.size)[0];
      if (busiest !== undefined) {
        this.display.note(`  ⚡ fault injection: proc ${busiest.index}'s worker terminated from outside (host.killProc)`);
        this.host.killProc(busiest.index).catch((err: unknown) => this.display.note(`  ✘ could not kill proc ${busiest.index}: ${String(err)}`));
      }
    }
    this.display.update();
    this.dispatch();
  }

  /**
   * One cast per round: each live rank with room gets one chunk (-1 for the others). A round
   * goes out when every live rank has room, or one has run dry, so casts stay full.
   */
  private dispatch(): void {
    for (;;) {
      if (this.closed) return;
      const live = this.live();
      const room = live.filter((r) => r.outstanding.size < this.spec.window);
      if (room.length === 0 || (room.length < live.length && !live.some((r) => r.outstanding.size === 0))) return;
      const chunks = new Array<number>(this.mesh.size).fill(-1);
      let fault: MapperMsg['fault'] = null;
      const to: Rank[] = [];
      for (const r of room) {
        const c = this.take();
        if (c < 0) break;
        chunks[r.rank] = c;
        fault ??= this.faultFor(c);
        this.assign(r, c);
        to.push(r);
      }
      if (to.length === 0) return;
      const slice = this.sliceOf(to);
      slice.cast(this.cx, { type: 'map', point: Point.unbound, chunks, total: this.spec.chunks, size: this.spec.size, fault, reply: this.reply });
      this.counts.casts++;
      this.counts.map += slice.size;
      for (const r of to) r.messages++;
    }
  }

  /**
   * The ranks of a round as a mesh of their own (a slice): a rank that is down or full gets no
   * message. Its members keep the points they were spawned with, so each binds its own rank.
   */
  private sliceOf(ranks: readonly Rank[]): ActorMesh<MapperMsg> {
    if (ranks.length === this.mesh.size) return this.mesh;
    const key = ranks.map((r) => r.rank).join(',');
    let slice = this.slices.get(key);
    if (slice === undefined) {
      slice = new ActorMesh(this.mesh.name, this.mesh.typeName, ranks.map((r) => this.mesh.refs[r.rank] as ActorRef<MapperMsg>));
      this.slices.set(key, slice);
    }
    return slice;
  }

  /** Re-send chunks to one rank, through its mesh ref (the same ref across its restarts). */
  private resend(r: Rank, chunks: readonly number[]): void {
    for (const c of chunks) {
      if (this.tally.done[c] === 1 || this.owner[c] !== -1) continue;
      const slots = new Array<number>(this.mesh.size).fill(-1);
      slots[r.rank] = c;
      this.assign(r, c);
      this.mesh.refs[r.rank]?.send(this.cx, { type: 'map', point: Point.unbound, chunks: slots, total: this.spec.chunks, size: this.spec.size, fault: null, reply: this.reply });
      this.counts.map++;
      this.counts.resent++;
      r.messages++;
    }
  }

  private faultFor(c: number): MapperMsg['fault'] {
    const fault = this.spec.fault;
    if (!this.faultPending || fault === undefined || (fault.kind !== 'throw' && fault.kind !== 'oom') || fault.chunk !== c) return null;
    this.faultPending = false;
    return { chunk: c, kind: fault.kind };
  }

  private assign(r: Rank, c: number): void {
    this.owner[c] = r.rank;
    r.outstanding.add(c);
  }

  private take(): number {
    while (this.retry.length > 0) {
      const c = this.retry.shift() as number;
      if (this.tally.done[c] === 0 && this.owner[c] === -1) return c;
    }
    while (this.next < this.spec.chunks) {
      const c = this.next++;
      if (this.tally.done[c] === 0 && this.owner[c] === -1) return c;
    }
    return -1;
  }

  private live(): Rank[] {
    return this.ranks.filter((r) => r.state === 'live');
  }

  private rankOfIndex(index: number): Rank | undefined {
    return this.ranks.find((r) => r.index === index);
  }

  /** A rank is down: what it held waits for its restart. */
  private down(r: Rank): void {
    if (r.state !== 'live') return;
    r.state = 'restarting';
    for (const c of r.outstanding) this.owner[c] = -1;
    r.held.push(...r.outstanding);
    r.outstanding.clear();
  }

  /** The mesh's failure event (AM-2): the ranks whose mapper failed or whose worker died. */
  onMeshFailure(f: MeshFailure): void {
    for (const [i, rank] of f.ranks.entries()) {
      const r = this.ranks[rank];
      const status = f.events[i]?.actorStatus;
      const error = status?.kind === 'failed' ? (status.error.split('\n')[0] ?? '') : String(status);
      if (r === undefined) continue;
      this.failures.push(`rank ${rank} (${r.procId}): ${error}`);
      this.down(r);
      if (this.spec.quiet !== true) {
        this.display.note(`  ⚠ mesh failure: rank ${rank}, ${this.mesh.refs[rank]}: ${error}`);
        this.display.note(`    its proc goes down with the ${r.held.length} chunk(s) it held; the restart policy brings it back`);
      }
    }
    this.dispatch();
  }

  onInspection(e: InspectionEvent): void {
    const quiet = this.spec.quiet === true;
    const r = this.rankOfIndex(e.proc);
    if (r === undefined) return;
    switch (e.type) {
      case 'proc-stopped':
        this.down(r);
        break;
      case 'proc-restarted': {
        // whatever was sent to the incarnations before this one is gone with them
        this.down(r);
        this.counts.restarts++;
        r.restarts++;
        r.state = 'live';
        const held = r.held;
        r.held = [];
        const before = this.counts.resent;
        this.resend(r, held);
        if (!quiet) {
          this.display.note(
            `  ✚ proc ${e.proc} restarted by the restart policy (same id ${e.procId}, restart ${e.restarts} in its window); ` +
              `its mapper is respawned as rank ${r.rank}; ${this.counts.resent - before} chunk(s) re-sent through the same ref`,
          );
        }
        this.dispatch();
        break;
      }
      case 'restart-intensity-exceeded': {
        this.down(r);
        r.state = 'given up';
        this.retry.push(...r.held);
        r.held = [];
        this.display.note(`  ✘ proc ${e.proc} given up: more than ${e.maxRestarts} restarts in ${e.withinMs} ms; its chunks go to the live ranks`);
        if (this.live().length === 0) this.abort(new Error(`every proc was given up on; ${this.spec.chunks - this.tally.doneCount} chunk(s) missing`));
        this.dispatch();
        break;
      }
    }
  }

  /**
   * A map message came back: its proc is going away (a return can arrive inside the `post` of a
   * cast, before the mesh failure: the rank goes down now, the refill waits for a later turn).
   */
  onReturned(u: Undeliverable): void {
    this.counts.returned++;
    const rank = this.mesh.rankOf(u.envelope.dest.actor);
    let msg: MapperMsg;
    try {
      msg = decodePayload(u.envelope.data) as MapperMsg;
    } catch {
      return;
    }
    const r = rank === undefined ? undefined : this.ranks[rank];
    const c = rank === undefined || msg?.type !== 'map' ? -1 : (msg.chunks[rank] ?? -1);
    if (r === undefined || c < 0 || this.owner[c] !== r.rank) return;
    this.owner[c] = -1;
    r.outstanding.delete(c);
    this.down(r);
    if (r.state === 'restarting') r.held.push(c);
    else this.retry.push(c);
    if (!this.kicked) {
      this.kicked = true;
      setImmediate(() => {
        this.kicked = false;
        this.dispatch();
      });
    }
  }
}

/** Start a host with `procs` workers, run the job, optionally collect the actor trees, shut down. */
export async function runJob(spec: JobSpec, procs: number, display: Display, label: string, withTrees: boolean): Promise<RunResult> {
  const t0 = performance.now();
  const options: ProcHostOptions = {
    procs,
    modules: [ACTORS],
    teardownTimeoutMs: 1000,
    restart: spec.restart,
    resourceLimits: { maxOldGenerationSizeMb: spec.heapMb },
  };
  const host = await ProcHost.start(options);
  // `--admin` / PROCMESH_ADMIN: the admin endpoint (docs/guide.md, "Watching a running system").
  if (host.admin !== undefined) console.log(`  admin endpoint: ${host.admin.addr} (${host.admin.url}/v1/root)`);
  try {
    // The coordinator's client instance on proc 0, with a bound Undeliverable port: map messages
    // that bounce come back to it. Results fold into one accumulating port (tally.ts).
    const [cx] = host.proc.instance('coordinator');
    const returned: Undeliverable[] = [];
    let onReturned: (u: Undeliverable) => void = (u) => returned.push(u);
    cx.mailbox.openEnqueuePort<Undeliverable>(ACTOR_PORT.UNDELIVERABLE, (u) => onReturned(u), 'Undeliverable').bind();
    const tally = emptyTally(spec.chunks, procs);
    const [resultPort, results] = cx.openAccumPort(tallyInto(tally));

    // One mapper per worker proc, as a mesh: rank r on proc r + 1.
    const mesh = await host.spawnMesh(MapperType, 'mapper', {});
    const startupMs = performance.now() - t0;

    const coordinator = new Coordinator(host, spec, display, label, cx, mesh, resultPort.bind(), results, tally);
    onReturned = (u) => coordinator.onReturned(u);
    for (const u of returned.splice(0)) coordinator.onReturned(u);
    mesh.onFailure((f) => coordinator.onMeshFailure(f));
    host.supervisor.inspect((e) => coordinator.onInspection(e));

    await coordinator.run();
    const trees = withTrees ? await actorTrees(host) : [];
    return { label, initialProcs: procs, startupMs, count: tally.count, sum: tally.sum, trees, ...coordinator.result() };
  } finally {
    await host.shutdown(1000);
  }
}

/** Every proc's actor tree: the main thread's proc, then each live worker proc. */
async function actorTrees(host: ProcHost): Promise<string[]> {
  const blocks: string[] = [];
  const main: string[] = [`  proc 0  ${host.proc.procId}  (main thread)`];
  host.proc.traverse((cell: InstanceCell, depth: number) => {
    main.push(treeLine(String(cell.actorId), depth, cell.typeName, String(cell.status.get()), cell.messagesProcessed));
  });
  blocks.push(main.join('\n'));
  for (const [i, procId] of host.procIds()) {
    const nodes = await host.tree(i).catch(() => []);
    blocks.push([`  proc ${i}  ${procId}`, ...nodes.map((n) => treeLine(n.actorId, n.depth, n.actorType, n.status, n.messagesProcessed))].join('\n'));
  }
  return blocks;
}

function treeLine(id: string, depth: number, type: string, status: string, processed: number): string {
  // client instances have no actor type ('()'): their status says what they are
  const what = type === '()' ? status : `${type}  ${status}`;
  return `    ${'  '.repeat(depth)}${depth > 0 ? '└─ ' : ''}${id}  ${what}  ${processed} msgs`;
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
