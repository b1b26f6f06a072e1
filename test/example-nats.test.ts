/**
 * The example's map-reduce across OS processes over NATS (`pnpm start --nats`, issue 15), end to
 * end in its short form: `examples/dist/main.js --nats --nats-url ...` in a child process against
 * a real `nats-server` this test starts and stops. The job runs on the coordinator's process and
 * 2 mapper processes, one of them SIGKILLed at 30%, and must end with the sieve-checked result.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runExample } from './fixtures/run-example.js';
import { NatsServer, natsServerMissing } from './fixtures/nats.js';

const T = { timeout: 120_000, skip: natsServerMissing };

describe('example app over NATS (issue 15)', { skip: natsServerMissing }, () => {
  let server: NatsServer;

  before(async () => {
    server = await NatsServer.start();
  }, T);

  after(async () => {
    await server?.dispose();
  }, T);

  it('counts the primes across 3 OS processes over NATS, survives a killed mapper process, and checks the result', T, async () => {
    const url = `nats://${server.hostPort}`;
    const { code, stdout, stderr } = await runExample(['--nats', '--nats-url', url, '--size', '1000000', '--chunks', '100']);
    const output = `${stdout}\n${stderr}`;
    assert.equal(code, 0, output);
    assert.match(stdout, /✔ correct: every run found 78,498 primes below 1,000,000/, output);
    assert.doesNotMatch(stdout, /✘/, output);
    assert.match(stdout, new RegExp(`nats\\s+${url.replaceAll('.', '\\.')}\\n`), output);
    assert.match(stdout, /processes\s+3 OS processes at the start \(this one \+ 2 mapper processes\), 1 replacement/, output);
    assert.match(stdout, /⚡ fault injection: SIGKILL mapper process \d \(pid \d+, nats:\/\/127\.0\.0\.1:\d+\/mapreduce\.mapper_\d,mapper_\d\)/, output);
    assert.match(stdout, /✚ replacement mapper process 3 \(pid \d+\) is up: nats:\/\/127\.0\.0\.1:\d+\/mapreduce\.mapper_3,mapper_3,mapper\[0\]/, output);
    assert.match(stdout, /mapper \d {2}nats:\/\/127\.0\.0\.1:\d+\/mapreduce\.mapper_\d,mapper_\d {2}\d+ chunks {2}exited \(SIGKILL\)/, output);
  });

  it('--nats with an unreachable server fails fast with the typed error and exit code 1', T, async () => {
    const gone = await NatsServer.start();
    await gone.dispose(); // its port is free now: nothing answers there
    const { code, stdout, stderr } = await runExample(['--nats', '--nats-url', `nats://${gone.hostPort}`, '--size', '10000', '--chunks', '10']);
    assert.equal(code, 1, `${stdout}\n${stderr}`);
    assert.match(stderr, /✘ the example failed: ChannelError: nats: cannot reach 127\.0\.0\.1:\d+/, stderr);
  });
});
