/**
 * benchmarks/savina/count.ts: Savina's Count: a producer sends `n` increments to a counter,
 * then asks for the total. Verified: the total is `n`.
 */
import type { Actor, ActorRef, Context } from '@procmesh/core';
import { now, type Go } from './common.js';
import { kick, wire, type Kick, type Place, type Ready } from './place.js';

type CounterMsg = { readonly type: 'inc' } | { readonly type: 'get'; readonly reply: ActorRef<ProducerMsg> };
type ProducerMsg = { readonly type: 'peer'; readonly counter: ActorRef<CounterMsg>; readonly ready: Ready } | { readonly type: 'total'; readonly n: number } | Go;

class Counter implements Actor<CounterMsg> {
  private count = 0;
  handle(cx: Context<CounterMsg>, msg: CounterMsg): void {
    if (msg.type === 'inc') this.count++;
    else {
      msg.reply.send(cx, { type: 'total', n: this.count });
      cx.stop('done');
    }
  }
}

class Producer implements Actor<ProducerMsg> {
  private counter: ActorRef<CounterMsg> | undefined;
  private go: Go | undefined;
  constructor(private readonly n: number) {}
  handle(cx: Context<ProducerMsg>, msg: ProducerMsg): void {
    switch (msg.type) {
      case 'go': {
        this.go = msg;
        msg.started.send(cx, now());
        const counter = this.counter!;
        const inc: CounterMsg = { type: 'inc' };
        for (let i = 0; i < this.n; i++) counter.send(cx, inc);
        counter.send(cx, { type: 'get', reply: cx.bind() });
        return;
      }
      case 'total':
        this.go!.done.send(cx, { end: now(), ok: msg.n === this.n, detail: `total ${msg.n}` });
        cx.stop('done');
        return;
      case 'peer':
        this.counter = msg.counter;
        msg.ready.send(cx, true);
    }
  }
}

export const COUNT_TYPES = {
  SavinaProducer: (p: { n: number }) => new Producer(p.n),
  SavinaCounter: () => new Counter(),
};

export async function setupCount(place: Place, p: { n: number }): Promise<Kick> {
  const [producer, counter] = await Promise.all([place.spawn<ProducerMsg>(0, 'SavinaProducer', p), place.spawn<CounterMsg>(1, 'SavinaCounter', {})]);
  await wire(place, producer, (ready) => ({ type: 'peer' as const, counter, ready }));
  return kick(place, [producer as ActorRef<Go>]);
}
