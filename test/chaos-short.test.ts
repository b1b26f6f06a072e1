/**
 * `pnpm chaos` in its short form, as CI runs it (issue 11's reliability suite): the same code as
 * the long form (benchmarks/chaos-streams.ts, lib/chaos-scenario.ts) with small counts. Numbered streams
 * by `ActorRef` into a sink on a worker proc that is killed twice per scenario at seeded messages
 * (`process.exit` in its handler, an uncaught error, a failed handler whose proc the failure
 * policy tears down (LL-7), worker.terminate while a handler runs) and
 * restarted by the restart policy (HO-3); and over tcp through a proxy that cuts the connection
 * at seeded bytes (CP-1, CP-2; NT-3, NT-11, NR-1; with the receiving worker killed too:
 * chaos-tcp-short.test.ts). Every seq must be handled exactly once or
 * returned to its source, in order per source (UM-1, RL-2, RL-3); the restarted sink must have
 * handled part of each stream. The long form's figures are in the README ("Reliability").
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHORT, assertAccounted, chaos } from './fixtures/chaos-run.js';

const T = { timeout: 150_000 };

describe('chaos, short form (issue 11)', () => {
  for (const seed of [21, 22]) {
    it(`seed ${seed}: a sink killed at seeded messages in each way a worker dies loses, duplicates and reorders nothing, and its restarts take the stream on`, T, async () => {
      const { code, output, rows } = await chaos(['--seed', String(seed), ...SHORT, '--only', 'ring.exit,ring.uncaught,ring.teardown,ring.terminate']);
      assert.deepEqual(rows.map((r) => r.scenario), ['ring.exit', 'ring.uncaught', 'ring.teardown', 'ring.terminate'], output);
      for (const row of rows) {
        assertAccounted(row, output);
        assert.equal(row.kills, 2, `both kills happened: ${row.scenario}`);
        assert.equal(row.restarts, 2, `the sink was restarted after each: ${row.scenario}`);
        assert.ok(row.returned > 0, `the deaths came mid-stream: ${row.scenario}`);
        assert.ok(row.handled > 0 && row.incarnations === 3, `three incarnations handled the stream: ${row.scenario}`);
      }
      assert.equal(code, 0, output);
    });
  }

  it('tcp through a cutting proxy: hundreds of cuts mid-frame, every message handled exactly once, in order, none returned', T, async () => {
    const { code, output, rows } = await chaos(['--seed', '23', ...SHORT, '--only', 'tcp.cuts']);
    const [row] = rows;
    assert.ok(row !== undefined, output);
    assertAccounted(row, output);
    assert.equal(row.handled, row.messages, 'nothing returned: the session survives every cut (NT-3, NT-11)');
    assert.ok(row.cuts >= 100, `the proxy cut the connection ${row.cuts} times`);
    assert.equal(code, 0, output);
  });
});
