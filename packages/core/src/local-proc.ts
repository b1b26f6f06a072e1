/**
 * local-proc.ts: `LocalProc`, one proc of a process that runs several (one per worker thread,
 * and the main thread's own): a `Proc` addressed `local:{index},{name}` whose forwarder is a
 * `DialMailboxRouter` over a `LocalLinkDialer` (envelopes for the other procs of the process go
 * over rings or ports created on first use; mailbox/senders/local-dial.ts), and the
 * `MailboxServer` that posts what arrives over its inbound links into it. The host adapter
 * (`@procmesh/worker-host`) builds one per thread and only answers link requests.
 *
 * @example
 * ```ts
 * const node = new LocalProc({ index: 1, name: 'proc_1', requestLink: (peer) => askHost(peer) });
 * // the host, later: node.links.attachOut(2, { ring }); the peer: attachIn({ ring })
 * node.proc.spawn('counter', new Counter());
 * ```
 */
import type { Clock } from './clock.js';
import { ChannelAddr } from './addr.js';
import type { Config } from './config.js';
import { ProcId } from './id.js';
import type { Logger } from './log.js';
import { LocalLinkDialer } from './mailbox/senders/local-dial.js';
import { DialMailboxRouter } from './mailbox/senders/router.js';
import { MailboxServer } from './mailbox/senders/server.js';
import { Proc } from './proc.js';

export interface LocalProcOptions {
  /** The proc's index in its process: its id is `local:{index},{name}`. */
  readonly index: number;
  readonly name: string;
  /** Ask the host for a link to proc `local:{peer}` (the host answers through `links`). */
  readonly requestLink: (peer: number) => void;
  readonly config?: Partial<Config>;
  readonly logger?: Logger;
  readonly onCrash?: (message: string) => void;
  readonly clock?: Clock;
}

export class LocalProc {
  readonly proc: Proc;
  readonly router: DialMailboxRouter;
  readonly server: MailboxServer;
  readonly links: LocalLinkDialer;

  constructor(options: LocalProcOptions) {
    let links: LocalLinkDialer | undefined;
    this.router = new DialMailboxRouter((addr) => (links as LocalLinkDialer).dial(addr));
    this.proc = Proc.configured(ProcId.withName(ChannelAddr.local(options.index), options.name), this.router, {
      ...(options.config !== undefined ? { config: options.config } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.onCrash !== undefined ? { onCrash: options.onCrash } : {}),
    });
    this.server = new MailboxServer(this.proc);
    this.links = links = new LocalLinkDialer({
      proc: this.proc.procId,
      server: this.server,
      requestLink: options.requestLink,
      flow: this.proc.flowLimits,
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
    });
  }

  /** Proc `local:{peer}` was restarted: the next envelope for it gets a new link (LL-5). */
  peerRestarted(peer: number): void {
    this.links.forget(peer);
    this.router.evict(ChannelAddr.local(peer));
  }

  /** Close every link (what is queued comes back to its senders). */
  close(reason = 'proc closed'): void {
    this.links.close(reason);
  }
}
