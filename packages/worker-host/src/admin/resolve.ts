/**
 * admin/resolve.ts: references to `NodePayload`s (upstream's `resolve_reference`), read from a
 * structural view of the host: its procs (the main thread's, proc 0, and each worker's control
 * endpoint) and the failures its supervisor reported.
 *
 * `root` -> the host: its procs as children. A proc reference (`local:1,proc_1`) -> its live
 * root actors and its terminated actors (`stopped_children`, kept per SN-1); a proc that is gone
 * still answers, with the failures that took it down. An actor reference -> its introspection
 * (children: its supervised children); an actor of a gone proc -> the failure reported for it.
 * Every call into a proc is bounded (AD-7): a proc that does not answer in time (a handler
 * blocking its thread) is a `gateway_timeout`, never a request that hangs.
 *
 * ## Invariants
 *
 * - AD-7: every call into a proc settles within `timeoutMs` (then `gateway_timeout`).
 * - AD-8 (upstream PA-1): a proc's children are read from the live proc at query time: an actor
 *   spawned a moment ago is there with no event needed.
 */
import { ActorId, ProcId, Reference, config as envConfig, configEntries, type ChannelAddr, type Config, type ConfigEntry, type Instance, type IntrospectResult, type Proc } from '@procmesh/core';
import { decodePayload, encodePayload } from '@procmesh/core/transport';
import type { ActorTreeNode, TerminatedActor } from '../protocol.js';
import type { Supervisor } from '../supervisor.js';
import type { EventLog } from './events.js';
import { actorTree, introspectActor, terminatedActors } from './introspect.js';
import { ROOT_REF, actorNode, failedActorNode, type NodePayload, type ProcFailure } from './nodes.js';

/** What the admin endpoint reads of a proc's control endpoint (`WorkerControl`'s queries). */
export interface AdminControl {
  tree(): Promise<ActorTreeNode[]>;
  introspect(actorId: Uint8Array): Promise<IntrospectResult | undefined>;
  terminated(): Promise<TerminatedActor[]>;
  config(): Promise<ConfigEntry[]>;
}

/** A worker proc as the admin endpoint sees it (the host's own record of it, structurally). */
export interface AdminProcView {
  readonly index: number;
  readonly procId: ProcId;
  readonly state: string;
  readonly served: ChannelAddr | undefined;
  readonly control: AdminControl;
}

/** The host as the admin endpoint sees it. */
export interface AdminHostView {
  readonly supervisor: Supervisor;
  /** The main thread's proc (proc 0). */
  readonly proc: Proc;
  /** The host's configuration overrides (`ProcHostOptions.config`). */
  readonly config: Partial<Config>;
  workers(): Iterable<AdminProcView>;
}

/** A request the endpoint answers with an error envelope. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** proc 0 through the same interface as a worker's control endpoint. */
function mainControl(proc: Proc, client: Instance<never>, overrides: Partial<Config>): AdminControl {
  return {
    tree: async () => actorTree(proc),
    introspect: async (bytes) => introspectActor(proc, client, decodePayload(bytes) as ActorId),
    terminated: async () => terminatedActors(proc),
    config: async () => configEntries(proc.config, overrides),
  };
}

export class Resolver {
  private readonly main: AdminProcView;
  readonly startedAt = new Date().toISOString();

  constructor(
    private readonly host: AdminHostView,
    private readonly log: EventLog,
    private readonly timeoutMs: number,
    client: Instance<never>,
  ) {
    this.main = { index: 0, procId: host.proc.procId, state: 'ready', served: undefined, control: mainControl(host.proc, client, host.config) };
  }

  procs(): AdminProcView[] {
    return [this.main, ...this.host.workers()].sort((a, b) => a.index - b.index);
  }

