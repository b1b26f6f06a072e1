/**
 * benchmarks/suite-actors.ts: the actor types of the benchmark suite's worker-host scenarios,
 * registered in every worker proc (`ProcHost.start({ modules: [this module] })`).
 *
 * - `BenchSource`: on `blast`, tells `started` the time (ms on the shared `timeOrigin` epoch),
 *   then sends `count` numbered `data` messages to `target` in one handler run, each carrying a
 *   new `Uint8Array` of `bytes` bytes (moved, `transfer`, with `move`; copied otherwise).
 * - `BenchSink`: counts `data` messages, checking their order and size; `expect` raises the count it
 *   waits for (answering `ready`), and when it is reached the sink tells `done` when the last
 *   message arrived (and the first order violation, if any).
 *
 * - `WordCounter`: on `count`, replies with the word counts of `text` (a `Map`): the
 *   `structured` part's pipeline (lib/structured.ts).
 *
 * Sequence numbers run on across rounds on both sides, so a message lost or reordered in any
 * round is reported.
 */
import type { Actor, ActorRef, Context, OncePortRef } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';
import { countWords } from './lib/words.js';

/** Wall-clock ms comparable across threads. */
const now = (): number => performance.timeOrigin + performance.now();

export interface SinkDone {
  readonly lastAt: number;
  readonly error?: string;
}

export type SinkMsg =
  | { readonly type: 'expect'; readonly count: number; readonly bytes: number; readonly ready: OncePortRef<boolean>; readonly done: OncePortRef<SinkDone> }
  | { readonly type: 'data'; readonly seq: number; readonly body: Uint8Array };

export type SourceMsg = {
  readonly type: 'blast';
  readonly target: ActorRef<SinkMsg>;
  readonly count: number;
  readonly bytes: number;
  /** Move each body (`send(cx, msg, { transfer: [body.buffer] })`) instead of copying it. */
  readonly move?: boolean;
  readonly started: OncePortRef<number>;
};

class BenchSource implements Actor<SourceMsg> {
  private seq = 0;

  handle(cx: Context<SourceMsg>, msg: SourceMsg): void {
    msg.started.send(cx, now());
    if (msg.move === true) {
      for (let i = 0; i < msg.count; i++) {
        const body = new Uint8Array(msg.bytes);
        msg.target.send(cx, { type: 'data', seq: this.seq++, body }, { transfer: [body.buffer] });
      }
      return;
    }
    for (let i = 0; i < msg.count; i++) msg.target.send(cx, { type: 'data', seq: this.seq++, body: new Uint8Array(msg.bytes) });
  }
}

class BenchSink implements Actor<SinkMsg> {
  private next = 0;
  private target = 0;
  private bytes = 0;
  private error: string | undefined;
  private done: OncePortRef<SinkDone> | undefined;

  handle(cx: Context<SinkMsg>, msg: SinkMsg): void {
    if (msg.type === 'expect') {
      this.target += msg.count;
      this.bytes = msg.bytes;
      this.done = msg.done;
      msg.ready.send(cx, true);
      return;
    }
    if (this.error === undefined) {
      if (msg.seq !== this.next) this.error = `expected seq ${this.next}, got ${msg.seq}`;
      else if (msg.body.byteLength !== this.bytes) this.error = `message ${msg.seq}: ${msg.body.byteLength} bytes, expected ${this.bytes}`;
    }
    this.next++;
    if (this.next === this.target && this.done !== undefined) {
      const done = this.done;
      this.done = undefined;
      done.send(cx, this.error === undefined ? { lastAt: now() } : { lastAt: now(), error: this.error });
    }
  }
}

registerActor('BenchSource', () => new BenchSource());
registerActor('BenchSink', () => new BenchSink());

export type WordCountMsg = { readonly type: 'count'; readonly text: string; readonly reply: OncePortRef<Map<string, number>> };

class WordCounter implements Actor<WordCountMsg> {
  handle(cx: Context<WordCountMsg>, msg: WordCountMsg): void {
    msg.reply.send(cx, countWords(msg.text));
  }
}

registerActor('WordCounter', () => new WordCounter());
