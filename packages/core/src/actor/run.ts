/**
 * actor/run.ts: the actor loop of a spawned actor (spec §4.1): `startActor` -> `drive` -> `run`
 * (until idle or done) -> `serve` (actor/stop.ts: children, cleanup, the terminal status and the
 * supervision event), and the batches of work it handles (`processBatch`).
 *
 * ```
 * run:          initializing -> init() -> loop { idle (returns: `wake` drives it again, AC-10);
 *               next of: signal | supervision event | work }
 * ```
 *
 * Signals are checked first, then supervision events, then work (upstream picks fairly at
 * random; no test depends on the order, and DrainAndStop drains queued work either way).
 * The loop reads the instance's queues (`@internal` fields of `Instance`, actor/instance.ts)
 * and its proc's clock for every timestamp and timer. The invariants it keeps, AC-1 to AC-6,
 * are listed in actor/instance.ts; this module adds:
 *
 * - AC-10: an idle actor holds no suspended frame: `run` sets `wake` and returns `IDLE`, and
 *   the wake (a push, a signal, a supervision event, a flow release, a detach) schedules a turn on
 *   the thread's ready queue (actor/scheduler.ts, RQ-1..RQ-4).
 * - AC-11: a turn (`turn`) handles one synchronous batch of work (`processBatch`) and nothing else:
 *   the next push wakes it again, a handler's promise resumes it when settled, and anything that
 *   is not work (a signal, a supervision event, an abort or detach) hands the actor back to the
 *   async loop (`drive` -> `run`), which sets `wake` again once idle. So a message between two
 *   actors of one thread costs a push and a batch in the running drain: no microtask, no async
 *   call, no promise (AC-2 across actors). AC-1 holds: an actor is in at most one of the ready
 *   queue, a pending handler, or `run` (its `wake` is set only while it is in none). AC-6 holds
 *   across turns: a turn's batch takes what fits the drain's `YIELD_AFTER_MS` left, and a drain
 *   whose turns handled that long yields to the event loop (RQ-3) as `run` does.
 * - BT-1: a batch's wall-clock start (`since`: its status, `lastHandledAt`, PT-8's send_timestamp)
 *   on the real clock is its monotonic start plus the wall offset (`now() - monotonic()`), read
 *   again every `WALL_OFFSET_MS`, in whole ms and never ahead of `Date.now()`: a batch start
 *   costs one clock read, not two. Other clocks are read as they are.
 * - BT-2: inside one drain of the ready queue (`ready.running`), a batch that follows another
 *   batch of the same clock with nothing but the scheduler between them (no hook, no failure, no
 *   suspended handler) starts at that batch's end reading: a turn costs one clock read. Any
 *   other batch reads the clock (the carried reading is consumed by the next batch).
 * - AC-12: a supervision event whose hook (`handleSupervisionEvent`) returns a plain value is
 *   handled without a promise or a microtask (issue 16: a parent of 40,000 children awaited one
 *   per child's event); a hook that returns a thenable is awaited as before.
 * - AC-13: an actor without `init` starts as a turn on the ready queue (`startActor`), not in
 *   `run`: its first turn moves it `created -> initializing` (then idle or processing, in the same
 *   synchronous step, as `run` does), so a spawn costs no async frame, promise or closure
 *   (~700 bytes allocated a spawn, issue 16). Anything but work goes to `run` as in AC-11.
 * - AC-14: a turn handles the control items it can itself, in `run`'s order (`controlInTurn`):
 *   a `stop` signal ends the actor in the turn (counted, idle, then `serve` as `run` would have
 *   returned it), a `child-stopped` is counted, a supervision event's hook runs (a thenable it
 *   returns is awaited off the turn, then `run` goes on). A drain-and-stop, an abort or a detach
 *   go to `run` as in AC-11. So neither a child that stops itself in its handler nor a parent
 *   told of it costs an async frame or a promise (fjcreate: one of each a child).
 */
import { realClock, type Clock } from '../clock.js';
import type { ActorId } from '../id.js';
import type { ActorSupervisionEvent } from '../supervision.js';
import { ActorStatus } from '../status.js';
import { DIRECT_HEADERS, Undeliverable, type Headers } from '../mailbox/envelope.js';
import { ActorErrorKind, describeThrown } from './errors.js';
import type { InstanceCell } from './cell.js';
import type { Actor, Instance } from './instance.js';
import type { Signal } from './signal.js';
import { telemetry } from '../telemetry/switch.js';
import { observedActor } from './observed.js';
import { returnFailedAsk } from './retire.js';
import { serve, type RunOutcome } from './stop.js';
import { ReadyQueue } from './scheduler.js';
import type { InstanceIntake } from './intake.js';

