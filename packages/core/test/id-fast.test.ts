/**
 * Ids and refs on the plain-data fast paths (wire/id-fast.ts IDF-1..IDF-3, plain-pack.ts PP-5,
 * plain-unpack.ts PU-6): a request carrying its reply `PortRef` is written in msgpackr's bytes
 * without the general encoder, and read back as msgpackr reads it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ActorId, ActorRef, ChannelAddr, OncePortRef, PortId, PortRef, ProcId } from '../src/index.js';
import { decodePayload, encodePayload } from '../src/transport.js';
import { readRef } from '../src/wire/id-fast.js';
import { packr } from '../src/wire/msgpack.js';
import { packPlain } from '../src/wire/plain-pack.js';
import { GIVE_UP, unpackPlain } from '../src/wire/plain-unpack.js';

const T = { timeout: 10_000 };
const proc = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:4000'), 'ids');
const actor = new ActorId(proc, 'worker', 3);
const far = new ActorId(new ProcId(ChannelAddr.parse('unix:@ids'), 'q'.repeat(40)), 'n'.repeat(200), 70_000);

/** Values holding every covered id and ref form. */
const VALUES: unknown[] = [
  actor,
  actor.portId(1030),
  far.portId(2 ** 32 - 1),
  new ActorRef(actor),
  new PortRef(actor.portId(7)),
  new PortRef(far.portId(300), 'sum', false),
  new OncePortRef(actor.portId(9), false),
  { ping: { dest: 'proc[0].actor[0]', port: 3, seq: 1, payload: { x: 1, y: 'hello' } }, reply: new PortRef(actor.portId(1025)) },
  [new ActorRef(far), { to: new OncePortRef(far.portId(0)) }],
];

describe('ids and refs on the plain fast paths (IDF-1, IDF-2)', () => {
  it("IDF-1, PP-5: packPlain writes msgpackr's bytes for ids and refs anywhere in a value", T, () => {
    VALUES.forEach((value, i) => {
      const fast = packPlain(value);
      assert.ok(fast !== undefined, `value #${i} is covered`);
      assert.deepEqual(Buffer.from(fast), Buffer.from(packr.pack(value)), `value #${i}`);
    });
  });

  it('IDF-2, PU-6: unpackPlain reads them as msgpackr reads them', T, () => {
    VALUES.forEach((value, i) => {
      const bytes = packr.pack(value);
      const fast = unpackPlain(bytes);
      assert.notEqual(fast, GIVE_UP, `value #${i} is covered`);
      assert.deepEqual(fast, packr.unpack(bytes), `value #${i}`);
      assert.deepEqual(decodePayload(encodePayload(value)), value, `value #${i} round-trips`);
    });
  });

  it('IDF-2: refs come back as new objects of their class, with their options', T, () => {
    const back = unpackPlain(packr.pack(new PortRef(far.portId(300), 'sum', false)));
    assert.ok(back instanceof PortRef);
    assert.ok(back.portId.equals(far.portId(300)));
    assert.equal(back.reducerSpec, 'sum');
    assert.equal(back.returnUndeliverable, false);
  });

  it('IDF-1: ids with non-ASCII parts are left to msgpackr, and still round-trip', T, () => {
    const odd = new ActorId(new ProcId(ChannelAddr.parse('unix:@ids'), 'prøc'), 'wörker', 0);
    for (const value of [odd, new PortRef(odd.portId(1)), new PortRef(actor.portId(1), 'sümme')]) {
      assert.equal(packPlain(value), undefined);
      const bytes = encodePayload(value);
      assert.equal(unpackPlain(bytes), GIVE_UP);
      assert.deepEqual(decodePayload(bytes), value);
    }
  });

  it('IDF-2: every truncation of an id or ref gives up, never reading past the end', T, () => {
    for (const value of VALUES.slice(0, 7)) {
      const bytes = packr.pack(value);
      for (let n = 0; n < bytes.length; n++) assert.equal(readRef(bytes, 0, n), -1, `${String(value)}: ${n} of ${bytes.length} bytes`);
      assert.equal(readRef(bytes, 0, bytes.length), bytes.length);
    }
  });

  it('IDF-3: many distinct ids decode to themselves through the bounded id cache', T, () => {
    for (let i = 0; i < 2_000; i++) {
      const id = new ActorId(new ProcId(ChannelAddr.parse(`tcp:127.0.0.1:${1000 + (i % 50)}`), `proc${i % 7}`), `a${i}`, i % 300).portId(i);
      const back = unpackPlain(packr.pack(id));
      assert.ok(back instanceof PortId && back.equals(id), `id ${i}`);
    }
  });
});
