/**
 * admin/top/tree.ts: the collapsible proc/actor tree of `procmesh top` as rows: which rows a
 * snapshot shows given what is collapsed and whether system actors are shown, and how the
 * selection moves. Pure functions of the snapshot, so the screen (app.ts) only draws rows and
 * the behaviour is testable without a terminal.
 *
 * The selection is kept by reference, not by row number: when a refresh adds or removes rows
 * above it, the same proc or actor stays selected.
 *
 * ## Invariants
 *
 * - TP-6: a collapsed row's descendants are not shown; every other proc and actor is (system
 *   actors only when `showSystem`), procs in the root's order, actors depth first.
 * - TP-7: the selection is always a shown row's reference (or undefined for an empty tree):
 *   a selected row that disappears (collapsed under its parent, gone) moves the selection to
 *   the nearest shown row above it.
 */
import type { ActorView, ProcView, Snapshot } from './snapshot.js';

export type Row =
  | { readonly kind: 'proc'; readonly ref: string; readonly depth: 0; readonly proc: ProcView; readonly hasChildren: boolean; readonly collapsed: boolean }
  | { readonly kind: 'actor'; readonly ref: string; readonly depth: number; readonly procRef: string; readonly actor: ActorView; readonly hasChildren: boolean; readonly collapsed: boolean };

export interface TreeState {
  readonly collapsed: ReadonlySet<string>;
  readonly showSystem: boolean;
}

const isSystem = (a: ActorView): boolean => a.actor?.is_system === true;

/** TP-6 */
export function visibleRows(snapshot: Snapshot, state: TreeState): Row[] {
  const rows: Row[] = [];
  const shown = (actors: readonly ActorView[]): ActorView[] => (state.showSystem ? [...actors] : actors.filter((a) => !isSystem(a)));
  const addActors = (actors: readonly ActorView[], depth: number, procRef: string): void => {
    for (const actor of shown(actors)) {
      const kids = shown(actor.children);
      const collapsed = state.collapsed.has(actor.ref);
      rows.push({ kind: 'actor', ref: actor.ref, depth, procRef, actor, hasChildren: kids.length > 0, collapsed });
      if (!collapsed) addActors(kids, depth + 1, procRef);
    }
  };
  for (const proc of snapshot.procs) {
    const collapsed = state.collapsed.has(proc.ref);
    rows.push({ kind: 'proc', ref: proc.ref, depth: 0, proc, hasChildren: shown(proc.actors).length > 0, collapsed });
    if (!collapsed) addActors(proc.actors, 1, proc.ref);
  }
  return rows;
}

/**
 * TP-7: the selection after the rows changed. `previous` are the rows the selection was made
 * on, so a vanished selection can fall back to the nearest row above it that is still shown.
 */
export function keepSelection(rows: readonly Row[], selected: string | undefined, previous: readonly Row[] = []): string | undefined {
  if (rows.length === 0) return undefined;
  if (selected !== undefined && rows.some((r) => r.ref === selected)) return selected;
  const at = previous.findIndex((r) => r.ref === selected);
  for (let i = at - 1; i >= 0; i--) {
    const ref = previous[i]?.ref;
    if (ref !== undefined && rows.some((r) => r.ref === ref)) return ref;
  }
  return rows[0]?.ref;
}

/** Move the selection by `delta` rows (clamped to the ends). */
export function moveSelection(rows: readonly Row[], selected: string | undefined, delta: number): string | undefined {
  if (rows.length === 0) return undefined;
  const at = Math.max(0, rows.findIndex((r) => r.ref === selected));
  const to = Math.min(rows.length - 1, Math.max(0, at + delta));
  return rows[to]?.ref;
}

/** Collapse or expand `ref` (a row without children is left as it is). */
export function toggle(collapsed: ReadonlySet<string>, row: Row | undefined): ReadonlySet<string> {
  if (row === undefined || !row.hasChildren) return collapsed;
  const next = new Set(collapsed);
  if (next.has(row.ref)) next.delete(row.ref);
  else next.add(row.ref);
  return next;
}

/** Set `ref` collapsed (`true`) or expanded (`false`). */
export function setCollapsed(collapsed: ReadonlySet<string>, row: Row | undefined, value: boolean): ReadonlySet<string> {
  if (row === undefined || !row.hasChildren || collapsed.has(row.ref) === value) return collapsed;
  return toggle(collapsed, row);
}

/** The rows of a window of `height` rows that keeps `selected` in view, starting near `top`. */
export function scrollWindow(rows: readonly Row[], selected: string | undefined, top: number, height: number): number {
  const at = Math.max(0, rows.findIndex((r) => r.ref === selected));
  const h = Math.max(1, height);
  let start = Math.min(Math.max(0, top), Math.max(0, rows.length - h));
  if (at < start) start = at;
  if (at >= start + h) start = at - h + 1;
  return start;
}
