/**
 * run.ts: one run of the map-reduce job on a fresh `ProcHost`.
 *
 * The coordinator (plain code on the main thread, sending as its own client instance on proc 0)
 * keeps a window of `window` chunks outstanding on every live mapper, refilling a proc as the
 * reducer reports its chunks done. It tracks which proc holds which chunk, so that when the
 * supervisor reports a failure (the failure policy then tears that worker down, dropping what it
 * held) the lost chunks go back in the queue, to the live procs and to a replacement proc it
 * starts with `host.addProc()`. Map messages that come back undeliverable (sent to a proc that
 * was going away) land on the coordinator's bound `Undeliverable` port and are re-queued too.
 */
import { ACTOR_PORT, type ActorRef, type Instance, type InstanceCell, type PortReceiver, type Undeliverable } from '@procmesh/core';
import { decodePayload } from '@procmesh/core/transport';
import { ProcHost, type InspectionEvent, type SupervisionFailure } from '@procmesh/worker-host';
import { Reducer, type MapperMsg, type ReducerMsg, type Report } from './actors.js';
import type { Display, ProcView } from './display.js';
import { chunkRange } from './primes.js';

const ACTORS = new URL('./actors.js', import.meta.url);

export interface JobSpec {
  /** Count the primes below `size`. */
  readonly size: number;
  readonly chunks: number;
  /** Chunks outstanding per mapper. */
  readonly window: number;
  /** The chunk whose first run throws (undefined: no failure injected). */
  readonly failChunk: number | undefined;
  /** Give up when no report arrives for this long. */
  readonly stallMs: number;
  readonly transport: 'ring' | 'port';
}

export interface RunResult {
  readonly label: string;
  readonly initialProcs: number;
  readonly startupMs: number;
  /** First dispatch to the reducer's result. */
  readonly wallMs: number;
  readonly count: number;
  readonly sum: number;
  readonly messages: { readonly map: number; readonly partial: number; readonly report: number; readonly returned: number; readonly total: number };
  readonly failures: readonly string[];
  readonly replacements: number;
  readonly redispatched: number;
  readonly duplicates: number;
  readonly procs: readonly ProcView[];
  /** Actor trees, one block of lines per proc (when asked for). */
  readonly trees: readonly string[];
}

interface ProcState {
  readonly index: number;
  readonly procId: string;
  readonly mapper: ActorRef<MapperMsg>;
  state: string;
  readonly outstanding: Set<number>;
  chunks: number;
  messages: number;
  busyMs: number;
  readonly since: number;
  until: number | undefined;
}

class Coordinator {
  private readonly procs = new Map<number, ProcState>();
  /** The proc a chunk is outstanding on, or -1. */
  private readonly owner: Int32Array;
  private readonly done: Uint8Array;
  private readonly queued: Uint8Array;
  private readonly retry: number[] = [];
  private next = 0;
  private doneCount = 0;
  private injected = false;
  private started = 0;
  private finished = 0;
  private readonly counts = { map: 0, partial: 0, report: 0, returned: 0 };
  private readonly failures: string[] = [];
  private readonly replacing: Promise<void>[] = [];
  private redispatched = 0;
  private closed = false;

  constructor(
    private readonly host: ProcHost,
    private readonly spec: JobSpec,
    private readonly display: Display,
    private readonly label: string,
    private readonly cx: Instance<never>,
    private readonly reducer: ActorRef<ReducerMsg>,
    private readonly reports: PortReceiver<Report>,
  ) {
    this.owner = new Int32Array(spec.chunks).fill(-1);
    this.done = new Uint8Array(spec.chunks);
    this.queued = new Uint8Array(spec.chunks);
  }

  addMapper(index: number, mapper: ActorRef<MapperMsg>, state = 'live'): ProcState {
    const procId = String(mapper.actorId.proc);
    const p: ProcState = { index, procId, mapper, state, outstanding: new Set(), chunks: 0, messages: 0, busyMs: 0, since: performance.now(), until: undefined };
    this.procs.set(index, p);
    return p;
  }

  view(): { label: string; done: number; total: number; elapsedMs: number; messages: number; procs: ProcView[] } {
    const end = this.finished > 0 ? this.finished : performance.now();
    return {
      label: this.label,
      done: this.doneCount,
      total: this.spec.chunks,
      elapsedMs: this.started > 0 ? end - this.started : 0,
      messages: this.counts.map + this.counts.partial + this.counts.report,
      procs: [...this.procs.values()].map((p) => ({
        index: p.index,
        procId: p.procId,
        state: p.state,
        chunks: p.chunks,
        messages: p.messages,
        inFlight: p.outstanding.size,
        busy: p.busyMs / Math.max(1, Math.min(p.until ?? end, end) - Math.max(p.since, this.started)),
      })),
    };
  }

