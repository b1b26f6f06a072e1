/**
 * mailbox/mailbox.ts: `Mailbox`, the set of ports of one actor id (spec §1.3, §1.5).
 *
 * A mailbox owns its bound ports (`index -> PortEntry`), allocates user port indices from 1024,
 * and forwards envelopes addressed to other actors to its forwarder (a `WeakProc` for mailboxes
 * a proc creates). Closing it records the owner's terminal status.
 *
 * ## Lifecycle
 *
 * open -> closed(status) (once; closing twice throws). After close, handle sends throw
 * `owner-terminated` (PT-1) and envelopes for bound ports come back as `mailbox owner {id} is
 * stopped: {reason}` / `failed: {err}` (MB-2).
 *
 * ## Invariants
 *
 * - MB-1: `postUnchecked` for another actor goes to the forwarder; for this actor it looks the
 *   port up: missing -> `Unroutable(port not bound in mailbox ...)`.
 * - MB-2: a closed mailbox returns envelopes for its bound ports as `Mailbox(...)` errors.
 * - MB-3: a delivery that fails to decode or enqueue unbinds the port and returns the envelope
 *   as a `Mailbox` error (upstream's rule), unless MB-4 or MB-5 keeps it; a once port is
 *   unbound after its first delivery.
 * - MB-4: a foreign envelope (decoded from another thread's or process's bytes, EN-1) whose
 *   payload does not decode (`CodecError`: malformed, lengths beyond the bytes present included, or over the decode limits) is returned as
 *   a `Mailbox` error and the port stays bound (a once port too: it still waits for its value).
 * - MB-5: a port that refuses a payload (`MailboxSenderError` `invalid`: a system port's type
 *   check, PT-6 and SP-1, or the reorder buffer's check of `SEQ_INFO`) stays bound whatever the
 *   envelope's origin; the envelope goes back to its sender, or is abandoned with a log line
 *   when it is itself a return (MS-2, UM-2), and the refusal is logged (`delivery_refused`).
 *   The actor never sees the payload.
 * - MB-6 (memory): a mailbox without ports or receivers holds no map or set of them, and the
 *   proc's signal and introspect ports (`bindLazily`) are bound by their first envelope: until
 *   then they cost a bit each, yet count as bound (`isBound`, PT-3's `already-bound`).
 * - MB-7 (memory): closing keeps which ports were bound, not their entries: a stopped actor's
 *   mailbox, which the proc's muxer keeps for MB-2, does not keep its instance alive, and keeps
 *   its well-known ports (index < 31) as bits, not a map (a map of two was ~180 bytes a stopped actor).
 * - MB-8 (local route): an envelope for another actor of the same proc goes straight to that
 *   actor's mailbox, found through the forwarder (`resolveLocal`: its `WeakProc`, the proc, the
 *   muxer) and kept for the last destination while that mailbox is open (a supervised child's
 *   next incarnation has a new mailbox, SU-2: the closed one is resolved again). It takes the
 *   `LOCAL_HOPS` TTL the hops would have taken, and only when the TTL allows them all: an
 *   envelope that would expire on the way takes the hops and expires where it did.
 * - MB-9 (local value): a local envelope (EN-2: a ref send's copy inside one proc) for another
 *   actor goes as its parts (`postLocal` -> MB-8's route -> `deliverLocal`): its value reaches the
 *   port's sink with the same headers and sender, and the envelope is built only when something
 *   goes wrong (no such port, a closed mailbox, a once port, a guarded port, a failed enqueue),
 *   then with the TTL it would have had there, and handled by MB-1..MB-5 as any other. Like the
 *   hops it replaces it is synchronous: the value is in the receiver's queue when the send
 *   returns, so one sender's handle and ref sends keep their order (§3.2). The value is the copy
 *   PT-5 made (mailbox/local-copy.ts LC-1), so the receiver never sees a later change by the sender.
 *
 * ## Deviation from upstream (MB-4)
 *
 * Upstream removes a port whose delivery fails to deserialize (spec §3.4). A peer controls the
 * bytes it sends, so under that rule one malformed frame from one peer takes a port (an actor's
 * handler port) away from every other sender (issue 17, finding 4). procmesh keeps the rule
 * for local envelopes only: their bytes were made by this thread's own code (a raw `post`, an
 * extension whose `read` fails), so a failure is a bug of the program that owns the port,
 * deterministic for that message type, and upstream's answer (later senders get `Unroutable`
 * instead of one decode error each) stands. For foreign envelopes the failure says something
 * about the message, not the port: the message goes back, the port stays.
 */
