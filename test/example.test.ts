/**
 * The example app end to end (issue 6; issue 12: restart policy, mesh and cast, accumulating
 * port): runs `examples/dist/main.js` in a child process on a small job and checks that it ends
 * with a correct, checked result after each injected fault (a mapper that throws, a worker
 * killed from outside, a worker out of memory), with the summary and every proc's actor tree.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runExample } from './fixtures/run-example.js';

describe('example app (issue 6, rewritten for issue 12)', () => {
  it('counts the primes over 2 procs; the mapper that throws gets its proc restarted and its chunks re-sent; checks the result', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--procs', '2', '--size', '1000000', '--chunks', '100']);
    const output = `${stdout}\n${stderr}`;
    assert.equal(code, 0, output);
    assert.match(stdout, /✔ correct: every run found 78,498 primes below 1,000,000/, output);
    assert.doesNotMatch(stdout, /✘/, output);
    // the mesh failure names the rank; the restart policy brings the same proc back; the app re-sends
    assert.match(stdout, /⚠ mesh failure: rank \d, local:\d,proc_\d,mapper\[0\]: injected failure while mapping chunk 30 \[300000, 310000\)/, output);
    assert.match(stdout, /✚ proc (\d) restarted by the restart policy \(same id local:\1,proc_\1, restart 1 in its window\); its mapper is respawned as rank \d; \d+ chunk\(s\) re-sent through the same ref/, output);
    assert.match(stdout, /supervision\s+1 mesh failure\(s\); 1 proc restart\(s\) by the restart policy/, output);
    // progress lines (not a TTY: one per 10%), the summary, the trees
    assert.match(stdout, /100%\s+100\/100 chunks/, output);
    assert.match(stdout, /speed-up\s+\d+\.\d+× with 2 procs over 1 proc/, output);
    assert.match(stdout, /messages\s+[\d,]+ exchanged: [\d,]+ map → mappers \([\d,]+ casts to the live ranks/, output);
    assert.match(stdout, /proc 0 {2}local:0,main {2}\(main thread\)/, output);
    assert.match(stdout, /local:1,proc_1,mapper\[0\] {2}Mapper/, output);
    assert.match(stdout, /local:2,proc_2,mapper\[0\] {2}Mapper/, output);
  });

  it('--failure kill: a worker terminated from outside during the run is restarted, with the same result', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--procs', '2', '--size', '1000000', '--chunks', '100', '--failure', 'kill', '--no-baseline']);
    const output = `${stdout}\n${stderr}`;
    assert.equal(code, 0, output);
    assert.match(stdout, /⚡ fault injection: proc \d's worker terminated from outside \(host\.killProc\)/, output);
    assert.match(stdout, /⚠ mesh failure: rank \d, local:\d,proc_\d,mapper\[0\]: worker of local:\d,proc_\d exited with code 1 \(terminated by ProcHost\.killProc\)/, output);
    assert.match(stdout, /✚ proc \d restarted by the restart policy/, output);
    assert.match(stdout, /✔ correct: every run found 78,498 primes below 1,000,000/, output);
  });

  it('--failure oom: a worker out of memory under resourceLimits is restarted, with the same result', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--procs', '2', '--size', '1000000', '--chunks', '100', '--failure', 'oom', '--no-baseline']);
    const output = `${stdout}\n${stderr}`;
    assert.equal(code, 0, output);
    assert.match(stdout, /⚠ mesh failure: rank \d, local:\d,proc_\d,mapper\[0\]: worker of local:\d,proc_\d exited with code 1 \(Error: Worker terminated due to reaching memory limit: JS heap out of memory\)/, output);
    assert.match(stdout, /✚ proc \d restarted by the restart policy/, output);
    assert.match(stdout, /✔ correct: every run found 78,498 primes below 1,000,000/, output);
  });

  it('runs on one proc without the failure and without the baseline', { timeout: 120_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--procs', '1', '--size', '100000', '--no-failure', '--no-baseline']);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /✔ correct: every run found 9,592 primes below 100,000/);
    assert.match(stdout, /check\s+sieve of Eratosthenes: 9,592 primes, sum 454,396,537 \(and the known π value\)/);
    assert.match(stdout, /supervision\s+no failure/);
  });

  it('takes its flags after the `--` that `pnpm start -- --flag` passes on', { timeout: 60_000 }, async () => {
    const { code, stdout, stderr } = await runExample(['--', '--procs', '1', '--size', '10000', '--failure', 'none', '--no-baseline']);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    assert.match(stdout, /✔ correct: every run found 1,229 primes below 10,000/);
  });

  it('rejects a bad flag with a usage message and exit code 1', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runExample(['--procs', 'zero']);
    assert.equal(code, 1);
    assert.match(stderr, /--procs must be an integer/);
  });

  it('rejects an unknown failure kind with a usage message and exit code 1', { timeout: 30_000 }, async () => {
    const { code, stderr } = await runExample(['--failure', 'meteor']);
    assert.equal(code, 1);
    assert.match(stderr, /--failure must be one of throw, oom, kill, none, got 'meteor'/);
  });
});
