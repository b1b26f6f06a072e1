/**
 * Acks after handling and sessions that outlive the server's thread (NR-10, NR-11, TB-1..3;
 * channel/net/rx.ts, held.ts, resume-table.ts), driven by a raw client that writes frames by hand.
 * The "actor" is a `ReceiptQueue` (channel/receipt.ts) that takes each delivery's receipt, as an
 * actor's `Instance` does, and settles it when the test says the handler ran. A server that dies
 * is stood for by a second server built on the first one's table (as a worker host hands it to the
 * replacement worker, HO-3) while the first one is left as it was. Procmesh behaviour: upstream
 * acks at delivery (net-session.test.ts).
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import { SimulatedClock } from '../src/clock.js';
import type { ServeOptions } from '../src/channel/net/options.js';
import { NetSessionTable, REJECTED } from '../src/channel/net/resume-table.js';
import { serveNet, type NetRx } from '../src/channel/net/rx.js';
import { ReceiptQueue } from '../src/channel/receipt.js';
import { RawClient, waitFor } from './fixtures/net-helpers.js';

const quiet = pino({ level: 'silent' });
const T = { timeout: 10_000 };
const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

async function serveT(options: ServeOptions<number>): Promise<[ChannelAddr, NetRx<number>]> {
  const [bound, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { logger: quiet, messageAckEveryNMessages: 1, ...options });
  open.push(rx);
  return [bound, rx];
}

async function client(addr: ChannelAddr): Promise<RawClient> {
  const raw = await RawClient.connect(addr);
  open.push({ close: () => raw.destroy() });
  return raw;
}

/** An actor's side: takes the receipt of every message `keep` says, settles on request. */
class Handler {
  readonly got: number[] = [];
  readonly queue = new ReceiptQueue();
  private tickets = 0;
  constructor(private readonly keep: (m: number) => boolean = () => true) {}
  readonly listener = (m: number): void => {
    this.got.push(m);
    if (this.keep(m)) this.queue.take(this.tickets++);
  };
  /** The first `n` taken messages were handled. */
  handled(n: number): void {
    this.queue.settleUpTo(n - 1);
  }
}

describe('net sessions: acks after handling (NR-10)', () => {
  it('a frame is acked only once its receipt is settled, not when it is delivered (NR-10a)', T, async () => {
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create() });
    const actor = new Handler();
    rx.onDeliver(actor.listener);
    const raw = await client(addr);
    raw.writeStream(7n, [[0, 100], [1, 101], [2, 102]]);
    await waitFor(() => actor.got.length === 3, 'three deliveries');
    actor.handled(1);
    // acked at delivery, the first response would be ack 0 then acks 1 and 2 before it was handled
    assert.deepEqual(await raw.next('ack 0'), { kind: 'ack', seq: 0 });
    actor.handled(3);
    await raw.verifyAck(2);
    assert.equal(raw.responses.size, 0);
  });

  it('settlements out of order across actors ack only the prefix that is all handled (NR-10a)', T, async () => {
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create() });
    const even = new Handler();
    const odd = new Handler();
    rx.onDeliver((m) => (m % 2 === 0 ? even.listener(m) : odd.listener(m)));
    const raw = await client(addr);
    raw.writeStream(8n, [[0, 100], [1, 101], [2, 102], [3, 103]]);
    await waitFor(() => even.got.length + odd.got.length === 4, 'four deliveries');
    odd.handled(2); // seqs 1 and 3: nothing below 0 is handled yet
    even.handled(1); // seq 0: 0 and 1 are handled, 2 is not
    assert.deepEqual(await raw.next('ack 1'), { kind: 'ack', seq: 1 });
    even.handled(2);
    assert.deepEqual(await raw.next('ack 3'), { kind: 'ack', seq: 3 });
  });

  it('a receipt nobody takes during the delivery is settled at once, and acked as before', T, async () => {
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create() });
    const forwarded = new Handler(() => false);
    rx.onDeliver(forwarded.listener);
    const raw = await client(addr);
    raw.writeStream(9n, [[0, 100], [1, 101]]);
    await raw.verifyAck(1);
    assert.deepEqual(forwarded.got, [100, 101]);
  });

  it('recv() mode has no receipt: a buffered message counts as handled (NR-10c)', T, async () => {
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create() });
    const raw = await client(addr);
    raw.writeStream(10n, [[0, 100]]);
    await raw.verifyAck(0);
    assert.equal(await rx.recv(), 100);
  });

  it('a frame unhandled for holdMs is acked anyway and counted as unprotected (NR-10d)', T, async () => {
    const clock = new SimulatedClock();
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create(), clock, holdMs: 1_000, messageAckTimeIntervalMs: 10 });
    const stuck = new Handler();
    rx.onDeliver(stuck.listener);
    const raw = await client(addr);
    raw.writeStream(11n, [[0, 100], [1, 101]]);
    await waitFor(() => stuck.got.length === 2, 'two deliveries');
    clock.advance(999);
    assert.equal(rx.unprotectedFrames, 0);
    clock.advance(1);
    assert.equal(rx.unprotectedFrames, 2);
    await raw.verifyAck(1);
    stuck.handled(2); // stale receipts: ignored
    assert.equal(raw.responses.size, 0);
  });

  it('the escape releases only the frames delivered holdMs ago; a later one stays held until handled (NR-10d)', T, async () => {
    const clock = new SimulatedClock();
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create(), clock, holdMs: 1_000, messageAckTimeIntervalMs: 10 });
    const slow = new Handler();
    rx.onDeliver(slow.listener);
    const raw = await client(addr);
    raw.writeStream(13n, [[0, 100], [1, 101]]);
    await waitFor(() => slow.got.length === 2, 'two deliveries');
    clock.advance(600);
    raw.writeStream(undefined, [[2, 102]]);
    await waitFor(() => slow.got.length === 3, 'the third delivery');
    clock.advance(400);
    assert.equal(rx.unprotectedFrames, 2);
    assert.deepEqual(await raw.next('ack 1'), { kind: 'ack', seq: 1 });
    slow.handled(3); // 0 and 1 are stale, 2 is handled now
    assert.deepEqual(await raw.next('ack 2'), { kind: 'ack', seq: 2 });
    assert.equal(rx.unprotectedFrames, 2);
  });

  it('close() acks every delivered frame, handled or not (NR-10e)', T, async () => {
    const [addr, rx] = await serveT({ sessions: NetSessionTable.create() });
    const actor = new Handler();
    rx.onDeliver(actor.listener);
    const raw = await client(addr);
    raw.writeStream(12n, [[0, 100], [1, 101]]);
    await waitFor(() => actor.got.length === 2, 'two deliveries');
    rx.close();
    await raw.verifyAck(1);
    assert.deepEqual(await raw.next('Closed'), { kind: 'closed' });
  });
});

