/**
 * Links over MessagePorts (`ProcHostOptions.transport: 'port'`; core's channel/port.ts behind
 * the same `LocalLinkDialer` as the rings): request/reply with a ref nested in a message, and
 * per-sender FIFO under load (PO-1, LL-1), with real workers.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActorRef } from '@procmesh/core';
import { ProcHost } from '@procmesh/worker-host';
import type { BlasterMsg, EchoMsg, RelayMsg, SeqMsg } from './fixtures/actors.js';

const modules = [new URL('./fixtures/actors.js', import.meta.url)];

async function withPortHost(body: (host: ProcHost) => Promise<void>): Promise<void> {
  const host = await ProcHost.start({ procs: 2, modules, transport: 'port', teardownTimeoutMs: 500 });
  try {
    await body(host);
  } finally {
    await host.shutdown(500);
  }
}

describe('port links between worker procs', () => {
  it('carries a request with a nested ref from proc to proc and its reply to the main thread', { timeout: 30_000 }, async () => {
    await withPortHost(async (host) => {
      const echo = await host.spawn<EchoMsg>(2, 'Echo', 'echo');
      const relay = await host.spawn<RelayMsg>(1, 'Relay', 'relay');
      const [reply, answer] = host.client.openOncePort<{ from: string; payload: unknown }>();
      relay.send(host.client, { type: 'relay', via: echo, payload: { words: ['a', 'b'] }, reply: reply.bind() });
      const got = await answer.recv();
      assert.equal(got.from, 'local:2,proc_2');
      assert.deepEqual(got.payload, { words: ['a', 'b'] });
    });
  });

  it('keeps per-sender FIFO under load (PO-1)', { timeout: 60_000 }, async () => {
    await withPortHost(async (host) => {
      const checker = await host.spawn<SeqMsg>(2, 'SeqChecker', 'checker');
      const blasters: ActorRef<BlasterMsg>[] = [await host.spawn<BlasterMsg>(1, 'Blaster', 'b1'), await host.spawn<BlasterMsg>(1, 'Blaster', 'b2')];
      const count = 5_000;
      await Promise.all(
        blasters.map((b) => {
          const [done, rx] = host.client.openOncePort<number>();
          b.send(host.client, { type: 'blast', target: checker, count, done: done.bind() });
          return rx.recv();
        }),
      );
      let result = { received: 0, violations: 0 };
      while (result.received < 2 * count) {
        const [reply, report] = host.client.openOncePort<{ received: number; violations: number }>();
        checker.send(host.client, { type: 'report', reply: reply.bind() });
        result = await report.recv();
      }
      assert.deepEqual(result, { received: 2 * count, violations: 0 });
    });
  });
});
