/**
 * Identifier grammar, display, parsing, ordering and prefix rules (spec §1.2; upstream
 * `reference.rs` tests `test_reference_parse`, `test_reference_ord`, `test_is_prefix_of`).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import { ActorId, PortId, ProcId, Reference, compareReferences } from '../src/id.js';
import { ParseError } from '../src/errors.js';

const addr = ChannelAddr.parse('tcp:[::1]:1234');

describe('ids (spec §1.2.2)', () => {
  it('displays a ProcId as {addr},{name}', () => {
    assert.equal(String(new ProcId(addr, 'test')), 'tcp:[::1]:1234,test');
  });

  it('displays an ActorId as {proc},{name}[{pid}]', () => {
    assert.equal(String(new ProcId(addr, 'test').actorId('testactor', 123)), 'tcp:[::1]:1234,test,testactor[123]');
  });

  it('displays a user PortId as {actor}[{index}]', () => {
    const port = new ProcId(ChannelAddr.local(0), 'test_0').actorId('a').portId(1024);
    assert.equal(String(port), 'local:0,test_0,a[0][1024]');
  });

  it('parses every production (test_reference_parse)', () => {
    assert.deepEqual(String(ProcId.parse('tcp:[::1]:1234,test')), 'tcp:[::1]:1234,test');
    assert.equal(String(ActorId.parse('tcp:[::1]:1234,test,testactor')), 'tcp:[::1]:1234,test,testactor[0]');
    assert.equal(String(ActorId.parse('tcp:[::1]:1234,test,testactor[123]')), 'tcp:[::1]:1234,test,testactor[123]');
    // port 2 is the Undeliverable actor port: its display names the type (spec §1.2.2)
    assert.equal(String(PortId.parse('tcp:[::1]:1234,test,testactor[1][2]')), 'tcp:[::1]:1234,test,testactor[1][2<Undeliverable>]');
    assert.equal(PortId.parse('tcp:[::1]:1234,test,testactor[1][17867<my::Type>]').index, 17867);
  });

  it('accepts ! as the transport separator', () => {
    assert.equal(String(ProcId.parse('tcp!127.0.0.1:80,p')), 'tcp:127.0.0.1:80,p');
  });

  it('round-trips display and parse (ID-1)', () => {
    const id = new ProcId(ChannelAddr.local(7), 'proc-a').actorId('worker_1', 42).portId(1030);
    assert.ok(PortId.parse(String(id)).equals(id));
  });

  it('rejects a reference without a comma', () => {
    assert.throws(() => Reference.parse('test'), (e: unknown) => e instanceof ParseError && e.code === 'unexpected');
  });

  it('rejects names with dots, at-signs, leading digits and parentheses', () => {
    for (const bad of ['local:0,a.b', 'local:0,p,a@b', 'local:0,1abc', 'local:0,(blah)', 'local:0,p,world(1, 2, 3)']) {
      assert.throws(() => Reference.parse(bad), ParseError, bad);
    }
  });

  it('rejects a bad channel address with invalid-channel-address', () => {
    assert.throws(
      () => Reference.parse('bogus:1,p'),
      (e: unknown) => e instanceof ParseError && e.code === 'invalid-channel-address' && /no such channel type: bogus/.test(e.message),
    );
  });

  it('rejects the wrong kind with wrong-type', () => {
    assert.throws(() => ActorId.parse('local:0,p'), (e: unknown) => e instanceof ParseError && e.code === 'wrong-type');
    assert.throws(() => ProcId.parse('local:0,p,a[0]'), (e: unknown) => e instanceof ParseError && e.code === 'wrong-type');
  });

  it('orders a proc before its actors and an actor before its ports (ID-2, test_reference_ord)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'p');
    const refs = [
      Reference.port(proc.actorId('a', 1).portId(5)),
      Reference.actor(proc.actorId('b')),
      Reference.actor(proc.actorId('a', 1)),
      Reference.proc(proc),
      Reference.actor(proc.actorId('a', 0)),
    ];
    refs.sort(compareReferences);
    assert.deepEqual(refs.map(Reference.toString), [
      'local:0,p',
      'local:0,p,a[0]',
      'local:0,p,a[1]',
      'local:0,p,a[1][5]',
      'local:0,p,b[0]',
    ]);
  });

  it('treats a proc as a prefix of its actors, an actor only of itself (ID-3)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'p');
    const actor = Reference.actor(proc.actorId('a'));
    assert.ok(Reference.isPrefixOf(Reference.proc(proc), actor));
    assert.ok(Reference.isPrefixOf(actor, actor));
    assert.ok(!Reference.isPrefixOf(actor, Reference.port(proc.actorId('a').portId(1))));
  });

  it('builds unique names as {base}-{8 hex} and strips them in baseName', () => {
    const id = ProcId.unique(ChannelAddr.local(0), 'local_3');
    assert.match(id.name, /^local_3-[0-9a-f]{8}$/);
    assert.equal(id.baseName, 'local_3');
  });
});

describe('ChannelAddr (spec §7.1)', () => {
  it('parses and displays tcp v4, tcp v6, unix, local and tls', () => {
    for (const text of ['tcp:127.0.0.1:8080', 'tcp:[::1]:1', 'unix:/tmp/x.sock', 'unix:@abstract', 'local:3', 'tls:example.com:443', 'metatls:h:1']) {
      assert.equal(String(ChannelAddr.parse(text)), text);
    }
  });

  it('says "no channel type specified" without a separator', () => {
    assert.throws(() => ChannelAddr.parse('localhost'), /no channel type specified/);
  });

  it('says "no such channel type" for an unknown transport', () => {
    assert.throws(() => ChannelAddr.parse('quic:1.2.3.4:5'), /no such channel type: quic/);
  });

  it('gives an empty unix address a random 24-char abstract name', () => {
    assert.match(String(ChannelAddr.parse('unix:')), /^unix:@[A-Za-z0-9]{24}$/);
  });
});
