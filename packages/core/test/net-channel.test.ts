/**
 * The net channel end to end through `serve`/`dial` (spec §7.3), ported from upstream
 * `channel/net.rs` (`test_tcp_basic`, `test_unix_basic`, `test_unix_basic_client_before_server`,
 * `test_tcp_message_size`, `test_ack_flush`, `test_stop_net_tx_after_stopping_net_rx`) and
 * `channel.rs` (`test_multiple_connections`, `test_dial_serve`, `test_send`).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import type { NetTx } from '../src/channel/net/tx.js';
import { dial, serve } from '../src/channel/serve.js';
import { ChannelError, SendError, type Rx, type Tx } from '../src/channel/types.js';
import { SimulatedClock } from '../src/clock.js';
import { waitFor } from './fixtures/net-helpers.js';

const quiet = pino({ level: 'silent' });
const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

async function serveT<M>(addr: string, options: Parameters<typeof serve<M>>[1] = {}): Promise<[ChannelAddr, Rx<M>]> {
  const [bound, rx] = await serve<M>(addr, { logger: quiet, ...options });
  open.push(rx);
  return [bound, rx];
}

function dialT<M>(addr: ChannelAddr | string, options: Parameters<typeof dial<M>>[1] = {}): Tx<M> {
  const tx = dial<M>(addr, { logger: quiet, ...options });
  open.push(tx);
  return tx;
}

function returned<M>(tx: Tx<M>, message: M): Promise<SendError<M>> {
  return new Promise((resolve) => tx.post(message, resolve));
}

function abstractName(): string {
  return `unix:@procmesh-test-${randomBytes(6).toString('hex')}`;
}

/** Upstream's three-block basic test, over any net address. */
async function basic(addr: string): Promise<void> {
  const [bound, rx] = await serveT<number>(addr);
  {
    const tx = dialT<number>(bound);
    tx.post(123);
    assert.equal(await rx.recv(), 123);
  }
  {
    const tx = dialT<number>(bound);
    tx.post(321);
    tx.post(111);
    tx.post(444);
    assert.equal(await rx.recv(), 321);
    assert.equal(await rx.recv(), 111);
    assert.equal(await rx.recv(), 444);
  }
  {
    const clock = new SimulatedClock();
    const tx = dialT<number>(bound, { messageDeliveryTimeoutMs: 200, clock });
    rx.close();
    const whenReturned = returned(tx, 123);
    clock.advance(200); // the server is gone: the delivery timeout returns the message (NT-4)
    const error = await whenReturned;
    assert.equal(error.code, 'closed');
    assert.equal(error.value, 123);
  }
}

