/**
 * `pnpm soak` in its short form, as CI runs it (issue 11's reliability suite): the same code as
 * the long form (benchmarks/soak.ts, lib/soak-actors.ts) for a few seconds: 4 worker procs x 25
 * actors exchanging random requests (ask, once ports, replies to an `ActorRef` or a `PortRef`
 * nested in the request). Asserts behaviour only: every reply arrived exactly once with the right
 * value, and after the requests finished no per-request state is left: a mailbox holds only its
 * kept port's receiver (PT-7, ASK-1) and a sequencer has no counter per once port (RF-4), read
 * through internal accessors (`Mailbox.openReceiverCount`, `Sequencer.counterCount`). The heap
 * figures of the long form are in the README ("Reliability"), not asserted here.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// test/dist/soak-short.test.js -> benchmarks/dist/soak.js
const SOAK = fileURLToPath(new URL('../../benchmarks/dist/soak.js', import.meta.url));

interface Checks {
  readonly issued: number;
  readonly replies: number;
  readonly answered: number;
  readonly duplicates: number;
  readonly wrong: number;
  readonly errors: number;
  readonly open: number;
  readonly byKind: { ask: number; once: number; actor: number; port: number };
  readonly maxReceivers: number;
  readonly excessCounters: number;
}

describe('soak, short form (issue 11)', () => {
  it('4 procs x 25 actors, random requests for 4 s: every reply exactly once, and no per-request state left after them', { timeout: 120_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'procmesh-soak-'));
    const out = join(dir, 'soak.json');
    try {
      const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
        const child = spawn(process.execPath, [SOAK, '--seconds', '4', '--actors', '25', '--sample', '2', '--seed', '31', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
        let text = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (text += d));
        child.on('error', reject);
        child.on('close', (c) => resolve({ code: c, output: text }));
      });
      const { checks } = JSON.parse(readFileSync(out, 'utf8')) as { checks: Checks };
      const where = `${JSON.stringify(checks)}\n${output}`;
      for (const kind of ['ask', 'once', 'actor', 'port'] as const) assert.ok(checks.byKind[kind] > 0, `some ${kind} requests: ${where}`);
      assert.equal(checks.open, 0, `every request got its reply: ${where}`);
      assert.equal(checks.replies, checks.issued, where);
      assert.equal(checks.answered, checks.issued, `every request was answered once: ${where}`);
      assert.deepEqual([checks.duplicates, checks.wrong, checks.errors], [0, 0, 0], where);
      assert.ok(checks.maxReceivers <= 1, `PT-7, ASK-1: only the kept port's receiver is left: ${where}`);
      assert.equal(checks.excessCounters, 0, `RF-4: no sequencer counter per once port: ${where}`);
      assert.equal(code, 0, output);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
