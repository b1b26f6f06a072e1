#!/usr/bin/env node
// The README's screenshot of `procmesh top` watching the main job (`pnpm start`):
//
//   pnpm build && node scripts/top-screenshot.mjs [--out docs/top-screenshot]
//
// Starts the example app with its admin endpoint on a free loopback port and the flight recorder
// on, runs `procmesh top` on it in a detached tmux session (a real terminal, 120x34), waits until
// the screen shows the mappers at work and the injected mapper failure, selects a mapper (keys,
// as a person would), and captures the pane with its colours (`tmux capture-pane -p -e`). Writes
// <out>.txt (the plain text) and <out>.svg (rendered by scripts/ansi-svg.mjs). Kills the tmux
// server (its own socket) and the app after, whatever happens. Needs tmux.
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ansiToSvg } from './ansi-svg.mjs';

const repo = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { out: { type: 'string', default: 'docs/top-screenshot' } } });
const COLUMNS = 120;
const ROWS = 34;
const SOCKET = `procmesh-screenshot-${process.pid}`;
const tmux = (...args) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 });
const capture = (...flags) => tmux('capture-pane', '-p', ...flags, '-t', 'top');

async function freePort() {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function until(what, ok, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const screen = capture();
    if (ok(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${screen}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const addr = `tcp:127.0.0.1:${await freePort()}`;
const app = spawn(process.execPath, ['examples/dist/main.js', '--no-baseline', '--procs', '3', '--size', '60000000', '--chunks', '2000', '--admin', addr], {
  cwd: repo,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: { ...process.env, PROCMESH_FLIGHT_RECORDER: '12' },
});
try {
  const cli = fileURLToPath(new URL('../packages/worker-host/bin/procmesh.js', import.meta.url));
  // retry until the app's endpoint is up, then stay
  const command = `until ${process.execPath} ${cli} top ${addr} --diagnose >/dev/null 2>&1; do sleep 0.2; done; ${process.execPath} ${cli} top ${addr} --interval 500`;
  tmux('new-session', '-d', '-s', 'top', '-x', String(COLUMNS), '-y', String(ROWS), command);
  await until('the mappers and the injected failure', (s) => /mapper/.test(s) && /✗/.test(s) && /[1-9][\d.]*k?\/s/.test(s));
  for (let i = 0; i < 40 && !/^local:\d+,proc_\d+,mapper\[\d+\]\s+Mapper/m.test(capture()); i++) {
    tmux('send-keys', '-t', 'top', 'j');
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  await until('the mapper\'s flight recorder', (s) => /handled\s+map/.test(s), 20_000).catch(() => undefined);
  const text = capture();
  const ansi = capture('-e');
  writeFileSync(`${values.out}.txt`, text);
  writeFileSync(`${values.out}.svg`, ansiToSvg(ansi, { columns: COLUMNS, rows: ROWS - 1, title: 'procmesh top watching the example job' }));
  console.log(`wrote ${values.out}.txt and ${values.out}.svg`);
} finally {
  try {
    tmux('kill-server');
  } catch {
    // already gone
  }
  app.kill('SIGTERM');
}
