/**
 * The routing layer (spec §1.5): `MailboxMuxer`, `MailboxRouter` (longest prefix, fallback),
 * `DialMailboxRouter` with an injected dialer (address book, cached clients, eviction, dial
 * failures), the terminal senders, `WeakProc`, `MailboxClient` and `MailboxServer.serve(rx)` over
 * a local channel (two procs talking).
 */
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, it } from 'node:test';
import {
  BaseMailboxSender,
  DialMailboxRouter,
  Mailbox,
  MailboxClient,
  MailboxMuxer,
  MailboxRouter,
  MailboxServer,
  PanickingMailboxSender,
  UndeliverableMailboxSender,
  UnroutableMailboxSender,
  dialLocal,
  onAbandoned,
  serveLocal,
} from '../src/transport.js';
import {
  ChannelAddr,
  MessageEnvelope,
  PanicError,
  PortRef,
  Proc,
  ProcId,
  Reference,
  type Actor,
  type Context,
  type OncePortRef,
  type ReturnHandle,
  type Undeliverable,
} from '../src/index.js';
import { ProcSupervisionCoordinator, Recorder } from '../src/testing.js';
import { Bouncing, TestActor, sync } from './fixtures/actors.js';

const T = { timeout: 10_000 };

/** Replies with the text it got (its messages cross procs: a ref nested in the message). */
class Echo implements Actor<{ text: string; reply: OncePortRef<string> }> {
  handle(cx: Context<{ text: string; reply: OncePortRef<string> }>, msg: { text: string; reply: OncePortRef<string> }): void {
    msg.reply.send(cx, msg.text);
  }
}

/** A sender that records what reaches it. */
class Recording extends BaseMailboxSender {
  readonly envelopes: MessageEnvelope[] = [];
  flushes = 0;
  constructor(readonly label = 'recording') {
    super();
  }
  postUnchecked(envelope: MessageEnvelope): void {
    this.envelopes.push(envelope);
  }
  override flush(): Promise<void> {
    this.flushes++;
    return Promise.resolve();
  }
}

const procP = new ProcId(ChannelAddr.local(0), 'p');
const procQ = new ProcId(ChannelAddr.parse('tcp:127.0.0.1:4000'), 'q');
const sender = procP.actorId('sender');

function env(dest: ReturnType<ProcId['actorId']>, index = 16): MessageEnvelope {
  return new MessageEnvelope(sender, dest.portId(index), new Uint8Array(), {}, 64);
}

/** A return handle whose returns can be awaited. */
function returns(): { rh: ReturnHandle; back: Recorder<Undeliverable> } {
  const mailbox = new Mailbox(procP.actorId('returns'), new PanickingMailboxSender());
  const back = new Recorder<Undeliverable>();
  const rh = mailbox.openEnqueuePort<Undeliverable>(mailbox.allocatePort(), (u) => back.push(u), 'Undeliverable');
  return { rh, back };
}

let off: (() => void) | undefined;
afterEach(() => {
  off?.();
  off = undefined;
});

describe('MailboxMuxer (§1.5)', () => {
  it('routes by the full actor id; bind refuses to replace (§1.5)', () => {
    const muxer = new MailboxMuxer();
    const a = new Mailbox(procP.actorId('a'), new PanickingMailboxSender());
    assert.equal(muxer.bind(a.actorId, a), true);
    assert.equal(muxer.bind(a.actorId, new Mailbox(a.actorId, new PanickingMailboxSender())), false);
    assert.equal(muxer.get(a.actorId), a);
  });

  it('an unknown actor: "no mailbox for actor {id} registered in muxer" (§1.5)', T, async () => {
    const muxer = new MailboxMuxer();
    const { rh, back } = returns();
    muxer.post(env(procP.actorId('ghost')), rh);
    const u = await back.next();
    assert.equal(u.envelope.errorMessage(), `address not routable: no mailbox for actor ${procP.actorId('ghost')} registered in muxer`);
  });
});

