/**
 * The `nats:` channel (channel/nats/) against a real `nats-server` started by the tests: in-order
 * exactly-once delivery and `flush` (NX-1, NS-1, NS-2), one receiver per subject (NS-6), loss
 * injected between the two ends recovered by NAKs and probes (NX-3), a server killed and
 * restarted mid-stream (NC-3, NX-3), the delivery timeout with no receiver (NX-5, simulated
 * clock), the receiver closing (NS-5, NX-6), a restarted receiver rejecting an old session
 * (NS-3), an unreachable server (NC-2) and malformed frames (NS-4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ChannelError, SendError, type Rx } from '../src/channel/types.js';
import { dial, serve } from '../src/channel/serve.js';
import { NatsRx } from '../src/channel/nats/rx.js';
import { NatsTx } from '../src/channel/nats/tx.js';
import { SimulatedClock } from '../src/clock.js';
import { prng } from '../src/testing.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';
import { unusedPort, waitFor } from './fixtures/net-helpers.js';

const T = { timeout: 30_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });

type Num = { readonly n: number };

async function takeInOrder(rx: Rx<Num>, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const got = await rx.recv();
    assert.equal(got.n, i, `message ${i} out of order`);
  }
}

describe('nats channel', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let url: string;
  let subjects = 0;
  const subject = (): string => `${url}/t.ch${subjects++}`;

  before(async () => {
    server = await NatsServer.start();
    url = `nats://${server.hostPort}`;
  });
  after(async () => {
    await server.dispose();
  });

  it('delivers in post order, exactly once, and flush resolves once acked (NX-1, NS-1, NS-2)', T, async () => {
    const [addr, rx] = await serve<Num>(subject(), { logger: quiet });
    const tx = dial<Num>(addr, { logger: quiet }) as NatsTx<Num>;
    for (let n = 0; n < 5_000; n++) tx.post({ n });
    await takeInOrder(rx, 5_000);
    await tx.flush();
    assert.equal(tx.pending, 0);
    assert.equal((rx as NatsRx<Num>).buffered, 0);
    tx.close();
    rx.close();
    await rx.join();
  });

  it('send resolves once the receiver acked the message', T, async () => {
    const [addr, rx] = await serve<Num>(subject(), { logger: quiet });
    const tx = dial<Num>(addr, { logger: quiet });
    await tx.send({ n: 7 });
    assert.deepEqual(await rx.recv(), { n: 7 });
    tx.close();
    rx.close();
    await rx.join();
  });

  it('refuses to serve a subject that is served already (NS-6)', T, async () => {
    const at = subject();
    const [, rx] = await serve<Num>(at, { logger: quiet });
    await assert.rejects(serve<Num>(at, { logger: quiet }), (e: unknown) => e instanceof ChannelError && e.code === 'address-in-use');
    rx.close();
    await rx.join();
  });

  it('recovers messages lost between the ends: resent, duplicates dropped, in order (NX-3, NS-1)', T, async () => {
    // A relay on its own connection forwards the Tx's subject to the Rx's, dropping ~10% of the
    // frames (seeded), the tail included: what core NATS does to a server's buffers when it dies.
    const relayed = subject().split('/').pop() as string;
    const [addr, rx] = await serve<Num>(subject(), { logger: quiet });
    const nc: NatsConnection = await connect({ servers: server.hostPort });
    const random = prng(15);
    let dropped = 0;
    nc.subscribe(relayed, {
      callback: (_err, msg) => {
        if (random() < 0.1) {
          dropped++;
          return;
        }
        nc.publish(addr.subject, msg.data, msg.reply !== undefined ? { reply: msg.reply } : {});
      },
    });
    await nc.flush();
    const tx = new NatsTx<Num>(addr.withSubject(relayed), { logger: quiet });
    for (let n = 0; n < 3_000; n++) {
      tx.post({ n });
      if (n % 100 === 99) await new Promise((resolve) => setImmediate(resolve)); // many DATA messages
    }
    await takeInOrder(rx, 3_000);
    await tx.flush();
    assert.ok(dropped > 0, 'the relay dropped frames');
    assert.ok(tx.resentCount > 0, 'the Tx resent');
    assert.equal(tx.pending, 0);
    assert.equal((rx as NatsRx<Num>).buffered, 0, 'nothing delivered twice');
    tx.close();
    rx.close();
    await rx.join();
    await nc.close();
  });

  it('keeps the session across a server killed and restarted mid-stream (NC-3, NX-3)', T, async () => {
    const own = await NatsServer.start();
    try {
      const base = `nats://${own.hostPort}`;
      const options = { servers: own.hostPort, reconnectTimeWaitMs: 50 };
      const [addr, rx] = await serve<Num>(`${base}/t.restart`, { logger: quiet, nats: options });
      const tx = dial<Num>(addr, { logger: quiet, nats: options }) as NatsTx<Num>;
      const total = 20_000;
      let received = 0;
      const reading = (async () => {
        for (; received < total; received++) assert.equal((await rx.recv()).n, received);
      })();
      for (let n = 0; n < total / 2; n++) tx.post({ n });
      await waitFor(() => received >= 2_000, 'first messages', 10_000);
      await own.kill();
      for (let n = total / 2; n < total; n++) tx.post({ n }); // posted while the server is down
      await own.restart();
      await reading;
      await tx.flush();
      assert.equal(tx.pending, 0);
      assert.equal((rx as NatsRx<Num>).buffered, 0);
      tx.close();
      rx.close();
      await rx.join();
    } finally {
      await own.dispose();
    }
  });

  it('returns messages nobody receives after the delivery timeout (NX-5)', T, async () => {
    const clock = new SimulatedClock();
    const tx = dial<Num>(subject(), { logger: quiet, clock, messageDeliveryTimeoutMs: 1_000 }) as NatsTx<Num>;
    const returned = new Promise<SendError<Num>>((resolve) => tx.post({ n: 1 }, resolve));
    await waitFor(() => (tx as unknown as { link: unknown }).link !== undefined, 'the connection');
    clock.advance(1_000);
    const err = await returned;
    assert.equal(err.code, 'closed');
    assert.match(err.reason, /within timeout 1s/);
    assert.equal(tx.closeError?.code, 'timeout');
  });

  it('closes the Tx and returns what is pending when the receiver closes (NS-5, NX-6)', T, async () => {
    const [addr, rx] = await serve<Num>(subject(), { logger: quiet });
    const tx = dial<Num>(addr, { logger: quiet }) as NatsTx<Num>;
    await tx.send({ n: 0 });
    assert.deepEqual(await rx.recv(), { n: 0 });
    const closed = new Promise<string>((resolve) => tx.onClose(resolve));
    rx.close('receiver done');
    assert.equal(await closed, 'server closed the channel');
    assert.equal(tx.closeError?.code, 'closed');
    const back = await new Promise<SendError<Num>>((resolve) => tx.post({ n: 1 }, resolve));
    assert.equal(back.code, 'closed');
    await assert.rejects(rx.recv(), (e: unknown) => e instanceof ChannelError && e.code === 'closed');
  });

  it('rejects the old session at a new receiver that never said CLOSED (NS-3)', T, async () => {
    const at = subject();
    const [addr, first] = await serve<Num>(at, { logger: quiet });
    const tx = new NatsTx<Num>(addr, { logger: quiet });
    await tx.send({ n: 0 });
    // the receiver vanishes without a word (its process died): unsubscribe under it
    ((first as unknown as { sub: { unsubscribe(): void } }).sub).unsubscribe();
    const [, second] = await serve<Num>(at, { logger: quiet });
    const back = await new Promise<SendError<Num>>((resolve) => tx.post({ n: 1 }, resolve));
    assert.equal(back.code, 'closed');
    assert.equal(tx.closeError?.code, 'rejected');
    assert.match(tx.closeError?.message ?? '', /unknown to this receiver/);
    second.close();
    first.close();
    await Promise.all([first.join(), second.join()]);
  });

  it('an unreachable server is a typed error, not a hang (NC-2)', T, async () => {
    const port = await unusedPort();
    await assert.rejects(serve<Num>(`nats://127.0.0.1:${port}/t.x`, { logger: quiet }), (e: unknown) => e instanceof ChannelError && e.code === 'unreachable');
    const tx = dial<Num>(`nats://127.0.0.1:${port}/t.x`, { logger: quiet }) as NatsTx<Num>;
    const back = await new Promise<SendError<Num>>((resolve) => tx.post({ n: 1 }, resolve));
    assert.equal(back.code, 'closed');
    assert.equal(tx.closeError?.code, 'unreachable');
  });

  it('drops malformed frames and keeps serving (NS-4)', T, async () => {
    const [addr, rx] = await serve<Num>(subject(), { logger: quiet });
    const nc = await connect({ servers: server.hostPort });
    nc.publish(addr.subject, new Uint8Array([1, 2, 3]), { reply: 'nowhere' });
    nc.publish(addr.subject, new Uint8Array(30).fill(9), { reply: 'nowhere' });
    nc.publish(addr.subject, new Uint8Array(30));
    await nc.flush();
    const tx = dial<Num>(addr, { logger: quiet });
    await tx.send({ n: 1 });
    assert.deepEqual(await rx.recv(), { n: 1 });
    tx.close();
    rx.close();
    await rx.join();
    await nc.close();
  });
});
