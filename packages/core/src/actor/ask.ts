/**
 * actor/ask.ts: request/reply with a timeout and a typed reply (issue 12, "Ask"; Akka Typed's
 * `ask`, Erlang's `gen_server:call`): `ref.ask(cx, { type: 'get' }, { timeoutMs })` sends the
 * request with a fresh once port in its `reply` field and resolves with what comes back on it.
 * Upstream has no ask helper (a caller opens a once port and awaits its receiver by hand); this
 * module is that pattern plus the three ways it can fail, each a typed `AskError`:
 *
 * | outcome | code | how it is known |
 * |---|---|---|
 * | the reply arrived | (resolves) | the once port's receiver got its value |
 * | no reply within `timeoutMs` | `ask-timeout` | a timer on the asker's proc clock (AC-8) |
 * | the request cannot be delivered | `ask-undeliverable` | the request came back as `Undeliverable` (no such actor or proc, broken link, TTL) |
 * | the target stopped before answering | `ask-target-stopped` | the request came back with `mailbox owner ... is stopped` / `failed`: it reached a closed mailbox (MB-2), was queued when the target stopped (RT-1, actor/retire.ts), or its handler failed (RT-2) |
 * | the asker stopped first | `ask-abandoned` | the asker's mailbox closed, so its once port did (PT-7) |
 *
 * ## Invariants
 *
 * - ASK-1: an ask settles exactly once, and when it settles nothing of it is left in the asker:
 *   its once port is unbound and its receiver gone (PT-7), its entry in the instance's
 *   `AskTable` deleted, its timer cancelled. The counts return to where they were (issue 11).
 * - ASK-2: the reply port's ref is sent with `returnUndeliverable` false: a reply that arrives
 *   after the ask settled (a timeout) is dropped at the asker's mailbox and logged there
 *   (MS-3, mailbox/sender.ts), and never fails the replier with an `Undeliverable`.
 * - ASK-3: the request carries the `ask_reply` header (its reply port's index). A returned
 *   request with that header is taken by the asker's `AskTable` at its `Undeliverable` port,
 *   synchronously (never through the work queue: the asker may be awaiting the ask inside a
 *   handler, AC-1), and never reaches `handleUndeliverableMessage`. A return for an ask that
 *   settled already is logged as abandoned (UM-1).
 * - ASK-4: asking binds the asker's `Undeliverable` port first (an actor's `bind()`, a client's
 *   return port), so returns of the request, local or remote, reach the `AskTable`.
 */
import type { Clock, Timer } from '../clock.js';
import { ProcmeshError } from '../errors.js';
import type { PortId } from '../id.js';
import type { Undeliverable } from '../mailbox/envelope.js';
import type { OncePortHandle, OncePortReceiver } from '../mailbox/ports.js';
import { abandon } from '../mailbox/sender.js';
import { OncePortRef, type AskOptions, type SendHeaders } from '../ref.js';

/** ASK-3: the header of an ask's request: the index of its reply port in the asker's mailbox. */
export const ASK_HEADER = 'ask_reply';

/** The default `timeoutMs` of an ask. */
export const DEFAULT_ASK_TIMEOUT_MS = 30_000;

/** The ways an ask fails (the table in the module doc). */
export type AskErrorCode = 'ask-timeout' | 'ask-undeliverable' | 'ask-target-stopped' | 'ask-abandoned';

/** A failed ask: what was asked (`messageType`, the request's `type`), of whom (`target`), and why (`code`). */
export class AskError extends ProcmeshError {
  readonly code: AskErrorCode;
  constructor(
    code: AskErrorCode,
    message: string,
    readonly target: string,
    readonly messageType: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}

/** What an ask needs of its asker (`Instance` implements it). */
export interface AskHost {
  openOncePort<T>(typeName?: string): [OncePortHandle<T>, OncePortReceiver<T>];
  postMessage(dest: PortId, message: unknown, extra: SendHeaders | undefined, returnUndeliverable: boolean): void;
  readonly clock: Clock;
  /** ASK-4: the asker's table of pending asks, its `Undeliverable` port bound. */
  askTable(): AskTable;
}

/** ASK-3: the pending asks of one instance, by reply port index. */
export class AskTable {
  private readonly pending = new Map<number, (returned: Undeliverable) => void>();

