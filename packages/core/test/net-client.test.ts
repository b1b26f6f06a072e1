/**
 * The sending side of a net session (`NetTx`) against a mock server that reads frames and writes
 * acks by hand (upstream `net.rs` `MockLink` tests: `test_ack_in_net_tx_basic`,
 * `test_persistent_net_tx`, `test_ack_before_redelivery_in_net_tx`,
 * `test_ack_exceeded_limit_with_connected_link`, `test_ack_exceeded_limit_with_broken_link`,
 * `test_tcp_tx_delivery_timeout`, `test_net_tx_closed_on_server_reject`; invariants NT-1..5).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import { SimulatedClock, type Timer } from '../src/clock.js';
import type { DialOptions } from '../src/channel/net/options.js';
import { dialNet, type NetTx } from '../src/channel/net/tx.js';
import type { SendError } from '../src/channel/types.js';
import { MockServer, captureLogger, unusedPort, waitFor } from './fixtures/net-helpers.js';

const quiet = pino({ level: 'silent' });
const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

async function mock(): Promise<MockServer> {
  const server = await MockServer.start();
  open.push(server);
  return server;
}

function dialT(addr: ChannelAddr, options: DialOptions<number> = {}): NetTx<number> {
  const tx = dialNet<number>(addr, { logger: quiet, ...options });
  open.push(tx);
  return tx;
}

function closed(tx: NetTx<number>): Promise<string> {
  return new Promise((resolve) => tx.onClose(resolve));
}

/** A simulated clock that records the delay of every timer scheduled on it. */
class RecordingClock extends SimulatedClock {
  readonly delays: number[] = [];
  override setTimeout(fn: () => void, ms: number): Timer {
    this.delays.push(ms);
    return super.setTimeout(fn, ms);
  }
}

const seqs = (from: number, values: number[]): [number, number][] => values.map((v, i) => [from + i, v]);

