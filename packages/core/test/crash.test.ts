/**
 * The crash without a coordinator, in a real child process (spec §4.2.8, PD-4; upstream
 * `test_proc_terminate_without_coordinator`): the first error event reaching a proc with no
 * coordinator ends the process with exit code 1.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const fixture = fileURLToPath(new URL('./fixtures/crash-no-coordinator.js', import.meta.url));

function run(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PROCMESH_LOG: 'fatal' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += String(d)));
    child.stderr.on('data', (d: Buffer) => (stderr += String(d)));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('crash without a coordinator (§4.2.8)', () => {
  it('test_proc_terminate_without_coordinator: a failing root with no coordinator exits the process with code 1 (PD-4)', { timeout: 30_000 }, async () => {
    const { code, stdout, stderr } = await run(fixture);
    assert.equal(code, 1, `stdout: ${stdout}\nstderr: ${stderr}`);
    assert.ok(!stdout.includes('no crash'));
    assert.ok(stderr.includes('coordinator port is not set'), 'the fatal log line says why, on stderr');
  });
});
