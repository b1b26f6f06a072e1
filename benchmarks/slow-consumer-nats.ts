/**
 * benchmarks/slow-consumer-nats.ts: the NATS link of `slow-consumer.ts` (`--link nats`). A real
 * `nats-server` on loopback (started here, stopped at shutdown); the producer and the consumer
 * each run in a worker thread of their own, in a `Proc.direct` on that server's subjects
 * (`nats://127.0.0.1:<port>/sc.<role>`), so every item crosses the server (a NatsTx and a NatsRx,
 * the envelope codec) instead of a ring: flow control's path is the NatsTx's gate on its pending
 * messages (channel/nats/tx.ts NX-10) and the consumer proc's session hold, which stops taking
 * from and acking the session (rx.ts NS-9). Same actors (`slow-consumer-actors.ts`), same
 * counters, same samples; a thread's heap after a full GC is asked of the worker over its
 * `parentPort`. Without `nats-server` the setup throws, with the reason.
 *
 * The workers are slow-consumer-tcp.ts's `startDirectSetup` on the server's address: the two
 * links differ only in the address and in the server this one starts and stops.
 */
import { natsServerVersion, startNatsServer } from './lib/nats-server.js';
import { startDirectSetup, type SlowConsumerSetup } from './slow-consumer-tcp.js';

/** The NATS setup: a server, then the two direct procs on its subjects (`<url>/sc`). */
export async function startNatsSetup(counters: string, spinMicros: number, flowControl: boolean): Promise<SlowConsumerSetup> {
  if (natsServerVersion() === undefined) throw new Error('--link nats: nats-server is not installed (apt-get install nats-server)');
  const server = await startNatsServer();
  try {
    return await startDirectSetup(`${server.url}/sc`, counters, spinMicros, flowControl, () => server.stop());
  } catch (err) {
    server.stop();
    throw err;
  }
}