describe('net sessions that outlive the server (NR-11)', () => {
  it('a server built on a dead one\'s table resumes the session: handled frames are not delivered again, the rest are', T, async () => {
    const table = NetSessionTable.create();
    const [addr1, rx1] = await serveT({ sessions: table });
    const first = new Handler();
    rx1.onDeliver(first.listener);
    const raw1 = await client(addr1);
    raw1.writeStream(21n, [[0, 100], [1, 101], [2, 102], [3, 103], [4, 104]]);
    await waitFor(() => first.got.length === 5, 'five deliveries');
    first.handled(3); // 103 and 104 were received, not handled, when the thread "died"
    await raw1.verifyAck(2);
    raw1.destroy();

    const [addr2, rx2] = await serveT({ sessions: NetSessionTable.attach(table.buffer) });
    assert.equal(rx2.resumedSessions, 1);
    const second = new Handler(() => false);
    rx2.onDeliver(second.listener);
    const raw2 = await client(addr2);
    // the sender resends from its last ack (NT-3): 2 was acked already here, so from 1
    raw2.writeStream(21n, [[1, 101], [2, 102], [3, 103], [4, 104], [5, 105]]);
    assert.deepEqual(await raw2.next('join ack'), { kind: 'ack', seq: 2 }); // NR-3, NR-10b
    await raw2.verifyAck(5);
    assert.deepEqual(second.got, [103, 104, 105]);
    assert.equal(rx2.duplicatesDropped, 2);
  });

  it('without a table a fresh server rejects the resumed session (upstream, NR-1)', T, async () => {
    const [addr, rx] = await serveT({});
    rx.onDeliver(() => undefined);
    const raw = await client(addr);
    raw.writeStream(22n, [[3, 103]]);
    const response = await raw.next('reject');
    assert.equal(response.kind, 'reject');
  });

  it('a session rejected before the restart stays rejected (TB-2)', T, async () => {
    const table = NetSessionTable.create();
    const [addr1, rx1] = await serveT({ sessions: table });
    rx1.onDeliver(() => undefined);
    const raw1 = await client(addr1);
    raw1.writeStream(23n, [[0, 100], [2, 102]]);
    await raw1.verifyAck(0);
    assert.equal((await raw1.next('reject')).kind, 'reject');
    assert.deepEqual(
      table.entries().map((e) => e.handled),
      [REJECTED],
    );
    const [addr2, rx2] = await serveT({ sessions: NetSessionTable.attach(table.buffer) });
    rx2.onDeliver(() => undefined);
    const raw2 = await client(addr2);
    raw2.writeStream(23n, [[1, 101]]);
    const response = await raw2.next('reject');
    assert.equal(response.kind, 'reject');
  });

  it('each advance of handled is in the table at once, before the next handler runs (NR-11, TB-1)', T, async () => {
    const table = NetSessionTable.create();
    const [addr, rx] = await serveT({ sessions: table });
    const seen: number[][] = [];
    const actor = new Handler();
    rx.onDeliver((m) => {
      seen.push(table.entries().map((e) => e.handled));
      actor.listener(m);
      actor.handled(m - 99); // the handler ran
    });
    const raw = await client(addr);
    raw.writeStream(24n, [[0, 100], [1, 101], [2, 102]]);
    await raw.verifyAck(2);
    assert.deepEqual(seen, [[0], [1], [2]]);
    assert.deepEqual(
      table.entries().map((e) => [e.id, e.handled]),
      [[24n, 3]],
    );
  });

  it('a full table gives a new session no slot: it still works, only not across a restart (TB-3)', T, async () => {
    const table = NetSessionTable.create(1);
    const [addr, rx] = await serveT({ sessions: table });
    const actor = new Handler(() => false);
    rx.onDeliver(actor.listener);
    const a = await client(addr);
    a.writeStream(25n, [[0, 100]]);
    await a.verifyAck(0);
    const b = await client(addr);
    b.writeStream(26n, [[0, 200], [1, 201]]);
    await b.verifyAck(1);
    assert.deepEqual(actor.got, [100, 200, 201]);
    assert.equal(table.size, 1);
    assert.deepEqual(
      table.entries().map((e) => e.id),
      [25n],
    );
  });
});
