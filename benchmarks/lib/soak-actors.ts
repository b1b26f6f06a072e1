/**
 * benchmarks/lib/soak-actors.ts: the actor type of `pnpm soak` (benchmarks/soak.ts, issue 11): a
 * peer that keeps `inflight` random requests open to random peers on every proc, and answers
 * theirs. Four kinds of request, each carrying its reply ref nested in the message:
 *
 * - `ask`: `ref.ask` (a once port per request, a timeout, the ask table; ASK-1);
 * - `once`: a once port opened by hand, its `OncePortRef` in the request (RF-4, PT-7);
 * - `actor`: the reply goes to the requester's `ActorRef` (`{ from: { ref } }`), matched by id;
 * - `port`: the reply goes to a `PortRef` of one port the requester keeps open, matched by id.
 *
 * Every reply is checked against its request (the value is `n + 1`), counted, and an id answered
 * twice or never asked is counted as a duplicate. `stats` reports the counts and the sizes of the
 * per-request state the issue found growing (the mailbox's open receivers, the sequencer's
 * counters, the bound ports) through internal accessors; `heap` reports the thread's heap after a
 * full GC (`fullGc`).
 */
import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Actor, ActorRef, Context, Instance, OncePortRef, PortRef } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';
import { prng } from '@procmesh/core/testing';

/**
 * A full GC of this thread: a worker cannot take `--expose-gc` in its `execArgv`, so the flag is
 * set at run time and `gc` taken from a fresh context (V8 adds it to contexts made after the flag).
 */
function fullGc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export type RequestKind = 'ask' | 'once' | 'actor' | 'port';
export const REQUEST_KINDS: readonly RequestKind[] = ['ask', 'once', 'actor', 'port'];

/** A reply by id (the `actor` and `port` kinds). */
export type SoakReply = { id: number; value: number };

export interface SoakStats {
  readonly issued: number;
  readonly replies: number;
  /** Replies to an id that was not open (answered twice, or never asked). */
  readonly duplicates: number;
  /** Replies whose value was not the request's `n + 1`. */
  readonly wrong: number;
  /** Requests that failed (an ask error, a closed once port). */
  readonly errors: number;
  /** Requests still waiting for their reply. */
  readonly open: number;
  readonly answered: number;
  readonly byKind: Readonly<Record<RequestKind, number>>;
  /** `Mailbox.openReceiverCount`: the once ports' receivers must leave when settled (PT-7). */
  readonly receivers: number;
  /** `Sequencer.counterCount`: one per actor or kept port replied or sent to by ref, none per once port (RF-4). */
  readonly counters: number;
  /** Distinct actors and kept ports this actor sent to by ref (what `counters` may hold at most). */
  readonly destinations: number;
  /** `Mailbox.boundPortCount`. */
  readonly boundPorts: number;
}

export type SoakMsg =
  | { type: 'peers'; peers: ActorRef<SoakMsg>[] }
  | { type: 'go'; inflight: number; seed: number }
  | { type: 'drain' }
  | { type: 'stats'; reply: OncePortRef<SoakStats> }
  | { type: 'heap'; reply: OncePortRef<number> }
  | { type: 'ask'; n: number; reply: OncePortRef<number> }
  | { type: 'once'; n: number; reply: OncePortRef<number> }
  | { type: 'actor'; n: number; id: number; from: { ref: ActorRef<SoakMsg> } }
  | { type: 'port'; n: number; id: number; to: { port: PortRef<SoakReply> } }
  | { type: 'reply'; id: number; value: number };

export class SoakPeer implements Actor<SoakMsg> {
  private peers: ActorRef<SoakMsg>[] = [];
  private self: ActorRef<SoakMsg> | undefined;
  private port: PortRef<SoakReply> | undefined;
  private random: () => number = Math.random;
  private draining = true;
  private nextId = 1;
  /** id -> expected value, for the `actor` and `port` kinds. */
  private readonly waiting = new Map<number, number>();
  /** Open `ask` and `once` requests. */
  private openPromised = 0;
  private readonly destinations = new Set<string>();
  private issued = 0;
  private replies = 0;
  private duplicates = 0;
  private wrong = 0;
  private errors = 0;
  private answered = 0;
  private readonly byKind: Record<RequestKind, number> = { ask: 0, once: 0, actor: 0, port: 0 };

