/**
 * The server side of a net session, driven by a raw client that writes frames by hand (upstream
 * `net.rs` `test_persistent_server_session`, `test_ack_from_server_session`,
 * `test_server_rejects_conn_on_out_of_sequence_message`, `test_ack_every_n_messages`,
 * `test_ack_every_time_interval`; invariants NR-1..3).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import { SimulatedClock } from '../src/clock.js';
import type { ServeOptions } from '../src/channel/net/options.js';
import { serveNet, type NetRx } from '../src/channel/net/rx.js';
import { ChannelError } from '../src/channel/types.js';
import { RawClient } from './fixtures/net-helpers.js';

const quiet = pino({ level: 'silent' });
const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

async function serveT(options: ServeOptions<number>): Promise<[ChannelAddr, NetRx<number>]> {
  const [bound, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { logger: quiet, ...options });
  open.push(rx);
  return [bound, rx];
}

async function client(addr: ChannelAddr): Promise<RawClient> {
  const raw = await RawClient.connect(addr);
  open.push({ close: () => raw.destroy() });
  return raw;
}

describe('net server sessions', () => {
  it('test_persistent_server_session: a session continues across connections, retransmits dropped', { timeout: 10_000 }, async () => {
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 1 });
    const session = 123n;
    const first = await client(addr);
    first.writeStream(session, [[0, 100], [1, 101], [2, 102], [3, 103]]);
    assert.deepEqual([await rx.recv(), await rx.recv(), await rx.recv()], [100, 101, 102]);
    await first.verifyAck(3);
    first.end();
    await first.closed;
    assert.equal(await rx.recv(), 103);

    const second = await client(addr);
    second.writeStream(session, [[2, 102], [3, 103], [4, 104], [5, 105]]);
    // 102 and 103 were delivered on the first connection: not again.
    assert.deepEqual([await rx.recv(), await rx.recv()], [104, 105]);
    await second.verifyAck(5);
    assert.equal(rx.duplicatesDropped, 2);
    rx.close();
    await assert.rejects(rx.recv(), (e: unknown) => e instanceof ChannelError && e.code === 'closed');
    assert.deepEqual(await second.next('Closed'), { kind: 'closed' });
    await second.closed;
    assert.equal(second.responses.size, 0);
  });

  it('test_ack_from_server_session: with ack-every-1, each message is acked in turn', { timeout: 10_000 }, async () => {
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 1 });
    const raw = await client(addr);
    for (let i = 0; i < 100; i++) {
      raw.writeStream(i === 0 ? 123n : undefined, [[i, 100 + i]]);
      assert.equal(await rx.recv(), 100 + i);
      assert.deepEqual(await raw.next(`ack ${i}`), { kind: 'ack', seq: i });
    }
    rx.close();
    assert.deepEqual(await raw.next('Closed'), { kind: 'closed' });
    await raw.closed;
    assert.equal(raw.responses.size, 0);
  });

  it('test_server_rejects_conn_on_out_of_sequence_message: a gap is rejected with the expected seq (NR-1)', { timeout: 10_000 }, async () => {
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 1 });
    const raw = await client(addr);
    raw.writeStream(123n, [[0, 100], [1, 101], [3, 103]]);
    assert.deepEqual([await rx.recv(), await rx.recv()], [100, 101]);
    assert.deepEqual(await raw.next(), { kind: 'ack', seq: 0 });
    assert.deepEqual(await raw.next(), { kind: 'ack', seq: 1 });
    assert.deepEqual(await raw.next(), { kind: 'reject', reason: 'out-of-sequence message, expected seq 2, got 3' });
    await raw.closed;
  });

  it('rejects every later connection of a rejected session with the same reason (NR-1)', { timeout: 10_000 }, async () => {
    const [addr] = await serveT({ messageAckEveryNMessages: 1 });
    const raw = await client(addr);
    raw.writeStream(77n, [[1, 1]]);
    assert.deepEqual(await raw.next(), { kind: 'reject', reason: 'out-of-sequence message, expected seq 0, got 1' });
    const again = await client(addr);
    again.writeStream(77n, [[0, 0]]);
    assert.deepEqual(await again.next(), { kind: 'reject', reason: 'out-of-sequence message, expected seq 0, got 1' });
    await again.closed;
  });

  it('test_ack_every_n_messages: acks exactly every N messages when the interval never elapses (NR-2)', { timeout: 10_000 }, async () => {
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 600, messageAckTimeIntervalMs: 1_000_000 });
    const raw = await client(addr);
    const messages = Array.from({ length: 1800 }, (_, i) => [i, i] as const);
    raw.writeStream(5n, messages);
    for (let i = 0; i < 1800; i++) assert.equal(await rx.recv(), i);
    for (const seq of [599, 1199, 1799]) assert.deepEqual(await raw.next(`ack ${seq}`), { kind: 'ack', seq });
    raw.writeStream(undefined, [[1800, 1800]]);
    assert.equal(await rx.recv(), 1800);
    raw.end();
    // The peer's end flushes the final ack (NR-2).
    assert.deepEqual(await raw.next('the final ack'), { kind: 'ack', seq: 1800 });
  });

  it('test_ack_every_time_interval: a timer acks what arrived when N is never reached (NR-2)', { timeout: 10_000 }, async () => {
    const clock = new SimulatedClock();
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 100_000_000, messageAckTimeIntervalMs: 30, clock });
    const raw = await client(addr);
    raw.writeStream(6n, [[0, 0], [1, 1], [2, 2]]);
    for (let i = 0; i < 3; i++) assert.equal(await rx.recv(), i);
    assert.equal(clock.pending, 1, 'behind: one ack timer (NR-2)');
    clock.advance(29);
    assert.equal(clock.pending, 1, 'not acked before the interval');
    clock.advance(1);
    assert.deepEqual(await raw.next('a timed ack'), { kind: 'ack', seq: 2 });
    raw.writeStream(undefined, [[3, 3], [4, 4]]);
    for (let i = 3; i < 5; i++) assert.equal(await rx.recv(), i);
    clock.advance(30);
    assert.deepEqual(await raw.next('the next timed ack'), { kind: 'ack', seq: 4 });
  });

  it('acks a reconnecting session at once, before any new frame (NR-3)', { timeout: 10_000 }, async () => {
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 100_000_000, messageAckTimeIntervalMs: 1_000_000 });
    const first = await client(addr);
    first.writeStream(9n, [[0, 10], [1, 11]]);
    assert.deepEqual([await rx.recv(), await rx.recv()], [10, 11]);
    first.destroy();
    await first.closed;
    const second = await client(addr);
    second.writeStream(9n, []);
    assert.deepEqual(await second.next('the reconnect ack'), { kind: 'ack', seq: 1 });
  });

  it('closes an older connection of a session when a newer one arrives (NR-3)', { timeout: 10_000 }, async () => {
    const [addr, rx] = await serveT({ messageAckEveryNMessages: 1 });
    const older = await client(addr);
    older.writeStream(11n, [[0, 1]]);
    assert.equal(await rx.recv(), 1);
    const newer = await client(addr);
    newer.writeStream(11n, [[1, 2]]);
    await older.closed;
    assert.equal(await rx.recv(), 2);
    assert.equal(rx.sessionCount, 1);
  });
});