import { realClock, type Clock } from '../clock.js';
import { ACTOR_PORT, USER_PORT_OFFSET, type ActorId, type PortId } from '../id.js';
import { ProcError } from '../errors.js';
import { Sequencer } from '../sequencing.js';
import type { ActorStatus } from '../status.js';
import { CodecError } from '../wire/errors.js';
import { rootLogger } from '../log.js';
import { MessageEnvelope, type Headers, type Undeliverable } from './envelope.js';
import { encodePayload } from '../wire/payload.js';
import { DeliveryError, MailboxError, MailboxSenderError } from './errors.js';
import {
  OncePortHandle,
  OncePortReceiver,
  PortHandle,
  PortReceiver,
  type Accumulator,
  type PayloadGuard,
  type PortEntry,
  type PortOwner,
  type Sink,
} from './ports.js';
import { BaseMailboxSender, LOCAL_HOPS, returnUndeliverable, type LocalRoute, type MailboxSender, type ReturnHandle } from './sender.js';

interface Closable {
  ownerClosed(): void;
}

/** MB-6: who binds a mailbox's lazy well-known ports when the first envelope for one arrives (an `Instance`). */
export interface LazyPortBinder {
  bindLazyPort(index: number): void;
}

export class Mailbox extends BaseMailboxSender implements PortOwner {
  /** MB-6: made on the first bound port. */
  private ports: Map<number, PortEntry> | undefined;
  /** MB-6: the well-known ports bound on their first delivery (bit `index`), and who binds them. */
  private lazyMask = 0;
  private lazyBinder: LazyPortBinder | undefined;
  /** The last other `ActorId` object found equal to `actorId` (`postUnchecked`). */
  private actorIdAlias: ActorId | undefined;
  /** MB-8: the last destination actor of another mailbox of this proc, and its mailbox. */
  private routeActor: ActorId | undefined;
  private route: LocalRoute | undefined;
  /** The handle bound at `ACTOR_PORT.UNDELIVERABLE`, kept by `bindEntry`/`unbindEntry` (read on every send). */
  private returnPort: PortHandle<Undeliverable> | undefined;
  /** MS-2: numbers the returns sent to this mailbox's bound ports (created on the first). */
  private returns: Sequencer | undefined;
  private nextPort = USER_PORT_OFFSET;
  /** MB-6: made on the first receiver. */
  private receivers: Set<Closable> | undefined;
  /** The owner's terminal status once closed. */
  closedStatus: ActorStatus | undefined;

  constructor(
    readonly actorId: ActorId,
    public forwarder: MailboxSender,
    /** The owner's clock (its proc's): timestamps of returns to this mailbox's ports. */
    readonly clock: Clock = realClock,
  ) {
    super();
  }

  /** @internal MS-2 (`PortOwner`) */
  returnSequencer(): Sequencer {
    this.returns ??= new Sequencer();
    return this.returns;
  }

  /** PT-2 */
  allocatePort(): number {
    return this.nextPort++;
  }

  openPort<T>(typeName = 'unknown'): [PortHandle<T>, PortReceiver<T>] {
    const index = this.allocatePort();
    const receiver = new PortReceiver<T>(this, index);
    (this.receivers ??= new Set()).add(receiver);
    return [new PortHandle<T>(this, index, (v) => receiver.push(v), typeName), receiver];
  }

