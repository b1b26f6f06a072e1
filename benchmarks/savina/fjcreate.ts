/**
 * benchmarks/savina/fjcreate.ts: Savina's Fork-Join Create: `actors` actors are created, each
 * is sent one message by `ActorRef`, does one `performComputation` and stops. A spawner per
 * proc (slot `i` for `i < procs`) creates its share as children and counts their supervision
 * events (a clean stop each; the Erlang version counts `'DOWN'` monitors the same way), so
 * creation, the message and the stop are all in the time. Verified: every child stopped
 * cleanly after its message.
 */
import type { Actor, ActorSupervisionEvent, Context } from '@procmesh/core';
import { now, performComputation, type Go } from './common.js';
import { kick, type Kick, type Place } from './place.js';

type ChildMsg = { readonly type: 'work' };

class ForkJoinChild implements Actor<ChildMsg> {
  handle(cx: Context<ChildMsg>): void {
    performComputation(37.2);
    cx.stop('done');
  }
}

class Spawner implements Actor<Go> {
  private stopped = 0;
  private failed = 0;
  private go: Go | undefined;
  constructor(private readonly count: number) {}
  handle(cx: Context<Go>, msg: Go): void {
    this.go = msg;
    msg.started.send(cx, now());
    const work: ChildMsg = { type: 'work' };
    for (let i = 0; i < this.count; i++) cx.spawn(new ForkJoinChild()).bind().send(cx, work);
  }
  handleSupervisionEvent(cx: Context<Go>, event: ActorSupervisionEvent): boolean {
    if (event.isError()) this.failed++;
    if (++this.stopped === this.count) {
      this.go!.done.send(cx, { end: now(), ok: this.failed === 0, detail: `${this.stopped} stopped, ${this.failed} failed` });
      cx.stop('done');
    }
    return true;
  }
}

export const FJCREATE_TYPES = {
  SavinaSpawner: (p: { count: number }) => new Spawner(p.count),
};

export async function setupFjCreate(place: Place, p: { actors: number }): Promise<Kick> {
  const spawners = await Promise.all(
    Array.from({ length: place.procs }, (_, i) => place.spawn<Go>(i, 'SavinaSpawner', { count: Math.floor(p.actors / place.procs) + (i < p.actors % place.procs ? 1 : 0) })),
  );
  return kick(place, spawners);
}
