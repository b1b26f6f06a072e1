/**
 * Two OS processes, one system (issue 5, spec §2 `Proc::direct`): this process and a child
 * `node` process each run a direct proc on tcp loopback. Requests go by `ActorRef` from here to
 * the child's actors, replies come back to ports here; the child's actor also calls back into
 * an actor here by a ref passed in the message. The child exits on its own (code 0) once told
 * to stop: nothing keeps a stopped direct proc's process alive.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ActorId, ActorRef, Proc, type Instance } from '@procmesh/core';
import { Adder, type AddMsg, type Asked, type AskMsg, type PeerReady, type Sum } from './fixtures/direct-actors.js';

const T = { timeout: 30_000 };
const peerScript = fileURLToPath(new URL('./fixtures/direct-peer.js', import.meta.url));

/** Start the peer process and read its `READY` line. */
async function startPeer(): Promise<{ child: ChildProcess; ready: PeerReady }> {
  const child = spawn(process.execPath, [peerScript, 'tcp:127.0.0.1:0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`peer exited with code ${String(code)} before it was ready`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      if (line.startsWith('READY ')) return JSON.parse(line.slice('READY '.length)) as PeerReady;
    }
    throw new Error('peer closed stdout before it was ready');
  })();
  return { child, ready: await Promise.race([ready, exited]) };
}

describe('Proc.direct across two OS processes (§2)', () => {
  let peer: { child: ChildProcess; ready: PeerReady };
  let proc: Proc;
  let client: Instance<never>;
  let adderHere: ActorRef<AddMsg>;
  let adderThere: ActorRef<AddMsg>;
  let askerThere: ActorRef<AskMsg>;

  before(async () => {
    peer = await startPeer();
    proc = await Proc.direct('tcp:127.0.0.1:0', 'test');
    [client] = proc.instance('client');
    adderHere = proc.spawn('adder', new Adder()).bind();
    adderThere = ActorRef.attest(ActorId.parse(peer.ready.adder));
    askerThere = ActorRef.attest(ActorId.parse(peer.ready.asker));
  }, T);

  after(async () => {
    const child = peer.child;
    const exit = child.exitCode !== null ? Promise.resolve([child.exitCode]) : once(child, 'exit');
    await proc.flush();
    child.stdin?.end(); // the peer flushes, stops serving and exits
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const [code] = await exit;
    clearTimeout(timer);
    await proc.stopServing('test over');
    assert.equal(code, 0, 'the peer exits on its own once it stopped serving');
  }, T);

  it('the peer runs in another process and serves on a tcp loopback address', T, () => {
    assert.notEqual(peer.ready.pid, process.pid);
    assert.match(peer.ready.proc, /^tcp:127\.0\.0\.1:[1-9]\d*,peer$/);
    assert.equal(String(adderThere.actorId.proc), peer.ready.proc);
  });

  it('a request by ActorRef to the other process is answered to a port here', T, async () => {
    const [reply, answer] = client.openOncePort<Sum>();
    adderThere.send(client, { type: 'add', a: 2, b: 3, reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { sum: 5, by: peer.ready.adder, pid: peer.ready.pid });
  });

  it('the other process calls back into an actor here by a ref passed in the message', T, async () => {
    const [reply, answer] = client.openOncePort<Asked>();
    askerThere.send(client, { type: 'ask', adder: adderHere, a: 40, b: 2, reply: reply.bind() });
    assert.deepEqual(await answer.recv(), {
      sum: 42,
      by: String(adderHere.actorId),
      pid: process.pid,
      via: peer.ready.asker,
      viaPid: peer.ready.pid,
    });
  });

  it('pipelined requests are all answered, each to its own port', T, async () => {
    const answers = [];
    for (let i = 0; i < 200; i++) {
      const [reply, answer] = client.openOncePort<Sum>();
      adderThere.send(client, { type: 'add', a: i, b: 1, reply: reply.bind() });
      answers.push(answer.recv());
    }
    const sums = (await Promise.all(answers)).map((s) => s.sum);
    assert.deepEqual(sums, Array.from({ length: 200 }, (_, i) => i + 1));
  });
});
