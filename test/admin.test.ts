/**
 * The admin endpoint (issue 14): a live host with `admin: 'tcp:127.0.0.1:0'`, asked over real
 * HTTP. The tree against introspection (AD-3, AD-5, AD-8), a failure with its root cause in the
 * event stream and on the proc after it is gone (AD-4, AD-6), every response validated against
 * `openapi.json` with ajv (and the document itself against the OpenAPI 3.1 schema), the token
 * and loopback rules (AD-2, AD-9), errors as envelopes (AD-10).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { describe, it, before, after } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { Validator } from '@seriousme/openapi-schema-validator';
import { createParser } from 'eventsource-parser';
import { ActorId, ATTR, introspectAttrs } from '@procmesh/core';
import { AdminError, ProcHost, type NodePayload } from '@procmesh/worker-host';
import type { OncePortRef } from '@procmesh/core';
import type { EchoMsg, ParentMsg } from './fixtures/actors.js';

const T = { timeout: 60_000 };
const modules = [new URL('./fixtures/actors.js', import.meta.url)];
const openapiPath = new URL('../../packages/worker-host/src/admin/openapi.json', import.meta.url);
const openapi = JSON.parse(readFileSync(openapiPath, 'utf8')) as { components: { schemas: Record<string, object> } };

const ajv = new Ajv2020({ strict: false });
ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
ajv.addSchema({ $id: 'api', components: openapi.components });
function conforms(schema: string, body: unknown): void {
  const validate = ajv.getSchema(`api#/components/schemas/${schema}`);
  assert.ok(validate !== undefined, schema);
  assert.ok(validate(body), `${schema}: ${JSON.stringify(validate.errors)} in ${JSON.stringify(body)}`);
}

async function get(host: ProcHost, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${host.admin?.url}${path}`, { headers });
  return { status: res.status, body: await res.json() };
}
const node = async (host: ProcHost, ref: string): Promise<NodePayload> => {
  const { status, body } = await get(host, `/v1/${encodeURIComponent(ref)}`);
  assert.equal(status, 200, JSON.stringify(body));
  conforms('NodePayload', body);
  return body as NodePayload;
};

describe('admin endpoint (issue 14)', () => {
  let host: ProcHost;
  before(async () => {
    host = await ProcHost.start({ procs: 2, modules, admin: 'tcp:127.0.0.1:0', teardownTimeoutMs: 500 });
    host.supervisor.on('failure', () => undefined);
  });
  after(async () => host.shutdown(500));

  it('the OpenAPI description is a valid OpenAPI 3.1 document', T, async () => {
    const result = await new Validator().validate(openapiPath.pathname);
    assert.equal(result.valid, true, JSON.stringify(result.errors));
  });

  it('root lists every proc; a proc lists its live actors, read at query time (AD-8)', T, async () => {
    const echo = await host.spawn<EchoMsg>(1, 'Echo', 'echo');
    const root = await node(host, 'root');
    assert.deepEqual(root.children, ['local:0,main', 'local:1,proc_1', 'local:2,proc_2']);
    const proc = await node(host, 'local:1,proc_1');
    assert.ok(proc.children.includes(String(echo.actorId)));
    assert.ok('Proc' in proc.properties && proc.properties.Proc.state === 'ready');
  });

  it('an actor node carries every attribute introspection returns, by short name (AD-3)', T, async () => {
    const echo = await host.spawn<EchoMsg>(1, 'Echo', 'echo2');
    const [reply, answer] = host.client.openOncePort<{ from: string; payload: unknown }>();
    echo.send(host.client, { type: 'echo', payload: 1, reply: reply.bind() as OncePortRef<{ from: string; payload: unknown }> });
    await answer.recv();
    const result = await host.introspect(echo);
    assert.ok(result !== undefined);
    const attrs = introspectAttrs(result);
    const got = await node(host, String(echo.actorId));
    assert.ok('Actor' in got.properties);
    const actor = got.properties.Actor;
    assert.equal(actor.messages_processed, attrs[ATTR.MESSAGES_PROCESSED]);
    assert.equal(actor.actor_type, 'Echo');
    assert.deepEqual(Object.keys(actor.attrs).sort(), Object.keys(attrs).map((k) => k.slice(k.lastIndexOf('::') + 2)).sort());
  });

  it('a failure arrives on the event stream with its root cause, and stays on the gone proc (AD-4, AD-6)', T, async () => {
    const stream = new AbortController();
    const res = await fetch(`${host.admin?.url}/v1/events`, { signal: stream.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const failed = new Promise<{ data: { event: { root_cause_actor: string; is_propagated: boolean } } }>((resolve) => {
      const parser = createParser({
        onEvent: (e) => {
          if (e.event === 'actor-failed') resolve(JSON.parse(e.data));
        },
      });
      void (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of res.body as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
      })().catch(() => undefined);
    });
    const parent = await host.spawn<ParentMsg>(2, 'Parent', 'parent');
    const [ack, childId] = host.client.openOncePort<string>();
    parent.send(host.client, { type: 'fail-child', ack: ack.bind() as OncePortRef<string> });
    const child = await childId.recv();
    const event = await failed;
    conforms('AdminEvent', event);
    assert.equal(event.data.event.root_cause_actor, child);
    assert.equal(event.data.event.is_propagated, (event.data.event as { actor?: string }).actor !== child);
    stream.abort();
    // The proc is torn down by the failure policy; its node still says why.
    let proc: NodePayload;
    do proc = await node(host, 'local:2,proc_2');
    while ('Proc' in proc.properties && proc.properties.Proc.state !== 'gone');
    assert.ok('Proc' in proc.properties);
    assert.equal(proc.properties.Proc.failures[0]?.root_cause_actor, child);
    const gone = await node(host, child);
    assert.ok('Actor' in gone.properties && gone.properties.Actor.failure_info?.root_cause_actor === child);
  });

  it('a proc reports its effective configuration', T, async () => {
    const { status, body } = await get(host, `/v1/config/${encodeURIComponent('local:1,proc_1')}`);
    assert.equal(status, 200);
    conforms('ConfigDumpResult', body);
    const ttl = (body as { entries: { name: string; value: unknown }[] }).entries.find((e) => e.name === 'messageTtlDefault');
    assert.equal(ttl?.value, 64);
  });

  it('bad references and unknown actors are error envelopes with a stable code (AD-10)', T, async () => {
    const cases: [string, number, string][] = [
      ['/v1/not-a-ref', 400, 'bad_request'],
      [`/v1/${encodeURIComponent(String(ActorId.parse('local:1,proc_1,nobody[0]')))}`, 404, 'not_found'],
      [`/v1/${encodeURIComponent('local:9,proc_9')}`, 404, 'not_found'],
      ['/elsewhere', 404, 'not_found'],
    ];
    for (const [path, status, code] of cases) {
      const got = await get(host, path);
      assert.equal(got.status, status, path);
      conforms('ApiErrorEnvelope', got.body);
      assert.equal((got.body as { error: { code: string } }).error.code, code);
    }
    const info = await get(host, '/v1/admin');
    conforms('AdminInfo', info.body);
  });

  it('a request whose Host is not loopback is refused (AD-9)', T, async () => {
    const url = new URL(`${host.admin?.url}/v1/root`);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end();
    });
    assert.equal(status, 401);
  });
});

describe('admin endpoint options (AD-2)', () => {
  it('a non-loopback address without a token is refused before any worker starts', T, async () => {
    await assert.rejects(ProcHost.start({ procs: 1, modules, admin: 'tcp:0.0.0.0:0' }), (e: unknown) => e instanceof AdminError && e.code === 'admin-token-required');
    await assert.rejects(ProcHost.start({ procs: 1, modules, admin: 'unix:/tmp/x' }), (e: unknown) => e instanceof AdminError && e.code === 'invalid-admin-address');
  });

  it('with a token, a request without it is unauthorized and one with it is answered', T, async () => {
    const host = await ProcHost.start({ procs: 1, modules, admin: { addr: 'tcp:127.0.0.1:0', token: 's3cret' } });
    try {
      assert.equal((await get(host, '/v1/root')).status, 401);
      assert.equal((await get(host, '/v1/root', { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await get(host, '/v1/root', { authorization: 'Bearer s3cret' })).status, 200);
    } finally {
      await host.shutdown(500);
    }
  });
});
