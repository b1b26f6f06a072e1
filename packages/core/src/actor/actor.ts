/**
 * actor/actor.ts: the hooks of `Actor<M>` (spec §1.7), what user code implements (`Actor<M>`
 * and `Context<M>` themselves are closed over the instance in actor/instance.ts).
 *
 * `M` is the actor's message type, usually a discriminated union on `type`. Every hook but
 * `handle` is optional; the defaults are upstream's:
 * - `handleSupervisionEvent`: absorb clean stops, propagate failures (`!event.isError()`).
 * - `handleUndeliverableMessage`: throw `UndeliverableMessageError`, so a bounced message makes
 *   the sender fail.
 *
 * A handler may be synchronous (returns nothing: no promise is created, the fast path) or
 * async; either way one message is handled to completion before the next (DESIGN decision 4).
 *
 * @example
 * ```ts
 * type CounterMsg = { type: 'inc'; by: number } | { type: 'get'; reply: OncePortRef<number> };
 * class Counter implements Actor<CounterMsg> {
 *   private count = 0;
 *   handle(cx: Context<CounterMsg>, msg: CounterMsg) {
 *     if (msg.type === 'inc') this.count += msg.by;
 *     else msg.reply.send(cx, this.count);
 *   }
 * }
 * ```
 */
import type { Undeliverable } from '../mailbox/envelope.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import type { ActorError } from './errors.js';

/**
 * The hooks of an actor over its context type `Cx`. actor/instance.ts closes it over the
 * instance: `interface Actor<M> extends ActorHooks<M, Instance<M>>` and `Context<M> = Instance<M>`
 * (so this file needs no import of the instance, which runs actors).
 */
export interface ActorHooks<M, Cx> {
  /** Runs before any message; a throw fails the actor with `initialization error: ...`. */
  init?(cx: Cx): void | Promise<void>;
  /** Handle one message. A throw fails the actor. */
  handle(cx: Cx, message: M): void | Promise<void>;
  /** Return true to absorb the event, false to fail with it (propagating it upward). */
  handleSupervisionEvent?(cx: Cx, event: ActorSupervisionEvent): boolean | Promise<boolean>;
  /** A message this actor sent came back. Default: throw (the actor fails). */
  handleUndeliverableMessage?(cx: Cx, undeliverable: Undeliverable): void | Promise<void>;
  /** Runs after the loop and the children stopped (bounded by `cleanupTimeoutMs`). */
  cleanup?(cx: Cx, error: ActorError | undefined): void | Promise<void>;
  /** A name for supervision messages and introspection. */
  displayName?(): string | undefined;
}
