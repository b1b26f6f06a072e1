/**
 * No per-request state outlives the request (issue 11, the once-port leak): after many
 * request/reply rounds through once ports, the requester's mailbox holds no receiver of them
 * (PT-7) and the replier's sequencer no counter per reply port (RF-4); a reply still arrives
 * exactly once, and a closed once port also leaves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Proc, type Actor, type Context, type OncePortRef } from '../src/index.js';

type AskMsg = { type: 'ask'; n: number; reply: OncePortRef<number> };

class Doubler implements Actor<AskMsg> {
  handle(cx: Context<AskMsg>, msg: AskMsg): void {
    msg.reply.send(cx, msg.n * 2);
  }
}

/** Internal sizes, read the way a heap snapshot would see them. */
function receiversOf(mailbox: object): number {
  // MB-6: no set until the first receiver
  return (mailbox as unknown as { receivers: Set<unknown> | undefined }).receivers?.size ?? 0;
}
function countersOf(sequencer: object): number {
  // SQ-4: no map until the first counter
  return (sequencer as unknown as { counters: Map<string, unknown> | undefined }).counters?.size ?? 0;
}

const T = { timeout: 20_000 };

describe('request state (issue 11: once ports)', () => {
  it('PT-7, RF-4: 2,000 request/replies leave no receiver in the requester and no counter in the replier', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const doubler = proc.spawn('doubler', new Doubler());
    const ref = doubler.bind();
    const before = receiversOf(client.mailbox);
    for (let i = 0; i < 2_000; i++) {
      const [reply, answer] = client.openOncePort<number>();
      ref.send(client, { type: 'ask', n: i, reply: reply.bind() });
      assert.equal(await answer.recv(), 2 * i);
    }
    assert.equal(receiversOf(client.mailbox), before);
    const sequencer = (doubler as unknown as { instance: { sequencer: object } }).instance.sequencer;
    assert.ok(countersOf(sequencer) <= 1, `the replier keeps ${countersOf(sequencer)} counters`);
  });

  it('PT-7: a once port closed before its reply leaves the mailbox too', T, () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const before = receiversOf(client.mailbox);
    const [, answer] = client.openOncePort<number>();
    assert.equal(receiversOf(client.mailbox), before + 1);
    answer.close();
    assert.equal(receiversOf(client.mailbox), before);
  });
});
