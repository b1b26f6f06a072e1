/**
 * proc-teardown.ts: `destroyAndWait` of a proc (spec §2, PD-3): stop every root but the
 * coordinator, wait for each up to the timeout (on the proc's clock), abort the stragglers,
 * then stop the coordinator last (so it receives every other root's event), then flush the
 * forwarder.
 *
 * It sees the proc only as a `TeardownTarget` (`Proc` implements it), so proc.ts imports this
 * file and not the other way around.
 */
import type { Clock } from './clock.js';
import type { ActorId } from './id.js';
import type { MailboxSender } from './mailbox/sender.js';
import type { SendContext } from './mailbox/ports.js';
import type { Logger } from './log.js';
import type { StatusWatch } from './status.js';

/** What teardown asks of a proc. */
export interface TeardownTarget {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly forwarder: MailboxSender;
  rootActorIds(): ActorId[];
  supervisionCoordinatorActorId(): ActorId | undefined;
  stopActor(actorId: ActorId, reason: string): StatusWatch | undefined;
  abortRootActor(actorId: ActorId): Promise<ActorId> | undefined;
  detachInstance(actorId: ActorId): void;
}

/** PD-3 */
export async function destroyAndWaitExceptCurrent(
  proc: TeardownTarget,
  timeoutMs: number,
  cx: SendContext | undefined,
  exceptCurrent: boolean,
  reason: string,
): Promise<{ stopped: ActorId[]; aborted: ActorId[] }> {
  const callerId = cx?.selfId;
  const stopped: ActorId[] = [];
  const aborted: ActorId[] = [];
  const coordinator = proc.supervisionCoordinatorActorId();
  const waits: Promise<void>[] = [];
  for (const id of proc.rootActorIds()) {
    if (coordinator !== undefined && id.equals(coordinator)) continue;
    const watch = proc.stopActor(id, reason);
    if (watch === undefined || (callerId !== undefined && id.equals(callerId))) continue;
    waits.push(waitOrAbort(proc, id, watch, timeoutMs, stopped, aborted));
  }
  await Promise.all(waits);
  if (coordinator !== undefined && (callerId === undefined || !coordinator.equals(callerId))) {
    const watch = proc.stopActor(coordinator, reason);
    if (watch !== undefined) await waitOrAbort(proc, coordinator, watch, timeoutMs, stopped, aborted);
  }
  try {
    await proc.forwarder.flush();
  } catch (err) {
    proc.logger.warn({ err }, 'forwarder flush failed during teardown');
  }
  if (callerId !== undefined && !exceptCurrent) proc.detachInstance(callerId);
  return { stopped, aborted };
}

async function waitOrAbort(
  proc: TeardownTarget,
  id: ActorId,
  watch: StatusWatch,
  timeoutMs: number,
  stopped: ActorId[],
  aborted: ActorId[],
): Promise<void> {
  let cancel: (() => void) | undefined;
  const timedOut = new Promise<false>((resolve) => {
    const timer = proc.clock.setTimeout(() => resolve(false), timeoutMs);
    cancel = () => timer.cancel();
  });
  const done = await Promise.race([watch.terminal().then(() => true as const), timedOut]);
  cancel?.();
  if (done) {
    stopped.push(id);
  } else {
    await proc.abortRootActor(id);
    aborted.push(id);
  }
}
