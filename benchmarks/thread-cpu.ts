/**
 * benchmarks/thread-cpu.ts: CPU time per message of each side of `actors.one-way.small.2procs`
 * (actors.bench.ts's `ActorsBenchBlaster` on proc 1 sending by ref to `ActorsBenchSink` on proc 2,
 * 1 MiB rings), read per thread from `/proc/self/task/<tid>/stat` (utime + stime) around each
 * round, beside the round's msgs/s.
 *
 * Why a figure of its own: on this shared 2-core machine the msgs/s of one round swing 2-4x with
 * the load, and the two sides of a link are a bistable pair under load (a receiver a little slower
 * than its sender falls behind, never parks, and the kernel then gives it only a hog's share of a
 * core; a little faster, it parks between batches and is scheduled at once when woken), so a 5%
 * difference in cost can show as a 1.7x difference in rate. CPU per message per thread moves by a
 * few percent between runs at the same load, so A/B comparisons (a config switch, another build)
 * are made on it. It includes the receiver's spinning (SPIN-5: its first 50 µs of every idle spell)
 * and the kernel time of wake-ups; Linux only.
 *
 * Run: `node benchmarks/dist/thread-cpu.js [--messages N] [--rounds N (3)]` (config switches by
 * environment, e.g. `PROCMESH_FLOW_CONTROL=0`). Prints one JSON line: `{ rounds: [{ rate,
 * senderNs, receiverNs }], median: {...} }`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { ActorRef } from '@procmesh/core';
import { ProcHost } from '@procmesh/worker-host';
import type { BlasterMsg, SinkDone, SinkMsg } from './bench-actors.js';
import { median } from './lib/stats.js';

export interface ThreadCpuRound {
  /** Messages per second, the blaster's start to the sink's last arrival. */
  readonly rate: number;
  /** CPU ns per message of the sending worker thread (proc 1) and of the receiving one (proc 2). */
  readonly senderNs: number;
  readonly receiverNs: number;
}

/** A thread's CPU time so far, ns (utime + stime, clock ticks of 10 ms). */
function threadCpuNs(tid: number): number {
  const fields = (readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1] as string).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 1e7;
}

export async function runThreadCpu(messages: number, rounds: number): Promise<ThreadCpuRound[]> {
  const before = new Set(readdirSync('/proc/self/task'));
  const host = await ProcHost.start({ procs: 2, modules: [new URL('./bench-actors.js', import.meta.url)], logLevel: 'error', ringCapacity: 1 << 20 });
  // the two worker threads, in the order they were started (proc 1, then proc 2)
  const workers = readdirSync('/proc/self/task')
    .filter((t) => !before.has(t))
    .map(Number)
    .sort((a, b) => a - b);
  try {
    if (workers.length !== 2) throw new Error(`thread-cpu: expected 2 new threads, found ${workers.length}`);
    const [sendTid, recvTid] = workers as [number, number];
    const client = host.client;
    const sink = await host.spawn<SinkMsg>(2, 'ActorsBenchSink', 'sink');
    const blaster = await host.spawn<BlasterMsg>(1, 'ActorsBenchBlaster', 'blaster');
    const round = async (n: number): Promise<ThreadCpuRound> => {
      const [doneHandle, done] = client.openOncePort<SinkDone>();
      const [readyHandle, ready] = client.openOncePort<boolean>();
      sink.send(client, { type: 'expect', count: n, ready: readyHandle.bind(), done: doneHandle.bind() });
      await ready.recv();
      const s0 = threadCpuNs(sendTid);
      const r0 = threadCpuNs(recvTid);
      const [startedHandle, started] = client.openOncePort<number>();
      blaster.send(client, { type: 'blast', targets: [sink as ActorRef<SinkMsg>], count: n, started: startedHandle.bind() });
      const t0 = await started.recv();
      const result = await done.recv();
      if (result.error !== undefined) throw new Error(result.error);
      return {
        rate: Math.round(n / ((result.lastAt - t0) / 1000)),
        senderNs: Math.round((threadCpuNs(sendTid) - s0) / n),
        receiverNs: Math.round((threadCpuNs(recvTid) - r0) / n),
      };
    };
    await round(Math.max(1, Math.round(messages / 10))); // warm-up, not reported
    const out: ThreadCpuRound[] = [];
    for (let i = 0; i < rounds; i++) out.push(await round(messages));
    return out;
  } finally {
    await host.shutdown();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  const args = process.argv.slice(2);
  const value = (flag: string): string | undefined => {
    const at = args.indexOf(flag);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const rounds = await runThreadCpu(Number(value('--messages') ?? 1_000_000), Number(value('--rounds') ?? 3));
  const med = (pick: (r: ThreadCpuRound) => number): number => median(rounds.map(pick));
  console.log(JSON.stringify({ rounds, median: { rate: med((r) => r.rate), senderNs: med((r) => r.senderNs), receiverNs: med((r) => r.receiverNs) } }));
  process.exit(0);
}
