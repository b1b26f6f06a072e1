/**
 * The model under `procmesh top`'s screen, without a terminal (the terminal itself is tested in
 * test/top-tui.test.ts): rates from two snapshots (TP-4), the collapsible tree (TP-6), a
 * selection that survives refreshes (TP-7), the screen's size (TP-8), and the address forms the
 * client takes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActorProperties, ProcProperties } from '../src/admin/nodes.js';
import { endpointUrl, TopError } from '../src/admin/top/client.js';
import { messageRates } from '../src/admin/top/rates.js';
import { screen } from '../src/admin/top/screen.js';
import type { ActorView, Snapshot } from '../src/admin/top/snapshot.js';
import { keepSelection, moveSelection, toggle, visibleRows } from '../src/admin/top/tree.js';

const T = { timeout: 5_000 };
const PROC = 'local:1,proc_1';

function actor(name: string, messages: number, asOf: number, children: ActorView[] = [], extra: Partial<ActorProperties> = {}): ActorView {
  const props: ActorProperties = {
    actor_status: 'idle',
    actor_type: 'T',
    messages_processed: messages,
    created_at: new Date(0).toISOString(),
    last_message_handler: null,
    total_processing_time_us: 0,
    is_system: false,
    failure_info: null,
    flight_recorder: null,
    attrs: { queue_depth: 0 },
    ...extra,
  };
  return { ref: `${PROC},${name}`, name, actor: props, asOf, error: undefined, children };
}

function snapshot(actors: ActorView[]): Snapshot {
  const proc: ProcProperties = {
    proc_name: 'proc_1',
    proc_index: 1,
    state: 'ready',
    num_actors: actors.length,
    system_children: [],
    stopped_children: [],
    stopped_retention_cap: 100,
    is_poisoned: false,
    failed_actor_count: 0,
    served_addr: null,
    stopped_reason: null,
    failures: [],
  };
  return {
    url: 'http://127.0.0.1:1',
    takenAt: new Date(0).toISOString(),
    root: { num_procs: 1, started_at: new Date(0).toISOString(), started_by: 'test', pid: 1, system_children: [] },
    procs: [{ ref: PROC, proc, error: undefined, answeredInMs: 1, actors }],
  };
}

describe('procmesh top model', () => {
  it('TP-4: a rate is the count difference over the as_of difference', T, () => {
    const rates = messageRates(snapshot([actor('a[0]', 100, 1_000)]), snapshot([actor('a[0]', 350, 3_500)]));
    assert.equal(rates.get(`${PROC},a[0]`), 100);
  });

  it('TP-4: no rate for a count that went down (a restart), for no time passed, or for an actor new in the second', T, () => {
    const prev = snapshot([actor('a[0]', 100, 1_000), actor('b[0]', 5, 1_000)]);
    const next = snapshot([actor('a[0]', 10, 2_000), actor('b[0]', 9, 1_000), actor('c[0]', 1, 2_000)]);
    assert.deepEqual([...messageRates(prev, next)], []);
  });

  it('TP-6: a collapsed actor hides its subtree; system actors only on request', T, () => {
    const sys = actor('admin[0]', 0, 0, [], { is_system: true });
    const s = snapshot([actor('p[0]', 0, 0, [actor('c[1]', 0, 0, [actor('g[2]', 0, 0)])]), sys]);
    const all = visibleRows(s, { collapsed: new Set(), showSystem: false });
    assert.deepEqual(all.map((r) => [r.ref.replace(`${PROC},`, ''), r.depth]), [[PROC, 0], ['p[0]', 1], ['c[1]', 2], ['g[2]', 3]]);
    const folded = visibleRows(s, { collapsed: toggle(new Set(), all[2]), showSystem: true });
    assert.deepEqual(folded.map((r) => r.ref.replace(`${PROC},`, '')), [PROC, 'p[0]', 'c[1]', 'admin[0]']);
  });

  it('TP-7: the selection stays on its reference; when it vanishes it moves to the nearest row above', T, () => {
    const s = snapshot([actor('p[0]', 0, 0, [actor('c[1]', 0, 0)]), actor('q[0]', 0, 0)]);
    const rows = visibleRows(s, { collapsed: new Set(), showSystem: false });
    const selected = moveSelection(rows, PROC, 2);
    assert.equal(selected, `${PROC},c[1]`);
    const folded = visibleRows(s, { collapsed: new Set([`${PROC},p[0]`]), showSystem: false });
    assert.equal(keepSelection(folded, selected, rows), `${PROC},p[0]`);
    assert.equal(keepSelection(folded, `${PROC},q[0]`, rows), `${PROC},q[0]`);
    assert.equal(moveSelection(folded, `${PROC},q[0]`, 5), `${PROC},q[0]`, 'clamped at the end');
  });

  it('TP-8: the screen is rows - 1 lines, none wider than the terminal, the keys line last', T, () => {
    const many = Array.from({ length: 50 }, (_, i) => actor(`a${i}[0]`, i, 0, [], { actor_type: 'X'.repeat(200) }));
    const s = snapshot(many);
    const rows = visibleRows(s, { collapsed: new Set(), showSystem: false });
    for (const [columns, height] of [[80, 24], [120, 40], [50, 10]] as const) {
      const lines = screen({ url: s.url, snapshot: s, error: 'unreachable: '.repeat(20), rows, rates: new Map(), selected: rows[30]?.ref, top: 0, showSystem: false, columns, height });
      assert.equal(lines.length, height - 1);
      for (const line of lines) assert.ok(line.reduce((n, seg) => n + seg.text.length, 0) <= columns);
      assert.match(lines.at(-1)?.[0]?.text ?? '', /q quit/);
    }
  });

  it('the address forms: tcp: as the host prints it, host:port, http:// URL; anything else is bad_address', T, () => {
    assert.equal(endpointUrl('tcp:127.0.0.1:9901'), 'http://127.0.0.1:9901');
    assert.equal(endpointUrl('127.0.0.1:9901'), 'http://127.0.0.1:9901');
    assert.equal(endpointUrl('http://[::1]:9901/'), 'http://[::1]:9901');
    assert.throws(() => endpointUrl('tcp:nowhere'), (e: unknown) => e instanceof TopError && e.code === 'bad_address');
  });
});