  /** How many asks are pending (ASK-1: back to its earlier value once they settled). */
  get size(): number {
    return this.pending.size;
  }

  /** @internal */
  add(index: number, onReturn: (returned: Undeliverable) => void): void {
    this.pending.set(index, onReturn);
  }

  /** @internal */
  delete(index: number): boolean {
    return this.pending.delete(index);
  }

  /** @internal */
  has(index: number): boolean {
    return this.pending.has(index);
  }

  /** ASK-3: take a returned envelope if it is an ask's request; false when it is not one. */
  intercept(returned: Undeliverable): boolean {
    const index = returned.envelope.headers[ASK_HEADER];
    if (typeof index !== 'number') return false;
    const settle = this.pending.get(index);
    if (settle !== undefined) settle(returned);
    else abandon(returned.envelope); // the ask settled already (UM-1)
    return true;
  }
}

/**
 * Ask the port `dest`: `build` makes the request around the reply port's ref; resolves with the
 * reply, rejects with `AskError` (or, before anything was sent, the send's own error, such as
 * `MailboxSenderError('serialize')`).
 */
export function ask<R>(cx: AskHost, dest: PortId, build: (reply: OncePortRef<R>) => unknown, options?: AskOptions): Promise<R> {
  const timeoutMs = options?.timeoutMs ?? DEFAULT_ASK_TIMEOUT_MS;
  const table = cx.askTable(); // ASK-4
  const [handle, receiver] = cx.openOncePort<R>('ask-reply');
  const index = handle.index;
  const reply = new OncePortRef<R>(handle.bind().portId, false); // ASK-2
  let message: unknown;
  try {
    message = build(reply);
  } catch (err) {
    receiver.close();
    throw err;
  }
  const arm = typeof message === 'object' && message !== null ? (message as { type?: unknown }).type : undefined;
  const messageType = typeof arm === 'string' ? arm : undefined;
  const what = `ask${messageType === undefined ? '' : ` '${messageType}'`} to ${dest}`;
  return new Promise<R>((resolve, reject) => {
    let timer: Timer | undefined;
    /** ASK-1: the one way out; false when the ask settled already. */
    const settle = (): boolean => {
      if (!table.delete(index)) return false;
      timer?.cancel();
      receiver.close();
      return true;
    };
    table.add(index, (returned) => {
      if (settle()) reject(returnedError(returned, what, String(dest), messageType));
    });
    try {
      cx.postMessage(dest, message, { [ASK_HEADER]: index }, true);
    } catch (err) {
      if (settle()) reject(err);
      return;
    }
    if (!table.has(index)) return; // returned while posting (a local destination)
    timer = cx.clock.setTimeout(() => {
      if (settle()) reject(new AskError('ask-timeout', `${what}: no reply within ${timeoutMs} ms`, String(dest), messageType));
    }, timeoutMs);
    receiver.recv().then(
      (value) => {
        // the value arrived: the receiver left its mailbox already (PT-7)
        if (table.delete(index)) {
          timer?.cancel();
          resolve(value);
        }
      },
      (err: unknown) => {
        if (settle()) reject(new AskError('ask-abandoned', `${what}: the asker stopped before the reply arrived`, String(dest), messageType, { cause: err }));
      },
    );
  });
}

/** A returned request: the target had stopped (its mailbox closed), or it could not be reached. */
function returnedError(returned: Undeliverable, what: string, target: string, messageType: string | undefined): AskError {
  const envelope = returned.envelope;
  const why = envelope.errorMessage() ?? 'returned';
  const stopped = envelope.errors.some((e) => e.kind === 'mailbox' && e.detail.startsWith('mailbox owner '));
  return stopped
    ? new AskError('ask-target-stopped', `${what}: the target stopped before answering: ${why}`, target, messageType)
    : new AskError('ask-undeliverable', `${what}: the request was not delivered: ${why}`, target, messageType);
}
