/**
 * `procmesh top` used as a person uses it (issue 14): a live host in a child process
 * (test/fixtures/top-host.ts, flight recorder on), `procmesh top <addr>` in a detached tmux
 * session (a real terminal: raw mode, key parsing, redraws), keys sent with `tmux send-keys`,
 * the screen read with `tmux capture-pane -p`. Every step waits on what the screen shows
 * (polled, with a deadline); the tmux server (its own socket) and the host are killed after.
 *
 * The layout read here is admin/top/screen.ts's: header, column titles, the tree, a rule, the
 * selected node's detail pane, the keys line.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { CLI, startHost, waitFor, type LiveHost } from './fixtures/top-harness.js';

const T = { timeout: 90_000 };
const SOCKET = `procmesh-top-test-${process.pid}`;
const SESSION = 'top';
const WIDTH = 120;
const HEIGHT = 36;

const tmux = (...args: string[]): string => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 });
const capture = (): string => tmux('capture-pane', '-p', '-t', SESSION);
const keys = (...k: string[]): void => void tmux('send-keys', '-t', SESSION, ...k);

/** The screen split as screen.ts draws it. */
function parse(text: string): { header: string; tree: string[]; detail: string[]; keys: string } {
  const lines = text.split('\n');
  const rule = lines.findIndex((l) => l.startsWith('────────'));
  const keysAt = lines.findIndex((l) => l.includes('q quit'));
  return { header: lines[0] ?? '', tree: lines.slice(2, Math.max(2, rule)), detail: rule < 0 ? [] : lines.slice(rule + 1, keysAt < 0 ? undefined : keysAt), keys: lines[keysAt] ?? '' };
}

/** Wait until the screen satisfies `ok`. */
const screenWhere = (what: string, ok: (s: ReturnType<typeof parse>) => boolean, timeoutMs = 20_000): Promise<ReturnType<typeof parse>> =>
  waitFor(
    what,
    () => {
      const s = parse(capture());
      return ok(s) ? s : undefined;
    },
    timeoutMs,
    100,
    capture,
  );

const treeRow = (s: ReturnType<typeof parse>, name: string): string | undefined => s.tree.find((l) => l.includes(` ${name}`));

/** Press `j` (or `k`) until the detail pane is about `ref`, as a person would. */
async function select(ref: string, key = 'j'): Promise<ReturnType<typeof parse>> {
  for (let i = 0; i < 20; i++) {
    const s = parse(capture());
    if (s.detail[0]?.startsWith(`${ref} `) === true || s.detail[0] === ref) return s;
    const before = s.detail[0];
    keys(key);
    await screenWhere(`the selection to move off ${before}`, (n) => n.detail[0] !== before, 5_000).catch(() => undefined);
  }
  throw new Error(`could not select ${ref}; screen:\n${capture()}`);
}

