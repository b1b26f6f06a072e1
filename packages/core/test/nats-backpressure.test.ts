/**
 * Backpressure over a `nats:` channel against a real `nats-server`: a receiver nobody reads
 * holds at most `rxBufferSize` messages (NS-8), the sender's window fills and its queue stops
 * at `natsMaxPending` for a sender that waits for `ready()` (NX-9); once the consumer reads
 * again, what was dropped at the full receiver is resent and everything arrives once, in order.
 * Bounds are counts, never times.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { serve } from '../src/channel/serve.js';
import { NatsRx } from '../src/channel/nats/rx.js';
import { NatsTx } from '../src/channel/nats/tx.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';
import { waitFor } from './fixtures/net-helpers.js';

const T = { timeout: 60_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });

type Num = { readonly n: number };

describe('nats backpressure', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let url: string;

  before(async () => {
    server = await NatsServer.start();
    url = `nats://${server.hostPort}`;
  });
  after(async () => {
    await server.dispose();
  });

  it('a slow consumer bounds the receiver and the sender, and loses nothing (NS-8, NX-9)', T, async () => {
    const rxBufferSize = 500;
    const maxPending = 1_000;
    const total = 20_000;
    const [addr, served] = await serve<Num>(`${url}/t.slow`, { logger: quiet, rxBufferSize, messageAckEveryNMessages: 50 });
    const rx = served as NatsRx<Num>;
    let overs = 0;
    let unders = 0;
    const tx = new NatsTx<Num>(addr, {
      logger: quiet,
      natsWindow: 200,
      natsMaxPending: maxPending,
      natsWatermarks: { over: () => overs++, under: () => unders++ },
    });
    let posted = 0;
    const sending = (async () => {
      for (; posted < total; posted++) {
        if (tx.overloaded) await tx.ready();
        tx.post({ n: posted });
        if (posted % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
      }
    })();

    // Nobody reads: the receiver fills, stops taking, and the sender is told to wait.
    await waitFor(() => tx.overloaded && rx.starvedSessions === 1, 'the sender waits on a full receiver', 30_000);
    assert.equal(rx.buffered, rxBufferSize, 'the receiver holds exactly its bound');
    assert.ok(tx.pending <= maxPending + 1, `the sender waits with ${tx.pending} pending`);
    assert.ok(posted < total, 'the sender stopped before the end');
    assert.ok(overs > 0, 'the watermark was told');

    // The consumer comes back: everything arrives, once and in order.
    for (let n = 0; n < total; n++) {
      const got = await rx.recv();
      assert.equal(got.n, n, `message ${n} out of order`);
    }
    await sending;
    await tx.flush();
    assert.ok(rx.peakBuffered <= rxBufferSize, `receiver peak ${rx.peakBuffered} over ${rxBufferSize}`);
    assert.ok(tx.peakPending <= maxPending + 1, `sender peak ${tx.peakPending} over ${maxPending} + 1`);
    assert.ok(tx.resentCount > 0, 'what the full receiver dropped was resent');
    assert.ok(unders > 0, 'the watermark was told it is back under');
    assert.equal(tx.pending, 0);
    assert.equal(rx.buffered, 0, 'nothing delivered twice');
    tx.close();
    rx.close();
    await rx.join();
  });

  it('a receive loop that polls takes every buffered message and keeps the order (SR-2)', T, async () => {
    const [addr, served] = await serve<Num>(`${url}/t.poll`, { logger: quiet });
    const rx = served as NatsRx<Num>;
    const tx = new NatsTx<Num>(addr, { logger: quiet });
    for (let n = 0; n < 3_000; n++) tx.post({ n });
    await tx.flush();
    const first = await rx.recv();
    assert.equal(first.n, 0);
    let n = 1;
    for (let got = rx.poll(); got !== undefined; got = rx.poll()) assert.equal(got.n, n++);
    assert.equal(n, 3_000, 'all were buffered after the flush');
    assert.equal(rx.poll(), undefined);
    tx.close();
    rx.close();
    await rx.join();
  });
});