  openOncePort<T>(typeName = 'unknown'): [OncePortHandle<T>, OncePortReceiver<T>] {
    const index = this.allocatePort();
    const receiver = new OncePortReceiver<T>(this, index);
    (this.receivers ??= new Set()).add(receiver);
    return [new OncePortHandle<T>(this, index, (v) => receiver.push(v), typeName), receiver];
  }

  /** @internal The receivers still open (PT-7; the soak, benchmarks/soak.ts, checks this stays bounded). */
  get openReceiverCount(): number {
    return this.receivers?.size ?? 0;
  }

  /** @internal The ports bound in this mailbox (a bound once port leaves after its delivery; a closed mailbox counts its user ports only, MB-7). */
  get boundPortCount(): number {
    return this.ports?.size ?? 0;
  }

  /** PT-7 (ports.ts): a receiver that settled or closed leaves the set closed with the mailbox. */
  forgetReceiver(receiver: object): void {
    this.receivers?.delete(receiver as Closable);
  }

  /** A port that folds updates into a state; the receiver coalesces (only the latest state). */
  openAccumPort<U, S>(accum: Accumulator<U, S>): [PortHandle<U>, PortReceiver<S>] {
    const index = this.allocatePort();
    const receiver = new PortReceiver<S>(this, index, true);
    (this.receivers ??= new Set()).add(receiver);
    let state = accum.initial();
    const handle = new PortHandle<U>(
      this,
      index,
      (update) => {
        state = accum.reduce(state, update);
        receiver.push(state);
      },
      'accum',
      accum.spec,
    );
    return [handle, receiver];
  }

  /**
   * A once port with a reducer: updates are folded into a state until `count` arrived, then the
   * receiver resolves with the reduced state (upstream `open_reduce_port`, used for fan-in).
   */
  openReducePort<U, S>(accum: Accumulator<U, S>, count: number): [PortHandle<U>, OncePortReceiver<S>] {
    if (accum.spec === undefined) throw new ProcError('missing-reducer-spec', 'a reduce port requires a reducer spec');
    const index = this.allocatePort();
    const receiver = new OncePortReceiver<S>(this, index);
    (this.receivers ??= new Set()).add(receiver);
    let state = accum.initial();
    let seen = 0;
    const handle = new PortHandle<U>(
      this,
      index,
      (update) => {
        state = accum.reduce(state, update);
        if (++seen === count) receiver.push(state);
      },
      'reduce',
      accum.spec,
    );
    return [handle, receiver];
  }

  /**
   * A port whose sink is a function (actor handler ports, signal and introspect ports);
   * `accepts` checks every delivered payload first (PT-6, SP-1).
   */
  openEnqueuePort<T>(
    index: number,
    sink: Sink<T>,
    typeName: string,
    accepts?: PayloadGuard<T>,
  ): PortHandle<T> {
    return new PortHandle<T>(this, index, sink, typeName, undefined, accepts);
  }

  /**
   * @internal MB-6: ports at these well-known indices (each < 31) count as bound now, and
   * `bind.bindLazyPort(index)` binds one (`bindEntry`) when the first envelope for it arrives.
   */
  bindLazily(indices: readonly number[], bind: LazyPortBinder): void {
    for (const index of indices) {
      if (this.isBound(index)) throw new ProcError('already-bound', `port ${this.actorId}[${index}] is already bound`);
      this.lazyMask |= 1 << index;
    }
    this.lazyBinder = bind;
  }

  /** MB-6: the entry at `index`, binding a lazy well-known port now. */
  private entryAt(index: number): PortEntry | undefined {
    const entry = this.ports?.get(index);
    if (entry !== undefined || index >= 31 || (this.lazyMask & (1 << index)) === 0) return entry;
    if (this.closedStatus !== undefined) return CLOSED_PORT; // MB-7: bound, and closed
    this.lazyMask &= ~(1 << index);
    this.lazyBinder?.bindLazyPort(index);
    return this.ports?.get(index);
  }

