/**
 * supervision.ts: `ActorSupervisionEvent` (spec §1.11, §4.3): what an actor's termination
 * reports to its parent, or to the proc's coordinator for roots and orphans.
 */
import { ActorStatus } from './status.js';
import type { ActorId } from './id.js';

export class ActorSupervisionEvent {
  constructor(
    readonly actorId: ActorId,
    readonly displayName: string | undefined,
    readonly actorStatus: ActorStatus,
    /** ms since the epoch (actors pass their proc's clock; the default is the real clock) */
    readonly occurredAt: number = Date.now(),
    /**
     * The event this actor was handling when it failed (`ErrorDuringHandlingSupervision`), or a
     * propagated failure chain (`UnhandledSupervisionEvent`); undefined for a failure of its own.
     */
    readonly caused: ActorSupervisionEvent | undefined = undefined,
    /** true when `caused` is a child's failure this actor adopted unchanged */
    readonly propagated = false,
  ) {}

  /** The event reports a failure. */
  isError(): boolean {
    return this.actorStatus.kind === 'failed';
  }

  /**
   * Follows propagated-failure chains (`propagated` events) to the innermost event. An event
   * raised while handling another (`caused` set, `propagated` false) is its own root cause.
   */
  actuallyFailingActor(): ActorSupervisionEvent {
    let ev: ActorSupervisionEvent = this;
    while (ev.propagated && ev.caused !== undefined) ev = ev.caused;
    return ev;
  }

  /** Equality ignores `occurredAt` (upstream also ignores message headers). */
  equals(other: ActorSupervisionEvent): boolean {
    return (
      this.actorId.equals(other.actorId) &&
      this.displayName === other.displayName &&
      ActorStatus.equals(this.actorStatus, other.actorStatus)
    );
  }

  /** Upstream's Display (§4.3). */
  toString(): string {
    const who = this.displayName ?? String(this.actorId);
    const status = this.actorStatus;
    if (status.kind === 'stopped') {
      if (this.actorId.name === 'host_agent' || this.actorId.name === 'proc_agent') {
        return `The process ${this.actorId.proc.addr} owned by this actor became unresponsive and is assumed dead, check the log on the host for details`;
      }
      return `The actor ${who} was stopped: ${status.reason}`;
    }
    const root = this.actuallyFailingActor();
    const cause = root === this ? 'itself' : (root.displayName ?? String(root.actorId));
    const message = status.kind === 'failed' ? status.error : String(status);
    let text = `The actor ${who} and all its descendants have failed.\nThis occurred because the actor ${cause} failed.\nThe error was:\n${indent(message)}`;
    if (this.caused !== undefined && root === this) {
      text += `\nThis error occurred during the handling of another failure:\n${indent(String(this.caused))}`;
    }
    return text;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => ` ${line}`)
    .join('\n');
}
