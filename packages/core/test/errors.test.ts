/**
 * Error paths (spec §1.2.2 parsing, §1.10, §2): duplicate names (PD-1), unknown actors,
 * malformed ids, and the error classes' stable codes and upstream display forms. Each leaves the
 * proc running.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActorError,
  ActorErrorKind,
  ActorId,
  ActorRef,
  ActorStatus,
  ActorSupervisionEvent,
  ChannelAddr,
  ChannelError,
  MailboxError,
  PROCMESH_ERROR_CODES,
  StatusTransitionError,
  isProcmeshErrorCode,
  MailboxSenderError,
  MessageEnvelope,
  ParseError,
  PortId,
  Proc,
  ProcError,
  ProcId,
  ProcmeshError,
  Reference,
  UndeliverableMessageError,
  type ProcmeshErrorCode,
} from '../src/index.js';
import {
  MailboxDialer,
  PanickingMailboxSender,
  Mailbox,
} from '../src/transport.js';
import { StatusCell } from '../src/status.js';
import { serve } from '../src/channel/serve.js';
import { TestActor, sync } from './fixtures/actors.js';

const T = { timeout: 10_000 };
const duplicate = (name: string) => (e: unknown) =>
  e instanceof ProcError && e.code === 'duplicate-name' && e.message === `an actor with name '${name}' has already been spawned`;

describe('duplicate names (PD-1, §2)', () => {
  it('spawn with a used name throws "an actor with name \'{name}\' has already been spawned" (§2 spawn)', () => {
    const proc = Proc.local();
    proc.spawn('dup', new TestActor());
    assert.throws(() => proc.spawn('dup', new TestActor()), duplicate('dup'));
  });

  it('the name stays reserved after the actor stopped (§2 spawn)', T, async () => {
    const proc = Proc.local();
    const first = proc.spawn('dup', new TestActor());
    first.drainAndStop('done');
    await first.join();
    assert.throws(() => proc.spawn('dup', new TestActor()), duplicate('dup'));
  });

  it('instance, introspectableInstance, actorInstance and attach share the root namespace (§2)', () => {
    const proc = Proc.local();
    proc.attach('taken');
    assert.throws(() => proc.instance('taken'), duplicate('taken'));
    assert.throws(() => proc.introspectableInstance('taken'), duplicate('taken'));
    assert.throws(() => proc.actorInstance('taken'), duplicate('taken'));
    assert.throws(() => proc.attach('taken'), duplicate('taken'));
    assert.throws(() => proc.attachActor('taken'), duplicate('taken'));
  });

  it('a rejected spawn leaves the proc running (DESIGN: bad input, clear error)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    assert.throws(() => proc.spawn('client', new TestActor()), ProcError);
    const other = proc.spawn('other', new TestActor());
    await sync(client, other);
    assert.equal(other.status.kind, 'idle');
  });
});

describe('unknown actors (§2)', () => {
  it('getInstance, stopActor, abortRootActor and resolveActorRef say "not here" without throwing (§2)', () => {
    const proc = Proc.local();
    const ghost = proc.procId.actorId('ghost');
    assert.equal(proc.getInstance(ghost), undefined);
    assert.equal(proc.stopActor(ghost, 'x'), undefined);
    assert.equal(proc.abortRootActor(ghost), undefined);
    assert.equal(proc.resolveActorRef(ActorRef.attest(ghost)), undefined);
    assert.equal(proc.terminatedSnapshot(ghost), undefined);
  });
});

describe('malformed ids (§1.2.2)', () => {
  it('no comma: "expected a comma-separated reference, got: {text}" (code unexpected)', () => {
    assert.throws(
      () => Reference.parse('test'),
      (e: unknown) => e instanceof ParseError && e.code === 'unexpected' && e.message.endsWith('expected a comma-separated reference, got: test'),
    );
  });

  it('a purely numeric name, or a production that does not exist: code expected', () => {
    for (const bad of ['local:0,123', 'local:0,p,a[1][2][3]', 'local:0,p,a[x]', 'local:0,p,a[1', 'local:0,p,,a']) {
      assert.throws(() => Reference.parse(bad), (e: unknown) => e instanceof ParseError && (e.code === 'expected' || e.code === 'unexpected'), bad);
    }
    assert.throws(() => Reference.parse('local:0,123'), (e: unknown) => e instanceof ParseError && e.code === 'expected');
  });

  it('a raw identifier (r#) is not an element (§1.2.2)', () => {
    assert.throws(() => Reference.parse('local:0,r#type'), ParseError);
  });

  it('whitespace around tokens is trimmed; a port type annotation is ignored (§1.2.2)', () => {
    assert.equal(String(ActorId.parse('local:0,p, a [ 3 ]')), 'local:0,p,a[3]');
    assert.equal(String(PortId.parse('local:0,p,a[3][1030<my::Type>]')), 'local:0,p,a[3][1030]');
  });

  it('`::` paths are valid names (§1.2.2)', () => {
    assert.equal(ActorId.parse('local:0,p,my::actor[1]').name, 'my::actor');
  });

  it('names that cannot be parsed still work locally: spawn does not validate (§2 spawn)', T, async () => {
    const proc = Proc.local();
    const [client] = proc.instance('client');
    const actor = proc.spawn('1.bad name', new TestActor());
    await sync(client, actor);
    assert.throws(() => ActorId.parse(String(actor.actorId)), ParseError);
  });
});

describe('error classes: stable codes, upstream display (§1.10)', () => {
  const proc = new ProcId(ChannelAddr.local(0), 'test');
  const id = proc.actorId('a');

  it('every error is a ProcmeshError with a code and its class name (errors.ts)', () => {
    const errors = [new ProcError('no-such-actor', 'x'), new ParseError('expected', 'x'), MailboxError.closed(id), new MailboxSenderError('loc', 'closed', 'port closed')];
    for (const e of errors) {
      assert.ok(e instanceof ProcmeshError);
      assert.equal(typeof e.code, 'string');
      assert.equal(e.name, e.constructor.name);
    }
  });

  it('ActorError: "serving {actor_id}: {kind}" (§1.10)', () => {
    assert.equal(new ActorError(id, ActorErrorKind.generic('boom')).message, `serving ${id}: boom`);
    assert.equal(new ActorError(id, { kind: 'aborted', reason: 'slow' }).message, `serving ${id}: actor explicitly aborted due to: slow`);
    const event = new ActorSupervisionEvent(proc.actorId('b'), undefined, ActorStatus.failed('child'));
    assert.equal(ActorErrorKind.display({ kind: 'unhandled-supervision-event', event }), String(event));
    assert.equal(ActorErrorKind.display({ kind: 'error-during-handling-supervision', message: 'oops', event }), `oops while handling ${event}`);
  });

  it('MailboxError: "{actor_id}: {kind}" (§1.10)', () => {
    assert.equal(MailboxError.closed(id).message, `${id}: mailbox closed`);
    const terminated = MailboxError.ownerTerminated(id, ActorStatus.stopped('done'));
    assert.equal(terminated.message, `${id}: owner terminated: stopped: done`);
    assert.equal(terminated.code, 'owner-terminated');
    assert.equal(String(terminated.status), 'stopped: done');
  });

  it('MailboxSenderError: "{location}: {kind}" (§1.10)', () => {
    assert.equal(new MailboxSenderError(`${id}[1024]`, 'closed', 'port closed').message, `${id}[1024]: port closed`);
  });

  it('UndeliverableMessageError (code delivery-failure) describes the envelope (§3.5)', () => {
    const env = new MessageEnvelope(id, proc.actorId('b').portId(16), new Uint8Array(2), {}, 64);
    const e = new UndeliverableMessageError(env);
    assert.equal(e.code, 'delivery-failure');
    assert.ok(e.message.startsWith(`undeliverable message error:\n\tdescription: delivery of message from sender to dest failed\n\tsender: ${id}\n\tdest: `));
  });
});

/** Asserts `fn` throws a `ProcmeshError` of `cls` with `code`. */
function throwsCode(fn: () => unknown, cls: abstract new (...args: never[]) => ProcmeshError, code: ProcmeshErrorCode): void {
  assert.throws(fn, (e: unknown) => e instanceof ProcmeshError && e instanceof cls && e.code === code);
}

