/**
 * Ask across a tcp socket (actor/ask.ts, issue 12): two `Proc.direct` procs in one process, the
 * asker's proc on a simulated clock. One test per outcome that crosses the socket: reply,
 * timeout, undeliverable (no such actor on the peer: returned over the network; an address
 * nobody listens on: the link's delivery timeout), target stopped (MB-2 at the peer; queued at
 * its stop, RT-1; failing in its handler, RT-2).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ActorId, ActorRef, AskError, ChannelAddr, Proc, ProcId, type DirectProcOptions } from '../src/index.js';
import { SimulatedClock } from '../src/clock.js';
import { advanceUntil } from './fixtures/net-helpers.js';
import { Kv, type KvMsg } from './fixtures/ask-actors.js';

const T = { timeout: 15_000 };
const quiet = pino({ level: 'silent' });
const procs: Proc[] = [];

async function direct(name: string, options: DirectProcOptions = {}): Promise<Proc> {
  const proc = await Proc.direct('tcp:127.0.0.1:0', name, { logger: quiet, onCrash: () => undefined, ...options, serve: { logger: quiet }, dial: { logger: quiet, ...options.dial } });
  procs.push(proc);
  return proc;
}

afterEach(async () => {
  // no flush: a proc on a simulated clock would wait for acks on a clock nobody advances
  const stopping = procs.splice(0);
  await Promise.all(stopping.map((p) => p.stopServing('test over')));
});

/** An asker proc on a simulated clock and a peer proc with a `Kv`. */
async function pair(): Promise<{ clock: SimulatedClock; asker: Proc; kv: ActorRef<KvMsg>; peer: Proc }> {
  const clock = new SimulatedClock();
  const asker = await direct('asker', { clock });
  const peer = await direct('peer');
  const kv = peer.spawn('kv', new Kv()).bind();
  return { clock, asker, kv, peer };
}

function code(expected: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof AskError, `not an AskError: ${String(err)}`);
    assert.equal(err.code, expected, err.message);
    return true;
  };
}

describe('ask over tcp (issue 12)', () => {
  it('the reply crosses the socket back', T, async () => {
    const { asker, kv, peer } = await pair();
    const [client] = asker.instance('client');
    assert.equal(await kv.ask(client, { type: 'name' }), `${peer.procId},kv[0]`);
  });

  it('ask-timeout: the peer never answers; the asker proc\'s simulated clock runs out', T, async () => {
    const { clock, asker, kv } = await pair();
    const [client] = asker.instance('client');
    const asked = kv.ask(client, { type: 'ignore' }, { timeoutMs: 5_000 });
    await advanceUntil(clock, assert.rejects(asked, code('ask-timeout')), 100);
  });

  it('ask-undeliverable: no such actor on the peer (returned over the network)', T, async () => {
    const { asker, peer } = await pair();
    const [client] = asker.instance('client');
    const nobody = ActorRef.attest<KvMsg>(ActorId.root(peer.procId, 'nobody'));
    await assert.rejects(nobody.ask(client, { type: 'name' }), code('ask-undeliverable'));
  });

  it('ask-undeliverable: nobody listens at the address (the link gives up)', T, async () => {
    const clock = new SimulatedClock();
    const asker = await direct('asker', { clock, dial: { messageDeliveryTimeoutMs: 200, clock } });
    const [client] = asker.instance('client');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const ghost = ActorRef.attest<KvMsg>(new ActorId(ProcId.withName(ChannelAddr.parse(`tcp:127.0.0.1:${port}`), 'ghost'), 'kv', 0));
    await advanceUntil(clock, assert.rejects(ghost.ask(client, { type: 'name' }, { timeoutMs: 60_000 }), code('ask-undeliverable')), 10);
  });

  it('ask-target-stopped: queued at the peer actor\'s stop (RT-1), then at its closed mailbox (MB-2)', T, async () => {
    const { asker, kv } = await pair();
    const [client] = asker.instance('client');
    kv.send(client, { type: 'stop-when-queued', reason: 'peer kv stops' });
    await assert.rejects(kv.ask(client, { type: 'name' }), (err: unknown) => code('ask-target-stopped')(err) && /peer kv stops/.test((err as Error).message));
    await assert.rejects(kv.ask(client, { type: 'name' }), code('ask-target-stopped'));
  });

  it('ask-target-stopped: the peer actor fails while handling the request (RT-2)', T, async () => {
    const { asker, kv } = await pair();
    const [client] = asker.instance('client');
    await assert.rejects(kv.ask(client, { type: 'boom' }), (err: unknown) => code('ask-target-stopped')(err) && /kv cannot do that/.test((err as Error).message));
  });
});