/** AC-6 */
const YIELD_EVERY = 1024;
/**
 * AC-6: the handling time (ms of the proc's clock) after which the loop yields even before
 * `YIELD_EVERY` items: a handler that does much per item (hundreds of sends) must not keep the
 * thread's sockets unserved for `YIELD_EVERY` of them (a NetTx writes on `drain`, an event-loop
 * turn: a producer sending 256 per item starved its socket for 262,144 sends at a time).
 */
export const YIELD_AFTER_MS = 10;
/** AC-6: a batch reads the clock every this many items (mask), to be cut at `YIELD_AFTER_MS`. */
const YIELD_CHECK_MASK = 63;

/** Resolve after the event loop had a turn (I/O, timers). */
const yieldMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));


/**
 * AC-6 (time): how many items the next batch may take: what fits the `spentUs` already spent of
 * `YIELD_AFTER_MS` at the previous batch's time per item (ST-4), at least 1, at most `most`.
 * Shared by a turn (`drainBusyUs` of its drain) and by `run` (its own `busyUs`).
 */
function batchLimit(cell: InstanceCell, spentUs: number, most: number): number {
  const perItemUs = cell.lastHandlerTimeUs;
  const byTime = perItemUs > 0 ? Math.ceil((YIELD_AFTER_MS * 1000 - spentUs) / perItemUs) : most;
  return Math.max(1, Math.min(most, byTime));
}

/** AC-10: what `run` returns when the actor went idle (its `wake` drives it again). */
const IDLE = Symbol('idle');

/** AC-11: the ready queue of this thread's actors (RQ-3: it yields every `YIELD_EVERY` items, AC-6). */
const ready = new ReadyQueue<Instance<unknown>>(
  (inst) => turn(inst, inst.actor as Actor<unknown>),
  (inst, err) => {
    carriedClock = undefined; // BT-2
    void serve(inst, inst.actor as Actor<unknown>, { ok: false, kind: ActorErrorKind.generic(describeThrown(err)) }); // RQ-4
  },
  YIELD_EVERY,
);

/** AC-6 (time): the handling time (µs) of the turns of the drain `busyDrain` (a `ready.generation`). */
let drainBusyUs = 0;
let busyDrain = -1;

/** AC-10: the `wake` of an idle actor: a turn on the ready queue. */
const wakeTurn = (inst: InstanceIntake): void => ready.schedule(inst as Instance<unknown>);

/** AC-14: what `controlInTurn` did: the control queues are empty (go on with the work), the actor ended or waits on a hook's promise, or `run` must take over. */
const CONTROL_DONE = 0;
const CONTROL_ENDED = 1;
const CONTROL_RUN = 2;

/**
 * AC-14: handle the control items a turn can, in `run`'s order (signals first, then events):
 * `stop` (the actor ends here), `child-stopped` (counted), supervision events (the hook; a
 * thenable it returns is awaited off the turn, then `run` goes on). Anything else is `run`'s.
 */
function controlInTurn<M>(inst: Instance<M>, actor: Actor<M>): number {
  const cell = inst.cell;
  for (;;) {
    if (inst.aborted) return CONTROL_RUN;
    const signal = inst.signals.peek();
    if (signal !== undefined) {
      if (signal.kind !== 'stop' && signal.kind !== 'child-stopped') return CONTROL_RUN;
      inst.signals.shift();
      cell.status.markIdle();
      cell.messagesProcessed++;
      if (signal.kind === 'child-stopped') continue;
      serve(inst, actor, { ok: true, reason: signal.reason });
      return CONTROL_ENDED;
    }
    const event = inst.supervisionEvents.shift();
    if (event === undefined) return CONTROL_DONE;
    cell.status.markIdle();
    const failure = handleSupervisionEvent(inst, actor, event);
    if (failure instanceof Promise) {
      failure.then(
        (f) => {
          cell.messagesProcessed++;
          if (f !== undefined) serve(inst, actor, { ok: false, kind: f });
          else drive(inst, actor, true);
        },
        (err: unknown) => serve(inst, actor, { ok: false, kind: ActorErrorKind.generic(describeThrown(err)) }),
      );
      return CONTROL_ENDED;
    }
    cell.messagesProcessed++;
    if (failure !== undefined) {
      serve(inst, actor, { ok: false, kind: failure });
      return CONTROL_ENDED;
    }
  }
}