  /** @internal PT-3 */
  bindEntry(index: number, entry: PortEntry): void {
    if (this.entryAt(index) !== undefined) {
      if (index < USER_PORT_OFFSET) throw new ProcError('already-bound', `port ${this.actorId}[${index}] is already bound`);
      return;
    }
    (this.ports ??= new Map()).set(index, entry);
    if (index === ACTOR_PORT.UNDELIVERABLE) this.returnPort = entry.handle as PortHandle<Undeliverable> | undefined;
  }

  /** @internal */
  unbindEntry(index: number): void {
    if (index < 31) this.lazyMask &= ~(1 << index);
    this.ports?.delete(index);
    if (index === ACTOR_PORT.UNDELIVERABLE) this.returnPort = undefined;
  }

  isBound(index: number): boolean {
    return this.ports?.has(index) === true || (index < 31 && (this.lazyMask & (1 << index)) !== 0);
  }

  /** This mailbox's bound `Undeliverable` port, if any (upstream `bound_return_handle`). */
  boundReturnHandle(): PortHandle<Undeliverable> | undefined {
    const port = this.returnPort;
    if (port !== undefined || (this.lazyMask & (1 << ACTOR_PORT.UNDELIVERABLE)) === 0 || this.closedStatus !== undefined) return port;
    this.entryAt(ACTOR_PORT.UNDELIVERABLE); // MB-6: a lazy Undeliverable port binds now (IC-2, actor/instance.ts)
    return this.returnPort;
  }

  /** Mark closed with the owner's terminal status; throws if already closed. */
  close(status: ActorStatus): void {
    if (this.closedStatus !== undefined) throw new MailboxError(this.actorId, 'already-closed', 'mailbox is already closed');
    this.closedStatus = status;
    // MB-7: the bound indices stay (MB-2 answers by them), their sinks (and the instance) go;
    // the well-known ones as bits of `lazyMask` (read as bound and closed, as lazy ones are)
    const ports = this.ports;
    if (ports !== undefined) {
      for (const index of ports.keys()) {
        if (index < 31) {
          this.lazyMask |= 1 << index;
          ports.delete(index);
        } else ports.set(index, CLOSED_PORT);
      }
      if (ports.size === 0) this.ports = undefined;
    }
    this.returnPort = undefined;
    this.lazyBinder = undefined; // the lazy ports stay bound (MB-6), as closed ones
    const receivers = this.receivers;
    this.receivers = undefined;
    for (const r of receivers ?? []) r.ownerClosed();
  }

  get isClosed(): boolean {
    return this.closedStatus !== undefined;
  }

  /** MB-1 .. MB-5 */
  postUnchecked(envelope: MessageEnvelope, returnHandle: ReturnHandle): void {
    const dest = envelope.dest;
    const destActor = dest.actor;
    if (destActor !== this.actorId && destActor !== this.actorIdAlias) {
      if (destActor.key !== this.actorId.key) {
        this.forward(envelope, destActor, returnHandle);
        return;
      }
      // an equal id decoded elsewhere (a link's decoder keeps one object per actor): later
      // envelopes carrying it skip the string comparison
      this.actorIdAlias = destActor;
    }
    const entry = this.entryAt(dest.index);
    if (entry === undefined) {
      returnUndeliverable(
        envelope,
        portNotBound(dest.index, envelope.headers.message_type),
        returnHandle,
      );
      return;
    }
    const closed = this.closedStatus;
    if (closed !== undefined) {
      returnUndeliverable(envelope, DeliveryError.ownerEnded(this.actorId, closed), returnHandle);
      return;
    }
    if (entry.once) this.unbindEntry(dest.index);
    try {
      entry.deliver(envelope);
    } catch (err) {
      this.deliveryFailed(envelope, entry, err, returnHandle);
    }
  }

  /** MB-8: to another actor: straight to its mailbox when it is in this proc, else the forwarder. */
  private forward(envelope: MessageEnvelope, destActor: ActorId, returnHandle: ReturnHandle): void {
    if (envelope.ttl > LOCAL_HOPS) {
      let route = this.routeActor === destActor ? this.route : undefined;
      if (route === undefined || route.isClosed) {
        route = this.forwarder.resolveLocal?.(destActor);
        this.routeActor = route === undefined ? undefined : destActor;
        this.route = route;
      }
      if (route !== undefined) {
        envelope.ttl -= LOCAL_HOPS;
        route.post(envelope, returnHandle);
        return;
      }
    }
    this.forwarder.post(envelope, returnHandle);
  }

