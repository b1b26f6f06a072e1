/**
 * The API reference builds (issue 13, item 5): TypeDoc (the root `docs` script's tool, with the
 * root typedoc.json) renders every entry point's documentation comments without an error or a
 * warning, with the guide (docs/guide.md) as its front page. Written to a temporary folder, not
 * to docs/api/.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const typedoc = join(repo, 'node_modules/typedoc/bin/typedoc');

describe('the API reference (issue 13)', () => {
  it('TypeDoc renders every entry point with the guide as its front page, no errors, no warnings', { timeout: 180_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'procmesh-docs-'));
    try {
      const output = await new Promise<string>((resolvePromise, reject) => {
        execFile(process.execPath, [typedoc, '--out', out, '--treatWarningsAsErrors'], { cwd: repo, timeout: 170_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
          if (err !== null) reject(new Error(`typedoc failed: ${err.message}\n${stdout}\n${stderr}`));
          else resolvePromise(`${stdout}${stderr}`);
        });
      });
      assert.doesNotMatch(output, /\[warning\]|\[error\]/, output);
      // one module per entry point, named as it is imported
      assert.ok(existsSync(join(out, 'classes/_procmesh_worker-host.ProcHost.html')), 'worker-host is documented');
      assert.ok(existsSync(join(out, 'classes/_procmesh_core.Proc.html')), 'core is documented');
      assert.ok(existsSync(join(out, 'modules/_procmesh_core_transport.html')), 'the transport entry is documented');
      assert.match(readFileSync(join(out, 'index.html'), 'utf8'), /Sending contract/);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