describe('procmesh top in tmux against a live host', () => {
  let host: LiveHost;
  before(async () => {
    host = await startHost({ PROCMESH_FLIGHT_RECORDER: '16' });
    const command = `${process.execPath} ${CLI} top ${host.addr} --interval 300; echo "top exited $?"; sleep 600`;
    tmux('new-session', '-d', '-s', SESSION, '-x', String(WIDTH), '-y', String(HEIGHT), command);
  });
  after(async () => {
    try {
      tmux('kill-server');
    } catch {
      // already gone
    }
    await host.stop();
  });

  it('draws the proc/actor tree with message rates, queue depths and the keys', T, async () => {
    const s = await screenWhere('the tree with a rate for the ticker', (n) => /ticker\[0\]\s+idle\s+[1-9][\d.]*k?\/s\s+\d+/.test(treeRow(n, 'ticker[0]') ?? ''));
    assert.match(s.header, /procmesh top · http:\/\/127\.0\.0\.1:\d+ · 3 procs/);
    for (const proc of ['local:0,main', 'local:1,proc_1', 'local:2,proc_2']) assert.ok(s.tree.some((l) => l.includes(`▾ ${proc} (`)), proc);
    // the guardian's supervised child is drawn under it, one level deeper
    const guardian = s.tree.findIndex((l) => l.includes('guardian[0]'));
    assert.ok(guardian >= 0 && (s.tree[guardian + 1] ?? '').includes('worker[1]'), s.tree.join('\n'));
    assert.ok((s.tree[guardian + 1] ?? '').indexOf('worker[1]') > (s.tree[guardian] ?? '').indexOf('guardian[0]'));
    assert.match(s.keys, /↑↓\/j\/k move · enter\/space collapse .* r refresh · q quit/);
  });

  it('j moves the selection down the tree; the detail pane drills into the selected actor', T, async () => {
    keys('g');
    await screenWhere('the first proc selected', (n) => n.detail[0] === 'local:0,main');
    const s = await select('local:1,proc_1,guardian[0]');
    assert.match(s.detail[0] ?? '', /Guardian/);
    const detail = (await screenWhere('the guardian\'s flight recorder', (n) => n.detail.some((l) => /handled\s+work/.test(l)))).detail.join('\n');
    assert.match(detail, /messages \d+ · [\d.]+k?\/s · queue \d+ · muted no · handler last \S+ max \S+ total \S+/);
    assert.match(detail, /last handler Guardian\.work at \d\d:\d\d:\d\d\.\d{3}/);
    assert.match(detail, /flight recorder \(\d+ events, newest last\)/);
    keys('k');
    await screenWhere('k to move the selection back up', (n) => n.detail[0]?.startsWith('local:1,proc_1,guardian[0]') !== true);
  });

  it('enter collapses the selected actor\'s children and expands them again', T, async () => {
    await select('local:1,proc_1,guardian[0]');
    keys('Enter');
    await screenWhere('worker[1] hidden under a collapsed guardian', (n) => treeRow(n, 'worker[1]') === undefined && /▸ guardian\[0\]/.test(treeRow(n, 'guardian[0]') ?? ''));
    keys('Space');
    await screenWhere('worker[1] shown again', (n) => treeRow(n, 'worker[1]') !== undefined && /▾ guardian\[0\]/.test(treeRow(n, 'guardian[0]') ?? ''));
  });

  it('a failure appears: marked in the tree and the header, its root cause in the detail pane', T, async () => {
    host.command('fail');
    // the actor's status and its proc's failure count arrive by separate reads: wait for one screen with all three
    const procRow = (n: ReturnType<typeof parse>): string => n.tree.find((l) => l.includes('local:1,proc_1 (')) ?? '';
    await screenWhere('worker[1], its proc and the header marked failed', (n) => /✗.*worker\[1\]\s+failed/.test(treeRow(n, 'worker[1]') ?? '') && /1 failed/.test(procRow(n)) && /1 failed/.test(n.header));
    const detail = (await select('local:1,proc_1,worker[1]')).detail.join('\n');
    assert.match(detail, /failed: disk on fire while handling 'boom' from local:1,proc_1,guardian\[0\]/);
    assert.match(detail, /root cause: local:1,proc_1,worker\[1\] at \d\d:\d\d:\d\d\.\d{3}/);
    assert.match(detail, /failed\s+boom .*disk on fire/, 'the flight recorder holds the failed message');
    // the guardian that absorbed it says so (ST-5)
    const guardian = (await select('local:1,proc_1,guardian[0]', 'k')).detail.join('\n');
    assert.match(guardian, /child failures: 1, last local:1,proc_1,worker\[1\]: disk on fire/);
  });

  it('q quits, and the terminal gets its screen back', T, async () => {
    keys('q');
    await waitFor('top to exit', () => (/top exited 0/.test(capture()) ? true : undefined), 20_000, 100, capture);
    assert.doesNotMatch(capture(), /q quit/);
  });
});
