/**
 * Sequencing (spec §1.13, §3.2): `SEQ_INFO` sessions per sender, one sequence per destination
 * actor for its handler ports and one per non-actor port, and the destination reorder buffer
 * (SQ-3). Ports upstream's `test_sequencing_actor_handle_basic`,
 * `test_sequencing_mixed_handler_and_non_handler_ports`, `test_sequencing_multiple_clients`,
 * `test_sequencing_actor_handle_callback`, `test_sequencing_actor_ref_known_delivery_order`,
 * `test_sequencing_actor_ref_random_delivery_order`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ACTOR_PORT,
  ChannelAddr,
  Proc,
  ProcId,
  type Actor,
  type Context,
  type Headers,
  type MessageEnvelope,
  type PortRef,
  type ReturnHandle,
} from '../src/index.js';
import { BaseMailboxSender, SeqInfo, Sequencer } from '../src/transport.js';
import { uuidv7 } from '../src/sequencing.js';
import { ReorderBuffer, SequenceError } from '../src/sequencing.js';
import { Recorder, prng } from '../src/testing.js';

const T = { timeout: 20_000 };

type SeqMsg = { type: 'get'; text: string } | { type: 'callback'; reply: PortRef<PortRef<string>> };

/** Replies with each message and the `SEQ_INFO` it arrived with (upstream `GetSeqActor`). */
class GetSeqActor implements Actor<SeqMsg> {
  constructor(private readonly port: PortRef<[string, SeqInfo | undefined]>) {}
  async handle(cx: Context<SeqMsg>, msg: SeqMsg): Promise<void> {
    if (msg.type === 'get') {
      this.port.send(cx, [msg.text, cx.headers.seq_info]);
      return;
    }
    // Hand out a callback port, then wait on it inside this handler.
    const [handle, receiver] = cx.openPort<string>();
    msg.reply.send(cx, handle.bind());
    const text = await receiver.recv();
    this.port.send(cx, [text, cx.headers.seq_info]);
  }
}

const session = (sessionId: string, seq: number): SeqInfo => ({ kind: 'session', sessionId, seq });

function setup(options?: { reorder?: boolean }) {
  const proc = Proc.local(options?.reorder === undefined ? undefined : { config: { enableDestActorReorderingBuffer: options.reorder } });
  const [client] = proc.instance('client');
  const [tx, rx] = client.openPort<[string, SeqInfo | undefined]>();
  const handle = proc.spawn('get_seq', new GetSeqActor(tx.bind()));
  return { proc, client, rx, handle };
}