/**
 * AC-11: one synchronous batch of an actor's work; returns the items it handled. Anything but
 * work goes to the async loop (`drive`); idle or muted (FC-1), it waits for its `wake`.
 */
function turn<M>(inst: Instance<M>, actor: Actor<M>): number {
  if (inst.cell.status.get() === ActorStatus.created) inst.cell.status.set(ActorStatus.initializing); // AC-13: its first turn
  if (inst.aborted || inst.signals.length > 0 || inst.supervisionEvents.length > 0) {
    carriedClock = undefined; // BT-2: user code (hooks) runs outside a batch
    const control = controlInTurn(inst, actor); // AC-14
    if (control === CONTROL_RUN) drive(inst, actor, true);
    if (control !== CONTROL_DONE) return 0;
  }
  const work = inst.work;
  let flow = inst.flowState; // LF-1: made by the first hold, so read it each time
  if (work.size > 0 && !(flow !== undefined && flow.holds > 0 && flow.held)) {
    if (busyDrain !== ready.generation) {
      busyDrain = ready.generation;
      drainBusyUs = 0;
    }
    // AC-6 (time), as `run`: at most what fits the drain's time left
    const cell = inst.cell;
    const spentBefore = cell.totalProcessingTimeUs;
    // TS-3: one test per batch; the observed path (actor/observed.ts) while an SDK is registered
    const pending = processBatch(inst, telemetry.active ? observedActor(inst, actor) : actor, batchLimit(cell, drainBusyUs, YIELD_EVERY), true);
    drainBusyUs += cell.totalProcessingTimeUs - spentBefore;
    // RQ-3 counts items: a drain that handled YIELD_AFTER_MS of work yields now (AC-6)
    const handled = drainBusyUs >= YIELD_AFTER_MS * 1000 ? YIELD_EVERY : inst.batchCount;
    if (pending !== undefined) {
      pending.then(
        (failure) => {
          if (failure !== undefined) return serve(inst, actor, { ok: false, kind: failure });
          inst.flowState?.shrunk(work.size);
          ready.schedule(inst as Instance<unknown>); // the loop goes on (AC-1: nothing ran meanwhile)
          return undefined;
        },
        (err: unknown) => serve(inst, actor, { ok: false, kind: ActorErrorKind.generic(describeThrown(err)) }),
      );
      return handled + 1;
    }
    if (inst.aborted || inst.signals.length > 0 || inst.supervisionEvents.length > 0) {
      carriedClock = undefined; // BT-2
      const control = controlInTurn(inst, actor); // AC-14
      if (control === CONTROL_RUN) drive(inst, actor, true);
      if (control !== CONTROL_DONE) return handled;
    }
    inst.cell.status.markIdle();
    flow = inst.flowState;
    if (work.size > 0 && !(flow !== undefined && flow.holds > 0 && flow.held)) ready.schedule(inst as Instance<unknown>); // RQ-3 decides when
    else inst.wake = wakeTurn;
    return handled;
  }
  inst.cell.status.markIdle();
  inst.wake = wakeTurn; // idle, or muted (FC-1): a push, a signal, or the release wakes it
  return 0;
}

/** Start the actor task of a spawned actor (`Proc` calls it once the instance is registered). */
export function startActor<M>(inst: Instance<M>, actor: Actor<M>): void {
  if (inst.loopRunning) return;
  inst.loopRunning = true;
  inst.actor = actor;
  inst.handlerTypeName = actor.constructor?.name ?? inst.cell.typeName;
  if (actor.init === undefined) ready.schedule(inst as Instance<unknown>); // AC-13
  else queueMicrotask(() => drive(inst, actor, false));
}

/**
 * AC-10: run the loop until the actor is idle or done. An idle actor holds no suspended frame
 * (no promise chain of `run`, `runActorTree`, `serve`: ~2 KB an actor): `run` leaves `wake` set
 * and returns, and the next push, signal or event drives it again on a microtask.
 */
function drive<M>(inst: Instance<M>, actor: Actor<M>, resumed: boolean): void {
  run(inst, actor, resumed).then(
    (ran) => {
      if (ran !== IDLE) serve(inst, actor, ran);
    },
    (err: unknown) => serve(inst, actor, { ok: false, kind: ActorErrorKind.generic(describeThrown(err)) }),
  );
}