describe('NetTx against a mock server', () => {
  it('test_ack_in_net_tx_basic: acked messages are not sent again after a reconnect', { timeout: 10_000 }, async () => {
    const server = await mock();
    const tx = dialT(server.addr);
    for (const m of [100, 101, 102, 103, 104]) tx.post(m);
    const conn = await server.take();
    const session = await conn.verifyStream(seqs(0, [100, 101, 102, 103, 104]));
    for (let i = 0; i < 5; i++) conn.respond({ kind: 'ack', seq: i });
    await waitFor(() => tx.pending === 0, 'the acks to be processed');
    conn.drop();
    tx.post(105);
    const next = await server.take();
    assert.equal(await next.verifyStream([[5, 105]]), session);
  });

  it('test_persistent_net_tx: unacked messages are resent after every reconnect, pruned by acks (NT-3)', { timeout: 20_000 }, async () => {
    const server = await mock();
    const tx = dialT(server.addr);
    const n = 3;
    for (const m of [100, 101, 102, 103, 104]) tx.post(m);
    let session: bigint | undefined;
    for (let i = 0; i < n; i++) {
      const conn = await server.take();
      const id = await conn.verifyStream(seqs(0, [100, 101, 102, 103, 104]));
      session ??= id;
      assert.equal(id, session);
      if (i === n - 1) {
        conn.respond({ kind: 'ack', seq: 1 });
        await waitFor(() => tx.pending === 3, 'ack 1 to be processed');
      }
      conn.drop();
    }
    for (let i = 0; i < n; i++) {
      const conn = await server.take();
      assert.equal(await conn.verifyStream(seqs(2, [102, 103, 104])), session);
      conn.drop();
    }
    for (const m of [105, 106, 107, 108, 109]) tx.post(m);
    for (let i = 0; i < n; i++) {
      const conn = await server.take();
      await conn.verifyStream(seqs(2, [102, 103, 104, 105, 106, 107, 108, 109]));
      if (i === n - 1) {
        // Acking 1 again is harmless.
        for (const seq of [1, 2, 3]) conn.respond({ kind: 'ack', seq });
        await waitFor(() => tx.pending === 6, 'acks 2 and 3 to be processed');
      }
      conn.drop();
    }
    for (let i = 0; i < n; i++) {
      const conn = await server.take();
      await conn.verifyStream(seqs(4, [104, 105, 106, 107, 108, 109]));
      if (i === n - 1) {
        conn.respond({ kind: 'ack', seq: 7 });
        await waitFor(() => tx.pending === 2, 'ack 7 to be processed');
      }
      conn.drop();
    }
    for (let i = 0; i < n; i++) {
      const conn = await server.take();
      await conn.verifyStream(seqs(8, [108, 109]));
      conn.drop();
    }
  });

  it('test_ack_before_redelivery_in_net_tx: an ack that precedes its message settles it when written (NT-2)', { timeout: 10_000 }, async () => {
    const server = await mock();
    const tx = dialT(server.addr);
    const first = tx.send(100);
    const conn = await server.take();
    await conn.verifyStream([[0, 100]]);
    conn.respond({ kind: 'ack', seq: 0 });
    await first;
    // Ack seq 1 before the Tx sent it: as if a delivery went unnoticed.
    conn.respond({ kind: 'ack', seq: 1 });
    const second = tx.send(101);
    assert.deepEqual(await conn.nextMessage(), [1, 101]);
    await second;
    assert.equal(tx.pending, 0);
  });

  it('test_ack_exceeded_limit_with_connected_link: no ack within the timeout closes the Tx (NT-4)', { timeout: 10_000 }, async () => {
    const logs = captureLogger();
    const server = await mock();
    const clock = new SimulatedClock();
    const tx = dialT(server.addr, { messageDeliveryTimeoutMs: 300, logger: logs.logger, clock });
    const whenClosed = closed(tx);
    tx.post(100);
    const conn = await server.take();
    await conn.verifyStream([[0, 100]]);
    conn.respond({ kind: 'ack', seq: 0 });
    await waitFor(() => tx.pending === 0, 'ack 0');
    assert.equal(tx.status(), 'active');
    clock.advance(1_000); // nothing pending: no timer runs, the Tx stays open
    assert.equal(tx.status(), 'active');
    tx.post(101);
    assert.deepEqual(await conn.nextMessage(), [1, 101]);
    clock.advance(299);
    assert.equal(tx.status(), 'active', 'not before the timeout');
    clock.advance(1);
    assert.equal(tx.status(), 'closed', 'at the timeout, during advance (NT-9)');
    const reason = await whenClosed;
    assert.match(reason, /: failed to receive ack within timeout 300ms; link is currently connected$/);
    assert.equal(tx.closeError?.code, 'timeout');
    assert.ok(logs.has('failed to receive ack within timeout 300ms; link is currently connected'));
  });

  it('test_ack_exceeded_limit_with_broken_link: the same with the link down says "broken" (NT-4)', { timeout: 10_000 }, async () => {
    const logs = captureLogger();
    const server = await mock();
    const clock = new SimulatedClock();
    const tx = dialT(server.addr, { messageDeliveryTimeoutMs: 300, logger: logs.logger, clock });
    const whenClosed = closed(tx);
    tx.post(100);
    const conn = await server.take();
    await conn.verifyStream([[0, 100]]);
    conn.respond({ kind: 'ack', seq: 0 });
    await waitFor(() => tx.pending === 0, 'ack 0');
    const returned: SendError<number>[] = [];
    tx.post(101, (e) => returned.push(e));
    assert.deepEqual(await conn.nextMessage(), [1, 101]);
    server.stopListening();
    conn.drop();
    // The Tx saw the loss once it scheduled a reconnect beside the delivery timer.
    await waitFor(() => clock.pending === 2, 'the reconnect timer');
    clock.advance(300);
    const reason = await whenClosed;
    assert.match(reason, /: failed to receive ack within timeout 300ms; link is currently broken$/);
    assert.deepEqual(returned.map((e) => [e.code, e.value]), [['closed', 101]]);
    assert.ok(logs.has('link is currently broken'));
  });

  it('test_tcp_tx_delivery_timeout: a link that never connects closes the Tx (NT-4)', { timeout: 10_000 }, async () => {
    const logs = captureLogger();
    const addr = ChannelAddr.tcp('127.0.0.1', await unusedPort());
    const clock = new SimulatedClock();
    const tx = dialT(addr, { messageDeliveryTimeoutMs: 200, logger: logs.logger, clock });
    const returned = new Promise<SendError<number>>((resolve) => tx.post(123, resolve));
    clock.advance(199);
    assert.equal(tx.status(), 'active');
    clock.advance(1);
    const error = await returned;
    assert.equal(error.value, 123);
    assert.match(error.reason, /: failed to deliver message within timeout 200ms$/);
    assert.equal(tx.status(), 'closed');
    assert.ok(logs.has('failed to deliver message within timeout 200ms'));
  });

  it('NT-3: reconnects back off exponentially up to maxMs, on the injected clock, and reset after a connection', { timeout: 10_000 }, async () => {
    const server = await mock();
    const clock = new RecordingClock();
    const backoff = { initialMs: 50, multiplier: 2, maxMs: 150, jitter: 0 };
    const tx = dialT(server.addr, { messageDeliveryTimeoutMs: 60_000, backoff, clock });
    tx.post(100);
    const conn = await server.take();
    await conn.verifyStream([[0, 100]]);
    server.stopListening();
    conn.drop();
    const reconnects = (): number[] => clock.delays.slice(1); // [0] is the delivery timer
    await waitFor(() => reconnects().length === 1, 'the first reconnect timer');
    clock.advance(49);
    assert.equal(reconnects().length, 1, 'no attempt before the backoff passed');
    clock.advance(1); // attempt 1: refused, so the next wait doubles
    await waitFor(() => reconnects().length === 2, 'the second reconnect timer');
    clock.advance(100); // attempt 2: refused; the next wait is capped at maxMs
    await waitFor(() => reconnects().length === 3, 'the third reconnect timer');
    assert.deepEqual(reconnects(), [50, 100, 150]);
    await server.listenAgain();
    clock.advance(150); // attempt 3 connects
    const again = await server.take();
    // NT-11: the mock sends no join ack, so the resend waits out RESUME_WAIT_MS
    await waitFor(() => reconnects().length === 4, 'the resume timer');
    clock.advance(reconnects()[3] as number);
    await again.verifyStream([[0, 100]]);
    again.drop();
    await waitFor(() => reconnects().length === 5, 'the reconnect timer after a good connection');
    assert.equal(reconnects()[4], 50, 'a connection resets the backoff');
    assert.equal(tx.status(), 'active');
  });

  it('NT-11: a reconnection waits for the server\'s join ack and resends only what it did not ack', { timeout: 10_000 }, async () => {
    const server = await mock();
    const clock = new SimulatedClock();
    const tx = dialT(server.addr, { messageDeliveryTimeoutMs: 60_000, backoff: { initialMs: 1, multiplier: 1, maxMs: 1, jitter: 0 }, clock });
    for (const m of [100, 101, 102, 103]) tx.post(m);
    const conn = await server.take();
    await conn.verifyStream(seqs(0, [100, 101, 102, 103]));
    conn.drop();
    await waitFor(() => clock.pending === 2, 'the reconnect timer');
    clock.advance(1);
    const again = await server.take();
    await again.session;
    // as NR-3: a server holding next = 3 acks 2 at join; the Tx resends from seq 3, nothing before
    again.respond({ kind: 'ack', seq: 2 });
    assert.deepEqual(await again.nextMessage(), [3, 103]);
    await waitFor(() => tx.pending === 1, 'the join ack to prune 0..2');
  });

  it('NT-11: with no join ack (the server got nothing), the resend goes out after RESUME_WAIT_MS on the injected clock', { timeout: 10_000 }, async () => {
    const server = await mock();
    const clock = new RecordingClock();
    const tx = dialT(server.addr, { messageDeliveryTimeoutMs: 60_000, backoff: { initialMs: 1, multiplier: 1, maxMs: 1, jitter: 0 }, clock });
    tx.post(100);
    const conn = await server.take();
    await conn.verifyStream([[0, 100]]);
    conn.drop();
    await waitFor(() => clock.delays.length === 2, 'the reconnect timer');
    clock.advance(1);
    const again = await server.take();
    await waitFor(() => clock.delays.length === 3, 'the resume timer');
    assert.equal(again.frames.size, 0, 'nothing is resent before the wait');
    clock.advance(clock.delays[2] as number);
    assert.deepEqual(await again.nextMessage(), [0, 100]);
    assert.equal(tx.status(), 'active');
  });

  it('test_net_tx_closed_on_server_reject: Reject closes the Tx with the server\'s reason (NT-5)', { timeout: 10_000 }, async () => {
    const logs = captureLogger();
    const server = await mock();
    const tx = dialT(server.addr, { logger: logs.logger });
    const returned = new Promise<SendError<number>>((resolve) => tx.post(100, resolve));
    const conn = await server.take();
    await conn.verifyStream([[0, 100]]);
    conn.respond({ kind: 'reject', reason: 'testing' });
    const error = await returned;
    assert.deepEqual([error.code, error.value, error.reason], ['closed', 100, 'server rejected connection due to: testing']);
    assert.equal(tx.closeError?.code, 'rejected');
    assert.ok(logs.has('server rejected connection due to: testing'));
  });

  it('ignores an ack below the largest one seen, with a log line (NT-2)', { timeout: 10_000 }, async () => {
    const logs = captureLogger();
    const server = await mock();
    const tx = dialT(server.addr, { logger: logs.logger });
    for (const m of [0, 1, 2, 3, 4]) tx.post(m);
    const conn = await server.take();
    await conn.verifyStream(seqs(0, [0, 1, 2, 3, 4]));
    conn.respond({ kind: 'ack', seq: 3 });
    conn.respond({ kind: 'ack', seq: 1 });
    await logs.waitFor('received out-of-order ack; received: 1; stored largest: 3');
    assert.deepEqual([tx.pending, tx.status()], [1, 'active']);
  });

  it('keeps one session id and consecutive seqs from 0 across connections (NT-1)', { timeout: 10_000 }, async () => {
    const server = await mock();
    const tx = dialT(server.addr);
    tx.post(1);
    const conn = await server.take();
    const session = await conn.verifyStream([[0, 1]]);
    conn.respond({ kind: 'ack', seq: 0 });
    await waitFor(() => tx.pending === 0, 'ack 0');
    conn.drop();
    await conn.ended;
    tx.post(2);
    tx.post(3);
    const next = await server.take();
    assert.equal(await next.verifyStream([[1, 2], [2, 3]]), session);
    assert.notEqual(dialT(server.addr).sessionId, session);
  });
});