describe('SEQ_INFO sessions (§1.13, SQ-1, SQ-2)', () => {
  it('test_sequencing_actor_handle_basic: unbound handle sends are direct; then handle and ref sends share one sequence (§1.13)', T, async () => {
    const { client, rx, handle } = setup();
    handle.send(client, { type: 'get', text: 'unbound' });
    assert.deepEqual(await rx.recv(), ['unbound', SeqInfo.direct]);
    const ref = handle.bind();
    const id = client.sequencer.sessionId;
    let expected = 0;
    for (let m = 0; m < 10; m++) {
      handle.send(client, { type: 'get', text: `${m}` });
      assert.deepEqual(await rx.recv(), [`${m}`, session(id, ++expected)]);
      for (let n = 0; n < 2; n++) {
        ref.send(client, { type: 'get', text: `${m}-${n}` });
        assert.deepEqual(await rx.recv(), [`${m}-${n}`, session(id, ++expected)]);
      }
    }
  });

  it('test_sequencing_mixed_handler_and_non_handler_ports: a non-actor port has its own sequence (§1.13)', T, async () => {
    const { client, rx, handle } = setup();
    const ref = handle.bind();
    const plain = new Recorder<SeqInfo | undefined>();
    const mailbox = client.mailbox;
    const nonHandler = mailbox.openEnqueuePort<null>(mailbox.allocatePort(), (_v, headers: Headers) => plain.push(headers.seq_info), 'unit');
    const portId = nonHandler.bind().portId;
    assert.equal(portId.isActorPort, false);
    const id = client.sequencer.sessionId;
    handle.send(client, { type: 'get', text: 'msg1' });
    assert.deepEqual((await rx.recv())[1], session(id, 1));
    ref.send(client, { type: 'get', text: 'msg2' });
    assert.deepEqual((await rx.recv())[1], session(id, 2));
    nonHandler.send(client, null);
    assert.deepEqual(await plain.next(), session(id, 1));
    handle.send(client, { type: 'get', text: 'msg3' });
    assert.deepEqual((await rx.recv())[1], session(id, 3));
    nonHandler.send(client, null);
    await plain.atLeast(2);
    assert.deepEqual(plain.items[1], session(id, 2));
    ref.send(client, { type: 'get', text: 'msg4' });
    assert.deepEqual((await rx.recv())[1], session(id, 4));
  });

  it('test_sequencing_multiple_clients: each sender has its own session and sequence (SQ-2)', T, async () => {
    const { proc, client: client1, rx, handle } = setup();
    const [client2] = proc.instance('client2');
    const ref = handle.bind();
    const s1 = client1.sequencer.sessionId;
    const s2 = client2.sequencer.sessionId;
    assert.notEqual(s1, s2);
    handle.send(client1, { type: 'get', text: 'c1_msg1' });
    assert.deepEqual((await rx.recv())[1], session(s1, 1));
    handle.send(client2, { type: 'get', text: 'c2_msg1' });
    assert.deepEqual((await rx.recv())[1], session(s2, 1));
    ref.send(client1, { type: 'get', text: 'c1_msg2' });
    assert.deepEqual((await rx.recv())[1], session(s1, 2));
    ref.send(client2, { type: 'get', text: 'c2_msg2' });
    assert.deepEqual((await rx.recv())[1], session(s2, 2));
    handle.send(client1, { type: 'get', text: 'c1_msg3' });
    assert.deepEqual((await rx.recv())[1], session(s1, 3));
    ref.send(client2, { type: 'get', text: 'c2_msg3' });
    assert.deepEqual((await rx.recv())[1], session(s2, 3));
  });

  it('test_sequencing_actor_handle_callback: a handler waiting on its own non-actor port does not deadlock (§3.2)', T, async () => {
    const { client, rx, handle } = setup({ reorder: true });
    const ref = handle.bind();
    const [callbackTx, callbackRx] = client.openPort<PortRef<string>>();
    ref.send(client, { type: 'callback', reply: callbackTx.bind() });
    const messagePort = await callbackRx.recv();
    messagePort.send(client, 'finally');
    assert.deepEqual(await rx.recv(), ['finally', session(client.sequencer.sessionId, 1)]);
  });

  it('the instance id is the sequencer session, a UUIDv7 (§1.6, §1.13)', () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    assert.equal(client.instanceId, client.sequencer.sessionId);
    assert.match(client.instanceId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.notEqual(uuidv7(), uuidv7());
  });

  it('SQ-1: a Sequencer numbers per destination actor for actor ports, per port otherwise, from 1 (§1.13)', () => {
    const proc = new ProcId(ChannelAddr.local(0), 'test');
    const a = proc.actorId('a');
    const seq = new Sequencer('s');
    assert.deepEqual(seq.assignSeq(a.portId(ACTOR_PORT.HANDLER)), session('s', 1));
    assert.deepEqual(seq.assignSeq(a.portId(ACTOR_PORT.UNDELIVERABLE)), session('s', 2), 'actor ports of one actor share');
    assert.deepEqual(seq.assignSeq(a.portId(1024)), session('s', 1));
    assert.deepEqual(seq.assignSeq(a.portId(1025)), session('s', 1));
    assert.deepEqual(seq.assignSeq(proc.actorId('b').portId(ACTOR_PORT.HANDLER)), session('s', 1));
  });

  it('SeqInfo display: "{uuid}:{seq}" or "direct" (§1.13)', () => {
    assert.equal(SeqInfo.display(session('abc', 3)), 'abc:3');
    assert.equal(SeqInfo.display(SeqInfo.direct), 'direct');
  });
});

/**
 * The forwarder of a "remote" proc that holds `orders.length` envelopes, then relays them to
 * `dest` in the order `orders` gives by sequence number (upstream `DelayedMailboxSender`).
 */
