/**
 * system-ports.ts: the signal and introspect ports of a proc's instances (spec §1.5, §1.12),
 * bound on their first envelope (mailbox/mailbox.ts MB-6: an actor nobody signals by ref or
 * queries costs neither). Each checks what it is delivered (SP-1, PT-6): a payload of another
 * type goes back to its sender, the port stays bound (MB-5), and the instance never sees it.
 */
import type { Logger } from 'pino';
import { ACTOR_PORT } from './id.js';
import type { Instance } from './actor/instance.js';
import { Signal } from './actor/signal.js';
import { actorPayload, childPayload, entityPayload, isIntrospectMessage, type IntrospectMessage } from './introspect.js';

/** The well-known ports a spawned actor binds lazily; an introspectable client has no signal port. */
export const SIGNAL_AND_INTROSPECT: readonly number[] = [ACTOR_PORT.SIGNAL, ACTOR_PORT.INTROSPECT];
export const INTROSPECT_ONLY: readonly number[] = [ACTOR_PORT.INTROSPECT];

/** Bind `instance`'s system port at `index` now (its first envelope arrived). */
export function bindSystemPort<M>(instance: Instance<M>, index: number, logger: Logger): void {
  const mailbox = instance.mailbox;
  if (index === ACTOR_PORT.SIGNAL) {
    mailbox.openEnqueuePort<Signal>(ACTOR_PORT.SIGNAL, (signal) => instance.signal(signal), 'Signal', Signal.isSignal).bindActorPort();
    return;
  }
  const cell = instance.cell;
  mailbox
    .openEnqueuePort<IntrospectMessage>(
      ACTOR_PORT.INTROSPECT,
      (message) => {
        // S1, S2: answered on a microtask, outside the actor loop.
        queueMicrotask(() => {
          try {
            const result =
              message.type === 'query-child'
                ? childPayload(cell, message.childRef)
                : message.view === 'entity'
                  ? entityPayload(cell)
                  : actorPayload(cell);
            message.reply.send(instance, result);
          } catch (err) {
            // SP-1: nothing a query carries may throw out of the microtask
            logger.warn({ err }, 'introspection reply failed');
          }
        });
      },
      'IntrospectMessage',
      isIntrospectMessage,
    )
    .bindActorPort();
}
