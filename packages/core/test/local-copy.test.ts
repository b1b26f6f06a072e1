/**
 * `copyPlain` (mailbox/local-copy.ts), what a ref send inside one proc delivers instead of
 * encoding (PT-5, EN-2): whenever it copies, the copy equals what the codec round trip gives
 * (LC-1) and shares nothing with the original; it gives up on what the codec would change or
 * carry by extension; the sender's value is left as it was (LC-2). And the envelope side: a
 * returned local envelope still carries its payload as bytes (EN-2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { NOT_PLAIN, copyPlain } from '../src/mailbox/local-copy.js';
import { decodePayload, encodePayload } from '../src/transport.js';
import { ActorId, ChannelAddr, ProcId, Proc, type Actor, type Context, type Undeliverable } from '../src/index.js';
import { deferred } from './fixtures/actors.js';

const T = { timeout: 10_000 };

/** Every object and array reachable from `v`. */
function nodes(v: unknown, out = new Set<object>()): Set<object> {
  if (typeof v === 'object' && v !== null && !out.has(v)) {
    out.add(v);
    for (const c of Object.values(v)) nodes(c, out);
  }
  return out;
}

describe('copyPlain (LC-1, LC-2)', () => {
  it('LC-1: whenever it copies, the copy equals the codec round trip and shares no object with the original', () => {
    const value = fc.oneof(fc.jsonValue(), fc.constantFrom(-0, '\ud800', 'é☃', [1, -0], { a: { b: [null, true, 1.5] } }));
    fc.assert(
      fc.property(value, (v) => {
        const copy = copyPlain(v);
        if (copy === NOT_PLAIN) return;
        assert.deepStrictEqual(copy, decodePayload(encodePayload(v)));
        assert.deepEqual(Object.keys(copy ?? {}), Object.keys((decodePayload(encodePayload(v)) as object | null) ?? {}), 'same key order');
        const shared = [...nodes(copy)].filter((n) => nodes(v).has(n));
        assert.deepEqual(shared, []);
      }),
      { numRuns: 500 },
    );
  });

  it('LC-1: -0 arrives as 0, as the codec writes it', () => {
    assert.ok(Object.is(copyPlain(-0), 0));
    assert.ok(Object.is((copyPlain({ x: -0 }) as { x: number }).x, 0));
  });

  it('gives up on what the codec changes or carries by extension: undefined, ids, Map, Date, typed arrays, class instances, lone surrogates, __proto__', () => {
    const id = new ActorId(new ProcId(ChannelAddr.local(0), 'p'), 'a', 0);
    class Point {
      x = 1;
    }
    const values: unknown[] = [undefined, { a: undefined }, [1, , 3], id, { id }, new Map(), new Date(0), new Uint8Array(2), new Point(), 'lone \ud800', 10n, JSON.parse('{"__proto__": 1}'), Object.create(null)];
    values.forEach((v, i) => assert.equal(copyPlain(v), NOT_PLAIN, `value ${i}`));
  });

  it('gives up past 256 objects and arrays (the codec takes larger values)', () => {
    assert.notEqual(copyPlain(Array.from({ length: 255 }, () => ({}))), NOT_PLAIN);
    assert.equal(copyPlain(Array.from({ length: 256 }, () => ({}))), NOT_PLAIN);
  });

  it('LC-2: the original is left as it was, frozen or not', () => {
    const v = Object.freeze({ type: 'm', list: Object.freeze([1, 2]) });
    const copy = copyPlain(v) as { list: number[] };
    copy.list.push(3);
    assert.deepEqual(v, { type: 'm', list: [1, 2] });
  });
});

type Msg = { type: 'go'; to: ActorId };
class Bouncer implements Actor<Msg> {
  readonly returned = deferred<Undeliverable>();
  handle(cx: Context<Msg>, msg: Msg): void {
    cx.postMessage(msg.to.portId(1030), { type: 'lost', n: [1, 2] }, undefined, true);
  }
  handleUndeliverableMessage(_cx: Context<Msg>, u: Undeliverable): void {
    this.returned.resolve(u);
  }
}

describe('local envelopes (EN-2)', () => {
  it('EN-2: a local envelope that comes back carries its payload as bytes that decode to the message', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const bouncer = new Bouncer();
    const handle = proc.spawn('b', bouncer);
    handle.bind();
    const target = proc.spawn('t', new Bouncer());
    handle.send(client, { type: 'go', to: target.actorId });
    const u = await bouncer.returned.promise;
    assert.deepEqual(decodePayload(u.envelope.data), { type: 'lost', n: [1, 2] });
  });
});
