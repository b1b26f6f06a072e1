/**
 * Listeners stay on loopback unless told otherwise (DESIGN.md decision 10; `channel/net/
 * transport.ts`): a server binds exactly the host of its address, so `tcp:127.0.0.1:0`,
 * `tls:localhost:0` and a `Proc.direct` proc on `tcp:127.0.0.1:0` cannot be reached through
 * this machine's other interfaces. (Skipped where the machine has no non-loopback IPv4.)
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import { serveNet } from '../src/channel/net/rx.js';
import { Proc } from '../src/index.js';
import { tlsMaterial } from './fixtures/net-helpers.js';

const T = { timeout: 10_000 };
const quiet = pino({ level: 'silent' });

/** An IPv4 address of this machine that is not loopback, if it has one. */
function externalIpv4(): string | undefined {
  for (const addresses of Object.values(networkInterfaces())) {
    for (const info of addresses ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return undefined;
}

const external = externalIpv4();

/** Whether a tcp connection to `host:port` is accepted (true) or refused (false). */
function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

describe('listeners stay on loopback unless told otherwise', () => {
  it('tcp:127.0.0.1:0 answers on loopback only', { ...T, skip: external === undefined ? 'no non-loopback IPv4' : false }, async () => {
    const [bound, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { logger: quiet });
    open.push(rx);
    assert.equal(bound.host, '127.0.0.1');
    assert.equal(await reachable('127.0.0.1', bound.port), true);
    assert.equal(await reachable(external!, bound.port), false);
  });

  it('tls:localhost:0 answers on loopback only', { ...T, skip: external === undefined ? 'no non-loopback IPv4' : false }, async () => {
    const { cert, key } = tlsMaterial();
    const [bound, rx] = await serveNet<number>(ChannelAddr.parse('tls:localhost:0'), { tls: { cert, key }, logger: quiet });
    open.push(rx);
    assert.equal(bound.host, 'localhost');
    assert.equal(await reachable(external!, bound.port), false);
  });

  it('Proc.direct on tcp:127.0.0.1:0: its id names loopback and nothing answers elsewhere', { ...T, skip: external === undefined ? 'no non-loopback IPv4' : false }, async () => {
    const proc = await Proc.direct('tcp:127.0.0.1:0', 'local-only', { logger: quiet, serve: { logger: quiet }, dial: { logger: quiet } });
    try {
      assert.equal(proc.procId.addr.host, '127.0.0.1');
      assert.equal(await reachable(external!, proc.procId.addr.port), false);
    } finally {
      await proc.stopServing('test over');
    }
  });
});
