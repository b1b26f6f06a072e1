/**
 * admin/top/screen.ts: the whole `procmesh top` screen as lines of styled segments, a pure
 * function of what the app holds (snapshot, rates, tree state, selection, terminal size):
 *
 * ```
 * header      procmesh top · <url> · N procs · N actors · N failed · updated <time>
 * columns     NAME  STATE  MSG/S  QUEUE  MUTED  LAST  MAX
 * tree        ▾ local:1,proc_1 ...            (scrolls to keep the selection in view)
 * ─ detail ─  the selected proc or actor: stats, failure with root cause, flight recorder
 * keys        ↑↓/j/k move · enter/space collapse · ... · q quit
 * ```
 *
 * app.ts turns the lines into ink `<Text>` elements; keeping the layout here means it is read
 * and tested as text, without a terminal.
 *
 * ## Invariants
 *
 * - TP-8: the screen is exactly `rows - 1` lines of at most `columns` characters each (ink
 *   redraws in place only below the terminal's height), and the keys line is always the last.
 */
import type { ActorProperties, ProcProperties } from '../nodes.js';
import * as fmt from './format.js';
import type { ActorView, ProcView, Snapshot } from './snapshot.js';
import type { Row } from './tree.js';

export type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'gray' | 'magenta';

export interface Segment {
  readonly text: string;
  readonly color?: Color;
  readonly bold?: boolean;
  readonly inverse?: boolean;
}

export type Line = readonly Segment[];

export interface ScreenInput {
  readonly url: string;
  readonly snapshot: Snapshot | undefined;
  /** The last refresh's error, shown in the header (the last good snapshot stays on screen). */
  readonly error: string | undefined;
  readonly rows: readonly Row[];
  readonly rates: ReadonlyMap<string, number>;
  readonly selected: string | undefined;
  /** The first tree row shown (tree.ts `scrollWindow`). */
  readonly top: number;
  readonly showSystem: boolean;
  readonly columns: number;
  readonly height: number;
}

export const KEYS = '↑↓/j/k move · enter/space collapse · ←→ fold/unfold · s system · r refresh · q quit';
/** The keys line of a narrow terminal (TP-8: always shown, whole). */
const KEYS_SHORT = 'j/k move · enter fold · r refresh · q quit';

/** Fixed columns right of the name: state, rate, queue, muted, last, max. */
const COLS = [
  ['STATE', 10],
  ['MSG/S', 8],
  ['QUEUE', 6],
  ['MUTED', 6],
  ['LAST', 7],
  ['MAX', 7],
] as const;
const FIXED = COLS.reduce((sum, [, w]) => sum + w + 1, 0);

