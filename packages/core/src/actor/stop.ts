/**
 * actor/stop.ts: the end of a spawned actor (spec §4.1, §1.8): once its loop (actor/run.ts) left
 * with an outcome, `serve` stops its children, runs its cleanup, closes its mailbox, sets its
 * terminal status and sends its one supervision event (AC-3 .. AC-5, actor/instance.ts).
 *
 * ```
 * runActorTree: stopping; Stop("parent stopping") to every child; wait for children
 *               (`childStopWaitMs` per round, then unlink the rest); cleanup() (bounded)
 * serve:        status = stopped(reason) | child's status (propagated) | failed(error);
 *               queued work returned or kept (RT-1, RT-3); close mailbox; store event (FI-1: before status); set status;
 *               event to parent (+ ChildStopped) or to proc.handleUnhandledSupervisionEvent
 * ```
 *
 * ## Invariants
 *
 * - STOP-1 (cost): a stop waits only for what it has to wait for: an actor without children and
 *   without an asynchronous `cleanup` (a cleanup that returns no thenable) ends synchronously,
 *   in the turn its loop left, with no promise, no timer and no microtask of its own (issue 16:
 *   the three async frames of an empty stop were ~1.8 KB and four microtask hops an actor in
 *   fjcreate). With children, or a cleanup that returns a promise, it waits as before
 *   (children first, AC-4; cleanup bounded by `cleanupTimeoutMs`).
 */
import type { Timer } from '../clock.js';
import { ActorSupervisionEvent } from '../supervision.js';
import { ActorStatus } from '../status.js';
import { ActorError, ActorErrorKind, describeThrown } from './errors.js';
import type { Actor, Instance } from './instance.js';
import { Signal } from './signal.js';
import { retireWork } from './retire.js';

/** How a loop ended: a clean stop, a failure, or a detach (no event, DESIGN decision 5). */
export type RunOutcome = { ok: true; reason: string } | { ok: false; kind: ActorErrorKind } | { ok: 'detached' };

const DETACHED: RunOutcome = Object.freeze({ ok: 'detached' });

/** The end of the actor once its loop left with `ran` (STOP-1: synchronous when nothing is awaited). */
export function serve<M>(inst: Instance<M>, actor: Actor<M>, ran: RunOutcome): void {
  const outcome = runActorTree(inst, actor, ran);
  if (outcome instanceof Promise) void outcome.then((o) => finish(inst, actor, o));
  else finish(inst, actor, outcome);
}

function finish<M>(inst: Instance<M>, actor: Actor<M>, outcome: RunOutcome): void {
  inst.loopFinished = true;
  if (outcome.ok === 'detached' || inst.aborted) return;
  const displayName = safeDisplayName(actor);
  let status: ActorStatus;
  let event: ActorSupervisionEvent;
  if (outcome.ok) {
    status = ActorStatus.stopped(outcome.reason);
    event = new ActorSupervisionEvent(inst.selfId, displayName, status, inst.clock.now());
  } else if (outcome.kind.kind === 'unhandled-supervision-event') {
    event = outcome.kind.event;
    status = event.actorStatus;
  } else {
    status = ActorStatus.failed(ActorErrorKind.display(outcome.kind));
    const caused = outcome.kind.kind === 'error-during-handling-supervision' ? outcome.kind.event : undefined;
    event = new ActorSupervisionEvent(inst.selfId, displayName, status, inst.clock.now(), caused);
  }
  inst.cell.leftover = retireWork(inst, status, inst.cell.keepsLeftover); // RT-1, RT-3
  inst.receipts?.settleAll(); // RC-1: returned or handed on, nothing more is handled here
  inst.flowState?.gone(); // FC-1: its queue is gone, whoever it held goes free
  inst.mailbox.close(status);
  inst.proc.mailboxClosed(inst.mailbox); // MX-1
  inst.cell.supervisionEvent = event; // FI-1
  inst.cell.status.set(status);
  inst.proc.storeTerminatedSnapshot(inst.cell);
  const parent = inst.cell.unlinkFromParent();
  if (parent !== undefined) {
    const delivered = parent.instance.deliverSupervisionEvent(event);
    if (!delivered) {
      if (event.isError()) {
        inst.proc.crash(`failed to send supervision event to actor ${parent.actorId}: ${event}. Crash the process.`);
      } else {
        inst.logger.debug({ event: String(event) }, 'supervision event dropped: parent cannot receive it');
      }
    }
    try {
      parent.instance.signal(Signal.childStopped(inst.selfId.pid));
    } catch {
      // the parent has no loop (client) or finished: nothing to tell
    }
  } else {
    inst.proc.handleUnhandledSupervisionEvent(inst, event);
  }
  inst.proc.releaseCell(inst.cell);
}

