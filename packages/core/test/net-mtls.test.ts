/**
 * Mutual TLS on the net channel (issue 17; `channel/net/admission.ts` NA-2, NA-6, NA-8): a
 * `tls:` server with `requestCert` and a `ca` admits a client whose certificate chains to that
 * CA and tells `authorize` who it is (subject, SANs, fingerprint); a client without a
 * certificate, or with one from another CA, is refused once the TLS handshake ends (no envelope is
 * read; the client's Tx closes `unauthorized` at once; the server keeps serving); `authorize`
 * can still refuse a verified certificate; `Proc.direct` takes the same options. The PKI is made
 * with `openssl` at test time (`fixtures/net-pki.ts`); without `openssl` these tests are skipped.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import tls from 'node:tls';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import type { DialOptions, NetPeer, ServeAuth, TlsDialOptions } from '../src/channel/net/options.js';
import { serveNet, type NetRx } from '../src/channel/net/rx.js';
import { dialNet, type NetTx } from '../src/channel/net/tx.js';
import { ChannelError, type SendError } from '../src/channel/types.js';
import { Proc, type ActorRef } from '../src/index.js';
import { captureLogger, type CapturedLogs } from './fixtures/net-helpers.js';
import { pki } from './fixtures/net-pki.js';
import { Adder, Returns, type AddMsg, type Sum } from './fixtures/direct-actors.js';

const T = { timeout: 10_000 };
const quiet = pino({ level: 'silent' });
const material = pki();
const skip = material === undefined ? 'openssl is not installed' : false;

const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

interface Served {
  readonly addr: ChannelAddr;
  readonly rx: NetRx<number>;
  readonly logs: CapturedLogs;
}

async function serveMutual(auth?: ServeAuth): Promise<Served> {
  const p = material!;
  const logs = captureLogger();
  const [addr, rx] = await serveNet<number>(ChannelAddr.parse('tls:localhost:0'), {
    tls: { cert: p.server.cert, key: p.server.key, ca: p.ca, requestCert: true },
    ...(auth !== undefined ? { auth } : {}),
    logger: logs.logger,
  });
  open.push(rx);
  return { addr, rx, logs };
}

function dialTls(addr: ChannelAddr, tls: TlsDialOptions, extra: DialOptions<number> = {}): NetTx<number> {
  const tx = dialNet<number>(addr, { tls, messageDeliveryTimeoutMs: 60_000, logger: quiet, ...extra });
  open.push(tx);
  return tx;
}

function returnOf(tx: NetTx<number>, value: number): Promise<SendError<number>> {
  return new Promise((resolve) => tx.post(value, resolve));
}

async function assertUnauthorized(tx: NetTx<number>, reason: RegExp): Promise<void> {
  const error = await returnOf(tx, 1);
  assert.equal(error.code, 'closed');
  assert.equal(error.value, 1);
  assert.match(error.reason, reason);
  assert.ok(tx.closeError instanceof ChannelError);
  assert.equal(tx.closeError.code, 'unauthorized');
  assert.equal(tx.status(), 'closed');
}

describe('net admission: mutual TLS (NA-2)', { skip }, () => {
  it('NA-2 NA-8 a client certificate from the CA is admitted; authorize sees its subject, SANs and fingerprint', T, async () => {
    const p = material!;
    const peers: NetPeer[] = [];
    const served = await serveMutual({ authorize: (peer) => (peers.push(peer), true) });
    const tx = dialTls(served.addr, { ca: p.ca, cert: p.client.cert, key: p.client.key });
    await tx.send(7);
    assert.equal(await served.rx.recv(), 7);
    assert.equal(peers.length, 1);
    const peer = peers[0]!;
    assert.equal(peer.transport, 'tls');
    assert.equal(peer.tokenVerified, false);
    const cert = peer.certificate;
    assert.ok(cert !== undefined);
    assert.equal(cert.subject.CN, 'client-a');
    assert.equal(cert.subject.O, 'procmesh-test');
    assert.equal(cert.issuer.CN, 'procmesh-test-ca');
    assert.deepEqual(cert.subjectAltNames, ['DNS:client-a', 'URI:spiffe://procmesh.test/client-a']);
    assert.equal(cert.fingerprint256, p.client.fingerprint256);
    assert.match(cert.serialNumber, /^[0-9A-F]+$/);
  });

  it('NA-2 NA-6 refused without a client certificate: unauthorized at once, no envelope read, the server keeps serving', T, async () => {
    const p = material!;
    const served = await serveMutual();
    const tx = dialTls(served.addr, { ca: p.ca });
    await assertUnauthorized(tx, /^unauthorized: server refused the connection: client certificate required$/);
    await served.logs.waitFor('refusing peer: client certificate required');
    assert.equal(served.rx.sessionCount, 0);
    assert.equal(served.rx.buffered, 0);
    const good = dialTls(served.addr, { ca: p.ca, cert: p.client.cert, key: p.client.key });
    await good.send(2);
    assert.equal(await served.rx.recv(), 2);
  });

  it('NA-2 NA-6 refused with a certificate from another CA: unauthorized at once, no envelope read, the server keeps serving', T, async () => {
    const p = material!;
    const served = await serveMutual();
    const tx = dialTls(served.addr, { ca: p.ca, cert: p.intruder.cert, key: p.intruder.key });
    await assertUnauthorized(tx, /^unauthorized: server refused the connection: client certificate not accepted: \S/);
    await served.logs.waitFor('refusing peer: client certificate not accepted');
    assert.equal(served.rx.sessionCount, 0);
    assert.equal(served.rx.buffered, 0);
    const good = dialTls(served.addr, { ca: p.ca, cert: p.client.cert, key: p.client.key });
    await good.send(3);
    assert.equal(await served.rx.recv(), 3);
  });

  it('NA-4 authorize can refuse a verified certificate it does not want', T, async () => {
    const p = material!;
    const served = await serveMutual({ authorize: (peer) => peer.certificate?.subject.CN === 'client-b' });
    const tx = dialTls(served.addr, { ca: p.ca, cert: p.client.cert, key: p.client.key });
    await assertUnauthorized(tx, /^unauthorized: server refused the connection: refused by authorize$/);
    await served.logs.waitFor('refusing peer: refused by authorize');
    assert.equal(served.rx.sessionCount, 0);
  });

  it('NA-2 NA-3 mutual TLS and a token together: both are needed', T, async () => {
    const p = material!;
    const served = await serveMutual({ token: 'both' });
    const both = dialTls(served.addr, { ca: p.ca, cert: p.client.cert, key: p.client.key }, { auth: { token: 'both' } });
    await both.send(9);
    assert.equal(await served.rx.recv(), 9);
    const certOnly = dialTls(served.addr, { ca: p.ca, cert: p.client.cert, key: p.client.key });
    await assertUnauthorized(certOnly, /missing token$/);
  });

  it('NA-6 a TLS alert that refuses the client certificate (a TLS terminator in front) also closes the Tx unauthorized', T, async () => {
    const p = material!;
    // A plain node:tls server that lets OpenSSL refuse a missing certificate with an alert.
    const terminator = tls.createServer({ cert: p.server.cert, key: p.server.key, ca: p.ca, requestCert: true, rejectUnauthorized: true });
    terminator.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => terminator.listen({ host: '127.0.0.1', port: 0 }, resolve));
    open.push({ close: () => terminator.close() });
    const port = (terminator.address() as AddressInfo).port;
    const tx = dialTls(ChannelAddr.tls('localhost', port), { ca: p.ca });
    await assertUnauthorized(tx, /^unauthorized: server refused the connection: TLS: .*certificate required/);
  });

  it('NA-2 requestCert without a ca: serve rejects with missing-certificate', T, async () => {
    const p = material!;
    await assert.rejects(
      serveNet<number>(ChannelAddr.parse('tls:localhost:0'), { tls: { cert: p.server.cert, key: p.server.key, requestCert: true }, logger: quiet }),
      (e: unknown) => e instanceof ChannelError && e.code === 'missing-certificate' && /needs the CA/.test(e.message),
    );
  });

  it('Proc.direct over mutual TLS: a proc with a client certificate talks; one without gets its envelope back unauthorized', T, async () => {
    const p = material!;
    const procs: Proc[] = [];
    try {
      const serverTls = { cert: p.server.cert, key: p.server.key, ca: p.ca, requestCert: true };
      const cns: string[] = [];
      const server = await Proc.direct('tls:localhost:0', 'server', {
        logger: quiet,
        serve: { tls: serverTls, auth: { authorize: (peer) => (cns.push(peer.certificate?.subject.CN ?? '?'), true) }, logger: quiet },
      });
      procs.push(server);
      const adderRef: ActorRef<AddMsg> = server.spawn('adder', new Adder()).bind();

      const member = await Proc.direct('tcp:127.0.0.1:0', 'member', {
        logger: quiet,
        serve: { logger: quiet },
        dial: { tls: { ca: p.ca, cert: p.client.cert, key: p.client.key }, logger: quiet },
      });
      procs.push(member);
      const [memberClient] = member.instance('client');
      const [reply, answer] = memberClient.openOncePort<Sum>();
      adderRef.send(memberClient, { type: 'add', a: 20, b: 22, reply: reply.bind() });
      assert.equal((await answer.recv()).sum, 42);
      assert.deepEqual(cns, ['client-a']);

      const outsider = await Proc.direct('tcp:127.0.0.1:0', 'outsider', {
        logger: quiet,
        serve: { logger: quiet },
        dial: { tls: { ca: p.ca }, logger: quiet },
      });
      procs.push(outsider);
      const [outsiderClient] = outsider.instance('client');
      const sender = new Returns();
      const handle = outsider.spawn('sender', sender);
      handle.bind(); // binds its Undeliverable port, where returns come
      const [reply2] = outsiderClient.openOncePort<Sum>();
      handle.send(outsiderClient, { type: 'send', to: adderRef, a: 1, b: 1, reply: reply2.bind() });
      const back = await sender.returns.next();
      assert.match(back.envelope.errorMessage() ?? '', /unauthorized: server refused the connection: client certificate required$/);
      assert.deepEqual(cns, ['client-a']);
    } finally {
      await Promise.all(procs.map((proc) => proc.flush()));
      await Promise.all(procs.map((proc) => proc.stopServing('test over')));
    }
  });
});
