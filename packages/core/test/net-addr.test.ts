/**
 * ChannelAddr parsing and display for the net transports (spec §7.1), ported from upstream
 * `channel.rs` `test_channel_addr` and `net.rs` `test_tls_parse_*`, `test_metatls_parsing`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import { ParseError } from '../src/errors.js';

function parseError(text: string): string {
  try {
    ChannelAddr.parse(text);
  } catch (error) {
    assert.ok(error instanceof ParseError && error.code === 'invalid-channel-address', String(error));
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(text)} not to parse`);
}

describe('ChannelAddr for net transports', () => {
  it('parses tcp v4/v6, local and unix with both delimiters (test_channel_addr)', () => {
    for (const [raw, shown] of [
      ['tcp<D>[::1]:1234', 'tcp:[::1]:1234'],
      ['tcp<D>127.0.0.1:8080', 'tcp:127.0.0.1:8080'],
      ['local<D>123', 'local:123'],
      ['unix<D>@yolo', 'unix:@yolo'],
      ['unix<D>/cool/socket-path', 'unix:/cool/socket-path'],
    ] as const) {
      for (const delim of ['!', ':']) assert.equal(String(ChannelAddr.parse(raw.replace('<D>', delim))), shown);
    }
  });

  it("gives upstream's messages for bad addresses (test_channel_addr)", () => {
    assert.equal(parseError('tcp:abcdef..123124'), 'invalid socket address syntax');
    assert.equal(parseError('xxx:foo'), 'no such channel type: xxx');
    assert.equal(parseError('127.0.0.1'), 'no channel type specified');
    assert.equal(parseError('local:abc'), 'invalid digit found in string');
  });

  it('rejects malformed tcp socket addresses with "invalid socket address syntax"', () => {
    for (const bad of ['tcp:127.0.0.1', 'tcp:::1:80', 'tcp:[::1]80', 'tcp:127.0.0.1:65536', 'tcp:localhost:80', 'tcp:[127.0.0.1]:80']) {
      assert.equal(parseError(bad), 'invalid socket address syntax', bad);
    }
  });

  it("reports Rust's integer errors for local addresses", () => {
    assert.equal(parseError('local:'), 'cannot parse integer from empty string');
    assert.equal(parseError('local:-1'), 'invalid digit found in string');
    assert.equal(parseError('local:99999999999999999999'), 'number too large to fit in target type');
    assert.equal(String(ChannelAddr.parse('local:+7')), 'local:7');
  });

  it('refuses the alias string form', () => {
    assert.match(parseError('alias:dial_to=tcp:1.2.3.4:5;bind_to=tcp:0.0.0.0:5'), /^detect possible alias address/);
  });

  it('enforces SUN_LEN and NUL rules on unix paths', () => {
    assert.equal(parseError(`unix:/${'a'.repeat(107)}`), 'path must be shorter than SUN_LEN');
    assert.equal(parseError('unix:/tmp/a\0b'), 'paths must not contain interior null bytes');
    assert.equal(parseError(`unix:@${'a'.repeat(108)}`), 'abstract socket name must be shorter than SUN_LEN');
    assert.equal(String(ChannelAddr.parse(`unix:@${'a'.repeat(107)}`)).length, 'unix:@'.length + 107);
  });

  it('parses tls host:port (test_tls_parse_hostname_port)', () => {
    const addr = ChannelAddr.parse('tls:localhost:8080');
    assert.deepEqual([addr.transport, addr.host, addr.port], ['tls', 'localhost', 8080]);
  });

  it('parses tls socket addresses (test_tls_parse_socket_addr)', () => {
    const addr = ChannelAddr.parse('tls:127.0.0.1:8080');
    assert.deepEqual([addr.host, addr.port, String(addr)], ['127.0.0.1', 8080, 'tls:127.0.0.1:8080']);
  });

  it('parses metatls host, ipv4, bare ipv6 and bracketed forms (test_metatls_parsing)', () => {
    assert.deepEqual([ChannelAddr.parse('metatls!localhost:1234').host, ChannelAddr.parse('metatls!localhost:1234').port], ['localhost', 1234]);
    assert.equal(ChannelAddr.parse('metatls!1.2.3.4:1234').host, '1.2.3.4');
    assert.equal(ChannelAddr.parse('metatls!2401:db00:33c:6902:face:0:2a2:0:1234').host, '2401:db00:33c:6902:face:0:2a2:0');
    const any = ChannelAddr.parse('metatls![::]:1234');
    assert.deepEqual([any.host, String(any)], ['::', 'metatls:[::]:1234']);
  });

  it('says invalid address "{rest}" for a tls address without a port', () => {
    assert.equal(parseError('tls:localhost'), 'invalid address "localhost"');
    assert.equal(parseError('metatls:host:http'), 'invalid address "host:http"');
  });
});