async function run<M>(inst: Instance<M>, actor: Actor<M>, resumed: boolean): Promise<RunOutcome | typeof IDLE> {
  const status = inst.cell.status;
  if (!resumed) status.set(ActorStatus.initializing);
  if (!resumed && actor.init !== undefined) {
    try {
      const r = actor.init(inst);
      if (r !== undefined && typeof (r as Promise<void>).then === 'function') await r;
    } catch (err) {
      return { ok: false, kind: ActorErrorKind.generic(`initialization error: ${describeThrown(err)}`) };
    }
    if (inst.aborted) return { ok: 'detached' };
  }
  const cell = inst.cell;
  const work = inst.work;
  let sinceYield = 0;
  /** AC-6: µs handled since the last yield (the batches' elapsed time). */
  let busyUs = 0;
  let drainReason: string | undefined;
  for (;;) {
    status.markIdle();
    if (inst.aborted) return { ok: 'detached' };
    if (inst.signals.length > 0) {
      const signal = inst.signals.shift() as Signal;
      cell.messagesProcessed++;
      if (signal.kind === 'stop') return { ok: true, reason: signal.reason };
      if (signal.kind === 'drain-and-stop') {
        drainReason = signal.reason;
        break;
      }
      if (signal.kind === 'abort') return { ok: false, kind: { kind: 'aborted', reason: signal.reason } };
      continue;
    }
    if (inst.supervisionEvents.length > 0) {
      const event = inst.supervisionEvents.shift() as ActorSupervisionEvent;
      let failure = handleSupervisionEvent(inst, actor, event);
      if (failure instanceof Promise) failure = await failure; // AC-12
      cell.messagesProcessed++;
      if (failure !== undefined) return { ok: false, kind: failure };
      continue;
    }
    const flow = inst.flowState; // LF-1: made by the first hold, so read it each time
    if (work.size > 0 && !(flow !== undefined && flow.holds > 0 && flow.held)) {
      // AC-6: at most what fits the time left
      const limit = batchLimit(cell, busyUs, YIELD_EVERY - sinceYield);
      const spentBefore = cell.totalProcessingTimeUs;
      // TS-3: one test per batch; the observed path (actor/observed.ts) while an SDK is registered
      const pending = processBatch(inst, telemetry.active ? observedActor(inst, actor) : actor, limit, true);
      sinceYield += inst.batchCount;
      busyUs += cell.totalProcessingTimeUs - spentBefore; // the synchronous part: an await lets the loop turn
      if (pending !== undefined) {
        const failure = await pending;
        if (failure !== undefined) return { ok: false, kind: failure };
        sinceYield++;
        inst.flowState?.shrunk(work.size);
      }
      if (sinceYield >= YIELD_EVERY || busyUs >= YIELD_AFTER_MS * 1000) {
        sinceYield = 0;
        busyUs = 0;
        status.markIdle(); // not processing while the event loop has its turn
        await yieldMacrotask();
      }
      continue;
    }
    // idle, or muted (FC-1): a push, a signal, or the release wakes it (AC-10: set before returning)
    inst.wake = wakeTurn;
    return IDLE;
  }
  // DrainAndStop: handle every queued item, including ones arriving while draining.
  while (work.size > 0) {
    if (inst.aborted) return { ok: 'detached' };
    const pending = processBatch(inst, telemetry.active ? observedActor(inst, actor) : actor, YIELD_EVERY, false);
    if (pending !== undefined) {
      const failure = await pending;
      if (failure !== undefined) return { ok: false, kind: failure };
    } else if (work.size > 0) {
      await yieldMacrotask(); // AC-6, also while draining
    }
  }
  return { ok: true, reason: drainReason };
}

/**
 * Handle queued work items synchronously, one after the other, until the queue is empty,
 * `limit` items were handled, a signal or supervision event is waiting (when `stopForControl`),
 * or a handler returned a promise. Returns undefined when every item it took completed
 * synchronously (AC-2: no promise, no microtask per message); otherwise the promise of the
 * item in flight (or of the failure handling), resolving to the failure kind if any.
 *
 * Timing (ST-3): the clock is read once per batch, not per message. Every item of a batch is
 * `processing` since the batch start, and the batch's elapsed time goes to
 * `totalProcessingTimeUs`; an item that returns a promise adds its time until it settles.
 * ST-4: the last/max handler time and the last handled time are written once per batch
 * (`noteBatch`: a few stores and one comparison per batch, nothing per item).
 */
