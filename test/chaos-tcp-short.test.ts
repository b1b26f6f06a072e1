/**
 * `pnpm chaos`'s tcp scenarios with a receiving worker that dies, in short form (issue 11; a file
 * of their own, so each file stays within the runner's per-file time): NR-10, NR-11
 * (channel/net/rx.ts, held.ts, resume-table.ts). The sink's worker serves tcp and is killed at
 * seeded messages while a proxy cuts the connection at seeded bytes; the restart policy replaces
 * it (HO-3) and each sender's net session resumes there: what the dead worker handled is not
 * delivered again, what it had received but not handled is. Before: acked at delivery, so lost;
 * and the old session rejected, so what was handled but not yet acked also came back returned
 * (duplicated). Every seq must be handled exactly once or returned, in order per source.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SHORT, assertAccounted, chaos } from './fixtures/chaos-run.js';

const T = { timeout: 110_000 };

describe('chaos over tcp with receiver deaths, short form (issue 11)', () => {
  for (const [scenario, seed, what] of [
    ['tcp.exit', 24, 'one link, process.exit in the handler'],
    ['tcp.links+exit', 25, 'a link per stream into one actor, handlers that await, process.exit'],
    ['tcp.cuts+terminate', 26, 'one link, worker.terminate while a handler runs'],
  ] as const) {
    it(`${scenario}: the receiving worker dies over tcp (${what}) and every seq is handled exactly once or returned, in order`, T, async () => {
      const { code, output, rows } = await chaos(['--seed', String(seed), ...SHORT, '--only', scenario]);
      const [row] = rows;
      assert.ok(row !== undefined, output);
      assertAccounted(row, output);
      assert.equal(row.kills, 2, 'both kills happened');
      assert.equal(row.restarts, 2, 'the sink was restarted after each');
      assert.ok(row.incarnations === 3, 'three incarnations handled the stream');
      assert.equal(code, 0, output);
    });
  }
});
