/**
 * The net channel over `tls:` (upstream `net.rs` `tls::tests::test_tls_basic`,
 * `test_tls_multiple_messages`). The certificate is self-signed for localhost and generated with
 * `openssl` at test time when it is installed, else taken from a test-only fixture.
 */
import assert from 'node:assert/strict';
import { afterEach, before, describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import { serve, dial } from '../src/channel/serve.js';
import type { SendError } from '../src/channel/types.js';
import { SimulatedClock } from '../src/clock.js';
import { captureLogger, tlsMaterial } from './fixtures/net-helpers.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

let material: { cert: string; key: string };
before(() => {
  material = tlsMaterial();
});

async function serveTls<M>(addr: string): Promise<[ChannelAddr, Awaited<ReturnType<typeof serve<M>>>[1], ReturnType<typeof captureLogger>]> {
  const logs = captureLogger();
  const [bound, rx] = await serve<M>(addr, { tls: { cert: material.cert, key: material.key }, logger: logs.logger });
  open.push(rx);
  return [bound, rx, logs];
}

describe('net channel over tls', () => {
  it('test_tls_basic: a message over tls:localhost', { timeout: 10_000 }, async () => {
    const [bound, rx] = await serveTls<number>('tls:localhost:0');
    assert.match(String(bound), /^tls:localhost:[1-9]\d*$/);
    const tx = dial<number>(bound, { tls: { ca: material.cert }, logger: captureLogger().logger });
    open.push(tx);
    tx.post(42);
    assert.equal(await rx.recv(), 42);
  });

  it('test_tls_multiple_messages: ten messages in order over tls:127.0.0.1', { timeout: 10_000 }, async () => {
    const [bound, rx] = await serveTls<string>('tls:127.0.0.1:0');
    const tx = dial<string>(bound, { tls: { ca: material.cert }, logger: captureLogger().logger });
    open.push(tx);
    for (let i = 0; i < 10; i++) tx.post(`message ${i}`);
    for (let i = 0; i < 10; i++) assert.equal(await rx.recv(), `message ${i}`);
  });

  it('a client that does not trust the certificate never delivers; the server keeps serving', { timeout: 10_000 }, async () => {
    const [bound, rx, logs] = await serveTls<number>('tls:127.0.0.1:0');
    const clock = new SimulatedClock();
    const untrusting = dial<number>(bound, { messageDeliveryTimeoutMs: 300, logger: captureLogger().logger, clock });
    open.push(untrusting);
    const returned = new Promise<SendError<number>>((resolve) => untrusting.post(1, resolve));
    await logs.waitFor('TLS handshake failed');
    clock.advance(300);
    const error = await returned;
    assert.match(error.reason, /failed to deliver message within timeout 300ms$/);
    const trusting = dial<number>(bound, { tls: { ca: material.cert }, logger: captureLogger().logger });
    open.push(trusting);
    trusting.post(2);
    assert.equal(await rx.recv(), 2);
  });

  it('refuses to serve tls: without a certificate', { timeout: 10_000 }, async () => {
    await assert.rejects(serve<number>('tls:127.0.0.1:0'), /needs a certificate and key/);
  });
});
