/**
 * A worker-thread proc that also serves on a socket (`ProcHostOptions.serve`, issue 5): a
 * `ProcHost`'s workers and a `Proc.direct` proc elsewhere (here: this process's main thread,
 * standing in for another machine) form one system. The direct proc binds each worker proc's
 * id to its served address in its `DialMailboxRouter`; a worker reaches the direct proc by the
 * address in its id (the fabric router's fallback).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ActorRef, Proc, type Actor, type Context, type Instance } from '@procmesh/core';
import { bindServedProcs } from './fixtures/bind-served.js';
import { ProcHost } from '@procmesh/worker-host';
import type { EchoMsg, RelayMsg } from './fixtures/actors.js';

const T = { timeout: 30_000 };
const modules = [new URL('./fixtures/actors.js', import.meta.url)];

/** The same answer as the workers' `Echo`, from the direct proc. */
class RemoteEcho implements Actor<EchoMsg> {
  handle(cx: Context<EchoMsg>, msg: EchoMsg): void {
    msg.reply.send(cx, { from: String(cx.selfId.proc), payload: msg.payload });
  }
}

describe('ProcHost workers serving on sockets, with a Proc.direct peer (issue 5)', () => {
  let host: ProcHost;
  let remote: Proc;
  let client: Instance<never>;

  before(async () => {
    host = await ProcHost.start({ procs: 2, modules, serve: 'tcp:127.0.0.1:0', teardownTimeoutMs: 500 });
    remote = await Proc.direct('tcp:127.0.0.1:0', 'remote');
    [client] = remote.instance('client');
    bindServedProcs(remote, host);
  }, T);

  after(async () => {
    await remote.flush();
    await host.shutdown(500);
    await remote.stopServing('test over');
  }, T);

  it('each serving worker reports a bound tcp loopback address', T, () => {
    for (const index of host.procIds().keys()) assert.match(String(host.servedAddr(index)), /^tcp:127\.0\.0\.1:[1-9]\d*$/);
  });

  it('a direct proc sends to a worker actor by ActorRef; the reply comes back over the socket', T, async () => {
    const echo = await host.spawn<EchoMsg>(1, 'Echo', 'echo');
    const [reply, answer] = client.openOncePort<{ from: string; payload: unknown }>();
    echo.send(client, { type: 'echo', payload: { n: 7, list: ['a', 'b'] }, reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { from: String(echo.actorId.proc), payload: { n: 7, list: ['a', 'b'] } });
  });

  it('a worker actor calls an actor on the direct proc by a ref passed in the message', T, async () => {
    const relay = await host.spawn<RelayMsg>(2, 'Relay', 'relay');
    const remoteEcho: ActorRef<EchoMsg> = remote.spawn('echo', new RemoteEcho()).bind();
    const [reply, answer] = client.openOncePort<{ from: string; payload: unknown }>();
    relay.send(client, { type: 'relay', via: remoteEcho, payload: 'round', reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { from: String(remote.procId), payload: 'round' });
  });
});
