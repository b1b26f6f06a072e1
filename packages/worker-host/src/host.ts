/**
 * host.ts: `ProcHost`, the main-thread owner of a set of worker procs (DESIGN 5-9). Usage is in
 * docs/guide.md ("Across workers"): `ProcHost.start({ procs, modules })`, `host.spawn`, `host.client`.
 *
 * Proc 0 is the main thread's own proc (`local:0,main`), for client instances; procs 1..N are
 * workers (`local:i,{name}_{i}`). Any proc reaches any other by `ActorRef`; links are created
 * on first use (`need-link`).
 *
 * Lifecycle of a worker proc: starting -> ready -> (teardown | crash) -> gone. `teardown` (failure
 * policy or `destroyProc`): `destroyAndWait` in the worker bounded by `teardownTimeoutMs`, then
 * `worker.terminate()`, then its routes are dropped everywhere (envelopes come back `BrokenLink`).
 *
 * ## Invariants
 *
 * - HO-1: `shutdown()` resolves only when no worker is running and no port is open.
 * - HO-2: a worker that exits while not being torn down is a crash (SV-2).
 * - HO-3: with `restart` set, a worker torn down by the failure policy or crashed is replaced by
 *   a fresh worker with the same index and `ProcId`, its host-spawned roots spawned again (same
 *   names, so the same ids: refs keep working), within the restart intensity (RI-1); a proc
 *   stopped with `destroyProc` is not restarted. A serving worker's net sessions resume on its replacement (NR-11).
 * - HO-4: a restart never waits on a dead worker (each call is bounded by its exit); a worker
 *   that dies while restarted is restarted again by its own exit (it has the roots from the start).
 * - HO-5: the main proc's unhandled failures reach `supervisor` as a worker's do (`proc: 0`,
 *   supervisor.ts SV-3); the process exits with code 1 only when nobody listens (SV-1).
 */
