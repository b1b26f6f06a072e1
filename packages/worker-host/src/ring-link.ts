/**
 * ring-link.ts: links over a SharedArrayBuffer SPSC ring (`@procmesh/core/ring`).
 *
 * Placeholder until the ring channel lands: it carries envelopes over the link's MessagePort
 * (same batching as `PortOutboundLink`), so the fabric is complete and tested either way.
 */
import type { MailboxServer } from '@procmesh/core';
import type { MessagePort } from 'node:worker_threads';
import { PortInboundLink, PortOutboundLink } from './fabric.js';

export class RingOutboundLink extends PortOutboundLink {
  constructor(_ring: SharedArrayBuffer, port: MessagePort) {
    super(port);
  }
}

export class RingInboundLink extends PortInboundLink {
  constructor(_ring: SharedArrayBuffer, port: MessagePort, server: MailboxServer) {
    super(port, server);
  }
}
