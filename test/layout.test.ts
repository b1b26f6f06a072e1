/**
 * The tree keeps the shape DESIGN.md gives it (issue 10): files under ~600 lines; worker-host the
 * Node adapter only (about 1,000 lines, no envelope format, no ring drain loop, no router: the
 * data plane is core's). Read from the sources, so a change that breaks the shape fails here,
 * beside the import-cycle check (packages/core/test/import-cycles.test.ts).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** The repository root, from test/dist/layout.test.js. */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const T = { timeout: 10_000 };
const MAX_FILE_LINES = 600;
const MAX_WORKER_HOST_LINES = 1_000;

function sources(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function lines(path: string): number {
  return readFileSync(path, 'utf8').split('\n').length - 1;
}

const packages = readdirSync(join(ROOT, 'packages')).map((name) => join(ROOT, 'packages', name, 'src'));
const workerHost = sources(join(ROOT, 'packages/worker-host/src'));
/**
 * The adapter's budget leaves out `src/admin/`: that is the admin endpoint (and, later, its
 * TUI), an observer of the host, not the Node adapter; its files still keep the 600-line rule.
 */
const adapter = workerHost.filter((file) => !relative(join(ROOT, 'packages/worker-host/src'), file).startsWith('admin'));

describe('source layout (DESIGN.md)', () => {
  it(`no source file in packages/*/src is over ${MAX_FILE_LINES} lines`, T, () => {
    const long = packages.flatMap((src) => sources(src)).filter((file) => lines(file) > MAX_FILE_LINES);
    assert.deepEqual(long.map((file) => `${relative(ROOT, file)}: ${lines(file)}`), []);
  });

  it(`worker-host is the Node adapter: at most ${MAX_WORKER_HOST_LINES} lines in all`, T, () => {
    const total = adapter.reduce((sum, file) => sum + lines(file), 0);
    assert.ok(total <= MAX_WORKER_HOST_LINES, `packages/worker-host/src holds ${total} lines`);
  });

  it('worker-host holds no envelope encoding, no ring drain loop and no router', T, () => {
    const found: string[] = [];
    for (const file of workerHost) {
      const text = readFileSync(file, 'utf8');
      const name = relative(ROOT, file);
      if (/from 'msgpackr'/.test(text)) found.push(`${name}: imports msgpackr (an encoding)`);
      if (/implements\s+[^{]*\b(RecordCodec|Codec|MailboxSender|Tx|Rx)\b/.test(text)) found.push(`${name}: implements a codec, sender or channel`);
      if (/extends\s+BaseMailboxSender\b/.test(text)) found.push(`${name}: a mailbox sender (a router)`);
      if (/\bAtomics\.|RingConsumer|\.poll\(/.test(text)) found.push(`${name}: reads a ring (a drain loop)`);
    }
    assert.deepEqual(found, []);
  });
});
