/**
 * benchmarks/savina/chameneos.ts: Savina's Chameneos: `chameneos` creatures meet at a mall,
 * which pairs them `meetings` times; each meeting changes both colours (red, yellow, blue:
 * the same colour stays, two different ones give the third). Then every creature reports its
 * meetings. Creatures are named by index in messages, with the table of refs given at set-up
 * (the Erlang version does the same with a tuple of pids). The mall sits on slot 0, creature
 * `i` on slot `i + 1`. Verified: the meetings reported add up to `2 * meetings`.
 */
import type { Actor, ActorRef, Context } from '@procmesh/core';
import { now, type Go } from './common.js';
import { wire, openGo, type Kick, type Place, type Ready } from './place.js';

type MallMsg =
  | { readonly type: 'peers'; readonly peers: readonly ActorRef<ChamMsg>[]; readonly ready: Ready }
  | { readonly type: 'meet'; readonly color: number; readonly id: number }
  | { readonly type: 'count'; readonly meetings: number }
  | Go;
type ChamMsg =
  | { readonly type: 'peers'; readonly mall: ActorRef<MallMsg>; readonly peers: readonly ActorRef<ChamMsg>[]; readonly ready: Ready }
  | { readonly type: 'start' }
  | { readonly type: 'meet'; readonly color: number; readonly id: number }
  | { readonly type: 'change'; readonly color: number }
  | { readonly type: 'exit' };

const complement = (a: number, b: number): number => (a === b ? a : 3 - a - b);

class Mall implements Actor<MallMsg> {
  private peers: readonly ActorRef<ChamMsg>[] = [];
  private waiting = -1;
  private faded = 0;
  private sum = 0;
  private go: Go | undefined;
  private readonly meetings: number;
  constructor(private left: number) {
    this.meetings = left;
  }
  handle(cx: Context<MallMsg>, msg: MallMsg): void {
    switch (msg.type) {
      case 'meet':
        if (this.left > 0) {
          if (this.waiting < 0) this.waiting = msg.id;
          else {
            this.left--;
            this.peers[this.waiting]!.send(cx, msg);
            this.waiting = -1;
          }
        } else this.peers[msg.id]!.send(cx, { type: 'exit' });
        return;
      case 'count':
        this.sum += msg.meetings;
        if (++this.faded === this.peers.length) {
          this.go!.done.send(cx, { end: now(), ok: this.sum === 2 * this.meetings, detail: `${this.sum} meetings` });
          cx.stop('done');
        }
        return;
      case 'go':
        this.go = msg;
        msg.started.send(cx, now());
        for (const p of this.peers) p.send(cx, { type: 'start' });
        return;
      case 'peers':
        this.peers = msg.peers;
        msg.ready.send(cx, true);
    }
  }
}

class Chameneo implements Actor<ChamMsg> {
  private mall: ActorRef<MallMsg> | undefined;
  private peers: readonly ActorRef<ChamMsg>[] = [];
  private meetings = 0;
  constructor(
    private readonly id: number,
    private color: number,
  ) {}
  handle(cx: Context<ChamMsg>, msg: ChamMsg): void {
    switch (msg.type) {
      case 'meet':
        this.color = complement(this.color, msg.color);
        this.meetings++;
        this.peers[msg.id]!.send(cx, { type: 'change', color: this.color });
        this.mall!.send(cx, { type: 'meet', color: this.color, id: this.id });
        return;
      case 'change':
        this.color = msg.color;
        this.meetings++;
        this.mall!.send(cx, { type: 'meet', color: this.color, id: this.id });
        return;
      case 'start':
        this.mall!.send(cx, { type: 'meet', color: this.color, id: this.id });
        return;
      case 'exit':
        this.mall!.send(cx, { type: 'count', meetings: this.meetings });
        cx.stop('done');
        return;
      case 'peers':
        this.mall = msg.mall;
        this.peers = msg.peers;
        msg.ready.send(cx, true);
    }
  }
}

export const CHAMENEOS_TYPES = {
  SavinaMall: (p: { meetings: number }) => new Mall(p.meetings),
  SavinaChameneo: (p: { id: number }) => new Chameneo(p.id, p.id % 3),
};

export async function setupChameneos(place: Place, p: { chameneos: number; meetings: number }): Promise<Kick> {
  const [mall, ...peers] = await Promise.all([
    place.spawn<MallMsg>(0, 'SavinaMall', { meetings: p.meetings }),
    ...Array.from({ length: p.chameneos }, (_, i) => place.spawn<ChamMsg>(i + 1, 'SavinaChameneo', { id: i })),
  ]);
  const m = mall as ActorRef<MallMsg>;
  const cs = peers as ActorRef<ChamMsg>[];
  await Promise.all([wire(place, m, (ready) => ({ type: 'peers' as const, peers: cs, ready })), ...cs.map((c) => wire(place, c, (ready) => ({ type: 'peers' as const, mall: m, peers: cs, ready })))]);
  const { go, result } = openGo(place);
  return { go: () => m.send(place.client, go), result: result.then((r) => ({ starts: [r.start], dones: [r.done] })) };
}
