/**
 * The `nats:` channel on a 3-node NATS cluster (real `nats-server`s routed to each other): a
 * stream of 100 000 numbered envelopes from one `Proc.direct` proc to an actor of another,
 * while the server that one of them is connected to is killed (SIGKILL) mid-stream. The client
 * fails over to another node it learned from the cluster (NC-3), the session rewinds (NX-3) and
 * the receiver drops what arrives twice (NS-1): 0 lost, 0 duplicated, in order.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { Proc, type Actor, type ActorRef, type Context, type NatsOptions } from '../src/index.js';
import { NatsServer, natsServerMissing, startCluster } from './fixtures/nats-server.js';
import { waitFor } from './fixtures/net-helpers.js';

const T = { timeout: 60_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });
const TOTAL = 100_000;

type NumMsg = { readonly type: 'n'; readonly n: number };

/** Checks the numbers: each must be the next one. */
class Sequence implements Actor<NumMsg> {
  received = 0;
  next = 0;
  duplicated = 0;
  skipped = 0;
  handle(_cx: Context<NumMsg>, msg: NumMsg): void {
    this.received++;
    if (msg.n === this.next) this.next++;
    else if (msg.n < this.next) this.duplicated++;
    else {
      this.skipped += msg.n - this.next;
      this.next = msg.n + 1;
    }
  }
}

describe('nats cluster failover', { skip: natsServerMissing }, () => {
  let cluster: NatsServer[] = [];
  const procs: Proc[] = [];

  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stopServing('test over')));
    await Promise.all(cluster.splice(0).map((s) => s.dispose()));
  });

  /** Sender connected to node 0, receiver to node 1; kill node `victim` once 30 000 arrived. */
  async function streamWhileKilling(victim: 0 | 1): Promise<void> {
    cluster = await startCluster(3);
    const [a, b] = cluster as [NatsServer, NatsServer, NatsServer];
    const senderNats: NatsOptions = { servers: a.hostPort, reconnectTimeWaitMs: 50 };
    const receiverNats: NatsOptions = { servers: b.hostPort, reconnectTimeWaitMs: 50 };
    const sender = await Proc.direct(`nats://${a.hostPort}/c`, 'sender', { logger: quiet, nats: senderNats, serve: { logger: quiet }, dial: { logger: quiet } });
    const receiver = await Proc.direct(`nats://${b.hostPort}/c`, 'receiver', { logger: quiet, nats: receiverNats, serve: { logger: quiet }, dial: { logger: quiet } });
    procs.push(sender, receiver);
    const sequence = new Sequence();
    const ref: ActorRef<NumMsg> = receiver.spawn('sequence', sequence).bind();
    const [client] = sender.instance('client');

    for (let n = 0; n < TOTAL; n++) ref.send(client, { type: 'n', n });
    await waitFor(() => sequence.received >= 30_000, '30 000 received', 30_000);
    const atKill = sequence.received;
    await cluster[victim]!.kill();
    await waitFor(() => sequence.next >= TOTAL, 'every number', 45_000);
    await sender.flush();

    assert.ok(atKill < TOTAL, `the node died mid-stream (at ${atKill})`);
    assert.equal(sequence.skipped, 0, 'lost');
    assert.equal(sequence.duplicated, 0, 'duplicated');
    assert.equal(sequence.received, TOTAL, 'handled exactly once each');
    assert.equal(sequence.next, TOTAL);
  }

  it("kills the sender's server mid-stream of 100 000: 0 lost, 0 duplicated, in order", T, async () => {
    await streamWhileKilling(0);
  });

  it("kills the receiver's server mid-stream of 100 000: 0 lost, 0 duplicated, in order", T, async () => {
    await streamWhileKilling(1);
  });
});
