/**
 * Envelopes over a `nats:` session as interned records (channel/nats/records.ts) against a real
 * `nats-server`: every field survives and ids interned once per session stay in step when frames
 * are lost and resent (NRC-1, NS-1); a record encoded and then not sent (too large) resets the
 * decoder before the next one (NRC-3); records sent to a receiver whose codec is not the envelope
 * codec reject the session (NRC-1, NS-4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { ChannelAddr } from '../src/addr.js';
import { dial, serve } from '../src/channel/serve.js';
import { SendError } from '../src/channel/types.js';
import { NatsTx } from '../src/channel/nats/tx.js';
import { ProcId } from '../src/id.js';
import { MessageEnvelope, SeqInfo } from '../src/mailbox/envelope.js';
import { prng } from '../src/testing.js';
import { decodePayload, encodePayload } from '../src/wire/payload.js';
import { envelopeTupleCodec } from '../src/wire/envelope.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';

const T = { timeout: 30_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });

const procA = new ProcId(ChannelAddr.parse('nats://127.0.0.1:4222/app.a'), 'a');
const procB = new ProcId(ChannelAddr.parse('nats://127.0.0.1:4222/app.b'), 'b');

/** Envelope `n`: one of 40 senders (new ids keep coming: definitions in later records too). */
function envelope(n: number, data: Uint8Array = encodePayload({ n })): MessageEnvelope {
  return new MessageEnvelope(
    procA.actorId(`sender${n % 40}`, n % 3),
    procB.actorId('sink', 0).portId(16 + (n % 5)),
    data,
    { message_type: `type${n % 7}`, seq_info: SeqInfo.session(`session-${n % 11}`, n) },
    63,
    n % 2 === 0,
    [],
  );
}

function assertEnvelope(got: MessageEnvelope, n: number): void {
  const want = envelope(n);
  assert.equal(String(got.sender), String(want.sender), `sender of ${n}`);
  assert.equal(String(got.dest), String(want.dest), `dest of ${n}`);
  assert.deepEqual(decodePayload(got.data), { n }, `payload of ${n}`);
  assert.equal(got.headers.message_type, want.headers.message_type);
  assert.deepEqual(got.headers.seq_info, want.headers.seq_info);
  assert.equal(got.returnUndeliverable, want.returnUndeliverable);
}

describe('nats envelope records', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let url: string;
  let subjects = 0;
  const subject = (): string => `${url}/t.rec${subjects++}`;

  before(async () => {
    server = await NatsServer.start();
    url = `nats://${server.hostPort}`;
  });
  after(async () => {
    await server.dispose();
  });

  it('keeps the interning tables in step across lost and resent frames (NRC-1, NS-1)', T, async () => {
    // A relay drops ~10% of the Tx's frames (seeded): resends start in the middle of what the
    // decoder has seen, and only items not yet delivered are decoded again.
    const relayed = subject().split('/').pop() as string;
    const [addr, rx] = await serve<MessageEnvelope>(subject(), { logger: quiet, codec: envelopeTupleCodec });
    const nc: NatsConnection = await connect({ servers: server.hostPort });
    const random = prng(1515);
    let dropped = 0;
    nc.subscribe(relayed, {
      callback: (_err, msg) => {
        if (random() < 0.1) {
          dropped++;
          return;
        }
        nc.publish(addr.subject, msg.data, msg.reply !== undefined ? { reply: msg.reply } : {});
      },
    });
    await nc.flush();
    const tx = new NatsTx<MessageEnvelope>(addr.withSubject(relayed), { logger: quiet, codec: envelopeTupleCodec });
    const total = 3_000;
    for (let n = 0; n < total; n++) {
      tx.post(envelope(n));
      if (n % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
    }
    for (let n = 0; n < total; n++) assertEnvelope(await rx.recv(), n);
    await tx.flush();
    assert.ok(dropped > 0, 'the relay dropped frames');
    assert.ok(tx.resentCount > 0, 'the Tx resent');
    assert.equal(tx.pending, 0);
    tx.close();
    rx.close();
    await rx.join();
    await nc.close();
  });

  it('resets the decoder after a record that was encoded and not sent (NRC-3)', T, async () => {
    const [addr, rx] = await serve<MessageEnvelope>(subject(), { logger: quiet, codec: envelopeTupleCodec });
    const tx = dial<MessageEnvelope>(addr, { logger: quiet, codec: envelopeTupleCodec, codecMaxFrameLength: 4_096 }) as NatsTx<MessageEnvelope>;
    for (let n = 0; n < 10; n++) tx.post(envelope(n));
    // a new sender id defined in a record that is never sent: the next records must not refer to it
    const big = new MessageEnvelope(procA.actorId('only-in-the-big-one', 0), procB.actorId('sink', 0).portId(16), new Uint8Array(8_192), {}, 63, false, []);
    const back = await new Promise<SendError<MessageEnvelope>>((resolve) => tx.post(big, resolve));
    assert.equal(back.code, 'frame-too-large');
    const after = new MessageEnvelope(procA.actorId('only-in-the-big-one', 0), procB.actorId('sink', 0).portId(16), encodePayload({ n: -1 }), {}, 63, false, []);
    tx.post(after);
    for (let n = 10; n < 20; n++) tx.post(envelope(n));
    for (let n = 0; n < 10; n++) assertEnvelope(await rx.recv(), n);
    const got = await rx.recv();
    assert.equal(String(got.sender), String(after.sender));
    assert.deepEqual(decodePayload(got.data), { n: -1 });
    for (let n = 10; n < 20; n++) assertEnvelope(await rx.recv(), n);
    await tx.flush();
    assert.equal(tx.status(), 'active');
    tx.close();
    rx.close();
    await rx.join();
  });

  it('rejects a session of records at a receiver of another codec (NRC-1, NS-4)', T, async () => {
    const [addr, rx] = await serve<unknown>(subject(), { logger: quiet });
    const tx = dial<MessageEnvelope>(addr, { logger: quiet, codec: envelopeTupleCodec }) as NatsTx<MessageEnvelope>;
    const back = await new Promise<SendError<MessageEnvelope>>((resolve) => tx.post(envelope(0), resolve));
    assert.equal(back.code, 'closed');
    assert.equal(tx.closeError?.code, 'rejected');
    assert.match(tx.closeError?.message ?? '', /not the envelope codec/);
    rx.close();
    await rx.join();
  });
});