describe('MailboxRouter (§1.5)', () => {
  it('the longest prefix wins: an exact port route over its proc\'s route (§1.5, ID-3)', () => {
    const router = new MailboxRouter();
    const viaProc = new Recording('proc');
    const viaPort = new Recording('port');
    router.bind(Reference.proc(procP), viaProc);
    router.bind(Reference.port(procP.actorId('x').portId(16)), viaPort);
    const { rh } = returns();
    router.post(env(procP.actorId('x')), rh);
    router.post(env(procP.actorId('y')), rh);
    router.post(env(procP.actorId('x'), 1024), rh);
    assert.equal(viaPort.envelopes.length, 1);
    assert.equal(viaProc.envelopes.length, 2);
  });

  it('an actor route matches only that actor reference, not its ports (ID-3: actor prefixes are exact)', () => {
    const router = new MailboxRouter();
    const viaProc = new Recording('proc');
    const viaActor = new Recording('actor');
    router.bind(Reference.proc(procP), viaProc);
    router.bind(Reference.actor(procP.actorId('x')), viaActor);
    const { rh } = returns();
    router.post(env(procP.actorId('x')), rh);
    assert.deepEqual([viaActor.envelopes.length, viaProc.envelopes.length], [0, 1]);
  });

  it('a miss: "no destination found for actor in routing table" (§1.5)', T, async () => {
    const router = new MailboxRouter();
    router.bind(Reference.proc(procP), new Recording());
    const { rh, back } = returns();
    router.post(env(procQ.actorId('x')), rh);
    assert.equal((await back.next()).envelope.errorMessage(), 'address not routable: no destination found for actor in routing table');
  });

  it('fallback(default) sends misses to the default (§1.5)', () => {
    const fallback = new Recording();
    const router = new MailboxRouter().fallback(fallback);
    router.bind(Reference.proc(procP), new Recording());
    const { rh } = returns();
    router.post(env(procQ.actorId('x')), rh);
    assert.equal(fallback.envelopes.length, 1);
  });

  it('unbind(prefix) removes every route under it; bind replaces a route (§1.5)', () => {
    const router = new MailboxRouter();
    const first = new Recording();
    const second = new Recording();
    const fallback = new Recording();
    router.fallback(fallback);
    router.bind(Reference.proc(procP), first);
    router.bind(Reference.proc(procP), second);
    const { rh } = returns();
    router.post(env(procP.actorId('x')), rh);
    assert.deepEqual([first.envelopes.length, second.envelopes.length], [0, 1]);
    router.bind(Reference.port(procP.actorId('x').portId(16)), first);
    router.unbind(Reference.proc(procP));
    router.post(env(procP.actorId('x')), rh);
    assert.equal(fallback.envelopes.length, 1);
  });

  it('flush flushes every route and the fallback (§1.5)', T, async () => {
    const a = new Recording();
    const b = new Recording();
    const router = new MailboxRouter().fallback(b);
    router.bind(Reference.proc(procP), a);
    await router.flush();
    assert.deepEqual([a.flushes, b.flushes], [1, 1]);
  });
});

