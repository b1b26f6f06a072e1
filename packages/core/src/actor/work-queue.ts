/**
 * actor/work-queue.ts: `WorkQueue`, the ordered queue of an actor's work items (messages for its
 * handler, returned `Undeliverable`s): an unbounded FIFO, as upstream's work channel.
 *
 * Layout: a linked list of chunks, each one array holding up to `CHUNK_ITEMS` items as three
 * consecutive slots (tag, message, headers). A message for the handler (`MESSAGE_TAG`) whose
 * sender is known stores the sender's `ActorId` in the tag slot instead of the tag (WQ-3): the
 * sender costs no slot (a fourth slot cost ~10% of `local.handle-send`'s million-message burst). A burst of a million sends fills new chunks instead
 * of growing (and copying) one huge array, and a consumed chunk is kept as a spare for reuse, so
 * a steady stream allocates nothing per item (AC-2). Allocation is lazy (WQ-4): a new queue
 * holds no array at all (an idle actor costs none), its first chunk holds `FIRST_ITEMS` items, and
 * each next chunk twice the previous one's, up to `CHUNK_ITEMS` (40,000 idle actors each with a
 * 3,072-slot array up front cost ~1 GB of heap).
 *
 * ## Invariants
 *
 * - WQ-1: items are taken in push order (FIFO), each exactly once.
 * - WQ-2: `shift()` clears the slots it read, so a handled message is not kept alive by the queue.
 * - WQ-3: `shift()` gives back the `tag` and `sender` that `push` was given (`sender` only with
 *   `MESSAGE_TAG`; other tags come back without one).
 * - WQ-4: a queue allocates nothing until its first `push`, and `clear()` gives its chunks back.
 * - WQ-5: `shifted` counts the items taken or dropped, so the n-th item pushed is done once
 *   `shifted` reached n and its handler completed (the tickets of channel/receipt.ts).
 */
import type { ActorId } from '../id.js';
import type { Headers } from '../mailbox/envelope.js';

const CHUNK_ITEMS = 1024;
/** WQ-4: the first chunk's items (an actor that handles one message at a time never needs more). */
const FIRST_ITEMS = 8;
const ITEM_SLOTS = 3;
/** The tag of a message for the handler: the one kind of item that carries its sender (WQ-3). */
export const MESSAGE_TAG = 0;
const SLOTS = CHUNK_ITEMS * ITEM_SLOTS;

interface Chunk {
  readonly slots: unknown[];
  next: Chunk | undefined;
}

const newChunk = (slots: number): Chunk => ({ slots: new Array<unknown>(slots).fill(undefined), next: undefined });
/** WQ-4: the chunk of every queue that has not pushed yet (no slots: the first push replaces it). */
const EMPTY: Chunk = Object.freeze({ slots: [], next: undefined }) as Chunk;

export class WorkQueue {
  /** Items queued. */
  size = 0;
  /** WQ-5: items ever taken or dropped; `shifted + size` is the number ever pushed (a ticket). */
  shifted = 0;
  /** The item taken by the last successful `shift()`. */
  tag = 0;
  message: unknown = undefined;
  headers: Headers | undefined = undefined;
  /** Who sent it, when known (a failure names it). */
  sender: ActorId | undefined = undefined;
  private head: Chunk = EMPTY;
  private tail: Chunk = EMPTY;
  private readIndex = 0;
  private writeIndex = 0;
  private spare: Chunk | undefined;

  push(tag: number, message: unknown, headers: Headers, sender?: ActorId): void {
    let tail = this.tail;
    let w = this.writeIndex;
    if (w === tail.slots.length) {
      // WQ-4: the next chunk twice the size of the last one, up to SLOTS
      const size = tail === EMPTY ? FIRST_ITEMS * ITEM_SLOTS : Math.min(tail.slots.length * 2, SLOTS);
      let chunk = this.spare;
      if (chunk !== undefined && chunk.slots.length >= size) this.spare = undefined;
      else chunk = newChunk(size);
      if (tail === EMPTY) this.head = chunk;
      else tail.next = chunk;
      this.tail = tail = chunk;
      w = 0;
    }
    const slots = tail.slots;
    slots[w] = sender !== undefined && tag === MESSAGE_TAG ? sender : tag;
    slots[w + 1] = message;
    slots[w + 2] = headers;
    this.writeIndex = w + ITEM_SLOTS;
    this.size++;
  }

  /** Take the oldest item into `tag`/`message`/`headers`/`sender`; false when empty (WQ-1..3). */
  shift(): boolean {
    if (this.size === 0) return false;
    let head = this.head;
    let r = this.readIndex;
    if (r === head.slots.length) {
      const next = head.next as Chunk;
      head.next = undefined;
      this.spare = head;
      this.head = head = next;
      r = 0;
    }
    const slots = head.slots;
    const first = slots[r];
    if (typeof first === 'number') {
      this.tag = first;
      this.sender = undefined;
    } else {
      this.tag = MESSAGE_TAG;
      this.sender = first as ActorId;
      slots[r] = undefined;
    }
    this.message = slots[r + 1];
    this.headers = slots[r + 2] as Headers;
    slots[r + 1] = undefined;
    slots[r + 2] = undefined;
    this.size--;
    this.shifted++;
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
    this.shifted += dropped;
    this.head = this.tail = EMPTY;
    this.spare = undefined;
    this.readIndex = this.writeIndex = 0;
    this.size = 0;
    this.message = this.headers = this.sender = undefined;
    return dropped;
  }
}
