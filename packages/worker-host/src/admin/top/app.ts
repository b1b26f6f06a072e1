/**
 * admin/top/app.ts: `procmesh top`'s terminal UI, on ink 6 (React for the terminal): the state
 * (snapshots, tree, selection), the refresh loop and the keys. What the screen shows is
 * screen.ts (pure); this file only holds state and maps the screen's lines to `<Text>`.
 *
 * Why ink, and why 6: ink is maintained, used by many CLIs (Gatsby, Prisma, GitHub Copilot
 * CLI), and handles raw-mode input, key parsing, resizes and in-place redraws; neo-blessed, the
 * other candidate, has had no release for years. ink 7 and later need Node 22; the project
 * supports Node 20 (`engines`), so ink 6 it is. Elements are built with `createElement` (as
 * `h`), not JSX, so the package needs no JSX build step.
 *
 * The refresh loop reads a snapshot every `intervalMs` (never two at once); `r` reads one now.
 * A failed read keeps the last good snapshot on screen with the error in the header, and the
 * loop keeps trying (a host restarting on the same address comes back by itself).
 */
import { Box, Text, render, useApp, useInput, useStdout, type Key } from 'ink';
import { createElement as h, useCallback, useEffect, useMemo, useRef, useState, type ReactElement } from 'react';
import { TopError, type AdminClient } from './client.js';
import { messageRates } from './rates.js';
import { layout, screen, type Line } from './screen.js';
import { takeSnapshot, type Snapshot } from './snapshot.js';
import { keepSelection, moveSelection, scrollWindow, setCollapsed, toggle, visibleRows, type Row } from './tree.js';

export interface TopOptions {
  readonly client: AdminClient;
  readonly intervalMs: number;
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = (): { columns: number; rows: number } => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = (): void => setSize(read());
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  return size;
}

function useSnapshots(client: AdminClient, intervalMs: number): { snapshot: Snapshot | undefined; rates: ReadonlyMap<string, number>; error: string | undefined; refresh: () => void } {
  const [state, setState] = useState<{ snapshot: Snapshot | undefined; rates: ReadonlyMap<string, number>; error: string | undefined }>({ snapshot: undefined, rates: new Map(), error: undefined });
  const busy = useRef(false);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);
  const alive = useRef(true);
  const refresh = useCallback(() => {
    if (busy.current || !alive.current) return;
    busy.current = true;
    clearTimeout(timer.current);
    takeSnapshot(client).then(
      (next) => setState((s) => ({ snapshot: next, rates: messageRates(s.snapshot, next), error: undefined })),
      (err: unknown) => setState((s) => ({ ...s, error: err instanceof TopError ? `${err.code}: ${err.message}` : String(err) })),
    ).finally(() => {
      busy.current = false;
      if (alive.current) timer.current = setTimeout(refresh, intervalMs);
    });
  }, [client, intervalMs]);
  useEffect(() => {
    alive.current = true;
    refresh();
    return () => {
      alive.current = false;
      clearTimeout(timer.current);
    };
  }, [refresh]);
  return { ...state, refresh };
}

function Top({ client, intervalMs }: TopOptions): ReactElement {
  const { exit } = useApp();
  const size = useTerminalSize();
  const { snapshot, rates, error, refresh } = useSnapshots(client, intervalMs);
  const [collapsed, setCollapsedSet] = useState<ReadonlySet<string>>(new Set());
  const [showSystem, setShowSystem] = useState(false);
  const [selected, setSelected] = useState<string | undefined>(undefined);
  const [top, setTop] = useState(0);
  const previous = useRef<readonly Row[]>([]);

  const rows = useMemo(() => (snapshot === undefined ? [] : visibleRows(snapshot, { collapsed, showSystem })), [snapshot, collapsed, showSystem]);
  const current = keepSelection(rows, selected, previous.current); // TP-7
  const treeHeight = layout(size.rows).tree;
  const start = scrollWindow(rows, current, top, treeHeight);
  useEffect(() => {
    previous.current = rows;
    if (current !== selected) setSelected(current);
    if (start !== top) setTop(start);
  });

  // Keys may arrive faster than renders (a paste, tmux send-keys): each key reads and writes
  // the latest rows and selection through refs, not this render's values.
  const live = useRef({ rows, selected: current, collapsed });
  live.current = { rows, selected: current, collapsed };
  const onKey = (input: string, key: Key): void => {
    const l = live.current;
    const row = l.rows.find((r) => r.ref === l.selected);
    const select = (ref: string | undefined): void => {
      l.selected = ref;
      setSelected(ref);
    };
    const fold = (next: ReadonlySet<string>): void => {
      l.collapsed = next;
      l.rows = snapshot === undefined ? [] : visibleRows(snapshot, { collapsed: next, showSystem });
      setCollapsedSet(next);
    };
    if (input === 'q' || (key.ctrl && input === 'c')) exit();
    else if (key.upArrow || input === 'k') select(moveSelection(l.rows, l.selected, -1));
    else if (key.downArrow || input === 'j') select(moveSelection(l.rows, l.selected, 1));
    else if (key.pageUp) select(moveSelection(l.rows, l.selected, -treeHeight));
    else if (key.pageDown) select(moveSelection(l.rows, l.selected, treeHeight));
    else if (key.home || input === 'g') select(l.rows[0]?.ref);
    else if (key.end || input === 'G') select(l.rows.at(-1)?.ref);
    else if (key.return || input === ' ') fold(toggle(l.collapsed, row));
    else if (key.leftArrow || input === 'h') fold(setCollapsed(l.collapsed, row, true));
    else if (key.rightArrow || input === 'l') fold(setCollapsed(l.collapsed, row, false));
    else if (input === 's') setShowSystem((v) => !v);
    else if (input === 'r') refresh();
  };
  useInput((input: string, key: Key) => {
    // several plain keys in one chunk: one at a time
    if (input.length > 1 && !key.ctrl && !key.meta) for (const ch of input) onKey(ch, key);
    else onKey(input, key);
  });

  const lines = screen({ url: client.url, snapshot, error, rows, rates, selected: current, top: start, showSystem, columns: size.columns, height: size.rows });
  return h(Box, { flexDirection: 'column' }, ...lines.map((line, i) => lineElement(line, i)));
}

function lineElement(line: Line, key: number): ReactElement {
  if (line.length === 0) return h(Text, { key }, ' ');
  return h(
    Text,
    { key, wrap: 'truncate' },
    ...line.map((s, j) => h(Text, { key: j, ...(s.color !== undefined ? { color: s.color } : {}), bold: s.bold === true, inverse: s.inverse === true }, s.text === '' ? ' ' : s.text)),
  );
}

/** Run the UI on the terminal until `q`; the alternate screen keeps the shell's scrollback. */
export async function runTop(options: TopOptions): Promise<void> {
  const out = process.stdout;
  out.write('\x1b[?1049h\x1b[H'); // the alternate screen, as top and less use
  const app = render(h(Top, options), { exitOnCtrlC: false, patchConsole: true });
  try {
    await app.waitUntilExit();
  } finally {
    app.cleanup();
    out.write('\x1b[?1049l');
  }
}
