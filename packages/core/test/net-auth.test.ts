/**
 * Admission to a net server by a shared token (issue 17; `channel/net/admission.ts`, NA-1 ...):
 * the right token gets in over tcp, unix and tls; a wrong or missing one is refused before any
 * envelope is read, the client's Tx closes `unauthorized` at once and hands its messages back,
 * and the server keeps serving other peers; raw peers that skip or garble the hello, or say
 * nothing, are refused; `authorize(peer)` decides per connection; a proc served with
 * `Proc.direct` takes the same options. Real sockets on loopback.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { ChannelAddr } from '../src/addr.js';
import { encodeHello, TAG_ADMISSION, decodeRefusal } from '../src/channel/net/admission.js';
import { FrameReader } from '../src/channel/net/framed.js';
import type { DialOptions, NetPeer, ServeAuth, ServeOptions } from '../src/channel/net/options.js';
import { serveNet, type NetRx } from '../src/channel/net/rx.js';
import { dialNet, type NetTx } from '../src/channel/net/tx.js';
import { encodeMessageFrame, encodePreamble } from '../src/channel/net/wire.js';
import { ChannelError, type SendError } from '../src/channel/types.js';
import { defaultCodec } from '../src/channel/net/options.js';
import { ActorRef, Proc, type Actor, type Context, type DirectProcOptions } from '../src/index.js';
import { CutProxy, captureLogger, tlsMaterial, waitFor, type CapturedLogs } from './fixtures/net-helpers.js';
import { Returns, type AddMsg, type Sum } from './fixtures/direct-actors.js';

const T = { timeout: 10_000 };
const quiet = pino({ level: 'silent' });
const TOKEN = 'procmesh-test-token-7f3a';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

interface Served {
  readonly addr: ChannelAddr;
  readonly rx: NetRx<number>;
  readonly logs: CapturedLogs;
}

async function serveWith(addr: string, auth: ServeAuth | undefined, extra: ServeOptions<number> = {}): Promise<Served> {
  const logs = captureLogger();
  const [bound, rx] = await serveNet<number>(ChannelAddr.parse(addr), { ...(auth !== undefined ? { auth } : {}), logger: logs.logger, ...extra });
  open.push(rx);
  return { addr: bound, rx, logs };
}

function dialWith(addr: ChannelAddr, token: string | undefined, extra: DialOptions<number> = {}): NetTx<number> {
  // A long delivery timeout: a refusal must come back at once, not when the timeout ends (NA-6).
  const tx = dialNet<number>(addr, { ...(token !== undefined ? { auth: { token } } : {}), messageDeliveryTimeoutMs: 60_000, logger: quiet, ...extra });
  open.push(tx);
  return tx;
}

function returnOf(tx: NetTx<number>, value: number): Promise<SendError<number>> {
  return new Promise((resolve) => tx.post(value, resolve));
}

/** NA-6 as a client sees it: the message comes back, the Tx is closed `unauthorized`. */
async function assertRefused(tx: NetTx<number>, returned: Promise<SendError<number>>, reason: string): Promise<void> {
  const error = await returned;
  assert.equal(error.code, 'closed');
  assert.equal(error.value, 1);
  assert.equal(error.reason, `unauthorized: server refused the connection: ${reason}`);
  assert.equal(tx.status(), 'closed');
  assert.ok(tx.closeError instanceof ChannelError);
  assert.equal(tx.closeError.code, 'unauthorized');
  // Final: a later message comes back at once, without a new connection.
  const later = await returnOf(tx, 2);
  assert.equal(later.reason, error.reason);
}

/** The server keeps serving: a peer with the right credentials still delivers. */
async function assertStillServing(served: Served, token: string | undefined, value = 5): Promise<void> {
  const good = dialWith(served.addr, token);
  await good.send(value);
  assert.equal(await served.rx.recv(), value);
}

/** A raw peer: writes bytes by hand and collects the frames the server sends back. */
class RawPeer {
  readonly frames: { tag: number; body: Buffer }[] = [];
  closed = false;
  private constructor(readonly socket: net.Socket) {
    const reader = new FrameReader(1 << 20, false, { onFrame: (tag, bytes, start, end) => void this.frames.push({ tag, body: Buffer.from(bytes.subarray(start, end)) }) });
    socket.on('data', (chunk: Buffer) => reader.feed(chunk));
    socket.on('error', () => {});
    socket.on('close', () => (this.closed = true));
  }