import { Worker, MessageChannel, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import * as Comlink from 'comlink';
import {
  ActorId,
  ActorMesh,
  ActorRef,
  ActorStatus,
  ActorSupervisionEvent,
  ChannelAddr,
  Proc,
  ProcId,
  ProcmeshError,
  Point,
  RestartIntensity,
  SpawnError,
  isProcmeshErrorCode,
  rootLogger,
  startSpawner,
  type ActorType,
  type Config,
  type RestartIntensityOptions,
  type SpawnSpec,
  type Instance,
  type IntrospectResult,
  type ProcmeshErrorCode,
} from '@procmesh/core';
import { LocalProc, NetSessionTable, RingBuffer, decodePayload, encodePayload, spawnSpecs, type LinkEnd, type NatsOptions } from '@procmesh/core/transport';
import { resolveAdmin, type AdminOptions } from './admin/options.js';
import { AdminServer, type AdminEndpoint } from './admin/server.js';
import { portEndpoint } from './endpoint.js';
import type { ActorTreeNode, ControlResult, WireSupervisionEvent, WorkerControl, WorkerEvent, WorkerInit } from './protocol.js';
import { Supervisor } from './supervisor.js';

/**
 * The codes of `HostError` (closed). The host's own: `no-such-proc` (no proc at that index),
 * `proc-gone` (the proc is not ready: torn down, crashed or gone), `worker-start-failed` (the
 * worker failed or exited while starting), `shut-down` (the host is shut down). A control call
 * that failed in the worker keeps the worker-side `ProcmeshError`'s code (`unknown-actor-type`,
 * `duplicate-name`, ...); `worker-error` when the worker threw anything else.
 */
export type HostErrorCode =
  | 'no-such-proc'
  | 'proc-gone'
  | 'worker-start-failed'
  | 'shut-down'
  | 'worker-error'
  | ProcmeshErrorCode;

/** A failed host operation, with the worker-side error's stable `code` when there is one. */
export class HostError extends ProcmeshError {
  readonly code: HostErrorCode;
  constructor(code: HostErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export interface ProcHostOptions {
  /** Number of worker procs (default: available parallelism). */
  readonly procs?: number;
  /** Modules (URLs or absolute paths) each worker imports; they register actor types. */
  readonly modules?: readonly (string | URL)[];
  /** Proc name prefix (default `proc`). */
  readonly name?: string;
  readonly resourceLimits?: ResourceLimits;
  readonly config?: Partial<Config>;
  /** pino level in workers (default `PROCMESH_LOG` or `warn`). */
  readonly logLevel?: string;
  /** Bytes of each link's ring (default 1 MiB). */
  readonly ringCapacity?: number;
  /** Bound on a worker's `destroyAndWait` during teardown (default 2000 ms). */
  readonly teardownTimeoutMs?: number;
  /**
   * Worker procs that also serve on a socket (`tcp:127.0.0.1:0`, `unix:`, ...; `nats:`: see `nats`; a function picks
   * per worker index, `undefined` for none), so procs in other processes or on other machines
   * reach them: such a worker posts envelopes arriving on the socket into its proc, and sends
   * envelopes for non-`local:` procs by dialing the address in their id. Its id stays
   * `local:N,...`; a peer binds it to `servedAddr(N)` in its `DialMailboxRouter`.
   */
  readonly serve?: string | ((index: number) => string | undefined);
  /** How `serve: 'nats://h:p/app'` workers connect (plain data); worker N serves subject `app.<name>_N`. */
  readonly nats?: NatsOptions;
  /**
   * A shared token for the sockets of serving workers (`serve`; the net channel's `auth.token`,
   * docs/threat-model.md): a peer that does not present it is refused before any envelope is read,
   * and the workers present it when they dial other procs.
   */
  readonly peerToken?: string;
  /**
   * Node options of each worker thread (`new Worker`'s `execArgv`, for example
   * `['--enable-source-maps']`); default: the main thread's.
   */
  readonly execArgv?: readonly string[];
  /** Environment of each worker thread (`new Worker`'s `env`); default: the main thread's `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * Serve the admin endpoint (`src/admin/`; `procmesh top` watches it), e.g. `'tcp:127.0.0.1:0'`;
   * default `PROCMESH_ADMIN`, else off. Loopback only unless a token is set (AD-2).
   */
  readonly admin?: string | AdminOptions;
  /**
   * The restart policy of worker procs (DESIGN decision 14; HO-3): a worker torn down by the
   * failure policy or dead on its own is replaced by a fresh one with the same `ProcId`, and the
   * root actors spawned through the host are spawned again from their type and parameters, at
   * most `maxRestarts` times per proc within `withinMs` (default 3 in 5,000 ms); then it is given
   * up on (`restart-intensity-exceeded`). Unset: no restarts.
   */
  readonly restart?: RestartIntensityOptions;
}

/** A root actor spawned through the host: how to spawn it again (HO-3). */
interface RootActor {
  readonly actorId: ActorId;
  readonly spec: SpawnSpec;
}

type WorkerState = 'starting' | 'ready' | 'stopping' | 'gone';

interface WorkerProc {
  readonly index: number;
  readonly procId: ProcId;
  readonly worker: Worker;
  readonly control: Comlink.Remote<WorkerControl>;
  readonly controlPort: MessagePort;
  state: WorkerState;
  /** Root actors spawned through the host and not yet seen stopping (SV-2, HO-3). */
  readonly roots: Map<string, RootActor>;
  lastError: string | undefined;
  exited: Promise<void>;
  /** The bound address when the worker serves on a socket (`ProcHostOptions.serve`). */
  served: ChannelAddr | undefined;
}

export class ProcHost {
  readonly supervisor = new Supervisor();
  /** The main thread's proc (`local:0,main`): its actors reach every worker proc by ref. */
  readonly proc: Proc;
  private readonly main: LocalProc;
  /** A client instance on the main proc, for sending and opening ports. */
  readonly client: Instance<never>;
  private readonly workers = new Map<number, WorkerProc>();
  /** Links being created, each with its attempt's token (a dead worker's attempt never ends: HO-3). */
  private readonly linking = new Map<string, object>();
  private readonly linked = new Set<string>();
  /** The ring of each link, so a dying worker's rings can be marked (RING-10). */
  private readonly rings = new Map<string, { from: number; to: number; ring: RingBuffer }>();
  private shuttingDown = false;
  /** The admin endpoint (`ProcHostOptions.admin`), `undefined` when off. */
  get admin(): AdminEndpoint | undefined {
    return this.adminServer;
  }
  private adminServer: AdminServer | undefined;
  /** HO-3: the restart intensity of each proc index; NR-11: the net sessions a serving worker hands to its replacement. */
  private readonly intensity = new Map<number, RestartIntensity>();
  private readonly netSessions = new Map<number, SharedArrayBuffer>();
  /** The meshes spawned through the host, by member key (their failures: AM-2). */
  private readonly meshes = new Map<string, ActorMesh<unknown>>();

  private constructor(private readonly options: ProcHostOptions) {
    this.main = new LocalProc({
      index: 0,
      name: 'main',
      requestLink: (peer) => void this.connect(0, peer),
      ...(options.config !== undefined ? { config: options.config } : {}),
    });
    this.proc = this.main.proc;
    [this.client] = this.proc.instance('client');
    startSpawner(this.proc);
    this.superviseMain();
  }

  /**
   * The main proc is supervised like every worker's (HO-5, SV-3): its coordinator hands unhandled
   * supervision events to `supervisor` (a failure to `reportFailure`, which ends the process
   * only when nobody listens), never to the proc's no-coordinator crash. The main proc is not
   * torn down on a failure: it is the host's own.
   */
  private superviseMain(): void {
    const [coordinator] = this.proc.instance('supervisor_client');
    coordinator.setSystem();
    const procId = this.proc.procId;
    const port = coordinator.mailbox.openEnqueuePort<ActorSupervisionEvent>(
      coordinator.mailbox.allocatePort(),
      (event) => {
        if (event.isError()) this.reportFailure(0, procId, event);
        else this.supervisor.publish({ type: 'actor-stopped', proc: 0, procId, event });
      },
      'ActorSupervisionEvent',
    );
    this.proc.setSupervisionCoordinator(port);
  }

  /** Start `procs` workers and wait until each is ready. */
  static async start(options: ProcHostOptions = {}): Promise<ProcHost> {
    const admin = resolveAdmin(options.admin); // AD-2: refused before any worker starts
    const host = new ProcHost(options);
    const count = options.procs ?? (await import('node:os')).availableParallelism();
    await Promise.all(Array.from({ length: count }, (_, i) => host.startWorker(i + 1)));
    if (admin !== undefined) {
      const view = { supervisor: host.supervisor, proc: host.proc, config: options.config ?? {}, workers: () => host.workers.values() };
      host.adminServer = await AdminServer.start(admin, view).catch(async (err: unknown) => {
        await host.shutdown();
        throw err;
      });
    }
    return host;
  }

  /** The ids of the live worker procs, by index. */
  procIds(): Map<number, ProcId> {
    const out = new Map<number, ProcId>();
    for (const w of this.workers.values()) if (w.state === 'ready') out.set(w.index, w.procId);
    return out;
  }

  /** The address worker `index` serves on (`ProcHostOptions.serve`), once it is ready. */
  servedAddr(index: number): ChannelAddr | undefined {
    return this.workers.get(index)?.served;
  }

  /** Start one more worker proc; resolves with its index once ready. */
  async addProc(): Promise<number> {
    const index = Math.max(0, ...this.workers.keys()) + 1;
    await this.startWorker(index);
    return index;
  }

  /** Start worker `index` (with the roots to respawn if it is a restart: HO-3); resolves once ready. */
  private async startWorker(index: number, roots: ReadonlyMap<string, RootActor> = new Map()): Promise<WorkerProc> {
    const name = `${this.options.name ?? 'proc'}_${index}`;
    const procId = ProcId.withName(ChannelAddr.local(index), name);
    const { port1, port2 } = new MessageChannel();
    const serveAddr = typeof this.options.serve === 'function' ? this.options.serve(index) : this.options.serve;
    const init: WorkerInit = {
      ...(serveAddr !== undefined ? { serve: serveAddr, netSessions: this.netSessions.get(index) ?? (this.netSessions.set(index, NetSessionTable.create().buffer).get(index) as SharedArrayBuffer) } : {}),
      ...(this.options.peerToken !== undefined ? { peerToken: this.options.peerToken } : {}),
      ...(this.options.nats !== undefined ? { nats: this.options.nats } : {}),
      index,
      procName: name,
      modules: (this.options.modules ?? []).map((m) => (m instanceof URL ? m.href : m.startsWith('/') ? new URL(`file://${m}`).href : m)),
      config: (this.options.config ?? {}) as Record<string, number | boolean>,
      logLevel: this.options.logLevel ?? process.env['PROCMESH_LOG'] ?? 'warn',
    };
    const worker = new Worker(new URL('./worker-main.js', import.meta.url), {
      workerData: { init, control: port2 },
      transferList: [port2],
      ...(this.options.resourceLimits !== undefined ? { resourceLimits: this.options.resourceLimits } : {}),
      ...(this.options.execArgv !== undefined ? { execArgv: [...this.options.execArgv] } : {}),
      ...(this.options.env !== undefined ? { env: { ...this.options.env } } : {}),
    });
    const state: WorkerProc = {
      index,
      procId,
      worker,
      control: Comlink.wrap<WorkerControl>(portEndpoint(port1)),
      controlPort: port1,
      state: 'starting',
      roots: new Map(roots),
      lastError: undefined,
      served: undefined,
      // not `events.once`: it rejects when 'error' precedes 'exit' (a crashing worker)
      exited: new Promise<void>((resolve) => worker.once('exit', () => resolve())),
    };
    this.workers.set(index, state);
    const ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (event: WorkerEvent) => {
        if (event.type === 'ready') {
          state.state = 'ready';
          if (event.served !== undefined) state.served = ChannelAddr.parse(event.served);
          this.supervisor.publish({ type: 'proc-started', proc: index, procId });
          resolve();
        } else this.onWorkerEvent(state, event);
      });
      worker.on('error', (err) => {
        state.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
        if (state.state === 'starting') reject(new HostError('worker-start-failed', `proc ${procId} failed to start: ${state.lastError}`));
      });
      worker.on('exit', (code) => {
        if (state.state === 'starting') reject(new HostError('worker-start-failed', `proc ${procId} exited with code ${code} while starting`));
        this.onWorkerExit(state, code);
      });
    });
    await ready;
    return state;
  }

  private onWorkerEvent(w: WorkerProc, event: WorkerEvent): void {
    switch (event.type) {
      case 'need-link':
        void this.connect(w.index, event.to);
        break;
      case 'supervision': {
        const ev = rebuildEvent(event.event);
        if (ev.isError()) {
          this.reportFailure(w.index, w.procId, ev);
          void this.teardown(w, `actor ${ev.actorId} failed`, true);
        } else {
          w.roots.delete(ev.actorId.key);
          this.supervisor.publish({ type: 'actor-stopped', proc: w.index, procId: w.procId, event: ev });
        }
        break;
      }
      case 'ready':
        break;
    }
  }

  /** HO-2, SV-2 */
  private onWorkerExit(w: WorkerProc, code: number): void {
    const wasTornDown = w.state === 'stopping' || w.state === 'gone';
    w.state = 'gone';
    w.controlPort.close();
    if (!wasTornDown && !this.shuttingDown) {
      const reason = `worker of ${w.procId} exited with code ${code}${w.lastError !== undefined ? ` (${w.lastError})` : ''}`;
      this.supervisor.publish({ type: 'worker-crashed', proc: w.index, procId: w.procId, exitCode: code, error: w.lastError });
      for (const { actorId } of w.roots.values()) {
        this.reportFailure(w.index, w.procId, new ActorSupervisionEvent(actorId, undefined, ActorStatus.failed(reason)));
      }
      this.dropRoutes(w, reason);
      this.supervisor.publish({ type: 'proc-stopped', proc: w.index, procId: w.procId, reason });
      void this.restart(w);
    }
  }

  /** A failure to the supervisor (handled when a restart policy is set: SV-1) and to its mesh (AM-2). */
  private reportFailure(proc: number, procId: ProcId, event: ActorSupervisionEvent): void {
    this.supervisor.reportFailure({ proc, procId, event }, proc !== 0 && this.options.restart !== undefined);
    this.meshes.get(event.actorId.key)?.reportFailure(event);
  }

  /**
   * HO-3: replace a gone worker by a fresh one with the same index (so the same `ProcId`), within
   * its restart intensity: start it, let every peer link to it anew (LL-5), then spawn its roots
   * again in one batch. Envelopes sent to it meanwhile came back as `BrokenLink` (LL-2).
   */
  private async restart(w: WorkerProc): Promise<void> {
    if (this.options.restart === undefined || this.shuttingDown || this.workers.get(w.index) !== w) return;
    let intensity = this.intensity.get(w.index);
    if (intensity === undefined) this.intensity.set(w.index, (intensity = new RestartIntensity(this.options.restart)));
    if (!intensity.tryRestart()) {
      const { maxRestarts, withinMs } = intensity;
      this.supervisor.publish({ type: 'restart-intensity-exceeded', proc: w.index, procId: w.procId, maxRestarts, withinMs });
      return;
    }
    let fresh: WorkerProc | undefined;
    try {
      fresh = await this.startWorker(w.index, w.roots);
      this.main.peerRestarted(w.index);
      const peers = [...this.workers.values()].filter((o) => o !== fresh && o.state === 'ready');
      await Promise.all(peers.map((o) => untilExit(o, o.control.peerRestarted(w.index))));
      const roots = [...w.roots.values()];
      const spawned = await untilExit(fresh, spawnSpecs(this.client, fresh.procId, roots.map((r) => r.spec)));
      if (spawned === undefined) return; // it died meanwhile: its own exit restarts it (HO-4)
      this.supervisor.publish({ type: 'proc-restarted', proc: w.index, procId: w.procId, restarts: intensity.recent });
      for (const r of roots) this.supervisor.publish({ type: 'actor-restarted', proc: w.index, procId: w.procId, actorId: r.actorId, typeName: r.spec.typeName });
    } catch (err) {
      if (this.shuttingDown) return;
      rootLogger().warn({ err }, `restart of ${w.procId} failed`);
      // HO-4: only this restart's own worker, never a later incarnation
      if (fresh !== undefined && this.workers.get(w.index) === fresh && fresh.state === 'ready') void this.teardown(fresh, 'restart failed', true);
    }
  }

  /** Create the link `from -> to` (both sides), once. */
  private async connect(from: number, to: number): Promise<void> {
    const key = `${from}->${to}`;
    if (this.linking.has(key) || this.linked.has(key)) return;
    const attempt = {};
    this.linking.set(key, attempt);
    try {
      const target = to === 0 ? 'main' : this.workers.get(to);
      const source = from === 0 ? 'main' : this.workers.get(from);
      if (source === undefined || (source !== 'main' && source.state !== 'ready' && source.state !== 'stopping')) return; // LL-7
      if (target === undefined) {
        if (source === 'main') this.main.links.noSuchPeer(to);
        else await source.control.noSuchPeer(to);
        return;
      }
      if (target !== 'main' && target.state !== 'ready') {
        const reason = `proc ${target.procId} is gone`;
        if (source === 'main') this.main.links.peerGone(to, reason);
        else await source.control.peerGone(to, reason);
        return;
      }
      // One ring per direction, and its side port for large binary values (core wire/side-channel.ts).
      const ring = RingBuffer.create({ capacity: this.options.ringCapacity ?? 1 << 20 });
      this.rings.set(key, { from, to, ring });
      const side = new MessageChannel();
      const out: LinkEnd = { ring: ring.buffer, side: side.port1 };
      const into: LinkEnd = { ring: ring.buffer, side: side.port2 };
      if (target === 'main') this.main.links.attachIn(into);
      else await target.control.connectIn(from, Comlink.transfer(into, [side.port2]));
      if (source === 'main') this.main.links.attachOut(to, out);
      else await source.control.connectOut(to, Comlink.transfer(out, [side.port1]));
      this.linked.add(key);
    } finally {
      if (this.linking.get(key) === attempt) this.linking.delete(key);
    }
  }

  /** Drop every route to `w`: its peers return what they queued for it (LL-2). */
  private dropRoutes(w: WorkerProc, reason: string): void {
    for (const [key, link] of this.rings) {
      if (link.from === w.index) link.ring.markProducerDied(1);
      else if (link.to === w.index) link.ring.markConsumerDied(1);
      else continue;
      this.rings.delete(key);
    }
    this.main.peerGone(w.index, reason); // LL-2, MW-1
    for (const other of this.workers.values()) {
      if (other !== w && other.state === 'ready') void other.control.peerGone(w.index, reason).catch(() => undefined);
    }
    const ofW = (key: string): boolean => key.startsWith(`${w.index}->`) || key.endsWith(`->${w.index}`);
    for (const key of [...this.linked]) if (ofW(key)) this.linked.delete(key);
    for (const key of [...this.linking.keys()]) if (ofW(key)) this.linking.delete(key); // its answer may never come
  }

  /** The failure policy: destroy with a bound, terminate, drop routes. */
  private async teardown(w: WorkerProc, reason: string, restart: boolean): Promise<void> {
    if (w.state !== 'ready') return;
    w.state = 'stopping';
    const timeoutMs = this.options.teardownTimeoutMs ?? 2000;
    await Promise.race([w.control.destroy(timeoutMs, reason).catch(() => undefined), delay(timeoutMs * 2 + 500)]);
    await w.worker.terminate();
    await w.exited;
    w.state = 'gone';
    this.dropRoutes(w, `proc ${w.procId} was torn down: ${reason}`);
    this.supervisor.publish({ type: 'proc-stopped', proc: w.index, procId: w.procId, reason });
    if (restart) await this.restart(w);
  }

  private ready(proc: number): WorkerProc {
    if (this.shuttingDown) throw new HostError('shut-down', 'the host is shut down');
    const w = this.workers.get(proc);
    if (w === undefined) throw new HostError('no-such-proc', `no proc with index ${proc}`);
    if (w.state !== 'ready') throw new HostError('proc-gone', `proc ${w.procId} is ${w.state}`);
    return w;
  }

  /**
   * Spawn a registered actor type as a root actor on worker `proc` (through its spawner: one
   * round trip); with an `ActorType` the ref's message type and the parameters are checked.
   */
  async spawn<M, P>(proc: number, type: ActorType<M, P>, name: string, params: P): Promise<ActorRef<M>>;
  async spawn<M>(proc: number, typeName: string, name: string, params?: unknown): Promise<ActorRef<M>>;
  async spawn(proc: number, type: string | ActorType<unknown, unknown>, name: string, params: unknown = {}): Promise<ActorRef<unknown>> {
    const typeName = typeof type === 'string' ? type : type.typeName;
    const [ref] = await this.spawnMany(proc, [{ typeName, name, params }]);
    return ref as ActorRef<unknown>;
  }

  /** Spawn a batch of root actors on worker `proc` in one round trip. */
  async spawnMany(proc: number, specs: readonly SpawnSpec[]): Promise<ActorRef<unknown>[]> {
    const w = this.ready(proc);
    let ids: ActorId[];
    try {
      ids = await spawnSpecs(this.client, w.procId, specs);
    } catch (err) {
      throw err instanceof SpawnError ? new HostError(err.code, err.message) : err;
    }
    ids.forEach((actorId, i) => w.roots.set(actorId.key, { actorId, spec: specs[i] as SpawnSpec }));
    return ids.map((id) => ActorRef.attest(id));
  }

  /**
   * One actor of `type` named `name` on each worker proc (or on `procs`, in that order: rank =
   * position), as a mesh (mesh/actor-mesh.ts); its members' failures reach `mesh.onFailure` as
   * one `MeshFailure` (AM-2); with a restart policy, members are respawned with their rank.
   */
  async spawnMesh<M, P>(type: ActorType<M, P>, name: string, params: P, procs: readonly number[] = [...this.procIds().keys()]): Promise<ActorMesh<M>> {
    const refs = await Promise.all(
      procs.map(async (proc, rank) => (await this.spawnMany(proc, [{ typeName: type.typeName, name, params, point: Point.of(rank, procs.length) }]))[0] as ActorRef<M>),
    );
    const mesh = new ActorMesh<M>(name, type.typeName, refs);
    for (const ref of refs) this.meshes.set(ref.actorId.key, mesh as ActorMesh<unknown>);
    return mesh;
  }

  /** Send `DrainAndStop` to an actor on its proc (any ref: an `ActorRef<M>`, a handle, `{ actorId }`). */
  async stopActor(ref: { readonly actorId: ActorId }, reason = 'stopped by host'): Promise<boolean> {
    const w = this.ready(ref.actorId.proc.addr.port);
    return unwrap(await w.control.stopActor(encodePayload(ref.actorId), reason));
  }

  /** The actor tree of a worker proc (pre-order). */
  async tree(proc: number): Promise<ActorTreeNode[]> {
    return this.ready(proc).control.tree();
  }

  /** An actor's `IntrospectResult` (its terminated snapshot once it stopped). */
  async introspect(ref: { readonly actorId: ActorId }): Promise<IntrospectResult | undefined> {
    return this.ready(ref.actorId.proc.addr.port).control.introspect(encodePayload(ref.actorId));
  }

  /** Tear a worker proc down as the failure policy does (a deliberate stop: not restarted). */
  async destroyProc(proc: number, reason = 'destroyed by host'): Promise<void> {
    await this.teardown(this.ready(proc), reason, false);
  }

  /**
   * Terminate a worker proc's thread from outside, with no teardown (as an out-of-memory death
   * would): a crash (HO-2, SV-2), restarted under the restart policy. Resolves once it exited.
   */
  async killProc(proc: number): Promise<void> {
    const w = this.ready(proc);
    w.lastError = 'terminated by ProcHost.killProc';
    await w.worker.terminate();
    await w.exited;
  }

  /** HO-1: stop every actor, every worker and every port. */
  async shutdown(timeoutMs = 2000): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    await this.adminServer?.close();
    await Promise.all(
      [...this.workers.values()].map(async (w) => {
        if (w.state === 'ready') {
          w.state = 'stopping';
          await Promise.race([
            (async () => {
              await w.control.destroy(timeoutMs, 'host shutting down');
              await w.control.shutdown();
            })().catch(() => undefined),
            delay(timeoutMs * 2 + 500),
          ]);
        }
        if (w.state !== 'gone') await w.worker.terminate();
        await w.exited;
        w.controlPort.close();
      }),
    );
    await this.main.proc.destroyAndWait(timeoutMs);
    this.main.close();
  }
}

function unwrap<T>(result: ControlResult<T>): T {
  if (result.ok) return result.value;
  // worker-main sends a ProcmeshError's code, or 'worker-error' for anything else it caught.
  const code = result.error.code;
  throw new HostError(isProcmeshErrorCode(code) ? code : 'worker-error', result.error.message);
}

function rebuildEvent(bytes: Uint8Array): ActorSupervisionEvent {
  const wire = decodePayload(bytes) as WireSupervisionEvent;
  const s = wire.status;
  const status = s.kind === 'failed' ? ActorStatus.failed(s.error ?? '') : ActorStatus.stopped(s.reason ?? '');
  return new ActorSupervisionEvent(wire.actorId as ActorId, wire.displayName ?? undefined, status, wire.occurredAt);
}

/** HO-4: `promise`, or undefined once `w`'s worker has exited (a dead worker's calls never answer). */
function untilExit<T>(w: WorkerProc, promise: Promise<T>): Promise<T | undefined> {
  return Promise.race([promise, w.exited.then(() => undefined)]);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
