/**
 * admin/introspect.ts: one actor's `IntrospectResult` on the proc that holds it, for the worker's
 * control endpoint and for the host's own proc (proc 0) alike.
 *
 * A live actor is asked through its introspect port, as any remote client would (spec §1.12:
 * answered outside the actor loop, S1/S2); a terminated one answers from the proc's snapshot
 * store. A client instance has no introspect port (CI-1: only `introspectableInstance` binds
 * one): a query sent to it would come back undeliverable and never be answered, so its result
 * is read from its cell here (AD-1).
 *
 * ## Invariants
 *
 * - AD-1: `introspectActor` always settles for an actor the proc knows: live and introspectable
 *   (its answer), a client instance (read from its cell), terminated (its snapshot); `undefined`
 *   for an id the proc never held or has evicted (SN-1).
 */
import { ACTOR_PORT, ATTR, PortRef, introspectAttrs, type ActorId, type Instance, type InstanceCell, type IntrospectResult, type Proc } from '@procmesh/core';
import type { ActorTreeNode, TerminatedActor } from '../protocol.js';

/** The proc's live actors, pre-order (`proc.traverse`). */
export function actorTree(proc: Proc): ActorTreeNode[] {
  const nodes: ActorTreeNode[] = [];
  proc.traverse((cell: InstanceCell, depth: number) => {
    nodes.push({
      actorId: String(cell.actorId),
      depth,
      status: String(cell.status.get()),
      actorType: cell.typeName,
      messagesProcessed: cell.messagesProcessed,
      isSystem: cell.isSystem,
    });
  });
  return nodes;
}

/** The proc's terminated-actor snapshots (SN-1), oldest first. */
export function terminatedActors(proc: Proc): TerminatedActor[] {
  return proc.allTerminatedActorIds().map((id) => {
    const snapshot = proc.terminatedSnapshot(id);
    return { actorId: String(id), failed: snapshot !== undefined && introspectAttrs(snapshot)[ATTR.STATUS] === 'failed' };
  });
}

/** AD-1 */
export async function introspectActor(proc: Proc, client: Instance<never>, id: ActorId): Promise<IntrospectResult | undefined> {
  const cell = proc.getInstance(id);
  if (cell === undefined) return proc.terminatedSnapshot(id);
  if (!cell.introspectable) {
    const attrs: Record<string, unknown> = {
      [ATTR.STATUS]: String(cell.status.get()),
      [ATTR.ACTOR_TYPE]: cell.typeName,
      [ATTR.MESSAGES_PROCESSED]: cell.messagesProcessed,
      [ATTR.CREATED_AT]: new Date(cell.createdAt).toISOString(),
      [ATTR.TOTAL_PROCESSING_TIME_US]: Math.round(cell.totalProcessingTimeUs),
      [ATTR.IS_SYSTEM]: cell.isSystem,
    };
    return {
      identity: String(id),
      attrs: JSON.stringify(attrs),
      children: [...cell.children.values()].map((c) => String(c.actorId)),
      parent: cell.parent === undefined ? undefined : String(cell.parent.actorId),
      as_of: new Date(cell.clock.now()).toISOString(),
    };
  }
  const [reply, answer] = client.openOncePort<IntrospectResult>();
  PortRef.attest(id.portId(ACTOR_PORT.INTROSPECT)).send(client, { type: 'query', view: 'actor', reply: reply.bind() });
  return answer.recv();
}