function processBatch<M>(inst: Instance<M>, actor: Actor<M>, limit: number, stopForControl: boolean): Promise<ActorErrorKind | undefined> | undefined {
  const work = inst.work;
  const cell = inst.cell;
  const status = cell.status;
  const clock = inst.clock;
  const start = clock === carriedClock && carriedDrain === ready.generation && ready.running ? carriedAt : clock.monotonic(); // BT-2
  carriedClock = undefined; // BT-2: only a batch that ends normally hands its end on
  const since = wallAt(clock, start); // wall clock, as upstream's `SystemTime` (BT-1)
  inst.batchNow = since; // PT-8: the send_timestamp of what its handlers send
  const rec = cell.flightRecorder; // FR-4: one test per item when off
  let mark = start;
  let n = 0;
  inst.batchCount = 0;
  while (n < limit && work.shift()) {
    // RL-3b: what was handled before this item is settled before it runs
    const receipts = inst.receipts;
    if (receipts !== undefined && receipts.next < work.shifted) receipts.settleUpTo(work.shifted - 1);
    if (n > 0) status.markIdle();
    n++;
    let result: void | Promise<void>;
    try {
      result = inst.runWorkItem(actor, work.tag, work.message, work.headers as Headers, since);
    } catch (err) {
      inst.batchNow = undefined;
      inst.batchCount = n - 1;
      inst.receipts?.settleUpTo(work.shifted);
      const elapsed = clock.monotonic() - start;
      cell.totalProcessingTimeUs += elapsed * 1000;
      noteBatch(cell, (elapsed * 1000) / n, since);
      if (rec !== undefined) rec.failed(cell.lastHandler?.arm, err, clock.monotonic() - mark, since);
      return handlerFailed(inst, actor, err, work.message, work.headers as Headers, work.sender);
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      inst.batchNow = undefined;
      inst.batchCount = n - 1;
      const suspended = clock.monotonic();
      const message: unknown = work.message;
      const headers = work.headers as Headers;
      const sender = work.sender;
      const arm = cell.lastHandler?.arm;
      const began = mark;
      cell.totalProcessingTimeUs += (suspended - start) * 1000;
      return (result as Promise<void>).then(
        () => {
          inst.receipts?.settleUpTo(work.shifted);
          cell.messagesProcessed++;
          const done = clock.monotonic();
          cell.totalProcessingTimeUs += (done - suspended) * 1000;
          noteBatch(cell, (done - began) * 1000, since);
          if (rec !== undefined) rec.handled(arm, done - began, since);
          return undefined;
        },
        (err: unknown) => {
          inst.receipts?.settleUpTo(work.shifted);
          const done = clock.monotonic();
          cell.totalProcessingTimeUs += (done - suspended) * 1000;
          noteBatch(cell, (done - began) * 1000, since);
          if (rec !== undefined) rec.failed(arm, err, done - began, since);
          return handlerFailed(inst, actor, err, message, headers, sender);
        },
      );
    }
    cell.messagesProcessed++;
    if (rec !== undefined) {
      const t = clock.monotonic();
      rec.handled(cell.lastHandler?.arm, t - mark, since);
      mark = t;
    }
    const flow = inst.flowState; // LF-1: a handler's send may have made it
    if (flow !== undefined) {
      flow.shrunk(work.size); // FC-1: under `low`, the senders it holds go free
      if (stopForControl && flow.holds > 0 && flow.held) break; // muted: no next item
    }
    if (stopForControl && (inst.signals.length > 0 || inst.supervisionEvents.length > 0 || inst.aborted)) break;
    if ((n & YIELD_CHECK_MASK) === 0 && clock.monotonic() - start >= YIELD_AFTER_MS) break; // AC-6: items heavier than the last batch's
  }
  inst.batchNow = undefined;
  inst.batchCount = n;
  const receipts = inst.receipts;
  if (receipts !== undefined && receipts.next <= work.shifted) receipts.settleUpTo(work.shifted);
  const end = clock.monotonic();
  if (ready.running) {
    carriedClock = clock; // BT-2: the next batch of this drain starts where this one ended
    carriedAt = end;
    carriedDrain = ready.generation;
  }
  const elapsed = end - start;
  cell.totalProcessingTimeUs += elapsed * 1000;
  if (n > 0) noteBatch(cell, (elapsed * 1000) / n, since); // ST-4: once per batch
  return undefined;
}

/** BT-2: the end of the last batch of the running drain, and its clock (undefined: none to carry). */
let carriedClock: Clock | undefined;
let carriedAt = 0;
let carriedDrain = 0;