  /** Dispatch, then handle reports until the reducer's result. */
  async run(): Promise<{ count: number; sum: number; duplicates: number }> {
    this.started = performance.now();
    this.display.start(() => this.view());
    try {
      this.fillAll();
      for (;;) {
        const report = await withTimeout(this.reports.recv(), this.spec.stallMs, () => this.stalled());
        this.counts.report++;
        if (report.type === 'result') {
          this.finished = performance.now();
          this.closed = true;
          // a replacement proc still starting joins the pool idle; wait for it so shutdown is clean
          await Promise.all(this.replacing);
          return { count: report.count, sum: report.sum, duplicates: report.duplicates };
        }
        this.onProgress(report);
      }
    } finally {
      this.closed = true;
      if (this.finished === 0) this.finished = performance.now();
      this.display.stop();
    }
  }

  result(): Pick<RunResult, 'messages' | 'failures' | 'replacements' | 'redispatched' | 'procs' | 'wallMs'> {
    const { map, partial, report, returned } = this.counts;
    return {
      wallMs: this.finished - this.started,
      messages: { map, partial, report, returned, total: map + partial + report + returned },
      failures: this.failures,
      replacements: this.replacing.length,
      redispatched: this.redispatched,
      procs: this.view().procs,
    };
  }

  private stalled(): Error {
    const missing = this.spec.chunks - this.doneCount;
    return new Error(`no report for ${this.spec.stallMs} ms; ${missing} chunk(s) missing`);
  }

  private onProgress(r: Extract<Report, { type: 'progress' }>): void {
    this.counts.partial++;
    const p = this.procs.get(r.proc);
    if (p !== undefined) {
      p.messages++;
      p.chunks++;
      p.busyMs += r.busyMs;
    }
    if (this.owner[r.chunk] === r.proc) {
      this.owner[r.chunk] = -1;
      p?.outstanding.delete(r.chunk);
    }
    if (!r.duplicate && this.done[r.chunk] === 0) {
      this.done[r.chunk] = 1;
      this.doneCount++;
    }
    this.display.update();
    if (p !== undefined) this.fill(p);
  }

  /** The supervisor's report: the worker it came from is being torn down with all it held. */
  onFailure(f: SupervisionFailure): void {
    const status = f.event.actorStatus;
    const error = status.kind === 'failed' ? status.error.split('\n')[0] : String(status);
    this.failures.push(`${f.event.actorId}: ${error}`);
    this.display.note(`  ⚠ supervisor: actor ${f.event.actorId} failed on proc ${f.proc}: ${error}`);
    const p = this.procs.get(f.proc);
    if (p === undefined || p.state !== 'live') return;
    p.state = 'torn down';
    p.until = performance.now();
    const lost = [...p.outstanding].sort((a, b) => a - b);
    p.outstanding.clear();
    let requeued = 0;
    for (const c of lost) {
      this.owner[c] = -1;
      if (this.requeue(c)) requeued++;
    }
    this.redispatched += requeued;
    const live = [...this.procs.values()].filter((q) => q.state === 'live').map((q) => q.index);
    this.display.note(
      `    the failure policy tears proc ${f.proc} down; the ${requeued} chunk(s) it held go back in the queue, for ` +
        `${live.length > 0 ? `proc ${live.join(', ')} and ` : ''}a replacement proc`,
    );
    this.replacing.push(this.replace());
    this.fillAll();
  }

  private async replace(): Promise<void> {
    try {
      const index = await this.host.addProc();
      const mapper = await this.host.spawn<MapperMsg>(index, 'Mapper', 'mapper');
      const p = this.addMapper(index, mapper, this.closed ? 'live (idle)' : 'live');
      const idle = this.closed ? ' (the job finished meanwhile: it stays idle)' : '';
      this.display.note(`  ✚ replacement proc ${index} (${p.procId}) is up with a new mapper${idle}`);
      this.fill(p);
    } catch (err) {
      this.display.note(`  ✘ could not start a replacement proc: ${(err as Error).message}`);
    }
  }