class DelayedMailboxSender extends BaseMailboxSender {
  private readonly held: MessageEnvelope[] = [];
  constructor(
    private readonly dest: Proc,
    private readonly orders: readonly number[],
    private readonly returnHandle: ReturnHandle,
  ) {
    super();
  }
  postUnchecked(envelope: MessageEnvelope): void {
    this.held.push(envelope);
    if (this.held.length < this.orders.length) return;
    const relay: MessageEnvelope[] = new Array<MessageEnvelope>(this.orders.length);
    for (const m of this.held) {
      const info = m.headers.seq_info;
      assert.ok(info?.kind === 'session');
      relay[this.orders[info.seq - 1] as number] = m;
    }
    for (const m of relay) this.dest.post(m, this.returnHandle);
  }
}

async function assertOutOfOrderDelivery(reorder: boolean, expected: [string, number][], orders: number[]): Promise<void> {
  const { proc, client, rx, handle } = setup({ reorder });
  const ref = handle.bind();
  const [returnHandle] = client.openPort<never>();
  const remote = Proc.configured(new ProcId(ChannelAddr.local(0), 'test_remote_0'), new DelayedMailboxSender(proc, orders, returnHandle as never));
  const [remoteClient] = remote.instance('remote');
  for (const [text] of [...expected].sort((x, y) => x[1] - y[1])) ref.send(remoteClient, { type: 'get', text });
  const id = remoteClient.sequencer.sessionId;
  for (const [text, seq] of expected) assert.deepEqual(await rx.recv(), [text, session(id, seq)]);
}


describe('the destination reorder buffer (§1.13 OrderedSender, SQ-3)', () => {
  it('test_sequencing_actor_ref_known_delivery_order: without the buffer, arrival order (§1.13)', T, async () => {
    await assertOutOfOrderDelivery(false, [['second', 2], ['third', 3], ['first', 1]], [2, 0, 1]);
  });

  it('test_sequencing_actor_ref_known_delivery_order: with the buffer, send order (§1.13)', T, async () => {
    await assertOutOfOrderDelivery(true, [['first', 1], ['second', 2], ['third', 3]], [2, 0, 1]);
  });

  it('test_sequencing_actor_ref_random_delivery_order: 10000 shuffled messages come out in send order (§1.13)', T, async () => {
    const n = 10_000;
    const orders = Array.from({ length: n }, (_, i) => i);
    const random = prng(0x5eed);
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [orders[i], orders[j]] = [orders[j] as number, orders[i] as number];
    }
    await assertOutOfOrderDelivery(true, Array.from({ length: n }, (_, i) => [`msg${i}`, i + 1] as [string, number]), orders);
  });

  it('duplicates are dropped; direct messages bypass; seq 0 and a missing SEQ_INFO are rejected (SQ-3)', () => {
    const out: string[] = [];
    const buffer = new ReorderBuffer<string>((item) => out.push(item));
    assert.equal(buffer.accept(session('s', 2), 'b'), 'buffered');
    assert.equal(buffer.accept(SeqInfo.direct, 'direct'), 'delivered');
    assert.equal(buffer.accept(session('s', 1), 'a'), 'delivered');
    assert.equal(buffer.accept(session('s', 1), 'a again'), 'duplicate');
    assert.equal(buffer.accept(session('t', 1), 'other session'), 'delivered');
    assert.deepEqual(out, ['direct', 'a', 'b', 'other session']);
    assert.equal(buffer.buffered, 0);
    assert.throws(() => buffer.accept(session('s', 0), 'zero'), SequenceError);
    assert.throws(() => buffer.accept(undefined, 'none'), SequenceError);
  });

  it('with the buffer on, local handle and ref sends still arrive in order (§3.2)', T, async () => {
    const { client, rx, handle } = setup({ reorder: true });
    const ref = handle.bind();
    handle.send(client, { type: 'get', text: 'a' });
    ref.send(client, { type: 'get', text: 'b' });
    handle.send(client, { type: 'get', text: 'c' });
    assert.deepEqual([(await rx.recv())[0], (await rx.recv())[0], (await rx.recv())[0]], ['a', 'b', 'c']);
  });
});
