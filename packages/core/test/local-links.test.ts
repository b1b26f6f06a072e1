/**
 * The lazily attached link (channel/lazy.ts, LZ-1..LZ-3) behind a `DialMailboxRouter` and a
 * `LocalLinkDialer` (mailbox/senders/local-dial.ts, LL-2), with a recording Tx and no workers:
 * the ordered queue before a link exists, returns for procs that are gone or never existed,
 * `flush()` covering links still being created, and the router's memory of the last
 * destination following a peer that went away. Ported from worker-host's FabricRouter tests
 * (FB-1..FB-3), which these invariants replace.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChannelAddr,
  MessageEnvelope,
  ProcId,
  SendError,
  type ReturnHandle,
  type Undeliverable,
} from '../src/index.js';
import {
  DialMailboxRouter,
  LazyTx,
  LocalLinkDialer,
  MailboxServer,
  PanickingMailboxSender,
  type ReturnCallback,
  type Tx,
  type TxStatus,
  Mailbox,
} from '../src/transport.js';
import { Recorder } from '../src/testing.js';

const T = { timeout: 10_000 };
const self = new ProcId(ChannelAddr.local(1), 'proc_1');
const sender = self.actorId('sender');
const peer2 = new ProcId(ChannelAddr.local(2), 'proc_2').actorId('sink');

function envelope(seq: number): MessageEnvelope {
  return new MessageEnvelope(sender, peer2.portId(16), Uint8Array.of(seq), {}, 64);
}

function returns(): { rh: ReturnHandle; back: Recorder<Undeliverable> } {
  const mailbox = new Mailbox(self.actorId('returns'), new PanickingMailboxSender());
  const back = new Recorder<Undeliverable>();
  const rh = mailbox.openEnqueuePort<Undeliverable>(mailbox.allocatePort(), (u) => back.push(u), 'Undeliverable');
  return { rh, back };
}

/** A Tx that records what it is posted; its `flush()` waits for `release()`. */
class RecordingTx implements Tx<MessageEnvelope> {
  readonly addr = ChannelAddr.local(2);
  readonly sent: number[] = [];
  closed: string | undefined;
  private releases: (() => void)[] = [];
  private released = false;

  post(message: MessageEnvelope, onReturn?: ReturnCallback<MessageEnvelope>): void {
    if (this.closed !== undefined) onReturn?.(new SendError('closed', message, this.closed));
    else this.sent.push(message.data[0] as number);
  }
  send(message: MessageEnvelope): Promise<void> {
    this.post(message);
    return Promise.resolve();
  }
  status(): TxStatus {
    return this.closed === undefined ? 'active' : 'closed';
  }
  onClose(): () => void {
    return () => {};
  }
  flush(): Promise<void> {
    if (this.released) return Promise.resolve();
    return new Promise((resolve) => this.releases.push(resolve));
  }
  release(): void {
    this.released = true;
    for (const resolve of this.releases) resolve();
    this.releases = [];
  }
  close(reason = 'closed'): void {
    this.closed = reason;
  }
}

/** A router over a dialer whose links the test attaches by hand (as a host would). */
function fabric(): { router: DialMailboxRouter; dialer: LocalLinkDialer; requested: number[]; link: (peer: number) => LazyTx<MessageEnvelope> } {
  const requested: number[] = [];
  const server = new MailboxServer(new PanickingMailboxSender());
  const dialer = new LocalLinkDialer({ proc: self, server, requestLink: (peer) => requested.push(peer) });
  const router = new DialMailboxRouter(dialer.dial);
  const links = (dialer as unknown as { links: Map<number, LazyTx<MessageEnvelope>> }).links;
  return { router, dialer, requested, link: (peer) => links.get(peer) as LazyTx<MessageEnvelope> };
}

/** True if `promise` is settled once the microtasks and tasks queued so far have run. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('lazily attached links (LZ, LL)', () => {
  it('LZ-1: queues envelopes until the link exists, asks for it once, then sends them in order', T, () => {
    const { router, requested, link } = fabric();
    const { rh } = returns();
    for (let i = 0; i < 5; i++) router.post(envelope(i), rh);
    const tx = new RecordingTx();
    link(2).attach(tx);
    router.post(envelope(5), rh);
    assert.deepEqual(requested, [2]);
    assert.deepEqual(tx.sent, [0, 1, 2, 3, 4, 5]);
  });

  it('LZ-3: flush() waits for envelopes queued for a link still being created, until that link flushed', T, async () => {
    const { router, link } = fabric();
    const { rh } = returns();
    router.post(envelope(1), rh);
    const flushed = router.flush();
    assert.equal(await settledSoon(flushed), false);
    const tx = new RecordingTx();
    link(2).attach(tx);
    assert.equal(await settledSoon(flushed), false, 'resolved before the link flushed');
    tx.release();
    await flushed;
    assert.deepEqual(tx.sent, [1]);
  });

  it('LZ-3: flush() resolves when the queued envelopes came back because the peer is gone (LL-2)', T, async () => {
    const { router, dialer } = fabric();
    const { rh, back } = returns();
    router.post(envelope(1), rh);
    const flushed = router.flush();
    dialer.peerGone(2, 'proc 2 stopped');
    await flushed;
    const returned = await back.next();
    assert.match(returned.envelope.errorMessage() ?? '', /^broken link: .*proc 2 stopped/);
  });

  it('LL-2: an envelope for a proc that never existed comes back as unroutable', T, async () => {
    const { router, dialer } = fabric();
    const { rh, back } = returns();
    router.post(envelope(1), rh);
    dialer.noSuchPeer(2);
    assert.match((await back.next()).envelope.errorMessage() ?? '', /^address not routable: no proc local:2/);
  });

  it('LL-2: a link that was in use is closed when its peer is gone: later envelopes come back', T, async () => {
    const { router, dialer, link } = fabric();
    const { rh, back } = returns();
    const tx = new RecordingTx();
    link(2);
    router.post(envelope(0), rh); // dials (the router remembers this destination)
    link(2).attach(tx);
    router.post(envelope(1), rh);
    dialer.peerGone(2, 'proc 2 crashed');
    router.post(envelope(2), rh);
    assert.deepEqual(tx.sent, [0, 1]);
    assert.equal(tx.closed, 'proc 2 crashed');
    assert.equal((await back.next()).envelope.data[0], 2);
  });
});