/** Children, then cleanup; a promise only when one of them has to be awaited (STOP-1). */
function runActorTree<M>(inst: Instance<M>, actor: Actor<M>, outcome: RunOutcome): RunOutcome | Promise<RunOutcome> {
  if (outcome.ok === 'detached' || inst.aborted) return DETACHED;
  inst.cell.status.set(ActorStatus.stopping);
  if (inst.cell.children.size === 0) return afterChildren(inst, actor, outcome);
  return stopChildren(inst).then(() => afterChildren(inst, actor, outcome));
}

function afterChildren<M>(inst: Instance<M>, actor: Actor<M>, outcome: RunOutcome): RunOutcome | Promise<RunOutcome> {
  if (inst.aborted) return DETACHED;
  if (actor.cleanup === undefined) return outcome;
  const error = outcome.ok === true ? undefined : new ActorError(inst.selfId, (outcome as { kind: ActorErrorKind }).kind);
  const cleanupError = runCleanup(inst, actor, error);
  if (cleanupError instanceof Promise) return cleanupError.then((e) => withCleanup(inst, outcome, e));
  return withCleanup(inst, outcome, cleanupError);
}

function withCleanup<M>(inst: Instance<M>, outcome: RunOutcome, cleanupError: string | undefined): RunOutcome {
  if (cleanupError === undefined) return outcome;
  if (outcome.ok === true) return { ok: false, kind: ActorErrorKind.generic(`cleanup error: ${cleanupError}`) };
  inst.logger.warn({ cleanupError }, 'cleanup failed after an actor error');
  return outcome;
}

/** AC-4: Stop every child, wait for them (a bounded wait per round), unlink stragglers. */
async function stopChildren<M>(inst: Instance<M>): Promise<void> {
  for (const child of [...inst.cell.children.values()]) {
    try {
      child.instance.signal(Signal.stop('parent stopping'));
    } catch {
      child.unlinkFromParent();
      // a client child: dropping the parent drops it
      child.instance[Symbol.dispose]();
    }
  }
  while (inst.cell.children.size > 0) {
    const emptied = new Promise<boolean>((resolve) => {
      inst.childWaiter = () => resolve(true);
    });
    let timer: Timer | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = inst.clock.setTimeout(() => resolve(false), inst.proc.childStopWaitMs);
    });
    const ok = await Promise.race([emptied, timedOut]);
    timer?.cancel();
    inst.childWaiter = undefined;
    if (!ok && inst.cell.children.size > 0) {
      inst.logger.warn({ children: inst.cell.children.size }, 'children did not stop in time; unlinking them');
      for (const child of [...inst.cell.children.values()]) child.unlinkFromParent();
    }
  }
}

/** The cleanup hook's error text, if any; a promise only for a cleanup that returned a thenable (STOP-1). */
function runCleanup<M>(inst: Instance<M>, actor: Actor<M>, error: ActorError | undefined): string | undefined | Promise<string | undefined> {
  let result: unknown;
  try {
    result = actor.cleanup?.(inst, error);
  } catch (err) {
    return describeThrown(err);
  }
  if (result === undefined || result === null || typeof (result as Promise<void>).then !== 'function') return undefined;
  let timer: Timer | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = inst.clock.setTimeout(() => resolve(`timed out after ${inst.proc.cleanupTimeoutMs}ms`), inst.proc.cleanupTimeoutMs);
  });
  return Promise.race([Promise.resolve(result as Promise<void>).then(() => undefined), timeout]).then(
    (e) => {
      timer?.cancel();
      return e;
    },
    (err: unknown) => {
      timer?.cancel();
      return describeThrown(err);
    },
  );
}

function safeDisplayName<M>(actor: Actor<M>): string | undefined {
  try {
    return actor.displayName?.();
  } catch {
    return undefined;
  }
}