describe('net channel over tcp and unix', () => {
  it('test_tcp_basic: delivers in order and returns messages once the server is gone', { timeout: 10_000 }, async () => {
    await basic('tcp:127.0.0.1:0');
  });

  it('test_unix_basic: the same over an abstract unix socket', { timeout: 10_000 }, async () => {
    await basic(abstractName());
  });

  it('serves a filesystem unix socket and a random abstract name for "unix:"', { timeout: 10_000 }, async () => {
    const [any] = await serveT<number>('unix:');
    assert.match(String(any), /^unix:@[A-Za-z0-9]{24}$/);
    const path = `/tmp/procmesh-${randomBytes(6).toString('hex')}.sock`;
    const [bound, rx] = await serveT<number>(`unix:${path}`);
    assert.equal(String(bound), `unix:${path}`);
    dialT<number>(bound).post(7);
    assert.equal(await rx.recv(), 7);
  });

  it('test_unix_basic_client_before_server: a Tx dialed before the server connects once it serves', { timeout: 10_000 }, async () => {
    const addr = abstractName();
    const tx = dialT<number>(addr);
    tx.post(123);
    const [, rx] = await serveT<number>(addr);
    assert.equal(await rx.recv(), 123);
    tx.post(321);
    tx.post(111);
    tx.post(444);
    assert.deepEqual([await rx.recv(), await rx.recv(), await rx.recv()], [321, 111, 444]);
  });

  it('test_tcp_message_size: a frame above codecMaxFrameLength is returned and closes the Tx (NT-6)', { timeout: 10_000 }, async () => {
    const max = 64 * 1024;
    const [bound, rx] = await serveT<string>('tcp:127.0.0.1:0', { codecMaxFrameLength: max });
    const tx = dialT<string>(bound, { codecMaxFrameLength: max, messageDeliveryTimeoutMs: 1_000 }) as NetTx<string>;
    const fits = 'a'.repeat(max - 1024);
    tx.post(fits);
    assert.equal(await rx.recv(), fits);
    const tooBig = 'a'.repeat(max + 1024);
    const error = await returned(tx, tooBig);
    assert.equal(error.value, tooBig);
    assert.match(error.reason, /^rejecting oversize frame: len=\d+ > max=65536/);
    assert.equal(tx.status(), 'closed');
    assert.equal(tx.closeError?.code, 'frame-too-large');
  });

  it('test_ack_flush: stopping the server flushes the pending ack, so send resolves', { timeout: 10_000 }, async () => {
    const [bound, rx] = await serveT<number>('tcp:127.0.0.1:0', { messageAckEveryNMessages: 100_000_000, messageAckTimeIntervalMs: 60_000 });
    const tx = dialT<number>(bound, { messageDeliveryTimeoutMs: 5_000 });
    const sent = tx.send(1);
    assert.equal(await rx.recv(), 1);
    rx.close();
    await sent;
  });

  it('test_stop_net_tx_after_stopping_net_rx: Closed from the server closes the Tx', { timeout: 10_000 }, async () => {
    const [bound, rx] = await serveT<number>('tcp:127.0.0.1:0', { messageAckTimeIntervalMs: 10 });
    const tx = dialT<number>(bound);
    await tx.send(100);
    assert.equal(await rx.recv(), 100);
    rx.close('testing');
    await assert.rejects(rx.recv(), (e: unknown) => e instanceof ChannelError && e.code === 'closed');
    const reasons: string[] = [];
    tx.onClose((reason) => reasons.push(reason));
    tx.post(101);
    await waitFor(() => tx.status() === 'closed', 'the Tx to close');
    assert.deepEqual(reasons, ['server closed the channel']);
  });

  it('test_multiple_connections: 100 Txs, one message each, over tcp, unix and local', { timeout: 10_000 }, async () => {
    for (const addr of ['tcp:127.0.0.1:0', abstractName(), 'local:0']) {
      const [bound, rx] = await serveT<number>(addr);
      for (let i = 0; i < 100; i++) dialT<number>(bound).post(i);
      const received = new Set<number>();
      while (received.size < 100) received.add(await rx.recv());
      assert.deepEqual([...received].sort((a, b) => a - b), [...Array(100).keys()], addr);
    }
  });

  it('test_dial_serve: tcp, local, "unix:" and a named abstract socket', { timeout: 10_000 }, async () => {
    for (const addr of ['tcp:127.0.0.1:0', 'local:0', 'unix:', abstractName()]) {
      const [bound, rx] = await serveT<number>(addr);
      dialT<number>(bound).post(123);
      assert.equal(await rx.recv(), 123, addr);
    }
  });

  it('test_send: send resolves once acked and is returned after the server closed', { timeout: 10_000 }, async () => {
    for (const addr of ['tcp:127.0.0.1:0', 'local:0', abstractName()]) {
      const [bound, rx] = await serveT<number>(addr, { messageAckEveryNMessages: 1 });
      const tx = dialT<number>(bound, { messageDeliveryTimeoutMs: 1_000 });
      await tx.send(123);
      assert.equal(await rx.recv(), 123);
      rx.close();
      await assert.rejects(tx.send(123), (e: unknown) => e instanceof SendError && e.code === 'closed' && e.value === 123);
    }
  });

  it('flush resolves once every message posted before it was acked', { timeout: 10_000 }, async () => {
    const clock = new SimulatedClock();
    const [bound, rx] = await serveT<number>('tcp:127.0.0.1:0', { messageAckTimeIntervalMs: 20, clock });
    const tx = dialT<number>(bound) as NetTx<number>;
    for (let i = 0; i < 10; i++) tx.post(i);
    let flushed = false;
    const flush = tx.flush().then(() => (flushed = true));
    for (let i = 0; i < 10; i++) assert.equal(await rx.recv(), i);
    assert.equal(flushed, false, 'received is not acked: the ack waits for the interval');
    clock.advance(20);
    await flush;
    assert.equal(tx.pending, 0);
  });

  it('close() returns every pending message with code closed and tells onClose (NT-5)', { timeout: 10_000 }, async () => {
    const [bound] = await serveT<number>('tcp:127.0.0.1:0', { messageAckEveryNMessages: 1_000_000, messageAckTimeIntervalMs: 60_000 });
    const tx = dialT<number>(bound);
    const errors: SendError<number>[] = [];
    const reasons: string[] = [];
    tx.onClose((reason) => reasons.push(reason));
    for (let i = 0; i < 3; i++) tx.post(i, (e) => errors.push(e));
    tx.close('done here');
    assert.deepEqual(errors.map((e) => [e.code, e.value, e.reason]), [0, 1, 2].map((i) => ['closed', i, 'done here']));
    assert.deepEqual(reasons, ['done here']);
    tx.post(9, (e) => errors.push(e));
    assert.equal(errors.at(-1)?.value, 9);
  });

  it('lets recv drain what arrived before close, then rejects (CH-5, NR-6)', { timeout: 10_000 }, async () => {
    const [bound, rx] = await serveT<number>('tcp:127.0.0.1:0', { messageAckEveryNMessages: 1 });
    const tx = dialT<number>(bound);
    await tx.send(1);
    await tx.send(2);
    rx.close();
    assert.deepEqual([await rx.recv(), await rx.recv()], [1, 2]);
    await assert.rejects(rx.recv(), (e: unknown) => e instanceof ChannelError && e.code === 'closed');
    await rx.join();
  });

  it('returns a message the codec cannot encode and stays open (NT-7)', { timeout: 10_000 }, async () => {
    const [bound, rx] = await serveT<number>('tcp:127.0.0.1:0');
    const codec = {
      encode(m: number): Uint8Array {
        if (m < 0) throw new Error('negative');
        return Uint8Array.of(m);
      },
      decode: (bytes: Uint8Array): number => bytes[0]!,
    };
    const tx = dialT<number>(bound, { codec });
    const error = await returned(tx, -1);
    assert.deepEqual([error.code, error.reason], ['protocol', 'serialization error: negative']);
    assert.equal(tx.status(), 'active');
    tx.post(5);
    assert.equal(await rx.recv(), 5);
  });

  it('rejects a second listener on a bound port with ChannelError io', { timeout: 10_000 }, async () => {
    const [bound] = await serveT<number>('tcp:127.0.0.1:0');
    await assert.rejects(serve<number>(bound), (e: unknown) => e instanceof ChannelError && e.code === 'io' && e.message.startsWith(`listen: ${bound} `));
  });

  it('closes a Tx whose TLS material is unusable instead of throwing from post', { timeout: 10_000 }, async () => {
    const tx = dialT<number>('tls:localhost:1', { tls: { cert: 'not a certificate', key: 'not a key' } }) as NetTx<number>;
    const error = await returned(tx, 1);
    assert.match(error.reason, /^connection to tls:localhost:1 failed: /);
    assert.equal(tx.closeError?.code, 'io');
  });

  it('refuses to serve local:N for N != 0 with upstream\'s message', { timeout: 10_000 }, async () => {
    await assert.rejects(serve('local:5'), (e: unknown) => e instanceof ChannelError && e.code === 'invalid-address' && e.message === 'invalid local addr: 5');
  });
});
