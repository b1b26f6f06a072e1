/**
 * actor/work-queue.ts: `WorkQueue`, the ordered queue of an actor's work items (messages for its
 * handler, returned `Undeliverable`s): an unbounded FIFO, as upstream's work channel.
 *
 * Layout: a linked list of fixed-size chunks, each one array holding `CHUNK_ITEMS` items as four
 * consecutive slots (tag, message, headers, sender). A burst of a million sends fills new chunks instead
 * of growing (and copying) one huge array, and a consumed chunk is kept as a spare for reuse, so
 * a steady stream allocates nothing per item (AC-2).
 *
 * ## Invariants
 *
 * - WQ-1: items are taken in push order (FIFO), each exactly once.
 * - WQ-2: `shift()` clears the slots it read, so a handled message is not kept alive by the queue.
 */
import type { ActorId } from '../id.js';
import type { Headers } from '../mailbox/envelope.js';

const CHUNK_ITEMS = 1024;
const ITEM_SLOTS = 4;
const SLOTS = CHUNK_ITEMS * ITEM_SLOTS;

interface Chunk {
  readonly slots: unknown[];
  next: Chunk | undefined;
}

const newChunk = (): Chunk => ({ slots: new Array<unknown>(SLOTS).fill(undefined), next: undefined });

export class WorkQueue {
  /** Items queued. */
  size = 0;
  /** The item taken by the last successful `shift()`. */
  tag = 0;
  message: unknown = undefined;
  headers: Headers | undefined = undefined;
  /** Who sent it, when known (a failure names it). */
  sender: ActorId | undefined = undefined;
  private head: Chunk = newChunk();
  private tail: Chunk = this.head;
  private readIndex = 0;
  private writeIndex = 0;
  private spare: Chunk | undefined;

  push(tag: number, message: unknown, headers: Headers, sender?: ActorId): void {
    let tail = this.tail;
    let w = this.writeIndex;
    if (w === SLOTS) {
      const chunk = this.spare ?? newChunk();
      this.spare = undefined;
      tail.next = chunk;
      this.tail = tail = chunk;
      w = 0;
    }
    const slots = tail.slots;
    slots[w] = tag;
    slots[w + 1] = message;
    slots[w + 2] = headers;
    slots[w + 3] = sender;
    this.writeIndex = w + ITEM_SLOTS;
    this.size++;
  }

  /** Take the oldest item into `tag`/`message`/`headers`/`sender`; false when empty (WQ-1, WQ-2). */
  shift(): boolean {
    if (this.size === 0) return false;
    let head = this.head;
    let r = this.readIndex;
    if (r === SLOTS) {
      const next = head.next as Chunk;
      head.next = undefined;
      this.spare = head;
      this.head = head = next;
      r = 0;
    }
    const slots = head.slots;
    this.tag = slots[r] as number;
    this.message = slots[r + 1];
    this.headers = slots[r + 2] as Headers;
    this.sender = slots[r + 3] as ActorId | undefined;
    slots[r + 1] = undefined;
    slots[r + 2] = undefined;
    slots[r + 3] = undefined;
    this.size--;
    if (this.size === 0 && head === this.tail) {
      // empty: rewind to the start of the chunk
      this.readIndex = 0;
      this.writeIndex = 0;
    } else {
      this.readIndex = r + ITEM_SLOTS;
    }
    return true;
  }

  /** Drop every queued item; returns how many were dropped. */
  clear(): number {
    const dropped = this.size;
    this.head = this.tail = newChunk();
    this.readIndex = this.writeIndex = 0;
    this.size = 0;
    this.message = this.headers = this.sender = undefined;
    return dropped;
  }
}
