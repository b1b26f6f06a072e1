/**
 * Large binary values out of band between worker procs (issue 16; core wire/attachments.ts
 * OOB-1..OOB-4, wire/side-channel.ts OOB-5, OOB-6), with real workers and rings: order across
 * mixed sizes, no receiver sees a mutation made after the send (DESIGN decision 3), `transfer`
 * detaches the sender's buffer, and nothing is lost when the receiving thread dies with large
 * values in flight (RL-2, RL-3).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcHost, type InspectionEvent } from '@procmesh/worker-host';
import { CodecError } from '@procmesh/core';
import type { CheckerMsg, ExitingParams, Seen, SenderMsg, StreamerMsg, BodyMsg } from './fixtures/large-actors.js';
import { serveLedger } from './fixtures/stream-actors.js';

const modules = [new URL('./fixtures/large-actors.js', import.meta.url)];
const T = { timeout: 120_000 };
const KiB = 1024;
/** Sizes on both sides of the out-of-band threshold (16 KiB), small and large interleaved. */
const MIXED = [10, 70 * KiB, 100, 1024 * KiB, 16 * KiB - 1, 16 * KiB, 5, 300 * KiB, 0, 64 * KiB, 2 * KiB, 17 * KiB];

async function withHost(procs: number, body: (host: ProcHost) => Promise<void>): Promise<void> {
  const host = await ProcHost.start({ procs, modules, teardownTimeoutMs: 500 });
  try {
    await body(host);
  } finally {
    await host.shutdown(500);
  }
}

/** Send `sizes` from a sender in proc `from` to a checker in proc `to`; what the checker saw and the lengths after each send. */
async function sendThrough(host: ProcHost, from: number, to: number, options: Omit<SenderMsg, 'type' | 'target' | 'done'>): Promise<{ seen: Seen[]; after: number[] }> {
  const checker = await host.spawn<CheckerMsg>(to, 'LargeChecker', `checker-${from}-${to}`);
  const sender = await host.spawn<SenderMsg>(from, 'LargeSender', `sender-${from}-${to}`);
  const [done, doneRx] = host.client.openOncePort<number[]>();
  sender.send(host.client, { type: 'send', target: checker, ...options, done: done.bind() });
  const after = await doneRx.recv();
  let seen: Seen[] = [];
  while (seen.length < options.sizes.length) {
    const [reply, rx] = host.client.openOncePort<Seen[]>();
    checker.send(host.client, { type: 'report', reply: reply.bind() });
    seen = seen.concat(await rx.recv());
  }
  return { seen, after };
}

describe('large binary values between worker procs (OOB)', () => {
  it('OOB-5: keeps per-sender order across mixed sizes, every body intact', T, async () => {
    await withHost(2, async (host) => {
      const sizes = [...MIXED, ...MIXED, ...MIXED];
      const { seen } = await sendThrough(host, 1, 2, { sizes, move: false, mutate: false });
      assert.deepEqual(
        seen.map((s) => s.seq),
        sizes.map((_, i) => i),
      );
      assert.ok(seen.every((s) => s.intact), 'every body arrives byte for byte');
      assert.ok(seen.filter((_, i) => (sizes[i] as number) >= 16 * KiB).every((s) => s.shared), 'large bodies arrive over shared memory, not copied into the record');
    });
  });

  it('OOB-1: a receiver never observes a mutation the sender makes after the send (across procs and in one proc)', T, async () => {
    await withHost(2, async (host) => {
      const sizes = [64 * KiB, 1024 * KiB, 100, 20 * KiB];
      const across = await sendThrough(host, 1, 2, { sizes, move: false, mutate: true });
      assert.ok(across.seen.every((s) => s.intact), 'across procs');
      const local = await sendThrough(host, 1, 1, { sizes, move: false, mutate: true });
      assert.ok(local.seen.every((s) => s.intact), 'inside one proc');
    });
  });

  it('OOB-2: transfer moves the buffer: the sender\'s is detached, the receiver gets the bytes', T, async () => {
    await withHost(2, async (host) => {
      const sizes = [100, 64 * KiB, 1024 * KiB, 0, 16];
      const { seen, after } = await sendThrough(host, 1, 2, { sizes, move: true, mutate: false });
      assert.deepEqual(after, [0, 0, 0, 0, 0], 'every moved buffer is detached after its send, small ones too');
      assert.ok(seen.every((s) => s.intact));
      assert.ok(seen.every((s) => !s.shared), 'a moved buffer arrives as the ArrayBuffer it was');
    });
  });

  it('OOB-3: two views of one moved buffer arrive over one buffer', T, async () => {
    await withHost(2, async (host) => {
      const { seen } = await sendThrough(host, 1, 2, { sizes: [32, 64 * KiB], move: true, mutate: false, halves: true });
      assert.deepEqual(
        seen.map((s) => s.halvesShareBuffer),
        [true, true],
      );
    });
  });

  it('OOB-2: a bad transfer list is a CodecError("invalid-transfer") at the send, and nothing moves', T, async () => {
    await withHost(1, async (host) => {
      const checker = await host.spawn<CheckerMsg>(1, 'LargeChecker', 'checker');
      const kept = new ArrayBuffer(8);
      const body = new Uint8Array(8);
      const message: BodyMsg = { type: 'body', seq: 0, size: 8, body };
      const bad: unknown[][] = [[body], [kept, kept], [new SharedArrayBuffer(8)], ['x']];
      for (const transfer of bad) {
        assert.throws(
          () => checker.send(host.client, message, { transfer: transfer as ArrayBuffer[] }),
          (err: unknown) => err instanceof CodecError && err.code === 'invalid-transfer',
          `transfer ${String(transfer)}`,
        );
      }
      assert.equal(kept.byteLength, 8, 'nothing was detached');
      assert.equal(body.byteLength, 8);
      const moved = new ArrayBuffer(4);
      checker.send(host.client, message, { transfer: [moved] });
      assert.equal(moved.byteLength, 0, 'a listed buffer the message does not use is detached too');
      assert.throws(
        () => checker.send(host.client, message, { transfer: [moved] }),
        (err: unknown) => err instanceof CodecError && err.code === 'invalid-transfer',
        'a detached buffer',
      );
    });
  });
});