/** BT-1: the real clock's wall offset (`now() - monotonic()`), and when it was read (-Infinity: never). */
let wallOffset = 0;
let offsetAt = Number.NEGATIVE_INFINITY;
/** BT-1: how long (monotonic ms) a cached wall offset is used before it is read again. */
const WALL_OFFSET_MS = 50;

/**
 * BT-1: the wall-clock time (whole ms, as `Date.now()`) at monotonic time `mono` of the real
 * clock, from a cached offset between its two readings, read again every `WALL_OFFSET_MS`: a
 * batch costs one clock read instead of two. The offset is taken from a whole-ms `now()`, so the
 * result is never ahead of `Date.now()`; a step of the wall clock shows within 50 ms. Any other
 * clock (a `SimulatedClock`: no system call) is read as it is.
 */
function wallAt(clock: Clock, mono: number): number {
  if (clock !== realClock) return clock.now();
  if (mono - offsetAt > WALL_OFFSET_MS || mono < offsetAt) {
    offsetAt = mono;
    wallOffset = clock.now() - mono;
  }
  return Math.floor(mono + wallOffset);
}

/** ST-4: a batch's mean time per item (µs) as the last handler time; the max; when it began. */
function noteBatch(cell: InstanceCell, us: number, since: number): void {
  cell.lastHandlerTimeUs = us;
  if (us > cell.maxHandlerTimeUs) cell.maxHandlerTimeUs = us;
  cell.lastHandledAt = since;
}

/**
 * A handler failed: pending supervision events are handled first (they may fail first). The
 * failure text names what was being handled (upstream's `last_handler`): the message's `type`
 * field, else its `message_type` header, and for a returned message where it was going.
 */
async function handlerFailed<M>(inst: Instance<M>, actor: Actor<M>, err: unknown, message: unknown, headers: Headers, sender: ActorId | undefined): Promise<ActorErrorKind> {
  returnFailedAsk(inst, message, headers, sender, err instanceof Error ? err.message : String(err)); // RT-2
  while (inst.supervisionEvents.length > 0) {
    const event = inst.supervisionEvents.shift() as ActorSupervisionEvent;
    let failure = handleSupervisionEvent(inst, actor, event);
    if (failure instanceof Promise) failure = await failure; // AC-12
    if (failure !== undefined) return failure;
  }
  // the message, what was handled, then the stack frames (describeThrown's layout)
  const thrown = describeThrown(err);
  const what = handlingWhat(message, headers, sender);
  const frames = err instanceof Error ? thrown.indexOf('\n', err.message.length) : -1;
  return ActorErrorKind.generic(frames < 0 ? `${thrown} ${what}` : `${thrown.slice(0, frames)} ${what}${thrown.slice(frames)}`);
}

/**
 * `while handling 'parse' from local:1,proc_1,reader[0]`, `while handling an undeliverable message
 * to {dest}` (failures only).
 */
function handlingWhat(message: unknown, headers: Headers, sender: ActorId | undefined): string {
  if (message instanceof Undeliverable) return `while handling an undeliverable message to ${message.envelope.dest}`;
  const arm = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  const type = typeof arm === 'string' ? arm : headers.message_type;
  const from = sender !== undefined ? ` from ${sender}` : '';
  return type !== undefined ? `while handling '${type}'${from}` : `while handling a message${from}`;
}

/** AC-12: a promise only when the hook returned a thenable. */
function handleSupervisionEvent<M>(inst: Instance<M>, actor: Actor<M>, event: ActorSupervisionEvent): ActorErrorKind | undefined | Promise<ActorErrorKind | undefined> {
  inst.headers = DIRECT_HEADERS;
  inst.cell.flightRecorder?.supervision(event, event.isError());
  let absorbed: boolean | Promise<boolean>;
  try {
    absorbed = actor.handleSupervisionEvent !== undefined ? actor.handleSupervisionEvent(inst, event) : !event.isError();
  } catch (err) {
    return { kind: 'error-during-handling-supervision', message: describeThrown(err), event };
  }
  const value: unknown = absorbed;
  if (value === null || typeof value !== 'object' || typeof (value as { then?: unknown }).then !== 'function') {
    return value ? undefined : { kind: 'unhandled-supervision-event', event };
  }
  return Promise.resolve(absorbed).then(
    (a): ActorErrorKind | undefined => (a ? undefined : { kind: 'unhandled-supervision-event', event }),
    (err: unknown): ActorErrorKind => ({ kind: 'error-during-handling-supervision', message: describeThrown(err), event }),
  );
}
