/**
 * `nats:` ChannelAddr parsing and display (addr.ts): the URL form round-trips, the other accepted
 * spellings normalise to it, bad addresses are `ParseError('invalid-channel-address')` with a
 * reason, and ids that embed a nats address parse back (ID-1).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import { ParseError } from '../src/errors.js';
import { ActorId, ProcId } from '../src/id.js';

function parseError(text: string): string {
  try {
    ChannelAddr.parse(text);
  } catch (error) {
    assert.ok(error instanceof ParseError && error.code === 'invalid-channel-address', String(error));
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} not to parse`);
}

describe('ChannelAddr nats', () => {
  it('displays the URL form and parses it back (round trip)', () => {
    for (const text of ['nats://127.0.0.1:4222/app.procs', 'nats://[::1]:4223/a', 'nats://nats.example.com:4222/app.p-1_x']) {
      const addr = ChannelAddr.parse(text);
      assert.equal(addr.transport, 'nats');
      assert.equal(String(addr), text);
      assert.ok(ChannelAddr.parse(String(addr)).equals(addr));
    }
  });

  it('normalises nats:nats://, nats:host:port/ and a missing port to the URL form', () => {
    assert.equal(String(ChannelAddr.parse('nats:nats://127.0.0.1:4222/app.procs')), 'nats://127.0.0.1:4222/app.procs');
    assert.equal(String(ChannelAddr.parse('nats:127.0.0.1:4222/app.procs')), 'nats://127.0.0.1:4222/app.procs');
    assert.equal(String(ChannelAddr.parse('nats://localhost/app')), 'nats://localhost:4222/app');
    assert.equal(String(ChannelAddr.parse('nats!//127.0.0.1:5/x')), 'nats://127.0.0.1:5/x');
  });

  it('exposes host, port and subject; withSubject keeps the server', () => {
    const addr = ChannelAddr.parse('nats://127.0.0.1:4222/app');
    assert.deepEqual([addr.host, addr.port, addr.subject, addr.isRemote], ['127.0.0.1', 4222, 'app', true]);
    assert.equal(String(addr.withSubject('app.p1')), 'nats://127.0.0.1:4222/app.p1');
    assert.throws(() => ChannelAddr.parse('tcp:127.0.0.1:1').withSubject('x'), ParseError);
  });

  it('rejects addresses without a subject, with wildcards or odd tokens, or with a bad server', () => {
    assert.match(parseError('nats://127.0.0.1:4222'), /missing subject/);
    assert.match(parseError('nats://127.0.0.1:4222/'), /missing subject/);
    assert.match(parseError('nats://127.0.0.1:4222/app.*'), /is not \[A-Za-z0-9_-\]\+/);
    assert.match(parseError('nats://127.0.0.1:4222/app.>'), /is not/);
    assert.match(parseError('nats://127.0.0.1:4222/app..x'), /empty subject token/);
    assert.match(parseError('nats://127.0.0.1:4222/app.$names'), /is not/);
    assert.match(parseError('nats://127.0.0.1:99999/app'), /bad port/);
    assert.match(parseError('nats://127.0.0.1:0/app'), /bad port/);
    assert.match(parseError('nats://:4222/app'), /bad host/);
    assert.match(parseError('nats://[zz]:4222/app'), /bad host/);
    assert.match(parseError(`nats://h:1/${'a'.repeat(256)}`), /longer than 255/);
  });

  it('ids embedding a nats address parse back (ID-1)', () => {
    const proc = ProcId.withName(ChannelAddr.parse('nats://127.0.0.1:4222/app.p1'), 'p1');
    assert.equal(String(proc), 'nats://127.0.0.1:4222/app.p1,p1');
    const actor = new ActorId(proc, 'echo', 0);
    assert.ok(ActorId.parse(String(actor)).equals(actor));
  });
});
