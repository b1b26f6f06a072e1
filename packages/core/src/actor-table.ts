/**
 * actor-table.ts: `ActorTable`, a proc's actors by id (spec §2): the names it reserved and the
 * pid counters children draw from (PD-1, PD-2, SU-1), and the cells of its live instances (the
 * map behind `getInstance`, `traverse`, `rootActorIds`, ...). `Proc` (proc.ts) owns one; it is
 * apart so the proc's module keeps to routing, spawning and teardown.
 *
 * Invariants kept here (numbered in proc.ts, where the proc's contract is): PD-1 (a root name is
 * reserved forever), PD-2 (child pids from the root's counter; a named child from its name's).
 * Naming a child allocates its id and nothing else: the counters are per name (one per root,
 * not per actor), and the instance map holds one entry per live instance.
 */
import { ProcError } from './errors.js';
import { ActorId, type ProcId } from './id.js';
import type { InstanceCell } from './actor/cell.js';

/** The pid counter of a name; `reserved` once the name is a root's or a supervised child's (PD-1). */
interface NameEntry {
  next: number;
  reserved: boolean;
  owner?: string;
}

export class ActorTable {
  /** name -> next child pid (PD-2) */
  private readonly names = new Map<string, NameEntry>();
  private readonly cells = new Map<string, InstanceCell>();

  constructor(private readonly procId: ProcId) {}

  /** PD-1: reserve `name` for a root (`{name}[0]`); throws `duplicate-name` if it was reserved. */
  reserveRoot(name: string): ActorId {
    const existing = this.names.get(name);
    if (existing?.reserved === true) throw new ProcError('duplicate-name', `an actor with name '${name}' has already been spawned`);
    // PD-2: named children may have drawn pids from this name's counter already; it keeps counting
    if (existing !== undefined) existing.reserved = true;
    else this.names.set(name, { next: 1, reserved: true });
    return ActorId.root(this.procId, name);
  }

  /** SU-1 (supervise/supervisor.ts): `{name}[1]`, the name reserved (PD-1) for `owner`, who gets it again. */
  reserveSupervisedName(name: string, owner: ActorId): ActorId {
    const existing = this.names.get(name);
    if (existing === undefined) this.names.set(name, { next: 2, reserved: true, owner: owner.key });
    else if (existing.owner !== owner.key) throw new ProcError('duplicate-name', `an actor with name '${name}' has already been spawned`);
    return new ActorId(this.procId, name, 1);
  }

  /** PD-2: `{name}[pid]` from the counter of `name` (root pid 0 and supervised pid 1 never drawn twice). */
  namedChildId(name: string): ActorId {
    let counter = this.names.get(name);
    if (counter === undefined) {
      counter = { next: 1, reserved: false };
      this.names.set(name, counter);
    }
    return new ActorId(this.procId, name, counter.next++);
  }

  /** PD-2: the next child id of `parentId` (from its root's counter). */
  childId(parentId: ActorId): ActorId {
    if (!parentId.proc.equals(this.procId)) {
      throw new ProcError('wrong-proc', `actor ${parentId} is not on proc ${this.procId}`);
    }
    const counter = this.names.get(parentId.name);
    if (counter === undefined) throw new ProcError('no-such-actor', `no actor named ${parentId.name} in proc ${this.procId}`);
    return parentId.childId(counter.next++);
  }

  /** MX-2 (mailbox/senders/muxer.ts): whether this table allocated `id` (ids are never reused: PD-1, PD-2). */
  allocated(id: ActorId): boolean {
    const entry = this.names.get(id.name);
    if (entry === undefined) return false;
    return id.pid === 0 ? entry.reserved && entry.owner === undefined : id.pid < entry.next;
  }

  /** Register a live instance's cell (a later one with the same id replaces it: SU-2). */
  register(cell: InstanceCell): void {
    this.cells.set(cell.actorId.key, cell);
  }

  /** The cell left the tree: it leaves the map, unless another incarnation took its id. */
  release(cell: InstanceCell): void {
    cell.released = true;
    const key = cell.actorId.key;
    if (this.cells.get(key) === cell) this.cells.delete(key);
  }

  get(actorId: ActorId): InstanceCell | undefined {
    return this.cells.get(actorId.key);
  }

  /** The live cells, in registration order. */
  values(): IterableIterator<InstanceCell> {
    return this.cells.values();
  }
}
