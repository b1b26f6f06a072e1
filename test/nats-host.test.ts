/**
 * `ProcHost` workers serving on a NATS system (`ProcHostOptions.serve: 'nats://...'`, issue 15):
 * against a real `nats-server` that requires a user and password, given to the workers through
 * `ProcHostOptions.nats`. Worker N serves the subject `<prefix>.proc_N`; a `Proc.direct` proc
 * on the same server (standing in for another machine) binds each worker proc's id to its served
 * address in its `DialMailboxRouter` (as for the tcp serve, direct-host.test.ts), and a worker
 * reaches the direct proc by the `nats:` address in its id. Wrong credentials fail the start
 * with a typed error instead of hanging.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { ActorRef, Proc, Reference, type Actor, type Context, type Instance } from '@procmesh/core';
import { DialMailboxRouter } from '@procmesh/core/transport';
import { HostError, ProcHost } from '@procmesh/worker-host';
import { NatsServer, natsServerMissing } from './fixtures/nats.js';
import type { EchoMsg, RelayMsg } from './fixtures/actors.js';

const T = { timeout: 30_000, skip: natsServerMissing };
const modules = [new URL('./fixtures/actors.js', import.meta.url)];
const credentials = { user: 'procs', pass: 'host-secret' };
const quiet = pino({ level: 'silent' });

class RemoteEcho implements Actor<EchoMsg> {
  handle(cx: Context<EchoMsg>, msg: EchoMsg): void {
    msg.reply.send(cx, { from: String(cx.selfId.proc), payload: msg.payload });
  }
}

describe('ProcHost workers serving on NATS (issue 15)', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let prefix: string;
  let host: ProcHost;
  let remote: Proc;
  let client: Instance<never>;

  before(async () => {
    server = await NatsServer.start({ args: ['--user', credentials.user, '--pass', credentials.pass] });
    prefix = `nats://${server.hostPort}/app`;
    host = await ProcHost.start({ procs: 2, modules, serve: prefix, nats: credentials, logLevel: 'error', teardownTimeoutMs: 500 });
    remote = await Proc.direct(prefix, 'remote', { nats: credentials, logger: quiet, serve: { logger: quiet }, dial: { logger: quiet } });
    [client] = remote.instance('client');
    const router = remote.forwarder;
    assert.ok(router instanceof DialMailboxRouter);
    for (const [index, procId] of host.procIds()) router.bind(Reference.proc(procId), host.servedAddr(index) ?? assert.fail(`worker ${index} serves`));
  }, T);

  after(async () => {
    await remote?.flush();
    await host?.shutdown(500);
    await remote?.stopServing('test over');
    await server?.dispose();
  }, T);

  it('worker N serves the subject <prefix>.proc_N on the server', T, () => {
    for (const index of host.procIds().keys()) assert.equal(String(host.servedAddr(index)), `${prefix}.proc_${index}`);
  });

  it('a direct proc sends to a worker actor by ActorRef over NATS; the reply comes back', T, async () => {
    const echo = await host.spawn<EchoMsg>(1, 'Echo', 'echo');
    const [reply, answer] = client.openOncePort<{ from: string; payload: unknown }>();
    echo.send(client, { type: 'echo', payload: { n: 7, list: ['a', 'b'] }, reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { from: String(echo.actorId.proc), payload: { n: 7, list: ['a', 'b'] } });
  });

  it('a worker actor calls an actor on the direct proc by the nats ref passed in the message', T, async () => {
    const relay = await host.spawn<RelayMsg>(2, 'Relay', 'relay');
    const remoteEcho: ActorRef<EchoMsg> = remote.spawn('echo', new RemoteEcho()).bind();
    const [reply, answer] = client.openOncePort<{ from: string; payload: unknown }>();
    relay.send(client, { type: 'relay', via: remoteEcho, payload: 'round', reply: reply.bind() });
    assert.deepEqual(await answer.recv(), { from: String(remote.procId), payload: 'round' });
  });

  it('wrong credentials in ProcHostOptions.nats fail the start with worker-start-failed naming the refusal', T, async () => {
    await assert.rejects(
      ProcHost.start({ procs: 1, modules, serve: prefix, name: 'wrong', nats: { user: credentials.user, pass: 'nope' }, logLevel: 'silent', teardownTimeoutMs: 500 }),
      (err: unknown) => err instanceof HostError && err.code === 'worker-start-failed' && /refused the credentials/.test(err.message),
    );
  });
});
