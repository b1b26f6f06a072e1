/**
 * Faults on a live net channel: a TCP proxy on loopback cuts the connection in the middle of a
 * stream of numbered messages (upstream `test_network_flakiness_in_channel`, with a real socket
 * cut instead of `MockLink`); the Tx reconnects and resends; every message arrives exactly
 * once, in order (NT-3, NR-1, NR-3). Also backpressure through a small Rx buffer (NR-5).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import { serveNet } from '../src/channel/net/rx.js';
import { dialNet } from '../src/channel/net/tx.js';
import { SimulatedClock } from '../src/clock.js';
import { CutProxy, advanceUntil, captureLogger } from './fixtures/net-helpers.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

describe('net channel under connection cuts', () => {
  it('test_network_flakiness_in_channel: cuts mid-frame, reconnects, delivers every message exactly once in order', { timeout: 15_000 }, async () => {
    const logs = captureLogger();
    const clock = new SimulatedClock();
    const [addr, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), {
      messageAckEveryNMessages: 1000,
      // Acks during the burst come only every 1000 messages; the ack timer (simulated) acks the tail.
      messageAckTimeIntervalMs: 200,
      logger: logs.logger,
      clock,
    });
    open.push(rx);
    // Byte counts chosen to fall inside frames: connections 0..2 are cut, later ones are not.
    const proxy = await CutProxy.start(addr, [25_000, 7_777, 40_001]);
    open.push(proxy);
    const tx = dialNet<number>(proxy.addr, { logger: logs.logger });
    open.push(tx);
    const total = 5000;
    for (let i = 0; i < total; i++) tx.post(i);
    for (let i = 0; i < total; i++) assert.equal(await rx.recv(), i);
    await advanceUntil(clock, tx.flush(), 50);
    assert.deepEqual([tx.pending, tx.status(), rx.buffered], [0, 'active', 0]);
    assert.ok(proxy.connections >= 4, `expected reconnections, saw ${proxy.connections} connections`);
    // NR-1 drops any resent frame the server already had (NT-11 makes them rare: a reconnection
    // resends from the server's join ack, unless that ack is later than RESUME_WAIT_MS)
    assert.equal(rx.sessionCount, 1);
    assert.ok(logs.has('connection closed mid-frame'), 'the server saw a frame cut in half');
  });

  it('survives cuts inside large frames (100 KiB payloads assembled across chunks)', { timeout: 15_000 }, async () => {
    const [addr, rx] = await serveNet<Uint8Array>(ChannelAddr.parse('tcp:127.0.0.1:0'), {
      messageAckEveryNMessages: 4,
      logger: captureLogger().logger,
    });
    open.push(rx);
    const proxy = await CutProxy.start(addr, [250_000, 130_001]);
    open.push(proxy);
    const tx = dialNet<Uint8Array>(proxy.addr, { logger: captureLogger().logger });
    open.push(tx);
    const size = 100 * 1024;
    for (let i = 0; i < 20; i++) tx.post(new Uint8Array(size).fill(i));
    for (let i = 0; i < 20; i++) {
      const got = await rx.recv();
      assert.equal(got.length, size);
      assert.ok(got[0] === i && got[size - 1] === i, `message ${i} intact`);
    }
    await tx.flush();
    assert.ok(proxy.connections >= 3);
  });

  it('delivers everything in order through a small Rx buffer, pausing and resuming reads (NR-5)', { timeout: 15_000 }, async () => {
    const [addr, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { rxBufferSize: 16, logger: captureLogger().logger });
    open.push(rx);
    const tx = dialNet<number>(addr, { logger: captureLogger().logger });
    open.push(tx);
    for (let i = 0; i < 20_000; i++) tx.post(i);
    for (let i = 0; i < 20_000; i++) {
      assert.equal(await rx.recv(), i);
      if (i % 1000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  });
});