  init(cx: Instance<SoakMsg>): void {
    this.self = cx.bind();
    const [handle, receiver] = cx.openPort<SoakReply>();
    this.port = handle.bind();
    void (async () => {
      for (;;) {
        let r: SoakReply;
        try {
          r = await receiver.recv();
        } catch {
          return; // the mailbox closed
        }
        this.settleById(cx, r.id, r.value);
      }
    })();
  }

  handle(cx: Context<SoakMsg>, msg: SoakMsg): void {
    switch (msg.type) {
      case 'peers':
        this.peers = msg.peers;
        return;
      case 'go':
        this.random = prng(msg.seed);
        this.draining = false;
        for (let i = 0; i < msg.inflight; i++) this.issue(cx);
        return;
      case 'drain':
        this.draining = true;
        return;
      case 'stats':
        msg.reply.send(cx, this.stats(cx));
        return;
      case 'heap':
        fullGc();
        msg.reply.send(cx, getHeapStatistics().used_heap_size);
        return;
      case 'ask':
      case 'once':
        this.answered++;
        msg.reply.send(cx, msg.n + 1);
        return;
      case 'actor':
        this.answered++;
        this.sentTo(msg.from.ref.actorId.toString());
        msg.from.ref.send(cx, { type: 'reply', id: msg.id, value: msg.n + 1 });
        return;
      case 'port':
        this.answered++;
        this.sentTo(msg.to.port.portId.toString());
        msg.to.port.send(cx, { id: msg.id, value: msg.n + 1 });
        return;
      case 'reply':
        this.settleById(cx, msg.id, msg.value);
        return;
    }
  }

  private sentTo(key: string): void {
    if (this.destinations.size < 100_000) this.destinations.add(key);
  }

  /** Open one random request to a random peer (unless draining). */
  private issue(cx: Context<SoakMsg>): void {
    if (this.draining || this.peers.length === 0) return;
    const peer = this.peers[Math.floor(this.random() * this.peers.length)] as ActorRef<SoakMsg>;
    const kind = REQUEST_KINDS[Math.floor(this.random() * REQUEST_KINDS.length)] as RequestKind;
    const n = Math.floor(this.random() * 1_000_000);
    this.issued++;
    this.byKind[kind]++;
    this.sentTo(peer.actorId.toString());
    switch (kind) {
      case 'ask':
        this.openPromised++;
        peer.ask<number>(cx, (reply) => ({ type: 'ask', n, reply }), { timeoutMs: 60_000 }).then(
          (value) => this.settlePromised(cx, value === n + 1),
          () => this.failPromised(cx),
        );
        return;
      case 'once': {
        this.openPromised++;
        const [handle, receiver] = cx.openOncePort<number>();
        peer.send(cx, { type: 'once', n, reply: handle.bind() });
        receiver.recv().then(
          (value) => this.settlePromised(cx, value === n + 1),
          () => this.failPromised(cx),
        );
        return;
      }
      case 'actor': {
        const id = this.nextId++;
        this.waiting.set(id, n + 1);
        peer.send(cx, { type: 'actor', n, id, from: { ref: this.self as ActorRef<SoakMsg> } });
        return;
      }
      case 'port': {
        const id = this.nextId++;
        this.waiting.set(id, n + 1);
        peer.send(cx, { type: 'port', n, id, to: { port: this.port as PortRef<SoakReply> } });
        return;
      }
    }
  }

  private settlePromised(cx: Context<SoakMsg>, right: boolean): void {
    this.openPromised--;
    this.replies++;
    if (!right) this.wrong++;
    this.issue(cx);
  }

  private failPromised(cx: Context<SoakMsg>): void {
    this.openPromised--;
    this.errors++;
    this.issue(cx);
  }

  private settleById(cx: Context<SoakMsg>, id: number, value: number): void {
    const expected = this.waiting.get(id);
    if (expected === undefined) {
      this.duplicates++;
      return;
    }
    this.waiting.delete(id);
    this.replies++;
    if (value !== expected) this.wrong++;
    this.issue(cx);
  }

  private stats(cx: Context<SoakMsg>): SoakStats {
    return {
      issued: this.issued,
      replies: this.replies,
      duplicates: this.duplicates,
      wrong: this.wrong,
      errors: this.errors,
      open: this.waiting.size + this.openPromised,
      answered: this.answered,
      byKind: { ...this.byKind },
      receivers: cx.mailbox.openReceiverCount,
      counters: cx.sequencer.counterCount,
      destinations: this.destinations.size,
      boundPorts: cx.mailbox.boundPortCount,
    };
  }
}

registerActor('SoakPeer', () => new SoakPeer());
