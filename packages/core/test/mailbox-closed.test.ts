/**
 * What a stopped actor's mailbox answers (mailbox/mailbox.ts MB-2, MB-7): it keeps which ports
 * were bound (well-known ones as bits, user ports in its map) and answers each by what it was:
 * a port bound before the stop as the stopped owner, one never bound as not bound (spec §3.4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ACTOR_PORT, PortRef, Proc, type Context, type Instance } from '../src/index.js';
import { Bouncing, TestActor, type TestMsg } from './fixtures/actors.js';
import type { ActorHandle } from '../src/actor/instance.js';

const T = { timeout: 10_000 };

function sendFrom(client: Instance<never>, actor: ActorHandle<TestMsg>, fn: (cx: Context<TestMsg>) => void): void {
  actor.send(client, { type: 'call', fn });
}

/** A sender whose returns are recorded, and a target stopped with `done` after `before` ran on it. */
async function stoppedTarget(before: (target: ActorHandle<TestMsg>) => void): Promise<{ client: Instance<never>; sender: Bouncing; handle: ActorHandle<TestMsg>; target: ActorHandle<TestMsg> }> {
  const proc = Proc.local();
  const [client] = proc.instance('client');
  const sender = new Bouncing();
  const handle = proc.spawn('sender', sender);
  handle.bind();
  const target = proc.spawn('target', new TestActor());
  before(target);
  target.drainAndStop('done');
  await target.join();
  return { client, sender, handle, target };
}

describe('a closed mailbox (MB-7)', () => {
  it('MB-7: the Undeliverable port bound before the stop answers as the stopped owner (MB-2)', T, async () => {
    const { client, sender, handle, target } = await stoppedTarget((t) => t.bind());
    sendFrom(client, handle, (cx) => PortRef.attest<string>(target.actorId.portId(ACTOR_PORT.UNDELIVERABLE)).send(cx, 'x'));
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), `mailbox error: mailbox owner ${target.actorId} is stopped: done`);
  });

  it('MB-7: a well-known port never bound still answers "port not bound" after the stop (MB-1)', T, async () => {
    const { client, sender, handle, target } = await stoppedTarget(() => {});
    sendFrom(client, handle, (cx) => PortRef.attest<{ type: string }>(target.actorId.portId(ACTOR_PORT.HANDLER)).send(cx, { type: 'ping' }));
    const back = await sender.returns.next();
    assert.equal(back.envelope.errorMessage(), `address not routable: port not bound in mailbox; port id: ${ACTOR_PORT.HANDLER}; message type: ping`);
  });

  it('MB-7: a user port bound before the stop answers as the stopped owner; the next index as not bound', T, async () => {
    let index = -1;
    const { client, sender, handle, target } = await stoppedTarget((t) => {
      const [port] = t.instance.openPort<string>('text');
      port.bind();
      index = port.index;
    });
    sendFrom(client, handle, (cx) => PortRef.attest<string>(target.actorId.portId(index)).send(cx, 'x'));
    const bound = await sender.returns.next();
    assert.equal(bound.envelope.errorMessage(), `mailbox error: mailbox owner ${target.actorId} is stopped: done`);
    sendFrom(client, handle, (cx) => PortRef.attest<string>(target.actorId.portId(index + 1)).send(cx, 'y'));
    const unbound = await sender.returns.next((u) => u.envelope.dest.index === index + 1);
    assert.match(unbound.envelope.errorMessage() ?? '', new RegExp(`^address not routable: port not bound in mailbox; port id: ${index + 1};`));
  });
});
