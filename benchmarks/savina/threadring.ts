/**
 * benchmarks/savina/threadring.ts: Savina's ThreadRing: `actors` actors in a ring pass a token
 * `hops` times; then an exit goes round the ring (to the actor before the last holder, which has stopped). Actor `i` sits on slot `i` (over worker
 * procs, every hop crosses to the other proc). Every actor is given the `go` ports at set-up
 * (the token may end at any of them). Verified: the token ends at actor `hops % actors`.
 */
import type { Actor, ActorRef, Context } from '@procmesh/core';
import { now, type Go } from './common.js';
import { openGo, wire, type Kick, type Place, type Ready } from './place.js';

type RingMsg =
  | { readonly type: 'next'; readonly next: ActorRef<RingMsg>; readonly go: Go; readonly ready: Ready }
  | { readonly type: 'token'; readonly left: number }
  | { readonly type: 'exit'; readonly left: number }
  | Go;

class RingActor implements Actor<RingMsg> {
  private next: ActorRef<RingMsg> | undefined;
  private go: Go | undefined;
  constructor(
    private readonly index: number,
    private readonly actors: number,
    private readonly hops: number,
  ) {}
  handle(cx: Context<RingMsg>, msg: RingMsg): void {
    switch (msg.type) {
      case 'token':
        if (msg.left > 0) this.next!.send(cx, { type: 'token', left: msg.left - 1 });
        else {
          this.go!.done.send(cx, { end: now(), ok: this.index === this.hops % this.actors, detail: `ended at actor ${this.index}` });
          this.next!.send(cx, { type: 'exit', left: this.actors - 2 });
          cx.stop('done');
        }
        return;
      case 'exit':
        if (msg.left > 0) this.next!.send(cx, { type: 'exit', left: msg.left - 1 });
        cx.stop('done');
        return;
      case 'go':
        msg.started.send(cx, now());
        this.next!.send(cx, { type: 'token', left: this.hops - 1 });
        return;
      case 'next':
        this.next = msg.next;
        this.go = msg.go;
        msg.ready.send(cx, true);
    }
  }
}

export const THREADRING_TYPES = {
  SavinaRing: (p: { index: number; actors: number; hops: number }) => new RingActor(p.index, p.actors, p.hops),
};

export async function setupThreadRing(place: Place, p: { actors: number; hops: number }): Promise<Kick> {
  const ring = await Promise.all(Array.from({ length: p.actors }, (_, i) => place.spawn<RingMsg>(i, 'SavinaRing', { index: i, ...p })));
  const { go, result } = openGo(place);
  await Promise.all(ring.map((r, i) => wire(place, r, (ready) => ({ type: 'next' as const, next: ring[(i + 1) % ring.length]!, go, ready }))));
  return {
    go: () => ring[0]!.send(place.client, go),
    result: result.then((r) => ({ starts: [r.start], dones: [r.done] })),
  };
}
