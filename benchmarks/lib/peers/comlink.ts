/**
 * benchmarks/lib/peers/comlink.ts: comlink calls, worker to worker (a peer of the cross-proc
 * one-way and ping-pong scenarios).
 *
 * A callee worker exposes `echo(message)` (returns the message's `seq`) on a MessagePort; a
 * caller worker wraps the other end and runs the rounds, so both sides have their own thread as
 * procmesh's procs do. Scenarios:
 *
 * - `calls, 256 in flight`: `calls` calls of the small message, 256 outstanding at any time;
 *   calls/s from the first call to the last answer.
 * - `call round trip`: one call at a time; median and p99 of the round trip (µs).
 *
 * Each run is one round; one unmeasured warm-up round first.
 */
import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { portEndpoint } from '@procmesh/worker-host';
import { inFlight, median, percentile, roundTrips, small, type Small } from '../stats.js';
import type { Figure } from '../scenario.js';

interface Callee {
  echo(message: Small): number;
}

type Role = { readonly comlinkRole: 'callee'; readonly port: MessagePort } | { readonly comlinkRole: 'caller'; readonly port: MessagePort };

type Round = { readonly kind: 'throughput'; readonly calls: number; readonly lanes: number } | { readonly kind: 'latency'; readonly calls: number };
type RoundResult = { readonly perSec: number } | { readonly median: number; readonly p99: number };


function runRole(role: Role, control: NonNullable<typeof parentPort>): void {
  if (role.comlinkRole === 'callee') {
    Comlink.expose({ echo: (m: Small) => m.seq } satisfies Callee, portEndpoint(role.port));
    return;
  }
  const remote = Comlink.wrap<Callee>(portEndpoint(role.port));
  control.on('message', (round: Round) => {
    void (async () => {
      if (round.kind === 'throughput') {
        const t0 = performance.now();
        await inFlight(round.calls, round.lanes, (i) => remote.echo(small(i)));
        control.postMessage({ perSec: round.calls / ((performance.now() - t0) / 1000) } satisfies RoundResult);
      } else {
        const samples = await roundTrips(round.calls, (i) => remote.echo(small(i)));
        control.postMessage({ median: percentile(samples, 0.5), p99: percentile(samples, 0.99) } satisfies RoundResult);
      }
    })();
  });
}

if (!isMainThread && parentPort !== null && (workerData as Role | undefined)?.comlinkRole !== undefined) {
  runRole(workerData as Role, parentPort);
}

export interface ComlinkPeerOptions {
  readonly runs: number;
  readonly quick: boolean;
}

export interface ComlinkPeerReport {
  /** calls/s with 256 calls in flight. */
  readonly throughput: Figure;
  /** one call at a time (µs). */
  readonly roundTrip: Figure;
}

export const COMLINK_IN_FLIGHT = 256;

export async function runComlinkPeer(options: ComlinkPeerOptions): Promise<ComlinkPeerReport> {
  const { port1, port2 } = new MessageChannel();
  const url = new URL(import.meta.url);
  const callee = new Worker(url, { workerData: { comlinkRole: 'callee', port: port1 } satisfies Role, transferList: [port1] });
  const caller = new Worker(url, { workerData: { comlinkRole: 'caller', port: port2 } satisfies Role, transferList: [port2] });
  const failed = new Promise<never>((_, reject) => {
    callee.once('error', reject);
    caller.once('error', reject);
  });
  failed.catch(() => undefined); // observed by `ask`; never an unhandled rejection
  const ask = (round: Round): Promise<RoundResult> => {
    const answer = Promise.race([failed, new Promise<RoundResult>((resolve) => caller.once('message', resolve))]);
    caller.postMessage(round);
    return answer;
  };
  const calls = options.quick ? 20_000 : 50_000;
  const latencyCalls = options.quick ? 2_000 : 5_000;
  try {
    const rates: number[] = [];
    const medians: number[] = [];
    const p99s: number[] = [];
    for (let run = -1; run < options.runs; run++) {
      const t = (await ask({ kind: 'throughput', calls: run < 0 ? calls / 10 : calls, lanes: COMLINK_IN_FLIGHT })) as { perSec: number };
      const l = (await ask({ kind: 'latency', calls: run < 0 ? latencyCalls / 10 : latencyCalls })) as { median: number; p99: number };
      if (run < 0) continue;
      rates.push(t.perSec);
      medians.push(l.median);
      p99s.push(l.p99);
    }
    return {
      throughput: { impl: `comlink, ${COMLINK_IN_FLIGHT} calls in flight`, unit: 'calls/s', median: median(rates), runs: rates },
      roundTrip: { impl: 'comlink call', unit: 'µs', median: median(medians), runs: medians, p99: median(p99s) },
    };
  } finally {
    await Promise.all([caller.terminate(), callee.terminate()]);
  }
}
