/**
 * mailbox/envelope.ts: `MessageEnvelope` (spec §1.4), its headers, and `Undeliverable`.
 *
 * An envelope carries an already-serialized payload (`data`, msgpackr bytes) from a sender
 * actor to a destination port, with headers, a hop budget (`ttl`) and the delivery errors
 * appended by each failed hop. Inside one proc the envelope object itself travels (only the
 * payload is bytes); across threads and sockets `wire/` encodes the whole envelope.
 *
 * ## Invariants
 *
 * - UM-1: every envelope ends in exactly one of: handled, returned to its sender as
 *   `Undeliverable`, or logged as abandoned (`undelivered_message_abandoned`).
 * - UM-2: a returned envelope (an `Undeliverable` payload) is never itself returned.
 * - EN-1: `foreign` tells an envelope decoded from another thread's or process's bytes from one
 *   built here; only the decoders set it (wire/tuple.ts, wire/envelope-record.ts).
 * - EN-2: a local envelope (`MessageEnvelope.local`: a ref send inside one proc, PT-5) carries
 *   the sender's message as a copy (mailbox/local-copy.ts), not bytes: its port delivers that
 *   copy (`localValue`), and `data` encodes it on the first read (a return's payload, a log line).
 */
import type { ActorId, PortId } from '../id.js';
import { DeliveryError } from './errors.js';

/** `SEQ_INFO`: a per-session sequence number, or `direct` for unbound handle sends (§1.13). */
export type SeqInfo = { readonly kind: 'session'; readonly sessionId: string; readonly seq: number } | { readonly kind: 'direct' };

export const SeqInfo = {
  direct: Object.freeze({ kind: 'direct' }) as SeqInfo,
  session: (sessionId: string, seq: number): SeqInfo => ({ kind: 'session', sessionId, seq }),
  display: (info: SeqInfo): string => (info.kind === 'direct' ? 'direct' : `${info.sessionId}:${info.seq}`),
} as const;

/**
 * Message headers (upstream `Flattrs`): a string-keyed bag. Well-known keys are in `HEADER`.
 * Values must be serializable by msgpackr.
 */
export interface Headers {
  [key: string]: unknown;
  send_timestamp?: number;
  message_type?: string;
  seq_info?: SeqInfo;
}

export const HEADER = {
  /** ms since the epoch, set by the sender if absent */
  SEND_TIMESTAMP: 'send_timestamp',
  /** the message's type name (its `type` field, or the port's type) */
  MESSAGE_TYPE: 'message_type',
  /** `SeqInfo` */
  SEQ_INFO: 'seq_info',
} as const;

/** Headers of unbound handle sends: shared and frozen, so the handle fast path allocates nothing. */
export const DIRECT_HEADERS: Headers = Object.freeze({ seq_info: SeqInfo.direct });

/** The errors of an envelope that has none: shared (an envelope allocates its own on the first error). */
const NO_ERRORS: readonly DeliveryError[] = Object.freeze([]);

/** The bytes a local envelope is built with before `data` encodes its value (EN-2). */
const NO_BYTES = new Uint8Array(0);

export class MessageEnvelope {
  private errorList: readonly DeliveryError[];
  private bytes: Uint8Array | undefined;
  /** @internal EN-2: the copied message of a local envelope (see `isLocal`). */
  localValue: unknown = undefined;
  private encodeLocal: ((value: unknown) => Uint8Array) | undefined = undefined;
  /**
   * EN-1: true for an envelope decoded from bytes of another thread or process (a net frame, a
   * ring record, a MessagePort message, a returned envelope inside a payload); false for one
   * built in this thread. A foreign envelope's payload is walked before msgpackr decodes it
   * (wire/limits.ts), and a delivery that fails on its content leaves the port bound (MB-4).
   */
  foreign = false;
  constructor(
    readonly sender: ActorId,
    readonly dest: PortId,
    /** The serialized payload (msgpackr). */
    data: Uint8Array,
    readonly headers: Headers,
    /** Remaining hop budget; `post` decrements, `postUnchecked` does not. */
    public ttl: number,
    /** When false, a failed delivery is dropped instead of returned. */
    readonly returnUndeliverable = true,
    errors: readonly DeliveryError[] = NO_ERRORS,
  ) {
    this.errorList = errors;
    this.bytes = data;
  }

  /** @internal EN-2: an envelope carrying `value` (a copy no one else holds); `encode` makes its `data` when read. */
  static local(sender: ActorId, dest: PortId, value: unknown, encode: (value: unknown) => Uint8Array, headers: Headers, ttl: number, returnUndeliverable: boolean): MessageEnvelope {
    const envelope = new MessageEnvelope(sender, dest, NO_BYTES, headers, ttl, returnUndeliverable);
    envelope.bytes = undefined;
    envelope.localValue = value;
    envelope.encodeLocal = encode;
    return envelope;
  }

  /** The serialized payload (msgpackr); a local envelope's is encoded on the first read (EN-2). */
  get data(): Uint8Array {
    return (this.bytes ??= (this.encodeLocal as (value: unknown) => Uint8Array)(this.localValue));
  }

  /** @internal EN-2: whether `localValue` is the message (no bytes were made for it). */
  get isLocal(): boolean {
    return this.encodeLocal !== undefined;
  }

  /** The delivery errors appended on each failure, in order. */
  get errors(): readonly DeliveryError[] {
    return this.errorList;
  }

  /** Append a delivery error (a failed hop). */
  addError(error: DeliveryError): void {
    this.errorList = [...this.errorList, error];
  }

  /** upstream `error_msg()`: the errors joined with "; ", or undefined. */
  errorMessage(): string | undefined {
    return this.errors.length === 0 ? undefined : this.errors.map(String).join('; ');
  }

  /** `{sender} > {dest}: {n bytes} {headers}` + `: delivery error: {errors}` */
  toString(): string {
    const base = `${this.sender} > ${this.dest}: <${this.data.byteLength} bytes> ${JSON.stringify(this.headers)}`;
    const err = this.errorMessage();
    return err === undefined ? base : `${base}: delivery error: ${err}`;
  }
}

/** A message returned to its sender because it could not be delivered. */
export class Undeliverable {
  constructor(readonly envelope: MessageEnvelope) {}
  toString(): string {
    return `Undeliverable(${this.envelope})`;
  }
}
