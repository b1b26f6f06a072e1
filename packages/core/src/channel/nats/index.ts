/**
 * channel/nats: the `nats:` channel (exported by `@procmesh/core/transport`; DESIGN decision
 * 15): a subject on a NATS system per served endpoint (`nats://host:port/app.procs.p1`), with
 * upstream's session promise (per-session sequence numbers, cumulative acks, resend after a
 * loss, duplicates dropped, ordered, exactly once per session, the delivery timeout) kept over
 * core NATS by tx.ts/rx.ts; the NATS client's own connection options for servers, credentials
 * and TLS (options.ts); one shared connection per proc (client.ts); and name discovery by
 * request/reply on well-known subjects (directory.ts).
 *
 * @example
 * ```ts
 * import { serve, dial } from '@procmesh/core/transport';
 * const [addr, rx] = await serve<{ n: number }>('nats://127.0.0.1:4222/app.inbox');
 * const tx = dial<{ n: number }>(addr);
 * await tx.send({ n: 1 });           // resolves once the receiver acked it
 * console.log(await rx.recv());      // { n: 1 }
 * tx.close();
 * rx.close();
 * ```
 */
export { serveNats, NatsRx, type NatsServeOptions } from './rx.js';
export { dialNats, NatsTx, DEFAULT_NATS_WINDOW, type NatsDialOptions } from './tx.js';
export { NatsDirectory, type NatsDirectoryEntry } from './directory.js';
export type { NatsChannelOptions, NatsOptions, NatsTlsOptions, PendingWatermarks } from './options.js';
