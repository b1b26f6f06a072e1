/**
 * actor/actor.ts: the `Actor<M>` interface (spec §1.7), what user code implements.
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
import type { Instance } from './instance.js';

/** The context passed to handlers: the instance, with `headers` of the message being handled. */
export type Context<M> = Instance<M>;

export interface Actor<M> {
  /** Runs before any message; a throw fails the actor with `initialization error: ...`. */
  init?(cx: Instance<M>): void | Promise<void>;
  /** Handle one message. A throw fails the actor. */
  handle(cx: Context<M>, message: M): void | Promise<void>;
  /** Return true to absorb the event, false to fail with it (propagating it upward). */
  handleSupervisionEvent?(cx: Instance<M>, event: ActorSupervisionEvent): boolean | Promise<boolean>;
  /** A message this actor sent came back. Default: throw (the actor fails). */
  handleUndeliverableMessage?(cx: Context<M>, undeliverable: Undeliverable): void | Promise<void>;
  /** Runs after the loop and the children stopped (bounded by `cleanupTimeoutMs`). */
  cleanup?(cx: Instance<M>, error: ActorError | undefined): void | Promise<void>;
  /** A name for supervision messages and introspection. */
  displayName?(): string | undefined;
}
