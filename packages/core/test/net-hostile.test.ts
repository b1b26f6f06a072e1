/**
 * A hostile peer against `Proc.direct` over a real tcp socket (issue 17): nothing it sends can
 * fail an actor that did not itself throw, unbind a port for other senders, or end the process
 * (every proc here records crashes instead of exiting; none may happen).
 *
 * - finding 1: an envelope on an actor's undeliverable port whose payload is not an
 *   `Undeliverable` (and one that is, of an envelope the actor never sent) is refused and
 *   returned to its sender (SP-1, MB-5); the actor keeps serving.
 * - SP-1 for the signal and introspect ports: malformed payloads are refused, the ports stay
 *   bound (a well-formed signal or query afterwards works).
 * - finding 4: a payload that fails to decode (malformed, or the array32 bomb) comes back to its
 *   sender and the port stays bound: a second, well-formed message from another peer still
 *   reaches the actor (MB-4), a once port still takes its one value.
 * - finding 2 at the frame level: a frame whose envelope is the 6-byte array32 bomb is rejected
 *   with a `limit exceeded` reason and the connection closed (NR-4, DL-1); the proc serves on.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  ACTOR_PORT,
  MessageEnvelope,
  PortRef,
  Proc,
  Signal,
  Undeliverable,
  type Actor,
  type ActorHandle,
  type ActorRef,
  type Context,
  type DirectProcOptions,
  type Headers,
  type IntrospectResult,
  type PortId,
} from '../src/index.js';
import { encodePayload } from '../src/transport.js';
import { encodeMessageFrame, encodePreamble } from '../src/channel/net/wire.js';
import { Recorder } from '../src/testing.js';
import { Adder, type AddMsg, type Sum } from './fixtures/direct-actors.js';
import { RawClient } from './fixtures/net-helpers.js';

const T = { timeout: 15_000 };
const quiet = pino({ level: 'silent' });
const procs: Proc[] = [];
const crashes: string[] = [];
const peers: RawClient[] = [];

/** finding 2: a 6-byte msgpack value whose array32 header declares 2^32 - 1 elements. */
const ARRAY32_BOMB = Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 0x00);

async function direct(name: string, options: DirectProcOptions = {}): Promise<Proc> {
  const proc = await Proc.direct('tcp:127.0.0.1:0', name, {
    logger: quiet,
    onCrash: (message) => crashes.push(message),
    ...options,
    serve: { logger: quiet },
    dial: { logger: quiet },
  });
  procs.push(proc);
  return proc;
}

afterEach(async () => {
  for (const peer of peers.splice(0)) peer.destroy();
  const stopping = procs.splice(0);
  await Promise.all(stopping.map((p) => p.flush()));
  await Promise.all(stopping.map((p) => p.stopServing('test over')));
  assert.deepEqual(crashes.splice(0), [], 'no proc crashed');
});

type SpoofMsg = { type: 'post'; dest: PortId; data: Uint8Array; headers?: Headers };

/** The attacker: posts raw bytes to any port (`cx.post`) and records what comes back. */
class Spoofer implements Actor<SpoofMsg> {
  readonly returns = new Recorder<Undeliverable>();
  handle(cx: Context<SpoofMsg>, msg: SpoofMsg): void {
    cx.post(msg.dest, msg.headers, msg.data);
  }
  handleUndeliverableMessage(_cx: Context<SpoofMsg>, undeliverable: Undeliverable): void {
    this.returns.push(undeliverable);
  }
}

interface Scene {
  readonly server: Proc;
  readonly victim: ActorHandle<AddMsg>;
  readonly victimRef: ActorRef<AddMsg>;
  /** Post `data` to `dest` from the attacker's proc; resolves to the return's error message. */
  spoof(dest: PortId, data: Uint8Array, headers?: Headers): Promise<string>;
  /** A well-formed request from a third proc (another peer); resolves to the sum. */
  ask(a: number, b: number): Promise<number>;
  readonly friend: Proc;
}

async function scene(): Promise<Scene> {
  const server = await direct('server');
  const victim = server.spawn('victim', new Adder());
  const victimRef = victim.bind();
  const attacker = await direct('attacker');
  const spoofer = new Spoofer();
  const spooferHandle = attacker.spawn('spoofer', spoofer);
  spooferHandle.bind();
  const [attackerClient] = attacker.instance('client');
  const friend = await direct('friend');
  const [friendClient] = friend.instance('client');
  return {
    server,
    victim,
    victimRef,
    friend,
    async spoof(dest, data, headers) {
      const seen = spoofer.returns.items.length;
      spooferHandle.send(attackerClient, headers === undefined ? { type: 'post', dest, data } : { type: 'post', dest, data, headers });
      const back = await spoofer.returns.next((u) => spoofer.returns.items.indexOf(u) >= seen);
      return back.envelope.errorMessage() ?? '';
    },
    async ask(a, b) {
      const [reply, answer] = friendClient.openOncePort<Sum>();
      victimRef.send(friendClient, { type: 'add', a, b, reply: reply.bind() });
      return (await answer.recv()).sum;
    },
  };
}