  /** A map message came back: its proc was going away. */
  onReturned(u: Undeliverable): void {
    this.counts.returned++;
    let msg: MapperMsg;
    try {
      msg = decodePayload(u.envelope.data) as MapperMsg;
    } catch {
      return;
    }
    if (msg?.type !== 'map') return;
    const dest = u.envelope.dest.actor.proc.addr.port;
    if (this.owner[msg.chunk] === dest) {
      this.owner[msg.chunk] = -1;
      this.procs.get(dest)?.outstanding.delete(msg.chunk);
      if (this.requeue(msg.chunk)) this.redispatched++;
    }
    this.fillAll();
  }

  private requeue(c: number): boolean {
    if (this.done[c] === 1 || this.queued[c] === 1 || this.owner[c] !== -1) return false;
    this.queued[c] = 1;
    this.retry.push(c);
    return true;
  }

  private take(): number {
    while (this.retry.length > 0) {
      const c = this.retry.shift() as number;
      this.queued[c] = 0;
      if (this.done[c] === 0 && this.owner[c] === -1) return c;
    }
    while (this.next < this.spec.chunks) {
      const c = this.next++;
      if (this.done[c] === 0 && this.owner[c] === -1) return c;
    }
    return -1;
  }

  private fillAll(): void {
    for (const p of this.procs.values()) this.fill(p);
  }

  private fill(p: ProcState): void {
    if (this.closed) return;
    while (p.state === 'live' && p.outstanding.size < this.spec.window) {
      const c = this.take();
      if (c < 0) return;
      const [lo, hi] = chunkRange(c, this.spec.chunks, this.spec.size);
      const fail = !this.injected && c === this.spec.failChunk;
      if (fail) this.injected = true;
      this.owner[c] = p.index;
      p.outstanding.add(c);
      p.messages++;
      this.counts.map++;
      p.mapper.send(this.cx, { type: 'map', chunk: c, lo, hi, fail, reducer: this.reducer });
    }
  }
}

/** Start a host with `procs` workers, run the job, optionally collect the actor trees, shut down. */
export async function runJob(spec: JobSpec, procs: number, display: Display, label: string, withTrees: boolean): Promise<RunResult> {
  const t0 = performance.now();
  const host = await ProcHost.start({ procs, modules: [ACTORS], transport: spec.transport, teardownTimeoutMs: 1000 });
  // `--admin` / PROCMESH_ADMIN: the admin endpoint (docs/guide.md, "Watching a running system").
  if (host.admin !== undefined) console.log(`  admin endpoint: ${host.admin.addr} (${host.admin.url}/v1/root)`);
  try {
    // The coordinator's own client instance on proc 0, with a bound Undeliverable port: map
    // messages that bounce come back to it instead of the global return handle.
    const [cx] = host.proc.instance('coordinator');
    const returned: Undeliverable[] = [];
    let onReturned: (u: Undeliverable) => void = (u) => returned.push(u);
    cx.mailbox.openEnqueuePort<Undeliverable>(ACTOR_PORT.UNDELIVERABLE, (u) => onReturned(u), 'Undeliverable').bind();
    const [reportPort, reports] = cx.openPort<Report>('Report');

    // The reducer: an actor on the main thread's proc, reporting to the coordinator's port.
    const reducer = host.proc.spawn('reducer', new Reducer({ chunks: spec.chunks, report: reportPort.bind() })).bind();

    // One mapper per worker proc, spawned by registered type name.
    const mappers = await Promise.all([...host.procIds().keys()].map(async (i) => [i, await host.spawn<MapperMsg>(i, 'Mapper', 'mapper')] as const));
    const startupMs = performance.now() - t0;

    const coordinator = new Coordinator(host, spec, display, label, cx, reducer, reports);
    for (const [i, mapper] of mappers) coordinator.addMapper(i, mapper);
    onReturned = (u) => coordinator.onReturned(u);
    for (const u of returned.splice(0)) coordinator.onReturned(u);
    host.supervisor.on('failure', (f) => coordinator.onFailure(f));
    host.supervisor.inspect((e: InspectionEvent) => {
      if (e.type === 'proc-stopped') display.note(`  ⏹ proc ${e.proc} (${e.procId}) stopped: ${e.reason}`);
    });

    const { count, sum, duplicates } = await coordinator.run();
    const trees = withTrees ? await actorTrees(host) : [];
    return { label, initialProcs: procs, startupMs, count, sum, duplicates, trees, ...coordinator.result() };
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
    const nodes = await host.tree(i);
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
