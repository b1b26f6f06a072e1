/**
 * The net channel's writes on a round trip (issue 16; tx.ts NT-14): a message posted alone on an
 * idle link is one `socket.write` of one frame, not corked; messages posted together still go out
 * corked, as one batch, in order. Counts, not times: a behaviour of the Tx.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import { dial, serve } from '../src/channel/serve.js';
import type { Rx, Tx } from '../src/channel/types.js';

const quiet = pino({ level: 'silent' });
const open: { close(): void }[] = [];
const restore: (() => void)[] = [];
afterEach(() => {
  for (const undo of restore.splice(0)) undo();
  for (const endpoint of open.splice(0)) endpoint.close();
});

interface Write {
  readonly corked: number;
  readonly bytes: number;
}

/** Record the writes of the client sockets connected to `port` (the Tx's), from now on. */
function spyClientWrites(port: number): Write[] {
  const writes: Write[] = [];
  const proto = net.Socket.prototype;
  const original = proto.write;
  proto.write = function (this: net.Socket, ...args: Parameters<typeof original>) {
    const chunk = args[0];
    if (this.remotePort === port) writes.push({ corked: this.writableCorked, bytes: typeof chunk === 'string' ? chunk.length : chunk.length });
    return original.apply(this, args);
  } as typeof original;
  restore.push(() => {
    proto.write = original;
  });
  return writes;
}

async function link(): Promise<{ tx: Tx<number>; rx: Rx<number>; port: number }> {
  const [addr, rx] = await serve<number>('tcp:127.0.0.1:0', { logger: quiet });
  open.push(rx);
  const tx = dial<number>(addr, { logger: quiet });
  open.push(tx);
  tx.post(-1); // connect, preamble
  assert.equal(await rx.recv(), -1);
  const port = Number(String(addr).split(':').at(-1));
  return { tx, rx, port };
}

describe('net round trip writes (NT-14)', () => {
  it('a message posted alone on an idle link is one uncorked write', { timeout: 10_000 }, async () => {
    const { tx, rx, port } = await link();
    const writes = spyClientWrites(port);
    for (let i = 0; i < 20; i++) {
      tx.post(i);
      assert.equal(await rx.recv(), i);
    }
    assert.equal(writes.length, 20);
    assert.deepEqual(
      writes.filter((w) => w.corked !== 0),
      [],
    );
  });

  it('messages posted together go out as one corked batch, in order', { timeout: 10_000 }, async () => {
    const { tx, rx, port } = await link();
    const writes = spyClientWrites(port);
    for (let i = 0; i < 5; i++) tx.post(i);
    for (let i = 0; i < 5; i++) assert.equal(await rx.recv(), i);
    assert.equal(writes.length, 1);
    assert.equal(writes[0]!.corked, 1);
  });
});
