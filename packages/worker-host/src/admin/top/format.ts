/**
 * admin/top/format.ts: how `procmesh top` writes figures and states in a terminal cell: rates
 * (`1.2k/s`), durations from µs (`850µs`, `3.4ms`, `1.2s`), an actor's state with its marker,
 * the failure line with its root cause, and the flight recorder's events one per line. Plain
 * strings, no terminal codes (colours are the screen's business, app.ts), so the same text
 * lands in `--json`-free scripts and tests.
 */
import type { ActorProperties, FailureInfo } from '../nodes.js';

/** Upstream's `RecordedEvent` as the `flight_recorder` attr carries it (core flight-recorder.ts). */
export interface RecordedEvent {
  readonly timestamp: string;
  readonly seq: number;
  readonly level: string;
  readonly name: string;
  readonly fields: Readonly<Record<string, string | number>>;
}

/** `12`, `1.2k`, `3.4M` (3 significant digits at most). */
export function compact(n: number): string {
  const abs = Math.abs(n);
  if (abs < 1000) return abs >= 100 || Number.isInteger(n) ? n.toFixed(0) : n.toFixed(1);
  if (abs < 1e6) return `${(n / 1e3).toFixed(abs < 1e4 ? 1 : 0)}k`;
  if (abs < 1e9) return `${(n / 1e6).toFixed(abs < 1e7 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(1)}G`;
}

/** A rate in messages per second, `-` when there is none yet (TP-4). */
export function rate(perSecond: number | undefined): string {
  return perSecond === undefined ? '-' : `${compact(perSecond)}/s`;
}

/** A duration given in µs: `0`, `850µs`, `3.4ms`, `1.2s`, `2m05s`. */
export function duration(us: number): string {
  if (!(us > 0)) return '0';
  if (us < 1000) return `${us < 10 ? us.toFixed(1) : us.toFixed(0)}µs`;
  const ms = us / 1000;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(1) : ms.toFixed(0)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
}

/** `12:00:01.123` of an RFC 3339 time (UTC, as the endpoint writes it). */
export function clockTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '-';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? iso : new Date(at).toISOString().slice(11, 23);
}

/** The first line of a text, at most `width` characters (`…` when cut). */
export function clip(text: string, width: number): string {
  const line = text.split('\n', 1)[0] ?? '';
  if (width <= 0) return '';
  return line.length <= width ? line : `${line.slice(0, Math.max(0, width - 1))}…`;
}

export const pad = (text: string, width: number): string => clip(text, width).padEnd(width);
export const padStart = (text: string, width: number): string => clip(text, width).padStart(width);

export type Health = 'ok' | 'failed' | 'stopped' | 'busy' | 'error';

/** How an actor is doing, for its marker and colour. */
export function actorHealth(actor: ActorProperties | undefined): Health {
  if (actor === undefined) return 'error';
  if (actor.failure_info !== null || actor.actor_status.startsWith('failed')) return 'failed';
  if (actor.actor_status.startsWith('stopped')) return 'stopped';
  if (actor.actor_status.startsWith('processing')) return 'busy';
  return 'ok';
}

export const MARKER: Readonly<Record<Health, string>> = { ok: ' ', busy: '●', stopped: '○', failed: '✗', error: '?' };

/** The state column: `idle`, `processing`, `failed`, `stopped` (the first word of the status). */
export function stateWord(actor: ActorProperties | undefined): string {
  if (actor === undefined) return 'no answer';
  return (actor.actor_status.split(/[:\s]/, 1)[0] ?? '').trim() || actor.actor_status;
}

/** `muted` when the actor's flow control holds its sends (issue 11's `muted` attr), else `-`. */
export function muted(actor: ActorProperties | undefined): string {
  const m = actor?.attrs['muted'];
  return m === true ? 'muted' : m === false ? 'no' : '-';
}

/** A number attr (core ST-4, queue depth) or undefined when the host does not serve it. */
export function numAttr(actor: ActorProperties | undefined, key: string): number | undefined {
  const v = actor?.attrs[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `failed: <message>` then `root cause: <actor> (<name>) at <time>[, propagated]`. */
export function failureLines(f: FailureInfo): [string, string] {
  const name = f.root_cause_name !== null ? ` (${f.root_cause_name})` : '';
  return [`failed: ${f.error_message}`, `root cause: ${f.root_cause_actor}${name} at ${clockTime(f.occurred_at)}${f.is_propagated ? ', propagated' : ''}`];
}

/** The latest failure of a child this actor supervised (core ST-5), as one line. */
export function childFailureLine(actor: ActorProperties | undefined): string | undefined {
  const count = numAttr(actor, 'child_failures');
  const last = actor?.attrs['last_child_failure'];
  if (count === undefined || count === 0 || typeof last !== 'object' || last === null) return undefined;
  const l = last as Record<string, unknown>;
  return `child failures: ${count}, last ${String(l['actor'])}: ${String(l['error_message'])} (root cause ${String(l['root_cause_actor'])})`;
}

/** The flight recorder's events, oldest first; undefined when the recorder is off. */
export function recordedEvents(actor: ActorProperties | undefined): RecordedEvent[] | undefined {
  const text = actor?.flight_recorder;
  if (text === null || text === undefined) return undefined;
  try {
    const parsed = JSON.parse(text) as unknown;
    return Array.isArray(parsed) ? (parsed as RecordedEvent[]) : undefined;
  } catch {
    return undefined;
  }
}

/** One event: `12:00:01.123 handled  parse 12µs`. */
export function eventLine(e: RecordedEvent): string {
  const f = e.fields;
  const type = f['message_type'] !== undefined ? String(f['message_type']) : '';
  const took = typeof f['duration_us'] === 'number' ? ` ${duration(f['duration_us'])}` : '';
  const detail =
    e.name === 'status' ? String(f['status']) : e.name === 'sent' || e.name === 'undeliverable' ? `${type} -> ${String(f['dest'])}${f['error'] !== undefined ? ` ${String(f['error'])}` : ''}` : e.name === 'supervision' ? String(f['event']) : `${type}${took}${f['error'] !== undefined ? ` ${String(f['error'])}` : ''}`;
  return `${clockTime(e.timestamp)} ${e.name.padEnd(8)} ${detail}`;
}