  /** @internal MB-9 (`MailboxSender.postLocal`): the first hop of a local value, then MB-8's route. */
  postLocal(sender: ActorId, dest: PortId, value: unknown, headers: Headers, ttl: number, returnUndeliverable: boolean, returnHandle: ReturnHandle): boolean {
    const destActor = dest.actor;
    // this hop, the route's and the destination's must all find TTL left (MS-1, MB-8)
    if (ttl <= LOCAL_HOPS + 1 || destActor === this.actorId || destActor === this.actorIdAlias || destActor.key === this.actorId.key) return false;
    let route = this.routeActor === destActor ? this.route : undefined;
    if (route === undefined || route.isClosed) {
      route = this.forwarder.resolveLocal?.(destActor);
      this.routeActor = route === undefined ? undefined : destActor;
      this.route = route;
    }
    if (route?.deliverLocal === undefined) return false;
    route.deliverLocal(sender, dest, value, headers, ttl - 1 - LOCAL_HOPS, returnUndeliverable, returnHandle);
    return true;
  }

  /** @internal MB-9 (`LocalRoute.deliverLocal`): the last hop of a local value (`ttl` before its decrement). */
  deliverLocal(sender: ActorId, dest: PortId, value: unknown, headers: Headers, ttl: number, returnUndeliverable: boolean, returnHandle: ReturnHandle): void {
    const entry = this.closedStatus === undefined ? this.ports?.get(dest.index) : undefined;
    const sink = entry?.deliverValue;
    if (sink === undefined || entry === undefined || entry.once) {
      // anything but the plain case: the envelope, as it would have arrived here
      this.post(MessageEnvelope.local(sender, dest, value, encodePayload, headers, ttl, returnUndeliverable), returnHandle);
      return;
    }
    try {
      sink(value, headers, sender);
    } catch (err) {
      this.deliveryFailed(MessageEnvelope.local(sender, dest, value, encodePayload, headers, ttl - 1, returnUndeliverable), entry, err, returnHandle);
    }
  }

  /** MB-3, MB-4, MB-5: unbind or keep the port, then return the envelope. */
  private deliveryFailed(envelope: MessageEnvelope, entry: PortEntry, err: unknown, returnHandle: ReturnHandle): void {
    const dest = envelope.dest;
    const refused = err instanceof MailboxSenderError && err.code === 'invalid';
    const keep = refused ? true : envelope.foreign && err instanceof CodecError;
    if (!keep) this.unbindEntry(dest.index);
    else if (entry.once && this.ports?.has(dest.index) !== true) (this.ports ??= new Map()).set(dest.index, entry);
    if (keep) {
      rootLogger().warn(
        { event: 'delivery_refused', sender: String(envelope.sender), dest: String(dest), foreign: envelope.foreign, code: (err as { code?: unknown }).code },
        `refused a message for ${dest}; the port stays bound: ${(err as Error).message}`,
      );
    }
    returnUndeliverable(envelope, DeliveryError.mailbox(`${dest}: ${(err as Error).message}`), returnHandle);
  }
}

/** MB-7: what a closed mailbox keeps of a bound port (a delivery never reaches it: MB-2 comes first). */
const CLOSED_PORT: PortEntry = Object.freeze({
  once: false,
  typeName: 'closed',
  handle: undefined,
  deliver: (): void => {
    throw new MailboxSenderError('closed mailbox', 'owner-terminated', 'mailbox is closed');
  },
});

/** Built apart from `postUnchecked`: inlined, TurboFan may convert the index on every post. */
function portNotBound(index: number, messageType: unknown): DeliveryError {
  return DeliveryError.unroutable(`port not bound in mailbox; port id: ${index}; message type: ${typeof messageType === 'string' ? messageType : 'unregistered'}`);
}