describe('DialMailboxRouter with an injected dialer (§1.5)', () => {
  function dialing(options?: { fail?: boolean; remoteOnly?: boolean; fallback?: Recording }) {
    const dialed: string[] = [];
    const clients = new Map<string, Recording>();
    const router = new DialMailboxRouter(
      (addr) => {
        dialed.push(String(addr));
        if (options?.fail === true) throw new Error(`connection refused: ${addr}`);
        const client = new Recording(String(addr));
        clients.set(String(addr), client);
        return client;
      },
      options?.fallback,
      options?.remoteOnly,
    );
    return { router, dialed, clients };
  }

  it('a miss dials the address in the destination\'s ProcId, once (the client is cached) (§1.5)', () => {
    const { router, dialed, clients } = dialing();
    const { rh } = returns();
    router.post(env(procQ.actorId('x')), rh);
    router.post(env(procQ.actorId('y')), rh);
    assert.deepEqual(dialed, ['tcp:127.0.0.1:4000']);
    assert.equal(clients.get('tcp:127.0.0.1:4000')?.envelopes.length, 2);
  });

  it('the address book routes by longest prefix (§1.5)', () => {
    const { router, dialed } = dialing();
    const { rh } = returns();
    router.bind(Reference.proc(procQ), ChannelAddr.parse('tcp:127.0.0.1:5000'));
    router.bind(Reference.port(procQ.actorId('x').portId(16)), ChannelAddr.parse('tcp:127.0.0.1:6000'));
    router.post(env(procQ.actorId('x')), rh);
    router.post(env(procQ.actorId('y')), rh);
    assert.deepEqual(dialed, ['tcp:127.0.0.1:6000', 'tcp:127.0.0.1:5000']);
  });

  it('rebinding an address evicts its cached client; unbind falls back to the own address (§1.5)', () => {
    const { router, dialed } = dialing();
    const { rh } = returns();
    const a = ChannelAddr.parse('tcp:127.0.0.1:5000');
    const b = ChannelAddr.parse('tcp:127.0.0.1:5001');
    router.bind(Reference.proc(procQ), a);
    router.post(env(procQ.actorId('x')), rh);
    router.bind(Reference.proc(procQ), b);
    router.post(env(procQ.actorId('x')), rh);
    router.bind(Reference.proc(procQ), a);
    router.post(env(procQ.actorId('x')), rh);
    assert.deepEqual(dialed, [String(a), String(b), String(a)], 'the evicted client is dialed again');
    router.unbind(Reference.proc(procQ));
    router.post(env(procQ.actorId('x')), rh);
    assert.equal(dialed[dialed.length - 1], 'tcp:127.0.0.1:4000');
  });

  it('a dial failure: "cannot dial destination: ..." returned to the sender (§1.5)', T, async () => {
    const { router } = dialing({ fail: true });
    const { rh, back } = returns();
    router.post(env(procQ.actorId('x')), rh);
    assert.equal((await back.next()).envelope.errorMessage(), 'address not routable: cannot dial destination: connection refused: tcp:127.0.0.1:4000');
  });

  it('directAddressedRemoteOnly: a local destination missing from the book goes to the default (§1.5)', T, async () => {
    const fallback = new Recording();
    const { router, dialed } = dialing({ remoteOnly: true, fallback });
    const { rh } = returns();
    router.post(env(procP.actorId('x')), rh);
    router.post(env(procQ.actorId('x')), rh);
    assert.equal(fallback.envelopes.length, 1);
    assert.deepEqual(dialed, ['tcp:127.0.0.1:4000']);
  });

  it('the default default is unroutable: "destination not found in routing table" (§1.5)', T, async () => {
    const router = new DialMailboxRouter(() => new Recording(), undefined, true);
    const { rh, back } = returns();
    router.post(env(procP.actorId('x')), rh);
    assert.equal((await back.next()).envelope.errorMessage(), 'address not routable: destination not found in routing table');
  });

  it('flush flushes every cached client (§1.5)', T, async () => {
    const { router, clients } = dialing();
    const { rh } = returns();
    router.post(env(procQ.actorId('x')), rh);
    await router.flush();
    assert.equal(clients.get('tcp:127.0.0.1:4000')?.flushes, 1);
  });
});

describe('terminal senders and WeakProc (§1.5)', () => {
  it('PanickingMailboxSender throws PanicError("panic! in the mailbox! attempted post: {env}") (§1.5)', () => {
    const e = env(procQ.actorId('x'));
    const { rh } = returns();
    assert.throws(() => new PanickingMailboxSender().post(e, rh), (err: unknown) => err instanceof PanicError && err.message === `panic! in the mailbox! attempted post: ${e}`);
  });

  it('UndeliverableMailboxSender logs the envelope as abandoned and drops it (§1.5)', () => {
    const lost: MessageEnvelope[] = [];
    off = onAbandoned((e) => lost.push(e));
    const e = env(procQ.actorId('x'));
    const { rh, back } = returns();
    new UndeliverableMailboxSender().post(e, rh);
    assert.deepEqual(lost, [e]);
    assert.equal(back.items.length, 0);
  });

  it('UnroutableMailboxSender returns everything (§1.5)', T, async () => {
    const { rh, back } = returns();
    new UnroutableMailboxSender().post(env(procQ.actorId('x')), rh);
    assert.equal((await back.next()).envelope.errors[0]?.kind, 'unroutable');
  });

  it('downgrade(): a WeakProc that upgrades to the proc and posts into it (§2 downgrade)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const weak = proc.downgrade();
    assert.equal(weak.upgrade(), proc);
    const actor = new TestActor();
    const handle = proc.spawn('a', actor);
    const { rh } = returns();
    const { encodePayload } = await import('../src/transport.js');
    weak.post(new MessageEnvelope(client.selfId, handle.bind().port().portId, encodePayload({ type: 'record', value: 'weak' }), {}, 64), rh);
    await sync(client, handle);
    assert.deepEqual(actor.recorded, ['weak']);
  });

  it('a WeakProc whose proc is gone: "broken link: fail to upgrade WeakProc" (§1.5)', T, async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let proc: Proc | undefined = Proc.configured(new ProcId(ChannelAddr.local(0), 'weak'), new PanickingMailboxSender());
    const weak = proc.downgrade();
    proc = undefined;
    for (let i = 0; i < 5 && weak.upgrade() !== undefined; i++) {
      await new Promise((resolve) => setImmediate(resolve)); // WeakRefs hold their target for the current job
      gc();
    }
    assert.equal(weak.upgrade(), undefined);
    const { rh, back } = returns();
    weak.post(env(procP.actorId('x')), rh);
    assert.equal((await back.next()).envelope.errorMessage(), 'broken link: fail to upgrade WeakProc');
  });
});

