/**
 * ref.ts: the serializable typed references, `ActorRef<M>`, `PortRef<T>` and `OncePortRef<T>`
 * (spec §1.3, §1.6, §3.1).
 *
 * A ref is an id with a message type: plain data that can travel inside any message (the codec
 * registers all three as msgpack extensions, in `wire/msgpack.ts`, next to the ids). It sits on the
 * floor just above the ids, so anything may hold one without importing the codec, the mailbox
 * or the actor runtime.
 *
 * A ref send goes through its caller's `PostContext` (upstream `context::Actor` +
 * `MailboxExt::post`): the context serializes the message, builds the envelope and posts it from
 * its own mailbox (`Instance.postMessage` -> mailbox/ports.ts `postMessage`). The ref itself
 * needs neither the codec nor a mailbox.
 *
 * ## Invariants
 *
 * - RF-1: a ref is immutable; `withReturnUndeliverable` and `intoOnce` make new refs.
 * - RF-2: a ref send is one call on the context (`postMessage`), with no allocation here: the
 *   handler port's `PortRef` of an `ActorRef` is built once.
 * - RF-3: refs compare and display by their ids (`equals`, `String(ref)`).
 * - RF-4: a send to a `OncePortRef` leaves no sequencing state behind: it carries `SEQ_INFO`
 *   `direct` (one message per port: there is no order to keep), so a replier's `Sequencer` does
 *   not keep a counter per reply port it ever answered (issue 11: request/reply leaked one).
 * - RF-5: `ActorRef.ask` infers the reply's type from the request's arm of `M` (the arm whose
 *   other fields the request has, its `reply: OncePortRef<R>` gives `R`); the function form
 *   takes `R` from the caller. The ask itself is actor/ask.ts (ASK-1..4), through the context.
 */
import { ACTOR_PORT, type ActorId, type PortId, type ProcId } from './id.js';
import type { ActorStatus } from './status.js';
import { sendMoving } from './wire/attachments.js';

/**
 * Headers a caller may add to a ref send (mailbox/envelope.ts `Headers` is one): a string-keyed
 * bag of serializable values. `seq_info` must not be set by the caller.
 */
export type SendHeaders = { readonly [key: string]: unknown };

/** Values that are sent whole (the sending contract, wire/sendable.ts). */
export type SendableLeaf =
  | string
  | number
  | boolean
  | bigint
  | null
  | undefined
  | Date
  | RegExp
  | ArrayBuffer
  | ArrayBufferView
  | Error
  | ProcId
  | ActorId
  | PortId
  | SendableRef;

/**
 * A ref (`ActorRef`, `PortRef`, `OncePortRef`), whatever its message type: sent whole. `__ref`
 * is a type-only brand (declared, never set): variance through `Sendable` in the refs' own
 * `send` signatures would otherwise keep `PortRef<A>` from matching any other ref type.
 */
export interface SendableRef {
  readonly __ref: true;
}

/**
 * `T` as the sending contract allows it (wire/sendable.ts): functions and symbols, anywhere
 * inside, become `never`, so a ref send of a message type holding one does not compile. What
 * TypeScript cannot see (an instance of a class without a codec, a circular value) fails at send
 * time with `CodecError('unsendable')`, naming the path. `unknown` passes: a ref of unknown
 * message type checks at send time only.
 */
export type Sendable<T> = unknown extends T
  ? T
  : T extends SendableLeaf
    ? T
    : T extends (...args: never[]) => unknown
      ? never
      : T extends symbol
        ? never
        : T extends ReadonlyMap<infer K, infer V>
          ? Map<Sendable<K>, Sendable<V>>
          : T extends ReadonlySet<infer V>
            ? Set<Sendable<V>>
            : T extends object
              ? { [K in keyof T]: Sendable<T[K]> }
              : never;

/** What a ref send needs from its caller: post a message from it to a port. `Instance` implements it. */
export interface PostContext {
  /**
   * Serialize `message`, wrap it in an envelope to `dest` (with `extra` headers, if any) and
   * post it from the caller's mailbox. Throws `MailboxSenderError('serialize')` for a value the
   * codec cannot hold; delivery failures come back asynchronously as `Undeliverable`.
   */
  postMessage(dest: PortId, message: unknown, extra: SendHeaders | undefined, returnUndeliverable: boolean, once?: boolean): void;
}

/** Options of a ref send. */
export interface SendOptions {
  /**
   * Buffers to move to the receiver instead of copying them, with postMessage's semantics: each
   * is detached once the send returns (also one the message does not refer to); binary values
   * of the message over them arrive over the same memory (wire/attachments.ts OOB-2). Not
   * `ArrayBuffer`s, listed twice, or detached: `CodecError('invalid-transfer')`, nothing moved.
   */
  readonly transfer?: readonly ArrayBuffer[];
}

/** Options of an ask (actor/ask.ts). */
export interface AskOptions {
  /** How long to wait for the reply (default 30,000 ms, on the asker's proc clock). */
  readonly timeoutMs?: number;
}

/** What an ask needs from its caller: `Instance` implements it (actor/ask.ts). */
export interface AskContext extends PostContext {
  ask<R>(dest: PortId, build: (reply: OncePortRef<R>) => unknown, options?: AskOptions): Promise<R>;
}

/** RF-5: the requests an ask of `ActorRef<M>` may send: each arm of `M` with a `reply` once port, without it. */
export type AskRequest<M> = M extends { readonly reply: OncePortRef<infer _R> } ? Omit<M, 'reply'> : never;

/** RF-5: the reply type of the arm of `M` that the request `Q` is (`never` when none is). */
export type AskReply<M, Q> = M extends { readonly reply: OncePortRef<infer R> } ? (Q extends Omit<M, 'reply'> ? R : never) : never;

