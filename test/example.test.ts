/**
 * The example app end to end (issue 6): runs `examples/dist/main.js` in a child process on a
 * small job and checks that it ends with a correct, checked result after the injected failure,
 * with the summary and every proc's actor tree printed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

// test/dist/example.test.js -> examples/dist/main.js
const MAIN = fileURLToPath(new URL('../../examples/dist/main.js', import.meta.url));

function runExample(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('example app (issue 6)', () => {
  it('counts the primes over 2 procs, survives the injected failure, and checks the result', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--procs', '2', '--size', '1000000', '--chunks', '100']);
    const output = `${stdout}\n${stderr}`;
    assert.equal(code, 0, output);
    assert.match(stdout, /✔ correct: every run found 78,498 primes below 1,000,000/, output);
    assert.doesNotMatch(stdout, /✘/, output);
    // the failure reached the main-thread supervisor and the work was re-run on a replacement proc
    assert.match(stdout, /⚠ supervisor: actor local:\d+,proc_\d+,mapper\[0\] failed on proc \d+: injected failure while mapping chunk 30 \[300000, 310000\)/, output);
    assert.match(stdout, /✚ replacement proc 3 \(local:3,proc_3\) is up/, output);
    assert.match(stdout, /supervision\s+1 failure reported/, output);
    // progress lines (not a TTY: one per 10%), the summary, the trees
    assert.match(stdout, /100%\s+100\/100 chunks/, output);
    assert.match(stdout, /speed-up\s+\d+\.\d+× with 2 procs over 1 proc/, output);
    assert.match(stdout, /messages\s+[\d,]+ exchanged/, output);
    assert.match(stdout, /proc 0 {2}local:0,main {2}\(main thread\)/, output);
    assert.match(stdout, /local:0,main,reducer\[0\] {2}Reducer/, output);
    assert.match(stdout, /local:3,proc_3,mapper\[0\] {2}Mapper/, output);
  });

  it('runs on one proc without the failure and without the baseline', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--procs', '1', '--size', '100000', '--no-failure', '--no-baseline']);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /✔ correct: every run found 9,592 primes below 100,000/);
    assert.match(stdout, /check\s+sieve of Eratosthenes: 9,592 primes, sum 454,396,537 \(and the known π value\)/);
    assert.match(stdout, /supervision\s+no failure/);
  });

  it('rejects a bad flag with a usage message and exit code 1', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runExample(['--procs', 'zero']);
    assert.equal(code, 1);
    assert.match(stderr, /--procs must be an integer/);
  });
});
