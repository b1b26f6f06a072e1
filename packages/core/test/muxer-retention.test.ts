/**
 * The muxer's closed-mailbox retention (mailbox/senders/muxer.ts MX-1, MX-2): only the newest
 * `closedMailboxRetention` stopped actors' mailboxes stay; an envelope for an older one still
 * comes back to its sender, as `mailbox owner {id} has ended`, never dropped or misrouted.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_PORT, PortRef, Proc, type Instance } from '../src/index.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { Bouncing, TestActor, type TestMsg } from './fixtures/actors.js';
import type { ActorHandle } from '../src/actor/instance.js';
import type { ActorId } from '../src/id.js';

const T = { timeout: 10_000 };

interface Setup {
  readonly proc: Proc;
  readonly client: Instance<never>;
  readonly sender: Bouncing;
  readonly handle: ActorHandle<TestMsg>;
}

function setup(retention: number): Setup {
  const proc = Proc.local({ config: { closedMailboxRetention: retention } });
  const [client] = proc.instance('client');
  const sender = new Bouncing();
  const handle = proc.spawn('sender', sender);
  handle.bind();
  return { proc, client, sender, handle };
}

/** Spawn `n` actors named `t{i}` and stop them in order; their ids, oldest first. */
async function stopped(proc: Proc, n: number): Promise<ActorId[]> {
  const ids: ActorId[] = [];
  for (let i = 0; i < n; i++) {
    const target = proc.spawn(`t${i}`, new TestActor());
    target.bind(); // its handler port is bound, so a retained mailbox answers by MB-2
    target.drainAndStop('done');
    await target.join();
    ids.push(target.actorId);
  }
  return ids;
}

/** What comes back to `sender` for a string sent from its actor to the handler port of `dest`. */
async function returned(s: Setup, dest: ActorId): Promise<string> {
  s.handle.send(s.client, { type: 'call', fn: (cx) => PortRef.attest<string>(dest.portId(ACTOR_PORT.HANDLER)).send(cx, 'hi') });
  const back = await s.sender.returns.next();
  return back.envelope.errorMessage() ?? '(no error)';
}

describe('closed mailbox retention (MX-1, MX-2)', () => {
  it('MX-2: an evicted stopped actor\'s id answers "mailbox owner {id} has ended"', T, async () => {
    const s = setup(2);
    const [oldest] = await stopped(s.proc, 3);
    assert.equal(await returned(s, oldest!), `mailbox error: mailbox owner ${oldest} has ended`);
  });

  it('MX-1: a retained stopped actor still answers with its stop reason (MB-2)', T, async () => {
    const s = setup(2);
    const ids = await stopped(s.proc, 3);
    const newest = ids[2]!;
    s.proc.spawn('probe', new TestActor()); // a live actor is not counted
    assert.equal(await returned(s, newest), `mailbox error: mailbox owner ${newest} is stopped: done`);
  });

  it('MX-1: the evicted mailbox leaves the muxer (resolveLocal finds none)', T, async () => {
    const s = setup(1);
    const [first, second] = await stopped(s.proc, 2);
    assert.equal(s.proc.resolveLocal(first!), undefined);
    assert.ok(s.proc.resolveLocal(second!)?.isClosed);
  });

  it('MX-2: an id this proc never allocated stays "no mailbox ... registered in muxer"', T, async () => {
    const s = setup(1);
    const [first] = await stopped(s.proc, 2);
    const neverSpawned = first!.childId(7);
    assert.equal(await returned(s, neverSpawned), `address not routable: no mailbox for actor ${neverSpawned} registered in muxer`);
  });

  it('MX-2: an evicted child id (pid from its root\'s counter) answers "has ended"', T, async () => {
    const s = setup(0);
    const handle = await new Promise<ActorHandle<TestMsg>>((resolve) => {
      s.handle.send(s.client, { type: 'call', fn: (cx) => resolve(cx.spawn(new TestActor())) });
    });
    handle.drainAndStop('done');
    await handle.join();
    const child = handle.actorId;
    assert.equal(await returned(s, child), `mailbox error: mailbox owner ${child} has ended`);
  });

  it('MX-1: the default retention is 4096 closed mailboxes', T, () => {
    assert.equal(DEFAULT_CONFIG.closedMailboxRetention, 4096);
  });
});
