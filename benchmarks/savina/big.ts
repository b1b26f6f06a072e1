/**
 * benchmarks/savina/big.ts: Savina's Big: `actors` actors each send `pings` pings, one at a
 * time, to a neighbour picked at random (a seeded LCG, the same sequence as in savina.erl) and
 * wait for its pong; each tells the sink when it is through, and the sink then tells all to
 * exit. Actor `i` sits on slot `i`, the sink on slot 0. Verified: every pong comes from the
 * actor pinged, and every actor finishes.
 */
import type { Actor, ActorRef, Context } from '@procmesh/core';
import { lcgNext, now, type Go } from './common.js';
import { openGo, wire, type Kick, type Place, type Ready } from './place.js';

type BigMsg =
  | { readonly type: 'peers'; readonly peers: readonly ActorRef<BigMsg>[]; readonly sink: ActorRef<SinkMsg>; readonly ready: Ready }
  | { readonly type: 'ping'; readonly from: number }
  | { readonly type: 'pong'; readonly from: number }
  | { readonly type: 'exit' };
type SinkMsg = { readonly type: 'peers'; readonly peers: readonly ActorRef<BigMsg>[]; readonly ready: Ready } | { readonly type: 'finished'; readonly errors: number } | Go;

class BigActor implements Actor<BigMsg> {
  private peers: readonly ActorRef<BigMsg>[] = [];
  private sink: ActorRef<SinkMsg> | undefined;
  private sent = 0;
  private expected = -1;
  private errors = 0;
  private random: number;
  constructor(
    private readonly id: number,
    private readonly pings: number,
  ) {
    this.random = id + 1;
  }
  handle(cx: Context<BigMsg>, msg: BigMsg): void {
    switch (msg.type) {
      case 'ping':
        this.peers[msg.from]!.send(cx, { type: 'pong', from: this.id });
        return;
      case 'pong':
        if (msg.from !== this.expected) this.errors++;
        if (this.sent === this.pings) this.sink!.send(cx, { type: 'finished', errors: this.errors });
        else {
          this.sent++;
          this.random = lcgNext(this.random);
          const target = this.random % this.peers.length;
          this.expected = target;
          this.peers[target]!.send(cx, { type: 'ping', from: this.id });
        }
        return;
      case 'exit':
        cx.stop('done');
        return;
      case 'peers':
        this.peers = msg.peers;
        this.sink = msg.sink;
        msg.ready.send(cx, true);
    }
  }
}

class BigSink implements Actor<SinkMsg> {
  private peers: readonly ActorRef<BigMsg>[] = [];
  private finished = 0;
  private errors = 0;
  private go: Go | undefined;
  handle(cx: Context<SinkMsg>, msg: SinkMsg): void {
    switch (msg.type) {
      case 'finished':
        this.errors += msg.errors;
        if (++this.finished === this.peers.length) {
          this.go!.done.send(cx, { end: now(), ok: this.errors === 0, detail: `${this.finished} finished, ${this.errors} wrong pongs` });
          for (const p of this.peers) p.send(cx, { type: 'exit' });
          cx.stop('done');
        }
        return;
      case 'go':
        this.go = msg;
        msg.started.send(cx, now());
        // Savina starts every actor with a pong from nobody (-1)
        for (const p of this.peers) p.send(cx, { type: 'pong', from: -1 });
        return;
      case 'peers':
        this.peers = msg.peers;
        msg.ready.send(cx, true);
    }
  }
}

export const BIG_TYPES = {
  SavinaBig: (p: { id: number; pings: number }) => new BigActor(p.id, p.pings),
  SavinaBigSink: () => new BigSink(),
};

export async function setupBig(place: Place, p: { actors: number; pings: number }): Promise<Kick> {
  const [sink, ...peers] = await Promise.all([
    place.spawn<SinkMsg>(0, 'SavinaBigSink', {}),
    ...Array.from({ length: p.actors }, (_, i) => place.spawn<BigMsg>(i, 'SavinaBig', { id: i, pings: p.pings })),
  ]);
  const s = sink as ActorRef<SinkMsg>;
  const ps = peers as ActorRef<BigMsg>[];
  await Promise.all([wire(place, s, (ready) => ({ type: 'peers' as const, peers: ps, ready })), ...ps.map((a) => wire(place, a, (ready) => ({ type: 'peers' as const, peers: ps, sink: s, ready })))]);
  const { go, result } = openGo(place);
  return { go: () => s.send(place.client, go), result: result.then((r) => ({ starts: [r.start], dones: [r.done] })) };
}
