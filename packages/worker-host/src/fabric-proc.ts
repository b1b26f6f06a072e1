/**
 * fabric-proc.ts: one proc attached to the fabric: a `Proc` whose forwarder is a
 * `FabricRouter`, a `MailboxServer` for envelopes arriving from other procs, and the inbound
 * links. Used by every worker (`worker-main.ts`) and by the main thread's proc (`host.ts`).
 */
import { ChannelAddr, Proc, ProcId, type Config, type Logger } from '@procmesh/core';
import { MailboxServer } from '@procmesh/core/transport';
import { FabricRouter, PortInboundLink, PortOutboundLink, type InboundLink } from './fabric.js';
import type { LinkInit } from './protocol.js';
import { RingInboundLink, RingOutboundLink } from './ring-link.js';

export interface FabricProcOptions {
  readonly index: number;
  readonly name: string;
  readonly transport: 'ring' | 'port';
  readonly requestLink: (peer: number) => void;
  readonly config?: Partial<Config>;
  readonly logger?: Logger;
  readonly onCrash?: (message: string) => void;
}

export class FabricProc {
  readonly proc: Proc;
  readonly router: FabricRouter;
  readonly server: MailboxServer;
  private readonly inbound: InboundLink[] = [];
  private readonly transport: 'ring' | 'port';

  constructor(options: FabricProcOptions) {
    this.transport = options.transport;
    this.router = new FabricRouter(options.index, options.requestLink);
    const procId = ProcId.withName(ChannelAddr.local(options.index), options.name);
    this.proc = Proc.configured(procId, this.router, {
      ...(options.config !== undefined ? { config: options.config } : {}),
      ...(options.logger !== undefined ? { logger: options.logger } : {}),
      ...(options.onCrash !== undefined ? { onCrash: options.onCrash } : {}),
    });
    this.server = new MailboxServer(this.proc);
  }

  connectOut(peer: number, link: LinkInit): void {
    this.router.attach(peer, link.ring !== undefined && this.transport === 'ring' ? new RingOutboundLink(link.ring, link.port, this.server.returnHandle) : new PortOutboundLink(link.port));
  }

  connectIn(link: LinkInit): void {
    this.inbound.push(
      link.ring !== undefined && this.transport === 'ring' ? new RingInboundLink(link.ring, link.port, this.server, this.proc.procId) : new PortInboundLink(link.port, this.server),
    );
  }

  close(): void {
    this.router.close();
    for (const link of this.inbound) link.close();
    this.inbound.length = 0;
  }
}