/** The lines the detail pane gets, and so how many the tree keeps (TP-8). */
export function layout(height: number): { tree: number; detail: number } {
  const usable = Math.max(6, height - 1); // TP-8: one line short of the terminal
  const detail = Math.max(3, Math.min(14, Math.floor((usable - 4) * 0.45)));
  return { tree: Math.max(1, usable - 4 - detail), detail };
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

function countActors(snapshot: Snapshot): { actors: number; failed: number } {
  let actors = 0;
  let failed = 0;
  const walk = (list: readonly ActorView[]): void => {
    for (const a of list) {
      if (a.actor?.is_system !== true) actors++;
      if (fmt.actorHealth(a.actor) === 'failed') failed++;
      walk(a.children);
    }
  };
  for (const p of snapshot.procs) walk(p.actors);
  return { actors, failed };
}

function header(input: ScreenInput): Line {
  const parts: Segment[] = [{ text: 'procmesh top', bold: true }, { text: ` · ${input.url}` }];
  const s = input.snapshot;
  if (s !== undefined) {
    const { actors, failed } = countActors(s);
    // a proc starting (a replacement) is not down; one gone, stopping or not answering is
    const gone = s.procs.filter((p) => p.proc === undefined || (p.proc.state !== 'ready' && p.proc.state !== 'starting')).length;
    parts.push({ text: ` · ${plural(s.procs.length, 'proc')} · ${plural(actors, 'actor')}` });
    if (failed > 0) parts.push({ text: ` · ${failed} failed`, color: 'red', bold: true });
    if (gone > 0) parts.push({ text: ` · ${plural(gone, 'proc')} down`, color: 'red', bold: true });
    parts.push({ text: ` · ${fmt.clockTime(s.takenAt)}`, color: 'gray' });
  }
  if (input.error !== undefined) parts.push({ text: ` · ${input.error}`, color: 'red' });
  return parts;
}

function columnsLine(nameWidth: number): Line {
  const text = `${fmt.pad('  NAME', nameWidth)} ${COLS.map(([t, w]) => fmt.padStart(t, w)).join(' ')}`;
  return [{ text, bold: true, color: 'gray' }];
}

function procRow(row: Row & { kind: 'proc' }, nameWidth: number): Segment[] {
  const p = row.proc;
  const fold = row.hasChildren ? (row.collapsed ? '▸ ' : '▾ ') : '  ';
  const state = p.error !== undefined ? p.error.code : (p.proc?.state ?? '?');
  const failed = p.proc?.failed_actor_count ?? 0;
  const extra = p.proc !== undefined ? ` (${plural(p.proc.num_actors, 'actor')}${failed > 0 ? `, ${failed} failed` : ''})` : '';
  const bad = p.error !== undefined || (p.proc !== undefined && p.proc.state !== 'ready');
  const text = `${fmt.pad(`${fold}${row.ref}${extra}`, nameWidth)} ${fmt.padStart(state, COLS[0][1])}`;
  return [{ text, bold: true, ...(bad || failed > 0 ? { color: 'red' as const } : {}) }];
}

function actorRow(row: Row & { kind: 'actor' }, rates: ReadonlyMap<string, number>, nameWidth: number): Segment[] {
  const a = row.actor.actor;
  const health = fmt.actorHealth(a);
  const fold = row.hasChildren ? (row.collapsed ? '▸ ' : '▾ ') : '  ';
  const indent = '  '.repeat(row.depth - 1);
  const name = `${fmt.MARKER[health]}${indent}${fold}${row.actor.name}${a?.is_system === true ? ' (system)' : ''}`;
  const queue = fmt.numAttr(a, 'queue_depth');
  const last = fmt.numAttr(a, 'last_handler_time_us');
  const max = fmt.numAttr(a, 'max_handler_time_us');
  const cells = [
    row.actor.error !== undefined ? row.actor.error.code : fmt.stateWord(a),
    fmt.rate(rates.get(row.ref)),
    queue === undefined ? '-' : fmt.compact(queue),
    fmt.muted(a),
    last === undefined ? '-' : fmt.duration(last),
    max === undefined ? '-' : fmt.duration(max),
  ];
  const text = `${fmt.pad(name, nameWidth)} ${cells.map((c, i) => fmt.padStart(c, COLS[i]?.[1] ?? 6)).join(' ')}`;
  const color: Color | undefined = health === 'failed' || health === 'error' ? 'red' : health === 'stopped' ? 'gray' : health === 'busy' ? 'yellow' : fmt.muted(a) === 'muted' ? 'magenta' : undefined;
  return [{ text, ...(color !== undefined ? { color } : {}) }];
}

function treeLines(input: ScreenInput, height: number, nameWidth: number): Line[] {
  const lines: Line[] = [];
  const shown = input.rows.slice(input.top, input.top + height);
  for (const row of shown) {
    const segs = row.kind === 'proc' ? procRow(row, nameWidth) : actorRow(row, input.rates, nameWidth);
    lines.push(row.ref === input.selected ? segs.map((s) => ({ ...s, inverse: true })) : segs);
  }
  if (input.rows.length === 0) lines.push([{ text: input.snapshot === undefined ? 'connecting…' : 'no procs', color: 'gray' }]);
  return lines;
}

function actorDetail(view: ActorView, rates: ReadonlyMap<string, number>, showSystem: boolean): Line[] {
  const a: ActorProperties | undefined = view.actor;
  const lines: Line[] = [[{ text: view.ref, bold: true }, { text: a !== undefined ? `  ${a.actor_type}` : '', color: 'cyan' }]];
  if (a === undefined) {
    lines.push([{ text: `no answer: ${view.error?.code ?? '?'}: ${view.error?.message ?? ''}`, color: 'red' }]);
    return lines;
  }
  const queue = fmt.numAttr(a, 'queue_depth');
  const last = fmt.numAttr(a, 'last_handler_time_us');
  const max = fmt.numAttr(a, 'max_handler_time_us');
  // a failure's text comes below, with its root cause
  const status = a.failure_info !== null ? 'failed' : (a.actor_status.split('\n', 1)[0] ?? '');
  lines.push([{ text: `status ${status}`, ...(fmt.actorHealth(a) === 'failed' ? { color: 'red' as const } : {}) }]);
  lines.push([
    {
      text: `messages ${fmt.compact(a.messages_processed)} · ${fmt.rate(rates.get(view.ref))} · queue ${queue ?? '-'} · muted ${fmt.muted(a)} · handler last ${last === undefined ? '-' : fmt.duration(last)} max ${max === undefined ? '-' : fmt.duration(max)} total ${fmt.duration(a.total_processing_time_us)}`,
    },
  ]);
  const lastAt = a.attrs['last_handled_at'];
  lines.push([{ text: `last handler ${a.last_message_handler ?? '-'} at ${fmt.clockTime(typeof lastAt === 'string' ? lastAt : null)} · created ${fmt.clockTime(a.created_at)}`, color: 'gray' }]);
  if (a.failure_info !== null) for (const text of fmt.failureLines(a.failure_info)) lines.push([{ text, color: 'red', bold: true }]);
  const child = fmt.childFailureLine(a);
  if (child !== undefined) lines.push([{ text: child, color: 'yellow' }]);
  const events = fmt.recordedEvents(a);
  if (events === undefined) lines.push([{ text: 'flight recorder off (PROCMESH_FLIGHT_RECORDER=N records the last N events)', color: 'gray' }]);
  else {
    lines.push([{ text: `flight recorder (${events.length} events, newest last):`, bold: true }]);
    for (const e of events) lines.push([{ text: `  ${fmt.eventLine(e)}`, ...(e.level === 'ERROR' ? { color: 'red' as const } : e.level === 'WARN' ? { color: 'yellow' as const } : {}) }]);
  }
  if (!showSystem && view.children.some((c) => c.actor?.is_system === true)) lines.push([{ text: 'system children hidden (s shows them)', color: 'gray' }]);
  return lines;
}

function procDetail(view: ProcView): Line[] {
  const p: ProcProperties | undefined = view.proc;
  const lines: Line[] = [[{ text: view.ref, bold: true }]];
  if (p === undefined) {
    lines.push([{ text: `no answer: ${view.error?.code ?? '?'}: ${view.error?.message ?? ''}`, color: 'red' }]);
    return lines;
  }
  lines.push([{ text: `state ${p.state}${p.stopped_reason !== null ? `: ${p.stopped_reason}` : ''}`, ...(p.state !== 'ready' ? { color: 'red' as const } : {}) }]);
  lines.push([{ text: `${p.num_actors} actors · ${p.stopped_children.length} stopped · ${p.failed_actor_count} failed · answered in ${view.answeredInMs.toFixed(0)} ms${p.served_addr !== null ? ` · serves ${p.served_addr}` : ''}` }]);
  for (const f of p.failures) {
    lines.push([{ text: `✗ ${f.actor}`, color: 'red', bold: true }]);
    for (const text of fmt.failureLines(f)) lines.push([{ text: `  ${text}`, color: 'red' }]);
  }
  return lines;
}

function findActor(actors: readonly ActorView[], ref: string): ActorView | undefined {
  for (const a of actors) {
    if (a.ref === ref) return a;
    const found = findActor(a.children, ref);
    if (found !== undefined) return found;
  }
  return undefined;
}

function detailLines(input: ScreenInput, height: number): Line[] {
  const row = input.rows.find((r) => r.ref === input.selected);
  if (row === undefined) return [];
  let lines: Line[];
  if (row.kind === 'proc') lines = procDetail(row.proc);
  else {
    const proc = input.snapshot?.procs.find((p) => p.ref === row.procRef);
    lines = actorDetail((proc !== undefined ? findActor(proc.actors, row.ref) : undefined) ?? row.actor, input.rates, input.showSystem);
  }
  if (lines.length <= height) return lines;
  // keep the head (who, state, stats, failure) and the newest flight-recorder events
  const head = lines.findIndex((l) => l[0]?.text.startsWith('flight recorder (') === true);
  if (head < 0 || head + 1 >= height) return lines.slice(0, height);
  return [...lines.slice(0, head + 1), ...lines.slice(lines.length - (height - head - 1))];
}

const fit = (line: Line, width: number): Line => {
  const out: Segment[] = [];
  let left = width;
  for (const s of line) {
    if (left <= 0) break;
    const text = s.text.length <= left ? s.text : fmt.clip(s.text, left);
    out.push({ ...s, text });
    left -= text.length;
  }
  return out;
};

/** TP-8: the whole screen. */
export function screen(input: ScreenInput): Line[] {
  const width = Math.max(1, input.columns);
  const { tree, detail } = layout(input.height);
  const nameWidth = Math.max(16, width - FIXED);
  const tl = treeLines(input, tree, nameWidth);
  const dl = detailLines(input, detail);
  const blank: Line = [{ text: '' }];
  const lines: Line[] = [
    header(input),
    columnsLine(nameWidth),
    ...tl,
    ...Array.from({ length: tree - tl.length }, () => blank),
    [{ text: '─'.repeat(width), color: 'gray' }],
    ...dl,
    ...Array.from({ length: detail - dl.length }, () => blank),
    [{ text: KEYS.length <= width ? KEYS : KEYS_SHORT, color: 'cyan' }],
  ];
  return lines.map((l) => fit(l, width));
}
