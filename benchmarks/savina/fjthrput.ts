/**
 * benchmarks/savina/fjthrput.ts: Savina's Fork-Join Throughput: a driver sends `messages`
 * messages to each of `actors` actors (round-robin, as Savina's main does); each message costs
 * one `performComputation`; an actor tells the driver when it has handled all of its own. The
 * driver sits on slot 0, actor `i` on slot `i`. Verified: every actor handled `messages`.
 */
import type { Actor, ActorRef, Context } from '@procmesh/core';
import { now, performComputation, type Go } from './common.js';
import { openGo, wire, type Kick, type Place, type Ready } from './place.js';

type WorkerMsg = { readonly type: 'peers'; readonly driver: ActorRef<DriverMsg>; readonly ready: Ready } | { readonly type: 'work' };
type DriverMsg = { readonly type: 'peers'; readonly peers: readonly ActorRef<WorkerMsg>[]; readonly ready: Ready } | { readonly type: 'finished'; readonly handled: number } | Go;

class ThroughputActor implements Actor<WorkerMsg> {
  private driver: ActorRef<DriverMsg> | undefined;
  private handled = 0;
  constructor(private readonly messages: number) {}
  handle(cx: Context<WorkerMsg>, msg: WorkerMsg): void {
    if (msg.type === 'work') {
      performComputation(37.2);
      if (++this.handled === this.messages) {
        this.driver!.send(cx, { type: 'finished', handled: this.handled });
        cx.stop('done');
      }
    } else {
      this.driver = msg.driver;
      msg.ready.send(cx, true);
    }
  }
}

class ThroughputDriver implements Actor<DriverMsg> {
  private peers: readonly ActorRef<WorkerMsg>[] = [];
  private finished = 0;
  private handled = 0;
  private go: Go | undefined;
  constructor(private readonly messages: number) {}
  handle(cx: Context<DriverMsg>, msg: DriverMsg): void {
    switch (msg.type) {
      case 'finished':
        this.handled += msg.handled;
        if (++this.finished === this.peers.length) {
          const want = this.messages * this.peers.length;
          this.go!.done.send(cx, { end: now(), ok: this.handled === want, detail: `${this.handled} handled` });
          cx.stop('done');
        }
        return;
      case 'go': {
        this.go = msg;
        msg.started.send(cx, now());
        const work: WorkerMsg = { type: 'work' };
        for (let m = 0; m < this.messages; m++) for (const p of this.peers) p.send(cx, work);
        return;
      }
      case 'peers':
        this.peers = msg.peers;
        msg.ready.send(cx, true);
    }
  }
}

export const FJTHRPUT_TYPES = {
  SavinaThroughput: (p: { messages: number }) => new ThroughputActor(p.messages),
  SavinaThroughputDriver: (p: { messages: number }) => new ThroughputDriver(p.messages),
};

export async function setupFjThrput(place: Place, p: { actors: number; messages: number }): Promise<Kick> {
  const [driver, ...peers] = await Promise.all([
    place.spawn<DriverMsg>(0, 'SavinaThroughputDriver', p),
    ...Array.from({ length: p.actors }, (_, i) => place.spawn<WorkerMsg>(i, 'SavinaThroughput', p)),
  ]);
  const d = driver as ActorRef<DriverMsg>;
  const ps = peers as ActorRef<WorkerMsg>[];
  await Promise.all([wire(place, d, (ready) => ({ type: 'peers' as const, peers: ps, ready })), ...ps.map((a) => wire(place, a, (ready) => ({ type: 'peers' as const, driver: d, ready })))]);
  const { go, result } = openGo(place);
  return { go: () => d.send(place.client, go), result: result.then((r) => ({ starts: [r.start], dones: [r.done] })) };
}