describe('MailboxClient and MailboxServer over a local channel (§1.5)', () => {
  /** Two procs, each served on a local channel and dialing the other by its address. */
  function pair() {
    const dial = (addr: ChannelAddr) => new MailboxClient(dialLocal(addr));
    const [addrA, rxA] = serveLocal<MessageEnvelope>();
    const [addrB, rxB] = serveLocal<MessageEnvelope>();
    const a = Proc.configured(new ProcId(addrA, 'a'), new DialMailboxRouter(dial));
    const b = Proc.configured(new ProcId(addrB, 'b'), new DialMailboxRouter(dial));
    const serverA = MailboxServer.serve(a, rxA);
    const serverB = MailboxServer.serve(b, rxB);
    return { a, b, serverA, serverB };
  }

  it('a ref send crosses to the other proc and the reply comes back (§1.5, §3.1)', T, async () => {
    const { a, b, serverA, serverB } = pair();
    const [client] = a.instance('client');
    const echo = b.spawn('echo', new Echo());
    const [reply, answer] = client.openOncePort<string>();
    echo.bind().send(client, { text: 'across', reply: reply.bind() });
    assert.equal(await answer.recv(), 'across');
    await serverA.stop();
    await serverB.stop();
  });

  it('a message the remote proc cannot deliver comes back to the sender with "message was undeliverable" (§1.5)', T, async () => {
    const { a, b, serverA, serverB } = pair();
    ProcSupervisionCoordinator.set(a);
    const [client] = a.instance('client');
    const sender = new Bouncing();
    const handle = a.spawn('sender', sender);
    handle.bind();
    const ghost = b.procId.actorId('ghost');
    handle.send(client, { type: 'call', fn: (cx) => PortRef.attest<string>(ghost.portId(1024)).send(cx, 'hi') });
    const back = await sender.returns.next();
    assert.deepEqual(back.envelope.errors.map(String), [
      `address not routable: no mailbox for actor ${ghost} registered in muxer`,
      'broken link: message was undeliverable',
    ]);
    await serverA.stop();
    await serverB.stop();
  });

  it('a closed channel: MailboxClient returns "failed to enqueue in MailboxClient when processing buffer: ..." (§1.5)', T, async () => {
    const [addr, rx] = serveLocal<MessageEnvelope>();
    const client = new MailboxClient(dialLocal(addr));
    rx.close('gone');
    assert.equal(client.status, 'closed');
    const { rh, back } = returns();
    client.post(env(procQ.actorId('x')), rh);
    const u = await back.next();
    assert.ok(u.envelope.errorMessage()?.startsWith('broken link: failed to enqueue in MailboxClient when processing buffer: closed with reason '), u.envelope.errorMessage());
  });

  it('stop() ends the server loop even while it waits for a message (§1.5)', T, async () => {
    const [, rx] = serveLocal<MessageEnvelope>();
    const server = MailboxServer.serve(new Recording(), rx);
    await server.stop();
  });
});