  static async connect(addr: ChannelAddr): Promise<RawPeer> {
    const socket = net.connect({ host: addr.host, port: addr.port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const peer = new RawPeer(socket);
    open.push({ close: () => socket.destroy() });
    return peer;
  }

  /** Wait for the server's refusal and the end of the connection; returns the reason. */
  async refusal(): Promise<string> {
    await waitFor(() => this.closed, 'the server to end the connection');
    assert.equal(this.frames.length, 1, 'exactly one frame: the refusal');
    const frame = this.frames[0]!;
    assert.equal(frame.tag, TAG_ADMISSION);
    return decodeRefusal(frame.body);
  }
}

/** A preamble and two message frames: a whole session, as a client that skipped the hello sends it. */
function sessionBytes(): Buffer {
  const codec = defaultCodec<number>();
  return Buffer.concat([encodePreamble(7n), encodeMessageFrame(0, codec.encode(10)), encodeMessageFrame(1, codec.encode(11))]);
}

describe('net admission: a shared token (NA-3)', () => {
  it('NA-3 the right token: messages are delivered over tcp', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const tx = dialWith(served.addr, TOKEN);
    for (let i = 0; i < 10; i++) tx.post(i);
    for (let i = 0; i < 10; i++) assert.equal(await served.rx.recv(), i);
    await tx.flush();
    assert.equal(served.rx.sessionCount, 1);
  });

  it('NA-3 the right token over a unix socket; a token may be bytes', T, async () => {
    const token = randomBytes(32);
    const logs = captureLogger();
    const [bound, rx] = await serveNet<number>(ChannelAddr.parse(`unix:@procmesh-auth-${randomBytes(6).toString('hex')}`), { auth: { token }, logger: logs.logger });
    open.push(rx);
    const tx = dialNet<number>(bound, { auth: { token: new Uint8Array(token) }, logger: quiet });
    open.push(tx);
    await tx.send(3);
    assert.equal(await rx.recv(), 3);
    const wrong = dialNet<number>(bound, { auth: { token: randomBytes(32) }, logger: quiet });
    open.push(wrong);
    await assertRefused(wrong, returnOf(wrong, 1), 'wrong token');
  });

  it('NA-3 NA-4 NA-6 a wrong token: the Tx closes unauthorized, its messages come back, no envelope reaches the Rx, the server keeps serving', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const proxy = await CutProxy.start(served.addr, []); // counts the connections the Tx makes
    open.push(proxy);
    const tx = dialWith(proxy.addr, 'not-the-token');
    const returned = [returnOf(tx, 1), returnOf(tx, 1), returnOf(tx, 1)];
    await assertRefused(tx, returned[0]!, 'wrong token');
    for (const r of returned) assert.equal((await r).value, 1);
    assert.equal(proxy.connections, 1, 'a refused Tx does not reconnect');
    await served.logs.waitFor('refusing peer: wrong token');
    assert.equal(served.rx.sessionCount, 0, 'no preamble was read');
    assert.equal(served.rx.buffered, 0);
    await assertStillServing(served, TOKEN);
  });

  it('NA-3 NA-4 NA-6 a missing token: refused the same way', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const tx = dialWith(served.addr, undefined);
    await assertRefused(tx, returnOf(tx, 1), 'missing token');
    await served.logs.waitFor('refusing peer: missing token');
    assert.equal(served.rx.sessionCount, 0);
    assert.equal(served.rx.buffered, 0);
    await assertStillServing(served, TOKEN);
  });

  it('NA-3 over tls: the token travels inside TLS; right is admitted, wrong is refused', T, async () => {
    const { cert, key } = tlsMaterial();
    const served = await serveWith('tls:localhost:0', { token: TOKEN }, { tls: { cert, key } });
    const good = dialWith(served.addr, TOKEN, { tls: { ca: cert } });
    await good.send(8);
    assert.equal(await served.rx.recv(), 8);
    const wrong = dialWith(served.addr, 'nope', { tls: { ca: cert } });
    await assertRefused(wrong, returnOf(wrong, 1), 'wrong token');
    assert.equal(served.rx.sessionCount, 1);
  });

