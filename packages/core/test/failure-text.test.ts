/**
 * The failure in a supervision event names what the actor was handling (issue 13, item 4;
 * upstream's `last_handler`): the message's `type` field (else its `message_type` header) and
 * who sent it, and, for a returned message, where it was going.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActorId, ActorRef, Proc, type Actor, type Context } from '../src/index.js';
import { ProcSupervisionCoordinator } from '../src/testing.js';

type WordMsg = { type: 'parse'; text: string } | { type: 'forward'; to: string };

class Parser implements Actor<WordMsg> {
  handle(cx: Context<WordMsg>, msg: WordMsg): void {
    if (msg.type === 'parse') throw new Error(`cannot parse ${msg.text}`);
    ActorRef.attest<WordMsg>(ActorId.parse(msg.to)).send(cx, { type: 'parse', text: 'x' });
  }
}

const T = { timeout: 10_000 };

describe('failure text (issue 13)', () => {
  it("names the message type being handled and its sender: '... while handling 'parse' from {sender}'", T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const parser = proc.spawn('parser', new Parser());
    parser.bind().send(client, { type: 'parse', text: 'a line' });
    const event = await coordinator.next((e) => e.isError());
    assert.equal(event.actorStatus.kind, 'failed');
    const from = String(client.selfId).replace(/[[\]]/g, '\\$&');
    assert.match(String(event), new RegExp(`cannot parse a line while handling 'parse' from ${from}\\n\\s+at `));
  });

  it('names the destination of a returned message it did not handle', T, async () => {
    const proc = Proc.local();
    const coordinator = ProcSupervisionCoordinator.set(proc);
    const [client] = proc.instance('client');
    const parser = proc.spawn('parser', new Parser());
    const to = `${proc.procId},nobody[0]`;
    parser.bind().send(client, { type: 'forward', to });
    const event = await coordinator.next((e) => e.isError());
    assert.match(String(event), new RegExp(`while handling an undeliverable message to ${to.replace(/[[\]]/g, '\\$&')}`));
  });
});
