/**
 * `pnpm fuzz` in its short form, as CI runs it (issue 11's reliability suite): the seeded fuzzer
 * (benchmarks/fuzz.ts) throws a few thousand mutated inputs at every decoder a peer or a caller
 * reaches, and a few hundred at a live `Proc.direct` over a real tcp socket. Every input must
 * get a value or a typed error, no proc may crash, `Object.prototype` and `Array.prototype` must
 * be untouched, and the victim proc must still answer a real request afterwards; the fuzzer
 * exits 0 only then. The long form (`pnpm fuzz --inputs 200000 --net 20000`) is in the README.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// test/dist/fuzz-short.test.js -> benchmarks/dist/fuzz.js
const FUZZ = fileURLToPath(new URL('../../benchmarks/dist/fuzz.js', import.meta.url));

function runFuzz(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FUZZ, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('fuzz, short form (issue 11)', () => {
  it('no input crashes a decoder or a served proc, pollutes a prototype, or silences the victim', { timeout: 180_000 }, async () => {
    const { code, output } = await runFuzz(['--seed', '1107', '--inputs', '3000', '--net', '300']);
    assert.match(output, /other exceptions: 0; crashes: 0; victim alive and answering: true; prototypes untouched: true/, output);
    assert.equal(code, 0, output);
  });
});