  it('NA-3 a server without a token admits a client that offers one', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', undefined);
    const tx = dialWith(served.addr, TOKEN);
    await tx.send(4);
    assert.equal(await served.rx.recv(), 4);
  });

  it('an unusable token: dial throws and serve rejects with invalid-auth', T, async () => {
    const addr = ChannelAddr.parse('tcp:127.0.0.1:1');
    assert.throws(() => dialNet<number>(addr, { auth: { token: '' } }), (e: unknown) => e instanceof ChannelError && e.code === 'invalid-auth');
    await assert.rejects(
      serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { auth: { token: 'x'.repeat(1025) } }),
      (e: unknown) => e instanceof ChannelError && e.code === 'invalid-auth' && /1 to 1024 bytes/.test(e.message),
    );
  });
});

describe('net admission: raw peers (NA-1, NA-4, NA-5, NA-7)', () => {
  it('NA-1 a peer that skips the hello and sends a whole session gets one refusal; nothing is decoded', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const peer = await RawPeer.connect(served.addr);
    peer.socket.write(sessionBytes());
    assert.equal(await peer.refusal(), 'missing token');
    assert.equal(served.rx.sessionCount, 0);
    assert.equal(served.rx.buffered, 0);
  });

  it('NA-1 the bytes after a wrong hello are never decoded', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const peer = await RawPeer.connect(served.addr);
    peer.socket.write(Buffer.concat([encodeHello('guess'), sessionBytes()]));
    assert.equal(await peer.refusal(), 'wrong token');
    assert.equal(served.rx.sessionCount, 0);
    assert.equal(served.rx.buffered, 0);
  });

  it('NA-1 the right hello written byte by byte is admitted, and the session after it is read', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const peer = await RawPeer.connect(served.addr);
    const bytes = Buffer.concat([encodeHello(TOKEN), sessionBytes()]);
    for (let i = 0; i < 12; i++) {
      peer.socket.write(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
    peer.socket.write(bytes.subarray(12));
    assert.equal(await served.rx.recv(), 10);
    assert.equal(await served.rx.recv(), 11);
  });

  it('without auth, bytes that only start like a hello go to the session protocol: a bad preamble is still cut (NF-1, NR-4)', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', undefined);
    const peer = await RawPeer.connect(served.addr);
    peer.socket.write(Buffer.from('AUTX0123456789'));
    await waitFor(() => peer.closed, 'the server to cut the peer');
    assert.equal(peer.frames.length, 0, 'no refusal frame: the gate let it through');
    await served.logs.waitFor('bad preamble');
    await assertStillServing(served, undefined);
  });

  it('NA-4 a malformed hello is refused with its reason', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN });
    const peer = await RawPeer.connect(served.addr);
    const hello = encodeHello(TOKEN);
    hello[4] = 9;
    peer.socket.write(hello);
    assert.equal(await peer.refusal(), 'malformed hello: version 9');
    await served.logs.waitFor('refusing peer: malformed hello: version 9');
  });

  it('NA-5 a peer that says nothing is refused after handshakeTimeoutMs', T, async () => {
    const served = await serveWith('tcp:127.0.0.1:0', { token: TOKEN, handshakeTimeoutMs: 50 });
    const peer = await RawPeer.connect(served.addr);
    assert.equal(await peer.refusal(), 'no credentials within 50ms');
    await assertStillServing(served, TOKEN);
  });

  it('NA-7 close() lets go of the connections in the gate: join() resolves', T, async () => {
    let asked = 0;
    const served = await serveWith('tcp:127.0.0.1:0', {
      authorize: () => {
        asked++;
        return new Promise<boolean>(() => {}); // never decides: the connection stays in the gate
      },
    });
    const peer = await RawPeer.connect(served.addr);
    peer.socket.write(sessionBytes());
    await waitFor(() => asked === 1, 'authorize to be asked');
    served.rx.close('test over');
    await served.rx.join();
    await waitFor(() => peer.closed, 'the held connection to be closed');
    assert.equal(served.rx.sessionCount, 0);
  });
});

