/**
 * actor/fifo.ts: `Fifo<T>`, the small queue behind an instance's signals and supervision events
 * (actor/run.ts takes from them): `Array.prototype.shift` copies the whole array once it is too
 * large for V8 to trim in place (tens of thousands of entries: a parent of 40,000 children gets
 * an event and a `ChildStopped` signal from each), so taking from the front went quadratic.
 *
 * Written by hand: a head index into one array is all it needs, smaller than a deque library.
 *
 * ## Invariants
 *
 * - FQ-1: items are taken in push order, each once, in O(1) amortized time.
 * - FQ-2: an empty queue holds no array (an idle actor pays for none), and a taken item is not
 *   kept alive by the queue.
 * - FQ-3 (memory): an instance that never got a signal or a supervision event holds no queue
 *   of them: its fields hold `Fifo.EMPTY` (frozen: a push into it throws) until the first push
 *   replaces it with its own (`Fifo.pushTo`); ~80 bytes an idle actor or a child that stops itself.
 */
export class Fifo<T> {
  /** FQ-3: the shared empty queue (frozen) */
  static readonly EMPTY: Fifo<never> = Object.freeze(new Fifo<never>()) as Fifo<never>;

  /** FQ-3: `fifo` or, when it is `Fifo.EMPTY`, a new queue; with `item` pushed. */
  static pushTo<T>(fifo: Fifo<T>, item: T): Fifo<T> {
    const own = fifo === Fifo.EMPTY ? new Fifo<T>() : fifo;
    own.push(item);
    return own;
  }

  private items: (T | undefined)[] | undefined;
  private head = 0;

  get length(): number {
    return this.items === undefined ? 0 : this.items.length - this.head;
  }

  push(item: T): void {
    (this.items ??= []).push(item);
  }

  /** The oldest item, left in the queue; undefined when empty. */
  peek(): T | undefined {
    return this.items?.[this.head];
  }

  /** The oldest item, or undefined when empty (FQ-1). */
  shift(): T | undefined {
    const items = this.items;
    if (items === undefined) return undefined;
    const item = items[this.head];
    items[this.head++] = undefined; // FQ-2
    if (this.head === items.length) {
      this.items = undefined;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
