/**
 * Serving workers that require a shared token (`ProcHostOptions.peerToken`, issue 17; the net
 * channel's admission, NA-1..): a `Proc.direct` peer that presents it reaches a worker actor and
 * gets the reply; one that does not is refused before any envelope is read, and its send comes
 * back to it as undeliverable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Proc, Reference, type Actor, type ActorRef, type Context, type Undeliverable } from '@procmesh/core';
import { DialMailboxRouter } from '@procmesh/core/transport';
import { ProcHost } from '@procmesh/worker-host';
import type { EchoMsg } from './fixtures/actors.js';

const T = { timeout: 30_000 };
const modules = [new URL('./fixtures/actors.js', import.meta.url)];
const TOKEN = 'a shared secret of the test';

type SenderMsg = { type: 'send'; to: ActorRef<EchoMsg> };

/** Sends one echo request and records what comes back undeliverable. */
class Sender implements Actor<SenderMsg> {
  readonly returned: Undeliverable[] = [];
  private onReturn: ((u: Undeliverable) => void) | undefined;
  next(): Promise<Undeliverable> {
    const first = this.returned.shift();
    return first !== undefined ? Promise.resolve(first) : new Promise((resolve) => (this.onReturn = resolve));
  }
  handle(cx: Context<SenderMsg>, msg: SenderMsg): void {
    const [reply] = cx.openOncePort<{ from: string; payload: unknown }>();
    msg.to.send(cx, { type: 'echo', payload: 'hi', reply: reply.bind() });
  }
  handleUndeliverableMessage(_cx: Context<SenderMsg>, u: Undeliverable): void {
    const resolve = this.onReturn;
    this.onReturn = undefined;
    if (resolve !== undefined) resolve(u);
    else this.returned.push(u);
  }
}

async function peer(name: string, token: string | undefined, host: ProcHost): Promise<Proc> {
  const proc = await Proc.direct('tcp:127.0.0.1:0', name, token !== undefined ? { dial: { auth: { token } }, serve: { auth: { token } } } : {});
  const router = proc.forwarder;
  assert.ok(router instanceof DialMailboxRouter);
  for (const [index, procId] of host.procIds()) router.bind(Reference.proc(procId), host.servedAddr(index) ?? assert.fail('worker serves'));
  return proc;
}

describe('serving workers with a peer token (ProcHostOptions.peerToken)', () => {
  let host: ProcHost;
  const peers: Proc[] = [];

  before(async () => {
    host = await ProcHost.start({ procs: 1, modules, serve: 'tcp:127.0.0.1:0', peerToken: TOKEN, teardownTimeoutMs: 500 });
  }, T);

  after(async () => {
    for (const p of peers) await p.stopServing('test over');
    await host.shutdown(500);
  }, T);

  it('a peer with the token reaches a worker actor and gets its reply', T, async () => {
    const invited = await peer('invited', TOKEN, host);
    peers.push(invited);
    const echo = await host.spawn<EchoMsg>(1, 'Echo', 'echo');
    const [client] = invited.instance('client');
    const [reply, answer] = client.openOncePort<{ from: string; payload: unknown }>();
    echo.send(client, { type: 'echo', payload: 'hello', reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { from: String(echo.actorId.proc), payload: 'hello' });
  });

  it('a peer without it is refused: its send comes back undeliverable, unauthorized', T, async () => {
    const stranger = await peer('stranger', undefined, host);
    peers.push(stranger);
    const echo = await host.spawn<EchoMsg>(1, 'Echo', 'echo2');
    const sender = new Sender();
    const handle = stranger.spawn('sender', sender);
    const [client] = stranger.instance('client');
    handle.bind().send(client, { type: 'send', to: echo });
    const back = await sender.next();
    assert.match(back.envelope.errorMessage() ?? '', /unauthorized/);
  });
});
