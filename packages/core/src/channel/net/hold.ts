/**
 * channel/net/hold.ts: `SessionHold`, a net session as flow control's sender (rx.ts NR-9,
 * mailbox/flow.ts FC-6 over sockets). The proc delivers each envelope a session brought with this
 * hold as `flowContext.sender`; a gate that the delivery put over its high watermark holds it,
 * and the session's connection stops being read (`socket.pause()`) until every gate that held it
 * let go. The kernel's receive buffer then fills, the TCP window closes, the sender's writes wait
 * for `drain` and its NetTx queue grows until its own gate mutes the producing actors (NT-12).
 *
 * Structurally a `FlowSender` (`flowHold`/`flowRelease`), so the channel layer needs nothing of
 * the mailbox layer. A hold outlives connections: a connection that joins a held session (a
 * reconnect) starts paused. The hold pauses and resumes reading only; writes (acks, `Closed`,
 * `Reject`) go on, so the sender still learns what arrived.
 */
import type net from 'node:net';

export class SessionHold {
  private holds = 0;
  private socket: net.Socket | undefined;

  /** `pausedElsewhere(socket)`: NR-5 paused it too (then a release leaves it paused). */
  constructor(private readonly pausedElsewhere: (socket: net.Socket) => boolean) {}

  /** Some gate holds this session now. */
  get held(): boolean {
    return this.holds > 0;
  }

  /** The session's connection is now `socket` (none: undefined); paused at once while held. */
  attach(socket: net.Socket | undefined): void {
    this.socket = socket;
    if (socket !== undefined && this.holds > 0) socket.pause();
  }

  /** @internal a gate holds this session (once per gate until it releases). */
  flowHold(): void {
    if (this.holds++ === 0) this.socket?.pause();
  }

  /** @internal a gate that held this session released it. */
  flowRelease(): void {
    if (this.holds === 0) return;
    if (--this.holds > 0) return;
    const socket = this.socket;
    if (socket !== undefined && !socket.destroyed && !this.pausedElsewhere(socket)) socket.resume();
  }
}
