/**
 * Two OS processes on one NATS server: this test's proc and a child process's
 * (fixtures/nats-peer.ts) find each other's actors by name (`NatsDirectory`) and exchange
 * request/reply by `ActorRef` both ways, refs nested in the messages; the child exits cleanly
 * (code 0) when told, leaving no process behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { NatsDirectory, Proc, type ActorRef } from '../src/index.js';
import { NatsServer, natsServerMissing } from './fixtures/nats-server.js';
import { Adder, type AddMsg, type AskMsg, type Sum } from './fixtures/direct-actors.js';

const T = { timeout: 30_000, skip: natsServerMissing };
const quiet = pino({ level: 'silent' });

describe('two OS processes over NATS', { skip: natsServerMissing }, () => {
  let server: NatsServer;
  let child: ChildProcess;
  let prefix: string;
  let peerId = '';

  before(async () => {
    server = await NatsServer.start();
    prefix = `nats://${server.hostPort}/procs`;
    const script = fileURLToPath(new URL('./fixtures/nats-peer.js', import.meta.url));
    child = spawn(process.execPath, [script, prefix], { stdio: ['pipe', 'pipe', 'inherit'] });
    const [line] = (await new Promise<string[]>((resolve, reject) => {
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes('\n')) resolve(out.split('\n'));
      });
      child.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
    })) as [string];
    peerId = line.replace(/^ready /, '');
  });

  after(async () => {
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await server.dispose();
  });

  it('request/reply by refs both ways between the processes, found by name', T, async () => {
    const proc = await Proc.direct(prefix, 'main', { logger: quiet, serve: { logger: quiet }, dial: { logger: quiet } });
    const directory = await NatsDirectory.open(prefix);
    try {
      const adder: ActorRef<AddMsg> = await directory.lookupActor<AddMsg>('adder');
      const asker: ActorRef<AskMsg> = await directory.lookupActor<AskMsg>('asker');
      assert.equal(String(adder.actorId), `${peerId},adder[0]`);
      const [client] = proc.instance('client');

      for (let i = 0; i < 50; i++) {
        const [reply, answer] = client.openOncePort<Sum>();
        adder.send(client, { type: 'add', a: i, b: 1, reply: reply.bind() });
        assert.deepEqual(await answer.recv(), { sum: i + 1, by: `${peerId},adder[0]` });
      }

      // the child's asker calls this process's adder by the ref in the message, then replies
      const mine = proc.spawn('adder', new Adder()).bind();
      const [reply, answer] = client.openOncePort<Sum & { via: string }>();
      asker.send(client, { type: 'ask', adder: mine, a: 40, b: 2, reply: reply.bind() });
      assert.deepEqual(await answer.recv(), { sum: 42, by: `${proc.procId},adder[0]`, via: `${peerId},asker[0]` });

      await proc.flush();
      child.stdin?.end();
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      await directory.close();
      await proc.stopServing('test over');
    }
  });
});
