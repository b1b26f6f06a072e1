/**
 * actor/scheduler.ts: `ReadyQueue<T>`, the run queue of one thread's actors (actor/run.ts has one,
 * for every proc of the thread): an actor with work is pushed once, and one microtask drains the
 * queue, giving each actor in turn one synchronous batch (`turn`). A send that wakes another
 * actor of the same thread therefore costs a queue push, not a microtask, an async call and a
 * promise per message (issue 16: pingpong spent ~1 µs a message on that); the receiver's batch
 * runs after the sender's in the same drain.
 *
 * Written by hand: a circular array and a flag; the job queues on npm are promise based, which is
 * what this replaces.
 *
 * ## Invariants
 *
 * - RQ-1: one drain at a time: `schedule` queues a drain (a microtask) only when none is queued
 *   or running, and a turn never runs inside `schedule` (a send never runs its receiver's handler
 *   on the sender's stack).
 * - RQ-2: turns run in schedule order (FIFO); an item scheduled during a drain runs in that drain.
 * - RQ-3: a drain yields to the event loop (`setImmediate`) once its turns handled `budget` items
 *   (AC-6 for the whole thread: busy actors starve no I/O or timer), and goes on there. A turn
 *   reports what it counts: actor/run.ts counts a drain's 10 ms of handling as the whole budget.
 * - RQ-4: a turn that throws does not stop the drain: the error goes to `onError` with the item
 *   (actor/run.ts fails that actor), and the next item runs.
 */

/** A FIFO of ready items drained by one microtask at a time (RQ-1..RQ-4). */
export class ReadyQueue<T> {
  private items: (T | undefined)[] = new Array<T | undefined>(16).fill(undefined);
  private head = 0;
  private count = 0;
  /** RQ-1: a drain is queued or running. */
  private draining = false;
  /** A drain is running now (its turns are on the stack): false between drains and while yielded. */
  running = false;
  /** Counts the drains run (a yielded drain that goes on counts again): what one drain saw is stale in the next. */
  generation = 0;

  /**
   * `turn(item)` gives an item its turn and returns how many items (messages) it handled;
   * `budget`: items a drain handles before it yields (RQ-3).
   */
  constructor(
    private readonly turn: (item: T) => number,
    private readonly onError: (item: T, err: unknown) => void,
    private readonly budget: number,
  ) {}

  /** Items waiting for their turn. */
  get length(): number {
    return this.count;
  }

  /** Queue `item` for a turn (RQ-1, RQ-2). */
  schedule(item: T): void {
    let items = this.items;
    if (this.count === items.length) items = this.grow();
    items[(this.head + this.count) & (items.length - 1)] = item; // a power of 2 long
    this.count++;
    if (!this.draining) {
      this.draining = true;
      queueMicrotask(this.drain);
    }
  }

  private grow(): (T | undefined)[] {
    const old = this.items;
    const items = new Array<T | undefined>(old.length * 2).fill(undefined);
    for (let i = 0; i < this.count; i++) items[i] = old[(this.head + i) & (old.length - 1)];
    this.items = items;
    this.head = 0;
    return items;
  }

  private readonly drain = (): void => {
    let handled = 0;
    this.running = true;
    this.generation++;
    while (this.count > 0) {
      if (handled >= this.budget) {
        this.running = false;
        setImmediate(this.drain); // RQ-3: still draining (no second drain is queued meanwhile)
        return;
      }
      const items = this.items;
      const item = items[this.head] as T;
      items[this.head] = undefined;
      this.head = (this.head + 1) & (items.length - 1);
      this.count--;
      try {
        handled += this.turn(item) + 1;
      } catch (err) {
        handled++;
        this.onError(item, err); // RQ-4
      }
    }
    this.running = false;
    this.draining = false;
  };
}
