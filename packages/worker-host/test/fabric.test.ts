/**
 * `FabricRouter` (fabric.ts) with recording links, no workers: the ordered queue before a link
 * exists (FB-1), returns for procs that are gone (FB-2), `flush()` covering links still being
 * created (FB-3), and the router's memory of the last link following `peerGone`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChannelAddr, MessageEnvelope, ProcId, type ReturnHandle, type Undeliverable } from '@procmesh/core';
import { Mailbox, PanickingMailboxSender } from '@procmesh/core/transport';
import { Recorder } from '@procmesh/core/testing';
import { FabricRouter, type OutboundLink } from '../src/fabric.js';

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

/** An outbound link that records what it is sent; its `flush()` waits for `release()`. */
class RecordingLink implements OutboundLink {
  readonly sent: number[] = [];
  failed: string | undefined;
  private releases: (() => void)[] = [];
  private released = false;

  send(envelope: MessageEnvelope): void {
    this.sent.push(envelope.data[0] as number);
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
  fail(reason: string): void {
    this.failed = reason;
  }
  close(): void {}
}

/** True if `promise` is settled once the microtasks and tasks queued so far have run. */
async function settledSoon(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('FabricRouter', () => {
  it('FB-1: queues envelopes until the link exists, asks for it once, then sends them in order', T, () => {
    const requested: number[] = [];
    const router = new FabricRouter(1, (peer) => requested.push(peer));
    const { rh } = returns();
    for (let i = 0; i < 5; i++) router.post(envelope(i), rh);
    const link = new RecordingLink();
    router.attach(2, link);
    router.post(envelope(5), rh);
    assert.deepEqual(requested, [2]);
    assert.deepEqual(link.sent, [0, 1, 2, 3, 4, 5]);
  });

  it('FB-3: flush() waits for envelopes queued for a link still being created, until that link flushed', T, async () => {
    const router = new FabricRouter(1, () => {});
    const { rh } = returns();
    router.post(envelope(1), rh);
    const flushed = router.flush();
    assert.equal(await settledSoon(flushed), false);
    const link = new RecordingLink();
    router.attach(2, link);
    assert.equal(await settledSoon(flushed), false, 'resolved before the link flushed');
    link.release();
    await flushed;
    assert.deepEqual(link.sent, [1]);
  });

  it('FB-3: flush() resolves when the queued envelopes came back because the peer is gone (FB-2)', T, async () => {
    const router = new FabricRouter(1, () => {});
    const { rh, back } = returns();
    router.post(envelope(1), rh);
    const flushed = router.flush();
    router.peerGone(2, 'proc 2 stopped');
    await flushed;
    const returned = await back.next();
    assert.equal(returned.envelope.errorMessage(), 'broken link: proc 2 stopped');
  });

  it('FB-2: a link that was in use is forgotten when its peer is gone: later envelopes come back', T, async () => {
    const router = new FabricRouter(1, () => {});
    const { rh, back } = returns();
    const link = new RecordingLink();
    router.attach(2, link);
    router.post(envelope(1), rh);
    router.peerGone(2, 'proc 2 crashed');
    router.post(envelope(2), rh);
    assert.deepEqual(link.sent, [1]);
    assert.equal(link.failed, 'proc 2 crashed');
    assert.equal((await back.next()).envelope.data[0], 2);
  });
});
