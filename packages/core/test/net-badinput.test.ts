/**
 * Peers that do not speak the protocol (NR-4, NF-1..3): random bytes, a wrong-magic preamble, a
 * 2^50 length prefix, a truncated frame, an unknown tag, a frame without a seq, an undecodable
 * payload. Each is cut off or rejected with a logged reason, and the server keeps serving a
 * well-behaved client afterwards.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ChannelAddr } from '../src/addr.js';
import type { Codec } from '../src/channel/net/options.js';
import { serveNet, type NetRx } from '../src/channel/net/rx.js';
import { dialNet } from '../src/channel/net/tx.js';
import { FRAME_HEADER_LEN, encodeMessageFrame, encodePreamble, writeFrameHeader } from '../src/channel/net/wire.js';
import { RawClient, captureLogger, seededBytes, type CapturedLogs } from './fixtures/net-helpers.js';

const open: { close(): void }[] = [];
afterEach(() => {
  for (const endpoint of open.splice(0)) endpoint.close();
});

/** A codec over numbers that refuses the byte 0xff on decode. */
const picky: Codec<number> = {
  encode: (m) => Uint8Array.of(m),
  decode(bytes) {
    if (bytes[0] === 0xff) throw new Error('0xff is not a number here');
    return bytes[0]!;
  },
};

async function server(): Promise<{ addr: ChannelAddr; rx: NetRx<number>; logs: CapturedLogs }> {
  const logs = captureLogger();
  const [addr, rx] = await serveNet<number>(ChannelAddr.parse('tcp:127.0.0.1:0'), { codec: picky, logger: logs.logger, codecMaxFrameLength: 1 << 20 });
  open.push(rx);
  return { addr, rx, logs };
}

async function raw(addr: ChannelAddr): Promise<RawClient> {
  const client = await RawClient.connect(addr);
  open.push({ close: () => client.destroy() });
  return client;
}

/** The server still serves: a fresh Tx gets a message through. */
async function stillServing(addr: ChannelAddr, rx: NetRx<number>): Promise<void> {
  const tx = dialNet<number>(addr, { codec: picky, logger: captureLogger().logger });
  open.push(tx);
  tx.post(42);
  assert.equal(await rx.recv(), 42);
}

function header(tag: number, length: number): Buffer {
  const buf = Buffer.alloc(FRAME_HEADER_LEN);
  writeFrameHeader(buf, 0, tag, length);
  return buf;
}

describe('net server against bad input', () => {
  it('cuts off a peer that sends random bytes', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    peer.write(seededBytes(0x5eed, 4096));
    await peer.closed;
    assert.ok(logs.has('cutting off peer: bad preamble'), logs.lines.join(''));
    await stillServing(addr, rx);
  });

  it('cuts off a preamble with the wrong magic', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    const preamble = encodePreamble(1n);
    preamble.write('XYZ', 0, 'latin1');
    peer.write(preamble);
    await peer.closed;
    assert.ok(logs.has('cutting off peer: bad preamble: magic 58595a00 is not \\"LNK\\\\0\\"'), logs.lines.join(''));
    await stillServing(addr, rx);
  });

  it('rejects a 2^50 length prefix without buffering it', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    peer.write(Buffer.concat([encodePreamble(2n), header(0, 2 ** 50)]));
    const reason = `frame length ${2 ** 50} exceeds the maximum ${1 << 20}`;
    assert.deepEqual(await peer.next(), { kind: 'reject', reason });
    await peer.closed;
    assert.ok(logs.has(reason));
    await stillServing(addr, rx);
  });

  it('drops a truncated frame when the peer ends mid-frame', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    peer.write(Buffer.concat([encodePreamble(3n), header(0, 100), Buffer.alloc(10)]));
    peer.end();
    await peer.closed;
    assert.ok(logs.has('cutting off peer: connection closed mid-frame (unexpected EOF)'));
    assert.equal(rx.buffered, 0);
    await stillServing(addr, rx);
  });

  it('cuts off a frame with an unknown tag', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    peer.write(Buffer.concat([encodePreamble(4n), encodeMessageFrame(0, Uint8Array.of(1), 7)]));
    await peer.closed;
    assert.ok(logs.has('cutting off peer: unexpected frame tag 7 on a simplex channel'));
    await stillServing(addr, rx);
  });

  it('cuts off a message frame too short to hold a seq', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    peer.write(Buffer.concat([encodePreamble(5n), header(0, 3), Buffer.alloc(3)]));
    await peer.closed;
    assert.ok(logs.has('cutting off peer: message frame of 3 bytes has no sequence number'));
    await stillServing(addr, rx);
  });

  it('rejects a session whose payload the codec cannot decode', { timeout: 10_000 }, async () => {
    const { addr, rx, logs } = await server();
    const peer = await raw(addr);
    peer.write(Buffer.concat([encodePreamble(6n), encodeMessageFrame(0, Uint8Array.of(0xff))]));
    const reason = 'failed to decode message seq 0: 0xff is not a number here';
    assert.deepEqual(await peer.next(), { kind: 'reject', reason });
    await peer.closed;
    assert.ok(logs.has(reason));
    await stillServing(addr, rx);
  });

  it('keeps serving a good client while bad peers come and go', { timeout: 10_000 }, async () => {
    const { addr, rx } = await server();
    const tx = dialNet<number>(addr, { codec: picky, logger: captureLogger().logger });
    open.push(tx);
    for (let round = 0; round < 5; round++) {
      tx.post(round);
      const peer = await raw(addr);
      peer.write(seededBytes(round, 64));
      await peer.closed;
      assert.equal(await rx.recv(), round);
    }
  });
});
