/**
 * actor/handle.ts: `ActorHandle<M>`, the local owner of a running actor (spec §1.6, §3.1).
 *
 * - `handle.send(cx, msg)`: enqueues directly into the actor's work queue; no serialization;
 *   throws `MailboxSenderError` (`owner-terminated`) synchronously on a stopped actor.
 * - `handle.bind()`: the actor's `ActorRef<M>` (ref.ts), whose sends serialize, route hop by
 *   hop (TTL) and report failure asynchronously as an `Undeliverable` returned to the sender.
 */
import type { ActorId } from '../id.js';
import type { PortHandle, SendContext } from '../mailbox/ports.js';
import type { ActorRef, LocalActorHandle } from '../ref.js';
import type { ActorStatus, StatusWatch } from '../status.js';
import type { Instance } from './instance.js';
import { Signal } from './signal.js';

export class ActorHandle<M> implements LocalActorHandle<M> {
  constructor(
    /** @internal */
    readonly instance: Instance<M>,
  ) {}

  get actorId(): ActorId {
    return this.instance.selfId;
  }

  /** Direct send (no envelope); throws on a stopped or failed actor. */
  send(cx: SendContext, message: M): void {
    this.instance.handlerPort.send(cx, message);
  }

  /** The actor's handler port. */
  port(): PortHandle<M> {
    return this.instance.handlerPort;
  }

  /** Stop after draining queued messages. Throws `MailboxSenderError` for client instances. */
  drainAndStop(reason = 'stopped by request'): void {
    this.instance.signal(Signal.drainAndStop(reason));
  }

  /** The current status. */
  get status(): ActorStatus {
    return this.instance.cell.status.get();
  }

  /** Observe status changes (latest value). */
  statusWatch(): StatusWatch {
    return this.instance.cell.status;
  }

  /** Resolves with the terminal status (upstream: awaiting the handle). */
  join(): Promise<ActorStatus> {
    return this.instance.cell.status.terminal();
  }

  /** Bind the actor's ports and return its serializable ref. */
  bind(): ActorRef<M> {
    return this.instance.bind();
  }

  toString(): string {
    return `ActorHandle(${this.actorId})`;
  }
}