function crashed(host: ProcHost, proc: number): Promise<InspectionEvent> {
  return new Promise((resolve) => {
    const off = host.supervisor.inspect((e) => {
      if (e.type === 'worker-crashed' && e.proc === proc) {
        off();
        resolve(e);
      }
    });
  });
}

/** Wait until every message is accounted for, or until no count moved for 15 s. */
async function settle(handled: Int32Array, returned: Int32Array): Promise<void> {
  const sum = (): number => handled.reduce((a, b) => a + b, 0) + returned.reduce((a, b) => a + b, 0);
  const done = (): boolean => handled.every((h, i) => h + (returned[i] as number) > 0);
  let last = sum();
  let since = Date.now();
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (sum() !== last) {
      last = sum();
      since = Date.now();
    } else if (Date.now() - since > 15_000) return;
  }
}

describe('a receiver thread that dies with large values in flight (OOB-6, RL-2, RL-3)', () => {
  it('every large message is handled or comes back whole, exactly once', T, async () => {
    const count = 200;
    const sizes = Array.from({ length: count }, (_, i) => (i % 3 === 0 ? 200 : i % 3 === 1 ? 64 * KiB : 256 * KiB));
    const handledBuf = new SharedArrayBuffer(count * 4);
    const returnedBuf = new SharedArrayBuffer(count * 4);
    const ledger = 'large-no-loss';
    const close = serveLedger(ledger, { handled: handledBuf, returned: returnedBuf });
    const host = await ProcHost.start({ procs: 2, modules, teardownTimeoutMs: 500 });
    host.supervisor.on('failure', () => undefined);
    try {
      const params: ExitingParams = { ledger, exitAt: 40 };
      const sink = await host.spawn<BodyMsg>(2, 'LargeExitingSink', 'sink', params);
      const died = crashed(host, 2);
      const streamer = await host.spawn<StreamerMsg>(1, 'LargeStreamer', 'streamer', { ledger });
      const [sent] = host.client.openOncePort<number>();
      streamer.send(host.client, { type: 'stream', target: sink, sizes, move: false, sent: sent.bind() });
      await died;
      const handled = new Int32Array(handledBuf);
      const returned = new Int32Array(returnedBuf);
      await settle(handled, returned);
      const states = Array.from(handled, (h, i) => h + (returned[i] as number));
      assert.deepEqual(
        states.map((s, i) => (s === 1 ? 'ok' : `${i}:${s}`)).filter((s) => s !== 'ok'),
        [],
        'each message handled intact or returned intact, once',
      );
      assert.ok(returned.some((r) => r === 1), 'the exit came with messages in flight');
    } finally {
      close();
      await host.shutdown(500);
    }
  });
});
