/**
 * benchmarks/savina/actor-cost.ts: what one actor costs, the microbenchmark of issue 16's
 * "actors as cheap as Erlang processes" (targets: create + stop <= 2 µs, <= 1 KB of heap per
 * idle actor), and the same-proc send paths beside each other:
 *
 * - `spawn+stop`: a parent actor spawns `count` children, sends each one message by
 *   `ActorRef`, each child stops itself in its handler, and the parent counts the supervision
 *   events: µs per actor, creation to its stop event (fjcreate without the computation).
 * - `heap per idle actor`: `count` actors spawned and left idle; heap growth after full GCs
 *   (v8's `gc`: the process runs with `--expose-gc` from its start, re-executing itself with the
 *   flag when started without; exposing it at run time left garbage uncollected and gave
 *   negative figures), divided by `count`. Then they are stopped, and the heap
 *   left after their stop is reported too (bounded: the proc keeps terminated snapshots of the
 *   last `PROCMESH_TERMINATED_SNAPSHOT_RETENTION` actors only).
 * - `handle send` / `ref send`: one client sends `sends` small messages to one actor through its
 *   `ActorHandle` and through its `ActorRef`; msgs/s handled.
 *
 * Run: `node --expose-gc benchmarks/dist/savina/actor-cost.js [--count N]` (started without the
 * flag, it runs itself again with it).
 */
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { Proc, type Actor, type ActorSupervisionEvent, type Context } from '@procmesh/core';

export interface ActorCost {
  readonly spawnStopUs: number;
  readonly heapBytesPerIdleActor: number;
  readonly heapBytesPerStoppedActor: number;
  readonly handleSendPerSec: number;
  readonly refSendPerSec: number;
}

/** v8's full GC: needs `node --expose-gc` (the main block re-executes itself with it). */
function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (collect === undefined) throw new Error('actor-cost measures heap with v8 gc: run node with --expose-gc');
  collect();
}

/** Full GCs with timer turns between them, so finalizers and deferred frees have run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setTimeout(r, 10));
    gc();
  }
}

type Work = { readonly type: 'work' };
class Child implements Actor<Work> {
  handle(cx: Context<Work>): void {
    cx.stop('done');
  }
}
class Idle implements Actor<Work> {
  handle(): void {}
}
type ParentMsg = { readonly type: 'go'; readonly count: number; readonly done: (us: number) => void };
class Parent implements Actor<ParentMsg> {
  private left = 0;
  private t0 = 0;
  private done: ((us: number) => void) | undefined;
  handle(cx: Context<ParentMsg>, msg: ParentMsg): void {
    this.left = msg.count;
    this.done = msg.done;
    this.t0 = performance.now();
    const work: Work = { type: 'work' };
    for (let i = 0; i < msg.count; i++) cx.spawn(new Child()).bind().send(cx, work);
  }
  handleSupervisionEvent(_cx: Context<ParentMsg>, event: ActorSupervisionEvent): boolean {
    if (event.isError()) throw new Error(`a child failed: ${String(event)}`);
    if (--this.left === 0) this.done?.((performance.now() - this.t0) * 1000);
    return true;
  }
}
type CountMsg = { readonly type: 'm'; readonly x: number; readonly y: string };
class Counter implements Actor<CountMsg> {
  count = 0;
  target = 0;
  reached: (() => void) | undefined;
  handle(): void {
    if (++this.count === this.target) this.reached?.();
  }
}

async function spawnStop(count: number): Promise<number> {
  const proc = Proc.local();
  const [client] = proc.instance('client');
  const parent = proc.spawn('parent', new Parent());
  const us = await new Promise<number>((resolve) => parent.send(client, { type: 'go', count, done: resolve }));
  await proc.destroyAndWait(2000);
  return us / count;
}

async function heap(count: number): Promise<{ idle: number; stopped: number }> {
  const proc = Proc.local();
  for (let i = 0; i < 100; i++) proc.spawn(`warm${i}`, new Idle()); // code and shapes warmed up
  await settle();
  const before = process.memoryUsage().heapUsed;
  const handles = [];
  for (let i = 0; i < count; i++) handles.push(proc.spawn(`idle${i}`, new Idle()));
  await settle();
  const idle = (process.memoryUsage().heapUsed - before) / count;
  for (const h of handles) h.drainAndStop('done');
  await Promise.all(handles.map((h) => h.join()));
  handles.length = 0;
  await settle();
  const stopped = (process.memoryUsage().heapUsed - before) / count;
  await proc.destroyAndWait(2000);
  return { idle, stopped };
}

async function sends(n: number, byRef: boolean): Promise<number> {
  const proc = Proc.local();
  const [client] = proc.instance('client');
  const counter = new Counter();
  const handle = proc.spawn('counter', counter);
  const ref = handle.bind();
  const t0 = performance.now();
  counter.target = n;
  const reached = new Promise<void>((r) => (counter.reached = r));
  for (let i = 0; i < n; i++) {
    const msg: CountMsg = { type: 'm', x: i, y: 'hello' };
    if (byRef) ref.send(client, msg);
    else handle.send(client, msg);
  }
  await reached;
  const perSec = n / ((performance.now() - t0) / 1000);
  await proc.destroyAndWait(2000);
  return perSec;
}

export async function measureActorCost(count = 20_000, sendCount = 200_000): Promise<ActorCost> {
  await spawnStop(Math.min(count, 2000)); // warm-up
  const spawnStopUs = await spawnStop(count);
  const h = await heap(count);
  await sends(sendCount / 10, true);
  const handleSendPerSec = await sends(sendCount, false);
  const refSendPerSec = await sends(sendCount, true);
  return { spawnStopUs, heapBytesPerIdleActor: h.idle, heapBytesPerStoppedActor: h.stopped, handleSendPerSec, refSendPerSec };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href && (globalThis as { gc?: unknown }).gc === undefined) {
  const child = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const at = process.argv.indexOf('--count');
  const count = at >= 0 ? Number(process.argv[at + 1]) : 20_000;
  const c = await measureActorCost(count);
  console.log(
    `spawn+stop ${c.spawnStopUs.toFixed(2)} µs/actor; heap ${Math.round(c.heapBytesPerIdleActor)} B per idle actor, ${Math.round(c.heapBytesPerStoppedActor)} B per stopped actor; ` +
      `handle send ${(c.handleSendPerSec / 1e6).toFixed(2)} M/s, ref send ${(c.refSendPerSec / 1e6).toFixed(2)} M/s (ref/handle ${(c.refSendPerSec / c.handleSendPerSec).toFixed(2)})`,
  );
}
