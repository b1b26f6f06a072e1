/**
 * worker-main.ts: the bootstrap of a procmesh worker thread. It loads the actor modules, builds
 * the worker's proc (`local:{index},{name}`) on the fabric, installs a coordinator that forwards
 * unhandled supervision events to the main-thread supervisor, and exposes `WorkerControl` over
 * comlink. Logs go through pino to fd 2 (stderr) synchronously (one stream with the main thread,
 * each line with `proc` and `actor` fields; nothing lost at exit).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { pino } from 'pino';
import {
  ActorId,
  ChannelAddr,
  CodecError,
  ProcmeshError,
  configEntries,
  setRootLogger,
  startSpawner,
  type ActorSupervisionEvent,
  type Config,
} from '@procmesh/core';
import {
  LocalProc,
  MailboxDialer,
  MailboxServer,
  NetSessionTable,
  decodePayload,
  encodePayload,
  envelopeTupleCodec,
  serve,
  type MessageEnvelope,
} from '@procmesh/core/transport';
import { actorTree, introspectActor, terminatedActors } from './admin/introspect.js';
import { portEndpoint } from './endpoint.js';
import type { ControlResult, WireError, WireSupervisionEvent, WorkerControl, WorkerEvent, WorkerInit } from './protocol.js';

const { init, control } = workerData as { init: WorkerInit; control: MessagePort };
const events = parentPort as NonNullable<typeof parentPort>;
const emit = (event: WorkerEvent): void => events.postMessage(event);

setRootLogger(pino({ name: 'procmesh', level: init.logLevel, base: { thread: init.index } }, pino.destination({ fd: 2, sync: true })));

// TypeScript modules load without a build: Node's own type stripping where it has it (>= 22.6,
// `process.features.typescript`), else tsx's loader, registered in this thread only.
if (init.modules.some((m) => /\.[mc]?ts$/.test(m)) && (process.features as { typescript?: unknown }).typescript === undefined) {
  const { register } = await import('tsx/esm/api');
  register();
}
for (const module of init.modules) await import(module);

const node = new LocalProc({
  index: init.index,
  name: init.procName,
  config: init.config,
  requestLink: (peer) => emit({ type: 'need-link', to: peer }),
});
const proc = node.proc;
startSpawner(proc); // remote and batch spawns of registered types (mesh/spawner.ts)

/**
 * `ProcHostOptions.serve`: the proc also serves on a socket or a NATS subject (a `MailboxServer` posting into it)
 * and reaches procs outside this process by dialing the address in their id (the proc's
 * `LocalLinkDialer` hands non-`local:` addresses to a `MailboxDialer`). Its id stays `local:N,...`: a peer elsewhere binds that id to the
 * served address in its own `DialMailboxRouter` (see `ProcHost.servedAddr`).
 */
let served: { readonly addr: string; readonly server: MailboxServer; readonly dialer: MailboxDialer } | undefined;
if (init.serve !== undefined) {
  const token = init.peerToken;
  // A `nats:` address names a subject prefix, as for `Proc.direct`: the worker serves
  // `<subject>.<procName>`; serve and dial share one connection (`init.nats`, NC-1).
  const target = ChannelAddr.parse(init.serve);
  const at = target.transport === 'nats' ? target.withSubject(`${target.subject}.${init.procName}`) : target;
  const nats = init.nats !== undefined ? { nats: init.nats } : {};
  const auth = token !== undefined ? { auth: { token } } : {};
  const sessions = init.netSessions !== undefined ? { sessions: NetSessionTable.attach(init.netSessions) } : {}; // NR-11
  const [bound, rx] = await serve<MessageEnvelope>(at, { codec: envelopeTupleCodec, ...auth, ...nats, ...sessions });
  const dialer = new MailboxDialer({ ...auth, ...nats, flow: proc.flowLimits }); // DM-4
  node.links.remote = dialer.dial;
  served = { addr: String(bound), server: MailboxServer.serve(proc, rx), dialer };
}

/** The coordinator: every unhandled supervision event goes to the main thread (DESIGN 7). */
const [coordinator] = proc.instance('supervisor_client');
const coordinatorPort = coordinator.mailbox.openEnqueuePort<ActorSupervisionEvent>(
  coordinator.mailbox.allocatePort(),
  (event) => emit({ type: 'supervision', event: encodePayload(wireEvent(event)) }),
  'ActorSupervisionEvent',
);
proc.setSupervisionCoordinator(coordinatorPort);

const [introspectClient] = proc.instance('introspect_client');
coordinator.setSystem();
introspectClient.setSystem();

function wireEvent(event: ActorSupervisionEvent): WireSupervisionEvent {
  const s = event.actorStatus;
  return {
    actorId: event.actorId,
    displayName: event.displayName ?? null,
    status: s.kind === 'stopped' ? { kind: 'stopped', reason: s.reason } : s.kind === 'failed' ? { kind: 'failed', error: s.error } : { kind: s.kind },
    occurredAt: event.occurredAt,
  };
}

function ok<T>(value: T): ControlResult<T> {
  return { ok: true, value };
}

function fail(err: unknown): ControlResult<never> {
  const code: WireError['code'] = err instanceof ProcmeshError ? (err.code as WireError['code']) : 'worker-error';
  return { ok: false, error: { code, message: err instanceof Error ? err.message : String(err) } };
}

function decodeActorId(bytes: Uint8Array): ActorId {
  const id = decodePayload(bytes);
  if (!(id instanceof ActorId)) throw new CodecError('deserialize', 'not an actor id');
  return id;
}

const api: WorkerControl = {
  async stopActor(actorId, reason) {
    try {
      return ok(proc.stopActor(decodeActorId(actorId), reason) !== undefined);
    } catch (err) {
      return fail(err);
    }
  },
  async destroy(timeoutMs, reason) {
    try {
      const { stopped, aborted } = await proc.destroyAndWait(timeoutMs, undefined, reason);
      node.links.closeInbound(reason); // LL-7: nothing comes in any more; the returns made so far leave
      await Promise.race([proc.flush(), new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
      return ok({ stopped: stopped.map(String), aborted: aborted.map(String) });
    } catch (err) {
      return fail(err);
    }
  },
  async tree() { return actorTree(proc); },
  async introspect(actorId) {
    return introspectActor(proc, introspectClient, decodeActorId(actorId));
  },
  async terminated() {
    return terminatedActors(proc);
  },
  async config() {
    return configEntries(proc.config, init.config as Partial<Config>);
  },
  async connectOut(peer, end) {
    node.links.attachOut(peer, end);
  },
  async connectIn(_peer, end) {
    node.links.attachIn(end);
  },
  async peerGone(peer, reason) {
    node.peerGone(peer, reason); // LL-2, MW-1
  },
  async peerRestarted(peer) {
    node.peerRestarted(peer);
  },
  async noSuchPeer(peer) {
    node.links.noSuchPeer(peer);
  },
  async shutdown() {
    node.close();
    if (served !== undefined) {
      await served.server.stop('proc shut down');
      served.dialer.close('proc shut down');
    }
  },
};

Comlink.expose(api, portEndpoint(control));
emit(served !== undefined ? { type: 'ready', served: served.addr } : { type: 'ready' });
