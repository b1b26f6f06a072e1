/**
 * benchmarks/lib/structured.ts: large structured messages (issue 16), the `structured` part.
 *
 * - `structured.wordcounts.{object,map}.codec`: encode + decode of ~600k word counts (~10 MB
 *   of msgpack) as a plain object and as a `Map`: procmesh's payload codec (`encodePayload`, then
 *   `decodePayload` as for bytes of another thread: walked first, wire/limits.ts) against
 *   `structuredClone` of the same value (what `postMessage` does), in the same run, interleaved.
 * - `structured.wordcount.pipeline.2procs`: a word-count pipeline as a new user writes it: the
 *   text (a string made before the clock starts) cut in two, each half sent to a worker, counted
 *   there into a `Map`, the two `Map`s sent back and merged on the main thread. procmesh (a
 *   `WordCounter` actor on each of 2 worker procs, `ProcHost`, ref sends and once ports)
 *   against piscina (2 threads, `pool.run(half)`) and the same counting on the main thread
 *   alone. Every run's merged counts are checked against the single-threaded ones.
 *
 * Times in ms, lower is better; medians over the runs.
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { decodePayload, encodePayload } from '@procmesh/core/transport';
import { ProcHost } from '@procmesh/worker-host';
import type { ActorRef } from '@procmesh/core';
import type { WordCountMsg } from '../suite-actors.js';
import { median } from './stats.js';
import type { Figure } from './scenario.js';
import { asObject, checksum, countWords, makeText, mergeInto, split } from './words.js';

export interface StructuredResult {
  readonly objectCodec: readonly Figure[];
  readonly mapCodec: readonly Figure[];
  readonly pipeline: readonly Figure[];
  /** Entries of the codec value; words of the pipeline's text. */
  readonly entries: number;
  readonly words: number;
}

export interface StructuredBenchOptions {
  readonly runs: number;
  readonly quick: boolean;
}

const VOCABULARY = 600_000;

function time(f: () => void): number {
  const t0 = performance.now();
  f();
  return performance.now() - t0;
}

async function timeAsync(f: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
}

function figure(impl: string, runs: number[]): Figure {
  return { impl, median: median(runs), runs };
}

export async function runStructuredBench(options: StructuredBenchOptions): Promise<StructuredResult> {
  const runs = options.runs;
  // the codec value: every word of the vocabulary with a count
  const counts = new Map<string, number>();
  for (let i = 0; i < VOCABULARY; i++) counts.set(`w${i.toString(36)}x`, (i * 7919) % 1000);
  const object = asObject(counts);
  const codec = { object: { pm: [] as number[], sc: [] as number[] }, map: { pm: [] as number[], sc: [] as number[] } };
  for (let run = -1; run < runs; run++) {
    for (const [shape, value] of [['object', object], ['map', counts]] as const) {
      let back: unknown;
      const pm = time(() => {
        back = decodePayload(encodePayload(value));
      });
      if (shape === 'map' ? !(back instanceof Map) || back.size !== counts.size : Object.keys(back as object).length !== VOCABULARY) {
        throw new Error(`structured: the ${shape} did not round-trip`);
      }
      const sc = time(() => {
        back = structuredClone(value);
      });
      if (run >= 0) {
        codec[shape].pm.push(pm);
        codec[shape].sc.push(sc);
      }
    }
  }

  const words = options.quick ? 1_500_000 : 3_000_000;
  const text = makeText(words, VOCABULARY);
  const halves = split(text, 2);
  const expected = checksum(countWords(text));
  const threads = Math.min(2, Math.max(1, availableParallelism()));
  const pool = new Piscina<string, Map<string, number>>({ filename: new URL('./peers/wordcount-task.js', import.meta.url).href, minThreads: threads, maxThreads: threads });
  const host = await ProcHost.start({ procs: 2, modules: [new URL('../suite-actors.js', import.meta.url)] });
  const pipeline = { single: [] as number[], piscina: [] as number[], procmesh: [] as number[] };
  try {
    const counters: ActorRef<WordCountMsg>[] = [await host.spawn<WordCountMsg>(1, 'WordCounter', 'wc1'), await host.spawn<WordCountMsg>(2, 'WordCounter', 'wc2')];
    const check = (total: Map<string, number>, impl: string): void => {
      if (checksum(total) !== expected) throw new Error(`structured: ${impl} counted differently`);
    };
    for (let run = -1; run < runs; run++) {
      let total = new Map<string, number>();
      const single = time(() => {
        total = countWords(text);
      });
      check(total, 'single thread');
      const piscina = await timeAsync(async () => {
        const parts = await Promise.all(halves.map((half) => pool.run(half)));
        total = new Map<string, number>();
        for (const part of parts) mergeInto(total, part);
      });
      check(total, 'piscina');
      const procmesh = await timeAsync(async () => {
        const parts = await Promise.all(
          halves.map((half, i) => {
            const [reply, rx] = host.client.openOncePort<Map<string, number>>();
            (counters[i] as ActorRef<WordCountMsg>).send(host.client, { type: 'count', text: half, reply: reply.bind() });
            return rx.recv();
          }),
        );
        total = new Map<string, number>();
        for (const part of parts) mergeInto(total, part);
      });
      check(total, 'procmesh');
      if (run < 0) continue;
      pipeline.single.push(single);
      pipeline.piscina.push(piscina);
      pipeline.procmesh.push(procmesh);
    }
  } finally {
    await host.shutdown();
    await pool.destroy();
  }
  return {
    objectCodec: [figure('procmesh encode + decode', codec.object.pm), figure('structuredClone', codec.object.sc)],
    mapCodec: [figure('procmesh encode + decode', codec.map.pm), figure('structuredClone', codec.map.sc)],
    pipeline: [figure('procmesh, 2 worker procs', pipeline.procmesh), figure(`piscina, ${threads} threads`, pipeline.piscina), figure('one thread', pipeline.single)],
    entries: VOCABULARY,
    words,
  };
}