/**
 * The shape of a local actor handle, as `downcastHandle` returns it (actor/instance.ts
 * `ActorHandle<M>` has it). For the full `ActorHandle<M>`, use `proc.resolveActorRef(ref)`.
 */
export interface LocalActorHandle<M> {
  readonly actorId: ActorId;
  readonly status: ActorStatus;
  bind(): ActorRef<M>;
  drainAndStop(reason?: string): void;
  join(): Promise<ActorStatus>;
}

/** Resolves a ref to the local handle of a running actor (`Proc` is one). */
export interface ActorRefResolver {
  resolveActorRef<A>(ref: ActorRef<A>): LocalActorHandle<A> | undefined;
}

export class ActorRef<M> implements SendableRef {
  declare readonly __ref: true;
  declare readonly __message?: (value: M) => void;
  /** RF-2: the handler port's ref, built once (the ref send hot path). */
  private handlerRef: PortRef<M> | undefined;
  constructor(readonly actorId: ActorId) {}

  /** A ref to an actor known only by id (upstream `attest`): the type is the caller's claim. */
  static attest<M>(actorId: ActorId): ActorRef<M> {
    return new ActorRef<M>(actorId);
  }

  /** The actor's handler port. */
  port(): PortRef<M> {
    this.handlerRef ??= new PortRef<M>(this.actorId.portId(ACTOR_PORT.HANDLER));
    return this.handlerRef;
  }

  /**
   * A ref send (RF-2); `Sendable<M>` rejects functions and symbols in the message at compile time.
   * `options.transfer` moves buffers instead of copying them (`SendOptions`).
   */
  send(cx: PostContext, message: M & Sendable<M>, options?: SendOptions): void {
    this.port().send(cx, message, options);
  }

  sendWithHeaders(cx: PostContext, headers: SendHeaders, message: M & Sendable<M>): void {
    this.port().sendWithHeaders(cx, headers, message);
  }

  /**
   * Ask (actor/ask.ts): send `request` with a fresh once port as its `reply` field and resolve
   * with the reply, typed from `M` (RF-5): `await ref.ask(cx, { type: 'get' }, { timeoutMs: 1000 })`.
   * Rejects with `AskError` (`ask-timeout`, `ask-undeliverable`, `ask-target-stopped`, `ask-abandoned`).
   */
  ask<Q extends AskRequest<M>>(cx: AskContext, request: Q, options?: AskOptions): Promise<AskReply<M, Q>>;
  /** Ask with a request built around the reply port: `ref.ask<number>(cx, (reply) => ({ type: 'get', reply }))`. */
  ask<R>(cx: AskContext, build: (reply: OncePortRef<R>) => M & Sendable<M>, options?: AskOptions): Promise<R>;
  ask(cx: AskContext, request: object, options?: AskOptions): Promise<unknown> {
    const build = typeof request === 'function' ? (request as (reply: OncePortRef<unknown>) => unknown) : (reply: OncePortRef<unknown>) => ({ ...request, reply });
    return cx.ask(this.port().portId, build, options);
  }

  /** The local handle, if the actor lives in `cx`'s proc and is running (upstream `downcast_handle`). */
  downcastHandle(cx: { readonly proc: ActorRefResolver }): LocalActorHandle<M> | undefined {
    return cx.proc.resolveActorRef(this);
  }

  equals(other: ActorRef<unknown>): boolean {
    return this.actorId.equals(other.actorId);
  }

  toString(): string {
    return String(this.actorId);
  }
}

export class PortRef<T> implements SendableRef {
  declare readonly __ref: true;
  /** Phantom field: keeps `PortRef<A>` and `PortRef<B>` distinct types. */
  declare readonly __message?: (value: T) => void;
  constructor(
    readonly portId: PortId,
    readonly reducerSpec: string | undefined = undefined,
    readonly returnUndeliverable = true,
  ) {}

  static attest<T>(portId: PortId): PortRef<T> {
    return new PortRef<T>(portId);
  }

  /** PT-5: serialize, wrap in an envelope, route from the sender's mailbox (`SendOptions`: transfer). */
  send(cx: PostContext, message: T & Sendable<T>, options?: SendOptions): void {
    const transfer = options?.transfer;
    if (transfer === undefined) cx.postMessage(this.portId, message, undefined, this.returnUndeliverable);
    else sendMoving(transfer, () => cx.postMessage(this.portId, message, undefined, this.returnUndeliverable));
  }

  sendWithHeaders(cx: PostContext, headers: SendHeaders, message: T & Sendable<T>): void {
    cx.postMessage(this.portId, message, headers, this.returnUndeliverable);
  }

  /** A copy whose failed deliveries are dropped (false) or returned (true). */
  withReturnUndeliverable(value: boolean): PortRef<T> {
    return new PortRef<T>(this.portId, this.reducerSpec, value);
  }

  intoOnce(): OncePortRef<T> {
    return new OncePortRef<T>(this.portId, this.returnUndeliverable);
  }

  toString(): string {
    return String(this.portId);
  }
}

export class OncePortRef<T> implements SendableRef {
  declare readonly __ref: true;
  declare readonly __message?: (value: T) => void;
  constructor(
    readonly portId: PortId,
    readonly returnUndeliverable = true,
  ) {}

  static attest<T>(portId: PortId): OncePortRef<T> {
    return new OncePortRef<T>(portId);
  }

  send(cx: PostContext, message: T & Sendable<T>, options?: SendOptions): void {
    const transfer = options?.transfer;
    if (transfer === undefined) cx.postMessage(this.portId, message, undefined, this.returnUndeliverable, true); // RF-4
    else sendMoving(transfer, () => cx.postMessage(this.portId, message, undefined, this.returnUndeliverable, true));
  }

  toString(): string {
    return String(this.portId);
  }
}
