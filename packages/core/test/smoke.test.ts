/** The DESIGN.md API sketch, end to end (a smoke test of the public surface). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  Proc,
  type Actor,
  type Context,
  type OncePortRef,
} from '../src/index.js';

type CounterMsg = { type: 'inc'; by: number } | { type: 'get'; reply: OncePortRef<number> };

class Counter implements Actor<CounterMsg> {
  private count = 0;
  handle(cx: Context<CounterMsg>, msg: CounterMsg): void {
    switch (msg.type) {
      case 'inc':
        this.count += msg.by;
        break;
      case 'get':
        msg.reply.send(cx, this.count);
        break;
    }
  }
}

describe('DESIGN.md API sketch', () => {
  it('counts through a handle and answers through a ref', { timeout: 5000 }, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const counter = proc.spawn('counter', new Counter());
    counter.send(client, { type: 'inc', by: 2 });
    const ref = counter.bind();
    const [reply, answer] = client.openOncePort<number>();
    ref.send(client, { type: 'get', reply: reply.bind() });
    assert.equal(await answer.recv(), 2);
    counter.drainAndStop('done');
    assert.equal(String(await counter.join()), 'stopped: done');
  });
});