describe('finding 1: spoofed envelopes on an actor undeliverable port (SP-1)', () => {
  it('finding 1: a payload that is not an Undeliverable is returned to its sender; the actor keeps serving and nothing crashes', T, async () => {
    const s = await scene();
    const dest = s.victimRef.actorId.portId(ACTOR_PORT.UNDELIVERABLE);
    for (const payload of [{ sender: 'not an Undeliverable' }, null, 42, [1, 2, 3], { envelope: { sender: 1 } }]) {
      const error = await s.spoof(dest, encodePayload(payload));
      assert.ok(error.includes("payload is not of the port's type Undeliverable"), error);
    }
    assert.equal(await s.ask(1, 2), 3);
    assert.equal(s.victim.status.kind, 'idle');
  });

  it('SP-1: an Undeliverable of an envelope the actor never sent is refused; the actor keeps serving', T, async () => {
    const s = await scene();
    const other = s.friend.procId.actorId('someone');
    const forged = new MessageEnvelope(other, other.portId(1024), encodePayload('x'), {}, 5);
    const error = await s.spoof(s.victimRef.actorId.portId(ACTOR_PORT.UNDELIVERABLE), encodePayload(new Undeliverable(forged)));
    assert.ok(error.includes("payload is not of the port's type Undeliverable"), error);
    assert.equal(await s.ask(2, 2), 4);
    assert.equal(s.victim.status.kind, 'idle');
  });
});

describe('SP-1: signal and introspect ports refuse what is not of their type', () => {
  it('SP-1: malformed signals are returned; the signal port stays bound (MB-5): a well-formed one still stops the actor', T, async () => {
    const s = await scene();
    const dest = s.victimRef.actorId.portId(ACTOR_PORT.SIGNAL);
    for (const payload of [{ kind: 'abort', reason: 5 }, { kind: 'bogus' }, 'stop', { kind: 'child-stopped', pid: 'x' }]) {
      const error = await s.spoof(dest, encodePayload(payload));
      assert.ok(error.includes("payload is not of the port's type Signal"), error);
    }
    assert.equal(await s.ask(1, 1), 2);
    const [client] = s.friend.instance('stopper');
    PortRef.attest<Signal>(dest).send(client, Signal.drainAndStop('asked nicely'));
    const status = await s.victim.join();
    assert.equal(String(status), 'stopped: asked nicely');
  });

  it('SP-1: malformed introspection queries are returned; the port stays bound and a well-formed query is answered', T, async () => {
    const s = await scene();
    const dest = s.victimRef.actorId.portId(ACTOR_PORT.INTROSPECT);
    for (const payload of [{ type: 'query', view: 'actor', reply: 'nope' }, { type: 'query-child', childRef: 5, reply: 1 }, { type: 'query' }, null]) {
      const error = await s.spoof(dest, encodePayload(payload));
      assert.ok(error.includes("payload is not of the port's type IntrospectMessage"), error);
    }
    const [client] = s.friend.instance('asker');
    const [reply, answer] = client.openOncePort<IntrospectResult>();
    PortRef.attest<unknown>(dest).send(client, { type: 'query', view: 'actor', reply: reply.bind() });
    assert.equal((await answer.recv()).identity, String(s.victimRef.actorId));
  });
});

describe('finding 4: a body that fails to decode leaves the port bound (MB-4)', () => {
  it('finding 4: a malformed body from one peer is returned; a well-formed message from another peer still reaches the actor', T, async () => {
    const s = await scene();
    const dest = s.victimRef.port().portId;
    const error = await s.spoof(dest, Uint8Array.of(0x92, 0x01));
    assert.ok(error.startsWith(`mailbox error: ${dest}: deserialization error`), error);
    assert.equal(await s.ask(3, 4), 7);
    assert.equal(s.victim.status.kind, 'idle');
  });

  it('finding 2 in a payload: the array32 bomb is returned as a deserialization error; the port stays bound', T, async () => {
    const s = await scene();
    const dest = s.victimRef.port().portId;
    const error = await s.spoof(dest, ARRAY32_BOMB);
    assert.ok(error.includes('an array declares 4294967295 elements, 1 bytes left'), error);
    assert.equal(await s.ask(5, 6), 11);
  });

  it('MB-4: garbage sent to a once port does not use it up: the real reply still arrives', T, async () => {
    const s = await scene();
    const [client] = s.friend.instance('waiter');
    const [reply, answer] = client.openOncePort<Sum>();
    const replyRef = reply.bind();
    const error = await s.spoof(replyRef.portId, Uint8Array.of(0xc1, 0xc1));
    assert.ok(error.includes('deserialization error'), error);
    s.victimRef.send(client, { type: 'add', a: 20, b: 22, reply: replyRef });
    assert.equal((await answer.recv()).sum, 42);
  });
});

describe('finding 2: the array32 bomb as a whole frame (NR-4, DL-1)', () => {
  it('finding 2: a frame whose envelope is the 6-byte array32 bomb is rejected with its reason and its connection closed; the proc serves on', T, async () => {
    const s = await scene();
    const peer = await RawClient.connect(s.server.procId.addr);
    peers.push(peer);
    peer.write(Buffer.concat([encodePreamble(0x17n), encodeMessageFrame(0, ARRAY32_BOMB)]));
    const response = await peer.next('the reject');
    assert.equal(response.kind, 'reject');
    assert.ok(response.kind === 'reject' && response.reason.includes('an array declares 4294967295 elements'), JSON.stringify(response));
    await peer.closed;
    assert.equal(await s.ask(8, 9), 17);
  });
});