describe('one hierarchy, closed codes (errors.ts, error-codes.ts)', () => {
  const id = new ProcId(ChannelAddr.local(0), 'test').actorId('a');

  it('a terminal status moved on: StatusTransitionError, code invalid-status-transition (ST-1)', () => {
    const cell = new StatusCell(ActorStatus.created);
    cell.set(ActorStatus.stopped('done'));
    throwsCode(() => cell.set(ActorStatus.idle), StatusTransitionError, 'invalid-status-transition');
  });

  it('a reduce port without a reducer spec: ProcError missing-reducer-spec (not already-bound)', () => {
    const proc = Proc.local();
    const [cx] = proc.instance('client');
    throwsCode(() => cx.openReducePort({ initial: () => 0, reduce: (s: number, u: number) => s + u }, 2), ProcError, 'missing-reducer-spec');
  });

  it('a mailbox closed twice: MailboxError already-closed (not ProcError already-bound)', () => {
    const mailbox = new Mailbox(id, new PanickingMailboxSender());
    mailbox.close(ActorStatus.stopped('once'));
    throwsCode(() => mailbox.close(ActorStatus.stopped('twice')), MailboxError, 'already-closed');
  });

  it('a closed MailboxDialer refuses to dial: ChannelError closed (was a plain Error)', () => {
    const dialer = new MailboxDialer();
    dialer.close('done');
    throwsCode(() => dialer.dial(ChannelAddr.parse('tcp:127.0.0.1:1')), ChannelError, 'closed');
  });

  it('serving tls: without a certificate: ChannelError missing-certificate (not invalid-address)', T, async () => {
    await assert.rejects(serve<number>('tls:127.0.0.1:0'), (e: unknown) => e instanceof ProcmeshError && e instanceof ChannelError && e.code === 'missing-certificate');
  });

  it('ERR-1: PROCMESH_ERROR_CODES lists each code once; isProcmeshErrorCode knows them and nothing else', () => {
    assert.equal(new Set(PROCMESH_ERROR_CODES).size, PROCMESH_ERROR_CODES.length);
    for (const code of PROCMESH_ERROR_CODES) assert.ok(isProcmeshErrorCode(code), code);
    assert.equal(isProcmeshErrorCode('internal'), false);
    assert.equal(isProcmeshErrorCode(''), false);
  });
});
