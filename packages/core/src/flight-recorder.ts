/**
 * flight-recorder.ts: `FlightRecorder`, the last N events of one actor (issue 14; upstream's
 * per-actor `recording()`, shown as the `flight_recorder` introspection attr): messages handled
 * (type, duration), sends (destination, type), status changes, errors.
 *
 * Off by default (`PROCMESH_FLIGHT_RECORDER` = 0, the proc's `config.flightRecorder`, or a
 * spawn's `flightRecorder` option). An instance without one holds `undefined`, and every place
 * that records tests that one field (FR-4). A recorder is a fixed ring of parallel arrays, so
 * recording stores numbers and references to objects that exist anyway (the message's `type`
 * string, the destination `PortId`, the status object) and allocates nothing (FR-2). The JSON is
 * built only when introspection asks (FR-3).
 *
 * ## Invariants
 *
 * - FR-1: a recorder of size N holds the last N events, oldest first, each with a `seq` one
 *   more than the one before it (the count of events ever recorded, from 0).
 * - FR-2: recording an event allocates nothing.
 * - FR-3: `events()` / `toJSON()` read the ring without changing it.
 * - FR-4: with no recorder the cost is one `undefined` test per site.
 */
import type { Clock } from './clock.js';

/** What an event is about. */
export type FlightEventKind = 'handled' | 'failed' | 'sent' | 'status' | 'undeliverable' | 'supervision';

const KINDS: readonly FlightEventKind[] = ['handled', 'failed', 'sent', 'status', 'undeliverable', 'supervision'];
const K_HANDLED = 0;
const K_FAILED = 1;
const K_SENT = 2;
const K_STATUS = 3;
const K_UNDELIVERABLE = 4;
const K_SUPERVISION = 5;

/** One recorded event, in upstream's `RecordedEvent` shape (hyperactor introspect.rs). */
export interface FlightEvent {
  /** RFC 3339 with milliseconds */
  readonly timestamp: string;
  readonly seq: number;
  readonly level: 'INFO' | 'WARN' | 'ERROR';
  /** where it was recorded: `procmesh::actor` (handling), `procmesh::send`, `procmesh::status` */
  readonly target: string;
  readonly name: FlightEventKind;
  readonly fields: Readonly<Record<string, string | number>>;
}

/** The largest recorder a configuration may ask for. */
export const MAX_FLIGHT_RECORDER_EVENTS = 65_536;

export class FlightRecorder {
  private readonly at: Float64Array;
  private readonly duration: Float64Array;
  private readonly kind: Uint8Array;
  /** message type (handled, sent), status (status), error text (failed), ... */
  private readonly text: unknown[];
  /** destination (sent), source (supervision) */
  private readonly subject: unknown[];
  private count = 0;

  constructor(
    readonly capacity: number,
    private readonly clock: Clock,
  ) {
    const size = Math.max(1, Math.min(MAX_FLIGHT_RECORDER_EVENTS, Math.floor(capacity)));
    this.capacity = size;
    this.at = new Float64Array(size);
    this.duration = new Float64Array(size);
    this.kind = new Uint8Array(size);
    this.text = new Array<unknown>(size).fill(undefined);
    this.subject = new Array<unknown>(size).fill(undefined);
  }

  /** Events recorded so far (FR-1's `seq` of the next one). */
  get recorded(): number {
    return this.count;
  }

  private slot(kind: number, text: unknown, subject: unknown, durationMs: number, at: number): void {
    const i = this.count % this.capacity;
    this.count++;
    this.kind[i] = kind;
    this.at[i] = at;
    this.duration[i] = durationMs;
    this.text[i] = text;
    this.subject[i] = subject;
  }

  /** A message was handled in `durationMs`; `at` is when it started (epoch ms). */
  handled(messageType: string | undefined, durationMs: number, at: number): void {
    this.slot(K_HANDLED, messageType, undefined, durationMs, at);
  }

  /** A handler threw (or its promise rejected) after `durationMs`. */
  failed(messageType: string | undefined, error: unknown, durationMs: number, at: number): void {
    this.slot(K_FAILED, messageType, error, durationMs, at);
  }

  /** The actor sent a message of `messageType` to `dest` (a `PortId` or a location string). */
  sent(dest: unknown, messageType: string | undefined): void {
    this.slot(K_SENT, messageType, dest, 0, this.clock.now());
  }

  /** The actor's status changed (lifecycle changes, not the per-message idle/processing). */
  status(status: unknown): void {
    this.slot(K_STATUS, status, undefined, 0, this.clock.now());
  }

  /** A message the actor sent came back undeliverable. */
  undeliverable(dest: unknown, error: string | undefined): void {
    this.slot(K_UNDELIVERABLE, error, dest, 0, this.clock.now());
  }

  /** A child's supervision event arrived (`event` is its display). */
  supervision(event: unknown, failed: boolean): void {
    this.slot(K_SUPERVISION, event, failed, 0, this.clock.now());
  }

  /** FR-1, FR-3: the events held, oldest first. */
  events(): FlightEvent[] {
    const n = Math.min(this.count, this.capacity);
    const out: FlightEvent[] = [];
    for (let k = this.count - n; k < this.count; k++) {
      const i = k % this.capacity;
      out.push(this.event(k, i));
    }
    return out;
  }

  private event(seq: number, i: number): FlightEvent {
    const kind = this.kind[i] as number;
    const name = KINDS[kind] as FlightEventKind;
    const timestamp = new Date(this.at[i] as number).toISOString();
    const text = this.text[i];
    const subject = this.subject[i];
    const durationUs = Math.round((this.duration[i] as number) * 1000);
    const type = text === undefined ? 'unknown' : String(text);
    switch (kind) {
      case K_HANDLED:
        return { timestamp, seq, level: 'INFO', target: 'procmesh::actor', name, fields: { message_type: type, duration_us: durationUs } };
      case K_FAILED:
        return { timestamp, seq, level: 'ERROR', target: 'procmesh::actor', name, fields: { message_type: type, duration_us: durationUs, error: errorText(subject) } };
      case K_SENT:
        return { timestamp, seq, level: 'INFO', target: 'procmesh::send', name, fields: { dest: String(subject), message_type: type } };
      case K_STATUS:
        return { timestamp, seq, level: 'INFO', target: 'procmesh::status', name, fields: { status: String(text) } };
      case K_UNDELIVERABLE:
        return { timestamp, seq, level: 'WARN', target: 'procmesh::send', name, fields: { dest: String(subject), error: text === undefined ? '' : String(text) } };
      default:
        return { timestamp, seq, level: subject === true ? 'ERROR' : 'INFO', target: 'procmesh::supervision', name, fields: { event: String(text) } };
    }
  }

  /** The `flight_recorder` attr: JSON of `events()`, or undefined when none was recorded (upstream). */
  toJSON(): string | undefined {
    return this.count === 0 ? undefined : JSON.stringify(this.events());
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** A recorder of `size` events, or undefined for 0 (off; FR-4). */
export function flightRecorder(size: number | undefined, clock: Clock): FlightRecorder | undefined {
  if (size === undefined || !(size > 0)) return undefined;
  return new FlightRecorder(size, clock);
}
