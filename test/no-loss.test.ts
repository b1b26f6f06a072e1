/**
 * RL-3 (packages/core/src/channel/ring/rx.ts, LL-6) end to end, with real workers: a receiver
 * whose thread ends with `process.exit` in the middle of a stream loses nothing. Every numbered
 * message sent by `ActorRef` is either handled by the sink (counted in shared memory, which
 * outlives the thread) or returned to its source as undeliverable, and never both (issue 11:
 * before the fix, 97-235 of 200k messages were neither, and with awaiting handlers everything the
 * sink had read but not handled, as its inbound ring had released it). One link, several links
 * into one actor, handlers that await.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProcHost, type InspectionEvent } from '@procmesh/worker-host';
import { prng } from '@procmesh/core/testing';
import { serveLedger, type ItemMsg, type SinkParams, type SourceMsg, type SourceParams } from './fixtures/stream-actors.js';

const modules = [new URL('./fixtures/stream-actors.js', import.meta.url)];
const T = { timeout: 120_000 };
/**
 * How long `settle` waits without progress before it gives up (only a failing run waits that
 * long): the returns of ~10k envelopes run in one synchronous takeover on the source's thread,
 * which takes seconds on a loaded 2-core machine.
 */
const QUIET_MS = 15_000;

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

/**
 * Poll until `done()` holds, or until `progress()` stopped changing for `quietMs` (what was not
 * accounted for by then never will be: the assertions then show how much).
 */
async function settle(done: () => boolean, progress: () => number, quietMs: number): Promise<void> {
  let last = progress();
  let since = Date.now();
  while (!done()) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const now = progress();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since > quietMs) return;
  }
}

interface Tally {
  readonly handled: number;
  readonly returned: number;
  readonly neither: number;
  readonly both: number;
  readonly twice: number;
}

function tally(handled: Int32Array, returned: Int32Array): Tally {
  let h = 0;
  let r = 0;
  let neither = 0;
  let both = 0;
  let twice = 0;
  for (let i = 0; i < handled.length; i++) {
    const a = handled[i] as number;
    const b = returned[i] as number;
    h += a;
    r += b;
    if (a + b === 0) neither++;
    else if (a > 0 && b > 0) both++;
    else if (a + b > 1) twice++;
  }
  return { handled: h, returned: r, neither, both, twice };
}

/**
 * `streams` sources (each in its own proc, so each on its own link) send `perStream` numbered
 * messages to one sink in proc 1, which exits at a seeded message.
 */
async function streamThroughExit(seed: number, streams: number, perStream: number, awaits: boolean): Promise<Tally> {
  const total = streams * perStream;
  const handledBuf = new SharedArrayBuffer(total * 4);
  const returnedBuf = new SharedArrayBuffer(total * 4);
  const random = prng(seed);
  const exitAt = Math.floor(total * (0.2 + 0.6 * random()));
  const ledger = `no-loss-${seed}`;
  const closeLedger = serveLedger(ledger, { handled: handledBuf, returned: returnedBuf });
  const host = await ProcHost.start({ procs: 1 + streams, modules, teardownTimeoutMs: 500 });
  // the sink's death is expected: its failure is reported, not a reason to end the test process
  host.supervisor.on('failure', () => undefined);
  try {
    const sinkParams: SinkParams = { ledger, perStream, exitAt, awaits };
    const sink = await host.spawn<ItemMsg>(1, 'StreamSink', 'sink', sinkParams);
    const died = crashed(host, 1);
    const sourceParams: SourceParams = { ledger, perStream };
    for (let s = 0; s < streams; s++) {
      const source = await host.spawn<SourceMsg>(2 + s, 'StreamSource', `source${s}`, sourceParams);
      const [sent] = host.client.openOncePort<number>();
      source.send(host.client, { type: 'stream', target: sink, stream: s, count: perStream, sent: sent.bind() });
    }
    await died;
    const handled = new Int32Array(handledBuf);
    const returned = new Int32Array(returnedBuf);
    await settle(
      () => tally(handled, returned).neither === 0,
      () => {
        const t = tally(handled, returned);
        return t.handled + t.returned;
      },
      QUIET_MS,
    );
    return tally(handled, returned);
  } finally {
    closeLedger();
    await host.shutdown(500);
  }
}

function assertAccounted(t: Tally, total: number): void {
  assert.equal(t.neither, 0, `no message is lost (${JSON.stringify(t)})`);
  assert.equal(t.both, 0, 'no message is handled and returned');
  assert.equal(t.twice, 0, 'no message is handled or returned twice');
  assert.equal(t.handled + t.returned, total);
  assert.ok(t.returned > 0, 'the exit came mid-stream');
}

describe('no loss when a receiver thread exits mid-stream (RL-3, UM-1)', () => {
  it('one link: every message is handled or returned, exactly once', T, async () => {
    assertAccounted(await streamThroughExit(11, 1, 60_000, false), 60_000);
  });

  it('three links into one actor: every message is handled or returned, exactly once', T, async () => {
    assertAccounted(await streamThroughExit(12, 3, 20_000, false), 60_000);
  });

  it('handlers that await: every message is handled or returned, exactly once', T, async () => {
    assertAccounted(await streamThroughExit(13, 1, 20_000, true), 20_000);
  });
});
