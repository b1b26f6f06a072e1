/**
 * Credentials and TLS of the `nats:` channel, through the NATS client's own options
 * (channel/nats/options.ts) against real `nats-server`s: user/password, token, nkey, TLS with a
 * test certificate; wrong or missing credentials and an untrusted server certificate are typed
 * errors with a stable code, fast, never a hang (NC-2), for `serve`, `dial` and `Proc.direct`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { nkeys } from '@nats-io/transport-node';
import { ChannelError, SendError } from '../src/channel/types.js';
import { dial, serve } from '../src/channel/serve.js';
import type { NatsTx } from '../src/channel/nats/tx.js';
import type { NatsOptions } from '../src/channel/nats/options.js';
import { Proc } from '../src/proc.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';
import { tlsMaterial } from './fixtures/net-helpers.js';

const T = { timeout: 20_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });
type Num = { readonly n: number };

function isCode(code: string): (e: unknown) => boolean {
  return (e: unknown) => e instanceof ChannelError && e.code === code;
}

/** Serve with `good`, dial with `good`: one message through; then `bad` fails with `code`. */
async function roundTrip(url: string, good: NatsOptions): Promise<void> {
  const [addr, rx] = await serve<Num>(url, { logger: quiet, nats: good });
  const tx = dial<Num>(addr, { logger: quiet, nats: good });
  await tx.send({ n: 1 });
  assert.deepEqual(await rx.recv(), { n: 1 });
  tx.close();
  rx.close();
  await rx.join();
}

describe('nats credentials and TLS', { skip: natsServerMissing }, () => {
  let userPass: NatsServer;
  let token: NatsServer;
  let nkey: NatsServer;
  let tls: NatsServer;
  const seed = nkeys.createUser();
  const dir = mkdtempSync(join(tmpdir(), 'procmesh-nats-tls-'));
  const material = tlsMaterial();

  before(async () => {
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    writeFileSync(certFile, material.cert);
    writeFileSync(keyFile, material.key);
    [userPass, token, nkey, tls] = await Promise.all([
      NatsServer.start({ args: ['--user', 'alice', '--pass', 's3cret'] }),
      NatsServer.start({ args: ['--auth', 'tok-123'] }),
      NatsServer.start({ config: `authorization { users: [ { nkey: ${seed.getPublicKey()} } ] }\n` }),
      NatsServer.start({ args: ['--tls', '--tlscert', certFile, '--tlskey', keyFile] }),
    ]);
  });
  after(async () => {
    await Promise.all([userPass, token, nkey, tls].map((s) => s?.dispose()));
    rmSync(dir, { recursive: true, force: true });
  });

  it('user and password: the right ones connect, wrong ones are unauthorized', T, async () => {
    const url = `nats://${userPass.hostPort}/a.up`;
    await roundTrip(url, { user: 'alice', pass: 's3cret' });
    await assert.rejects(serve<Num>(url, { logger: quiet, nats: { user: 'alice', pass: 'wrong' } }), isCode('unauthorized'));
    await assert.rejects(serve<Num>(url, { logger: quiet }), isCode('unauthorized'));
  });

  it('a dialed Tx with wrong credentials closes unauthorized and returns its messages', T, async () => {
    const tx = dial<Num>(`nats://${userPass.hostPort}/a.up2`, { logger: quiet, nats: { user: 'bob', pass: 'x' } }) as NatsTx<Num>;
    const back = await new Promise<SendError<Num>>((resolve) => tx.post({ n: 1 }, resolve));
    assert.equal(back.code, 'closed');
    assert.equal(back.value.n, 1);
    assert.equal(tx.closeError?.code, 'unauthorized');
  });

  it('token: the right one connects, a wrong one is unauthorized', T, async () => {
    const url = `nats://${token.hostPort}/a.tok`;
    await roundTrip(url, { token: 'tok-123' });
    await assert.rejects(serve<Num>(url, { logger: quiet, nats: { token: 'nope' } }), isCode('unauthorized'));
  });

  it('nkey: the seed of the configured key connects, another seed is unauthorized', T, async () => {
    const url = `nats://${nkey.hostPort}/a.nk`;
    await roundTrip(url, { nkeySeed: new TextDecoder().decode(seed.getSeed()) });
    const other = new TextDecoder().decode(nkeys.createUser().getSeed());
    await assert.rejects(serve<Num>(url, { logger: quiet, nats: { nkeySeed: other } }), isCode('unauthorized'));
  });

  it('TLS with a test certificate: trusted CA connects; Proc.direct procs talk over it', T, async () => {
    const options: NatsOptions = { tls: { ca: material.cert } };
    await roundTrip(`nats://${tls.hostPort}/a.tls`, options);
    const proc = await Proc.direct(`nats://${tls.hostPort}/a.tlsprocs`, 'p', { nats: options, logger: quiet });
    assert.equal(String(proc.procId), `nats://${tls.hostPort}/a.tlsprocs.p,p`);
    await proc.stopServing();
  });

  it('TLS: a server certificate the client does not trust is a typed error', T, async () => {
    await assert.rejects(serve<Num>(`nats://${tls.hostPort}/a.tls2`, { logger: quiet, nats: { tls: {} } }), (e: unknown) => e instanceof ChannelError && e.code === 'io' && /certificate/.test(e.message));
  });
});