describe('net admission: authorize(peer) (NA-4, NA-8)', () => {
  it('NA-8 authorize sees the peer: transport, address, whether the token verified', T, async () => {
    const peers: NetPeer[] = [];
    const served = await serveWith('tcp:127.0.0.1:0', {
      token: TOKEN,
      authorize: (peer) => {
        peers.push(peer);
        return true;
      },
    });
    const tx = dialWith(served.addr, TOKEN);
    await tx.send(1);
    assert.equal(peers.length, 1);
    const peer = peers[0]!;
    assert.equal(peer.transport, 'tcp');
    assert.match(peer.remoteAddress, /^127\.0\.0\.1:[1-9]\d*$/);
    assert.equal(peer.tokenVerified, true);
    assert.equal(peer.certificate, undefined);
  });

  it('NA-4 authorize refuses (false, a rejected promise, a throw): the client sees "refused by authorize"; the throw is logged, not sent', T, async () => {
    let verdict: () => boolean | Promise<boolean> = () => false;
    const served = await serveWith('tcp:127.0.0.1:0', { authorize: () => verdict() });
    for (const [v, logged] of [
      [() => false, 'refusing peer: refused by authorize'],
      [() => Promise.reject(new Error('no such peer')), 'refusing peer: authorize threw: no such peer'],
      [
        () => {
          throw new Error('boom');
        },
        'refusing peer: authorize threw: boom',
      ],
    ] as const) {
      verdict = v;
      const tx = dialWith(served.addr, undefined);
      await assertRefused(tx, returnOf(tx, 1), 'refused by authorize');
      await served.logs.waitFor(logged);
    }
    assert.equal(served.rx.sessionCount, 0);
    verdict = () => Promise.resolve(true);
    await assertStillServing(served, undefined);
  });
});

/** Counts the additions it answers. */
class CountingAdder implements Actor<AddMsg> {
  handled = 0;
  handle(cx: Context<AddMsg>, msg: AddMsg): void {
    this.handled++;
    msg.reply.send(cx, { sum: msg.a + msg.b, by: String(cx.selfId) });
  }
}

describe('net admission: Proc.direct (NA-8)', () => {
  const procs: Proc[] = [];
  afterEach(async () => {
    const stopping = procs.splice(0);
    await Promise.all(stopping.map((p) => p.flush()));
    await Promise.all(stopping.map((p) => p.stopServing('test over')));
  });
  async function direct(name: string, options: DirectProcOptions): Promise<Proc> {
    const proc = await Proc.direct('tcp:127.0.0.1:0', name, {
      logger: quiet,
      ...options,
      serve: { logger: quiet, ...options.serve },
      dial: { logger: quiet, ...options.dial },
    });
    procs.push(proc);
    return proc;
  }

  it('serve.auth reaches the proc: a proc with the token talks; one with a wrong token gets its envelope back unauthorized', T, async () => {
    const peers: NetPeer[] = [];
    const server = await direct('server', { serve: { auth: { token: TOKEN, authorize: (peer) => (peers.push(peer), true) } } });
    const adder = new CountingAdder();
    const adderRef: ActorRef<AddMsg> = server.spawn('adder', adder).bind();

    const friend = await direct('friend', { dial: { auth: { token: TOKEN } } });
    const [friendClient] = friend.instance('client');
    const [reply, answer] = friendClient.openOncePort<Sum>();
    adderRef.send(friendClient, { type: 'add', a: 2, b: 3, reply: reply.bind() });
    assert.equal((await answer.recv()).sum, 5);

    const stranger = await direct('stranger', { dial: { auth: { token: 'guessed' } } });
    const [strangerClient] = stranger.instance('client');
    const sender = new Returns();
    const handle = stranger.spawn('sender', sender);
    handle.bind(); // binds its Undeliverable port, where returns come
    const [reply2] = strangerClient.openOncePort<Sum>();
    handle.send(strangerClient, { type: 'send', to: adderRef, a: 1, b: 1, reply: reply2.bind() });
    const back = await sender.returns.next();
    assert.ok(back.envelope.dest.actor.equals(adderRef.actorId));
    assert.match(back.envelope.errorMessage() ?? '', /unauthorized: server refused the connection: wrong token$/);
    assert.equal(adder.handled, 1);
    assert.equal(peers.length, 1, 'authorize saw the friend only (the stranger failed the token first)');
    assert.equal(peers[0]!.tokenVerified, true);
  });
});
