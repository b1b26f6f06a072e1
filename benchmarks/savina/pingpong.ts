/**
 * benchmarks/savina/pingpong.ts: Savina's PingPong: `n` round trips between two actors. Each
 * learns its peer at set-up (Savina's Akka version uses `sender()`; the Erlang version here
 * does the same as this one). Verified: the pinger counts `n` pongs.
 */
import type { Actor, ActorRef, Context } from '@procmesh/core';
import { now, type Go } from './common.js';
import { kick, wire, type Kick, type Place, type Ready } from './place.js';

type PongMsg = { readonly type: 'peer'; readonly ping: ActorRef<PingMsg>; readonly ready: Ready } | { readonly type: 'ping' } | { readonly type: 'stop' };
type PingMsg = { readonly type: 'peer'; readonly pong: ActorRef<PongMsg>; readonly ready: Ready } | { readonly type: 'pong' } | Go;

class Pong implements Actor<PongMsg> {
  private ping: ActorRef<PingMsg> | undefined;
  handle(cx: Context<PongMsg>, msg: PongMsg): void {
    if (msg.type === 'ping') this.ping!.send(cx, { type: 'pong' });
    else if (msg.type === 'peer') {
      this.ping = msg.ping;
      msg.ready.send(cx, true);
    } else cx.stop('done');
  }
}

class Ping implements Actor<PingMsg> {
  private pong: ActorRef<PongMsg> | undefined;
  private left: number;
  private pongs = 0;
  private go: Go | undefined;
  constructor(private readonly n: number) {
    this.left = n;
  }
  handle(cx: Context<PingMsg>, msg: PingMsg): void {
    switch (msg.type) {
      case 'pong':
        this.pongs++;
        if (this.left > 0) {
          this.left--;
          this.pong!.send(cx, { type: 'ping' });
        } else {
          this.go!.done.send(cx, { end: now(), ok: this.pongs === this.n, detail: `${this.pongs} pongs` });
          this.pong!.send(cx, { type: 'stop' });
          cx.stop('done');
        }
        return;
      case 'go':
        this.go = msg;
        msg.started.send(cx, now());
        this.left--;
        this.pong!.send(cx, { type: 'ping' });
        return;
      case 'peer':
        this.pong = msg.pong;
        msg.ready.send(cx, true);
    }
  }
}

export const PINGPONG_TYPES = {
  SavinaPing: (p: { n: number }) => new Ping(p.n),
  SavinaPong: () => new Pong(),
};

export async function setupPingPong(place: Place, p: { n: number }): Promise<Kick> {
  const [ping, pong] = await Promise.all([place.spawn<PingMsg>(0, 'SavinaPing', p), place.spawn<PongMsg>(1, 'SavinaPong', {})]);
  await Promise.all([wire(place, ping, (ready) => ({ type: 'peer' as const, pong, ready })), wire(place, pong, (ready) => ({ type: 'peer' as const, ping, ready }))]);
  return kick(place, [ping as ActorRef<Go>]);
}
