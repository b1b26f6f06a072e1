/**
 * What an idle actor does not pay for until it needs it (issue 16: actors as cheap as Erlang
 * processes): the cell's rarely set fields (actor/cell.ts CE-4), the Undeliverable port of a
 * bound actor (actor/instance.ts IC-2, mailbox/mailbox.ts MB-6). Each reads as before.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_PORT, Proc, SimulatedClock } from '../src/index.js';
import { Bouncing, TestActor, sync } from './fixtures/actors.js';

const T = { timeout: 10_000 };

describe('lazy cell fields (CE-4)', () => {
  it('CE-4: a fresh cell reads its initial values: no stats, no child failure, no leftover, flags off', T, () => {
    const proc = Proc.local();
    const cell = proc.getInstance(proc.spawn('a', new TestActor()).actorId);
    assert.ok(cell !== undefined);
    assert.deepEqual(
      [cell.totalProcessingTimeUs, cell.lastHandlerTimeUs, cell.maxHandlerTimeUs, cell.lastHandledAt, cell.childFailures],
      [0, 0, 0, 0, 0],
    );
    assert.deepEqual([cell.lastChildFailure, cell.publishedAttrs, cell.queryChild, cell.leftover, cell.keepsLeftover], [undefined, undefined, undefined, undefined, false]);
    assert.deepEqual([cell.isSystem, cell.released], [false, false]);
    assert.equal(cell.introspectable, true, 'a spawned actor answers introspection');
  });

  it('CE-4: what is written reads back, each field on its own', T, () => {
    const proc = Proc.local();
    const cell = proc.getInstance(proc.spawn('a', new TestActor()).actorId);
    assert.ok(cell !== undefined);
    cell.maxHandlerTimeUs = 12.5;
    cell.keepsLeftover = 'always';
    cell.isSystem = true;
    assert.deepEqual([cell.maxHandlerTimeUs, cell.totalProcessingTimeUs, cell.keepsLeftover, cell.childFailures, cell.isSystem, cell.released], [12.5, 0, 'always', 0, true, false]);
    cell.isSystem = false;
    cell.keepsLeftover = false;
    assert.deepEqual([cell.isSystem, cell.keepsLeftover, cell.introspectable], [false, false, true]);
  });

  it('CE-4: createdAt is the proc clock at the spawn, exactly', T, () => {
    const clock = new SimulatedClock();
    const proc = Proc.local({ clock });
    clock.advance(1234);
    const cell = proc.getInstance(proc.spawn('a', new TestActor()).actorId);
    assert.equal(cell?.createdAt, clock.now());
  });

  it('CE-4: a handled batch fills the stats', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const handle = proc.spawn('a', new TestActor());
    await sync(client, handle);
    const cell = proc.getInstance(handle.actorId);
    assert.ok(cell !== undefined && cell.lastHandledAt > 0 && cell.messagesProcessed >= 1);
  });
});

describe('lazy Undeliverable port (IC-2)', () => {
  it('IC-2: bind() binds the handler port; the Undeliverable port counts as bound without an entry', T, () => {
    const proc = Proc.local();
    const handle = proc.spawn('a', new TestActor());
    handle.bind();
    const mailbox = handle.instance.mailbox;
    assert.equal(mailbox.isBound(ACTOR_PORT.HANDLER), true);
    assert.equal(mailbox.isBound(ACTOR_PORT.UNDELIVERABLE), true);
    assert.equal(mailbox.boundPortCount, 1);
  });

  it('IC-2: the return handle of a bound actor is its own Undeliverable port, bound by that first read', T, () => {
    const proc = Proc.local();
    const handle = proc.spawn('a', new TestActor());
    handle.bind();
    const returns = handle.instance.returnHandle();
    assert.notEqual(returns, proc.globalReturnHandle());
    assert.equal(handle.instance.mailbox.boundPortCount, 2);
    assert.equal(handle.instance.returnHandle(), returns);
  });

  it('IC-2: a bound actor still gets its returned envelopes (handleUndeliverableMessage)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const bouncing = new Bouncing();
    const handle = proc.spawn('a', bouncing);
    handle.bind();
    const target = proc.spawn('gone', new TestActor());
    const ref = target.bind();
    target.drainAndStop('done');
    await target.join();
    handle.send(client, { type: 'call', fn: (cx) => ref.send(cx, { type: 'noop' }) });
    const back = await bouncing.returns.next();
    assert.equal(back.envelope.errorMessage(), `mailbox error: mailbox owner ${target.actorId} is stopped: done`);
  });
});
