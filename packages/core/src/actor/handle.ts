/**
 * actor/handle.ts: `ActorHandle<M>` (local owner, direct sends) and `ActorRef<M>`
 * (serializable, envelope sends) (spec §1.6, §3.1).
 *
 * - `handle.send(cx, msg)`: enqueues directly into the actor's work queue; no serialization;
 *   throws `MailboxSenderError` (`owner-terminated`) synchronously on a stopped actor.
 * - `ref.send(cx, msg)`: serializes, routes hop by hop (TTL), reports failure asynchronously as
 *   an `Undeliverable` returned to the sender.
 */
import { ActorId } from '../id.js';
import { EXT, registerExtension, CodecError } from '../codec.js';
import { ACTOR_PORT } from '../mailbox/mailbox.js';
import { PortRef, type PortHandle, type SendContext } from '../mailbox/ports.js';
import type { Headers } from '../mailbox/envelope.js';
import type { Instance } from './instance.js';
import { Signal } from './signal.js';
import type { ActorStatus, StatusWatch } from '../status.js';

export class ActorHandle<M> {
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

export class ActorRef<M> {
  declare readonly __message?: (value: M) => void;
  /** The handler port's ref, built once (the ref send hot path). */
  private handlerRef: PortRef<M> | undefined;
  constructor(readonly actorId: ActorId) {}

  /** A ref to an actor known only by id (upstream `attest`): the type is the caller's claim. */
  static attest<M>(actorId: ActorId): ActorRef<M> {
    return new ActorRef<M>(actorId);
  }

  /** The actor's handler port. */
  port(): PortRef<M> {
    this.handlerRef ??= new PortRef<M>(this.actorId.portId(ACTOR_PORT.HANDLER));
    return this.handlerRef;
  }

  send(cx: SendContext, message: M): void {
    this.port().send(cx, message);
  }

  sendWithHeaders(cx: SendContext, headers: Headers, message: M): void {
    this.port().sendWithHeaders(cx, headers, message);
  }

  /** The local handle, if the actor lives in `cx`'s proc and is running (upstream `downcast_handle`). */
  downcastHandle(cx: Pick<Instance<never>, 'proc'>): ActorHandle<M> | undefined {
    return cx.proc.resolveActorRef(this);
  }

  equals(other: ActorRef<unknown>): boolean {
    return this.actorId.equals(other.actorId);
  }

  toString(): string {
    return String(this.actorId);
  }
}

registerExtension(
  EXT.ACTOR_REF,
  ActorRef,
  (r: ActorRef<unknown>) => r.actorId,
  (d) => {
    if (!(d instanceof ActorId)) throw new CodecError('deserialize', 'malformed ActorRef');
    return new ActorRef(d);
  },
);
