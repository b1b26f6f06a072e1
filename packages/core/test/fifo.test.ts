/**
 * `Fifo` (actor/fifo.ts), the queue of an instance's signals and supervision events: order
 * across its compaction (FQ-1), nothing kept once taken or emptied (FQ-2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Fifo } from '../src/actor/fifo.js';

describe('Fifo', () => {
  it('FQ-1: 50,000 items pushed and taken interleaved come out in push order, each once', () => {
    const q = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 100; round++) {
      for (let i = 0; i < 500; i++) q.push(next++);
      for (let i = 0; i < 300; i++) out.push(q.shift() as number);
    }
    while (q.length > 0) out.push(q.shift() as number);
    assert.equal(out.length, 50_000);
    assert.ok(out.every((v, i) => v === i));
    assert.equal(q.shift(), undefined);
  });

  it('FQ-2: an emptied queue holds no array, and a taken item is not kept', () => {
    const q = new Fifo<object>();
    assert.equal((q as unknown as { items: unknown }).items, undefined);
    q.push({ a: 1 });
    q.push({ b: 2 });
    q.shift();
    assert.deepEqual((q as unknown as { items: unknown[] }).items[0], undefined);
    q.shift();
    assert.equal((q as unknown as { items: unknown }).items, undefined);
    assert.equal(q.length, 0);
  });
  it('FQ-3: pushTo(Fifo.EMPTY) gives a new queue holding the item, and EMPTY stays empty', () => {
    const q = Fifo.pushTo<number>(Fifo.EMPTY, 7);
    assert.notEqual(q, Fifo.EMPTY);
    assert.equal(q.length, 1);
    assert.equal(Fifo.EMPTY.length, 0);
    assert.equal(Fifo.pushTo(q, 8), q);
    assert.deepEqual([q.shift(), q.shift()], [7, 8]);
  });

  it('FQ-3: a push into Fifo.EMPTY itself throws (it is shared)', () => {
    assert.throws(() => (Fifo.EMPTY as Fifo<number>).push(1), TypeError);
    assert.equal(Fifo.EMPTY.length, 0);
  });
});