  /** AD-7 */
  private bounded<T>(what: string, call: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ApiError(504, 'gateway_timeout', `${what} did not answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      timer.unref();
      call().then(
        (v) => (clearTimeout(timer), resolve(v)),
        (err: unknown) => (clearTimeout(timer), reject(new ApiError(503, 'service_unavailable', `${what} failed: ${err instanceof Error ? err.message : String(err)}`))),
      );
    });
  }

  private procOf(procId: ProcId): AdminProcView {
    const found = this.procs().find((p) => p.procId.equals(procId));
    if (found === undefined) throw new ApiError(404, 'not_found', `no proc ${procId} on this host`);
    return found;
  }

  private parse(ref: string): Reference {
    try {
      return Reference.parse(ref);
    } catch (err) {
      throw new ApiError(400, 'bad_request', `'${ref}' is not a reference: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async resolve(ref: string): Promise<NodePayload> {
    if (ref === ROOT_REF) return this.root();
    const parsed = this.parse(ref);
    if (parsed.kind === 'proc') return this.procNode(this.procOf(parsed.proc));
    if (parsed.kind === 'actor') return this.actor(this.procOf(parsed.actor.proc), parsed.actor);
    throw new ApiError(400, 'bad_request', `port references are not introspectable: '${ref}'`);
  }

  root(): NodePayload {
    const procs = this.procs();
    return {
      identity: ROOT_REF,
      properties: {
        Root: { num_procs: procs.length, started_at: this.startedAt, started_by: process.argv.slice(1, 2).join(' ') || process.title, pid: process.pid, system_children: [] },
      },
      children: procs.map((p) => String(p.procId)),
      parent: null,
      as_of: new Date().toISOString(),
    };
  }

  private failures(p: AdminProcView): readonly ProcFailure[] {
    return this.log.failures.get(p.index) ?? [];
  }

  async procNode(p: AdminProcView): Promise<NodePayload> {
    const failures = this.failures(p);
    const ready = p.state === 'ready';
    const what = `proc ${p.procId}`;
    const [tree, terminated, entries] = ready
      ? await Promise.all([this.bounded(what, () => p.control.tree()), this.bounded(what, () => p.control.terminated()), this.bounded(what, () => p.control.config())])
      : [[], [], undefined];
    const live = new Set(tree.map((n) => n.actorId));
    const stopped = terminated.map((t) => t.actorId).filter((id) => !live.has(id));
    const failed = new Set([...terminated.filter((t) => t.failed).map((t) => t.actorId), ...failures.map((f) => f.actor)]);
    // A gone proc's actors are known only by its failures.
    const lost = ready ? [] : [...new Set(failures.map((f) => f.actor))];
    const retention = entries?.find((e) => e.name === 'terminatedSnapshotRetention')?.value;
    return {
      identity: String(p.procId),
      properties: {
        Proc: {
          proc_name: p.procId.name,
          proc_index: p.index,
          state: p.state,
          num_actors: tree.length,
          system_children: tree.filter((n) => n.isSystem).map((n) => n.actorId),
          stopped_children: stopped,
          stopped_retention_cap: typeof retention === 'number' ? retention : (this.host.config.terminatedSnapshotRetention ?? envConfig().terminatedSnapshotRetention),
          is_poisoned: failed.size > 0,
          failed_actor_count: failed.size,
          served_addr: p.served === undefined ? null : String(p.served),
          stopped_reason: ready ? null : (failures.at(-1)?.error_message ?? null),
          failures: [...failures],
        },
      },
      children: [...tree.filter((n) => n.depth === 0).map((n) => n.actorId), ...stopped, ...lost],
      parent: ROOT_REF,
      as_of: new Date().toISOString(),
    };
  }

  async actor(p: AdminProcView, id: ActorId): Promise<NodePayload> {
    const procRef = String(p.procId);
    if (p.state !== 'ready') {
      const failure = this.failures(p).findLast((f) => f.actor === String(id));
      if (failure === undefined) throw new ApiError(404, 'not_found', `no actor ${id}: proc ${p.procId} is ${p.state}`);
      return failedActorNode(failure, procRef);
    }
    const result = await this.bounded(`proc ${p.procId}`, () => p.control.introspect(encodePayload(id)));
    if (result === undefined) throw new ApiError(404, 'not_found', `no actor ${id} on proc ${p.procId}`);
    return actorNode(result, procRef);
  }

  /** `GET /v1/config/{proc}`: the proc's effective configuration (upstream `ConfigDumpResult`). */
  async config(ref: string): Promise<{ readonly entries: readonly unknown[] }> {
    const parsed = this.parse(ref);
    if (parsed.kind !== 'proc') throw new ApiError(400, 'bad_request', `'${ref}' is not a proc reference`);
    const p = this.procOf(parsed.proc);
    if (p.state !== 'ready') throw new ApiError(404, 'not_found', `proc ${p.procId} is ${p.state}`);
    const entries = await this.bounded(`proc ${p.procId}`, () => p.control.config());
    return {
      entries: entries.map((e) => ({
        name: e.name,
        value: e.value,
        default_value: e.defaultValue,
        source: e.source,
        changed_from_default: e.changedFromDefault,
        env_var: e.envVar,
      })),
    };
  }
}
