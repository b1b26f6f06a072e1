/**
 * id.ts: the identifiers of procmesh (upstream `reference.rs`, spec §1.2).
 *
 * ## Grammar ("direct" syntax, the only one at the reference commit)
 *
 *   ProcId    = ChannelAddr "," name                       local:0,test
 *   ActorId   = ProcId "," name [ "[" pid "]" ]            local:0,test,counter[0]   (pid defaults to 0)
 *   PortId    = ActorId "[" index [ "<" type ">" ] "]"     local:0,test,counter[0][1024]
 *
 * Parsing splits at the first `,` (the left side is a `ChannelAddr`, either `tcp:h:p` or
 * `tcp!h:p`), then tokenizes the rest on `[ ] < > . @ ,`. A token is a uint or an *element*:
 * first char a letter or `_`, then letters, digits, `_` or `-`; `::` allowed anywhere. So names
 * containing `.` or `@`, starting with a digit, or purely numeric are unparseable (they still
 * work locally: spawn does not validate names).
 *
 * ## Invariants
 *
 * - ID-1: `parse(String(x))` equals `x` for every id whose names are elements.
 * - ID-2: ordering is lexicographic on (proc, actor name, pid, port) with absent parts first, so
 *   a proc sorts before its actors and an actor before its ports (`compareReferences`).
 * - ID-3: a proc reference is a prefix of every reference on that proc; actor and port
 *   references are prefixes only of themselves (`isPrefixOf`), as upstream.
 * - ID-4: ids are immutable values; `key` is the display string and is the identity used by maps.
 * - ID-5 (memory): an actor's or port's `key` is one flat string, joined, not concatenated: a
 *   template literal leaves a tree of four concatenation nodes per actor id (~150 bytes instead
 *   of ~60, kept as long as the id: the muxer keeps every actor's, issue 16).
 */
import { ChannelAddr } from './addr.js';
import { ParseError } from './errors.js';

/** Ports below this index are actor ports (well-known, fixed per actor); user ports start here. */
export const USER_PORT_OFFSET = 1024;

/**
 * Well-known actor port indices (below `USER_PORT_OFFSET`).
 *
 * SP-1: the system ports (signal, undeliverable, introspect) accept only their type, checked
 * on every delivered payload (mailbox/ports.ts PT-6): a `Signal` with typed fields
 * (actor/signal.ts `Signal.isSignal`); an `Undeliverable` whose envelope was sent by the
 * port's owner (actor/instance.ts `bind`); an `IntrospectMessage` with a `OncePortRef` reply
 * (introspect.ts `isIntrospectMessage`). Anything else goes back to its sender and the port
 * stays bound (mailbox/mailbox.ts MB-5).
 */
export const ACTOR_PORT = {
  /** `Signal` */
  SIGNAL: 1,
  /** `Undeliverable` (returned envelopes) */
  UNDELIVERABLE: 2,
  /** `IntrospectMessage` */
  INTROSPECT: 3,
  /** the actor's message type `M` */
  HANDLER: 16,
} as const;

/** Names of the well-known actor ports, used in displays (`[1<Signal>]`). A constant table:
 * what an id displays never depends on which modules were imported. */
const ACTOR_PORT_NAMES: ReadonlyMap<number, string> = new Map([
  [ACTOR_PORT.SIGNAL, 'Signal'],
  [ACTOR_PORT.UNDELIVERABLE, 'Undeliverable'],
  [ACTOR_PORT.INTROSPECT, 'IntrospectMessage'],
]);

export class ProcId {
  /** The display string; also the identity (ID-4). */
  readonly key: string;
  constructor(
    readonly addr: ChannelAddr,
    readonly name: string,
  ) {
    this.key = `${addr},${name}`;
  }

  /** `ProcId::with_name`: the name verbatim. */
  static withName(addr: ChannelAddr, name: string): ProcId {
    return new ProcId(addr, name);
  }

  /** `ProcId::unique`: `{base}-{8 hex}` where the hex is a 32-bit hash of the address. */
  static unique(addr: ChannelAddr, base: string): ProcId {
    return new ProcId(addr, `${base}-${hash32(String(addr)).toString(16).padStart(8, '0')}`);
  }

  static parse(text: string): ProcId {
    const ref = parseReference(text);
    if (ref.kind !== 'proc') throw wrongType('proc');
    return ref.proc;
  }

  /** The name without a trailing `-XXXXXXXX` hash suffix. */
  get baseName(): string {
    return /-[0-9a-f]{8}$/.test(this.name) ? this.name.slice(0, -9) : this.name;
  }

  actorId(name: string, pid = 0): ActorId {
    return new ActorId(this, name, pid);
  }

  equals(other: ProcId): boolean {
    return this === other || this.key === other.key;
  }

  toString(): string {
    return this.key;
  }

  toJSON(): string {
    return this.key;
  }
}

export class ActorId {
  readonly key: string;
  constructor(
    readonly proc: ProcId,
    readonly name: string,
    readonly pid: number,
  ) {
    this.key = [proc.key, ',', name, '[', pid, ']'].join(''); // ID-5
  }

  static root(proc: ProcId, name: string): ActorId {
    return new ActorId(proc, name, 0);
  }

  static parse(text: string): ActorId {
    const ref = parseReference(text);
    if (ref.kind !== 'actor') throw wrongType('actor');
    return ref.actor;
  }

  /** Same proc and name, another pid (upstream `child_id`). */
  childId(pid: number): ActorId {
    return new ActorId(this.proc, this.name, pid);
  }

  portId(index: number): PortId {
    return new PortId(this, index);
  }

  get isRoot(): boolean {
    return this.pid === 0;
  }

  equals(other: ActorId): boolean {
    return this === other || this.key === other.key;
  }

  toString(): string {
    return this.key;
  }

  toJSON(): string {
    return this.key;
  }
}

export class PortId {
  readonly key: string;
  constructor(
    readonly actor: ActorId,
    readonly index: number,
  ) {
    this.key = [actor.key, '[', index, ']'].join(''); // ID-5
  }

  static parse(text: string): PortId {
    const ref = parseReference(text);
    if (ref.kind !== 'port') throw wrongType('port');
    return ref.port;
  }

  /** Actor ports are the fixed, well-known ports of every actor (index < 1024). */
  get isActorPort(): boolean {
    return this.index < USER_PORT_OFFSET;
  }

  equals(other: PortId): boolean {
    return this === other || this.key === other.key;
  }

  /** `{actor}[{index}]`, or `{actor}[{index}<{type}>]` for a named actor port. */
  toString(): string {
    const typeName = this.isActorPort ? ACTOR_PORT_NAMES.get(this.index) : undefined;
    return typeName === undefined ? this.key : `${this.actor.key}[${this.index}<${typeName}>]`;
  }

  toJSON(): string {
    return this.key;
  }
}

/** Upstream `Reference`: a proc, an actor or a port. */
export type Reference =
  | { readonly kind: 'proc'; readonly proc: ProcId }
  | { readonly kind: 'actor'; readonly actor: ActorId }
  | { readonly kind: 'port'; readonly port: PortId };

export const Reference = {
  proc: (proc: ProcId): Reference => ({ kind: 'proc', proc }),
  actor: (actor: ActorId): Reference => ({ kind: 'actor', actor }),
  port: (port: PortId): Reference => ({ kind: 'port', port }),
  parse: (text: string): Reference => parseReference(text),
  procOf(ref: Reference): ProcId {
    switch (ref.kind) {
      case 'proc':
        return ref.proc;
      case 'actor':
        return ref.actor.proc;
      case 'port':
        return ref.port.actor.proc;
    }
  },
  toString(ref: Reference): string {
    switch (ref.kind) {
      case 'proc':
        return String(ref.proc);
      case 'actor':
        return String(ref.actor);
      case 'port':
        return String(ref.port);
    }
  },
  /** ID-3. */
  isPrefixOf(prefix: Reference, other: Reference): boolean {
    if (prefix.kind === 'proc') return Reference.procOf(other).equals(prefix.proc);
    return prefix.kind === other.kind && compareReferences(prefix, other) === 0;
  },
  compare: (a: Reference, b: Reference): number => compareReferences(a, b),
} as const;

type Parts = [proc: string, actor: string | undefined, pid: number | undefined, port: number | undefined];

function parts(ref: Reference): Parts {
  switch (ref.kind) {
    case 'proc':
      return [ref.proc.key, undefined, undefined, undefined];
    case 'actor':
      return [ref.actor.proc.key, ref.actor.name, ref.actor.pid, undefined];
    case 'port':
      return [ref.port.actor.proc.key, ref.port.actor.name, ref.port.actor.pid, ref.port.index];
  }
}

function cmp<T extends string | number>(a: T | undefined, b: T | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  return a < b ? -1 : 1;
}

/** ID-2: lexicographic on (proc, actor name, pid, port), absent components first. */
export function compareReferences(a: Reference, b: Reference): number {
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < 4; i++) {
    const c = cmp(pa[i], pb[i]);
    if (c !== 0) return c;
  }
  return 0;
}

// ---- parsing -------------------------------------------------------------------------------

type Token =
  | { t: 'elem'; v: string }
  | { t: 'uint'; v: number }
  | { t: '[' | ']' | '<' | '>' | '.' | '@' | ',' };

const DELIMITERS = new Set(['[', ']', '<', '>', '.', '@', ',']);
const ELEMENT = /^(?:::)?[\p{XID_Start}_](?:[\p{XID_Continue}-]|::)*$/u;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let current = '';
  const flush = (): void => {
    const word = current.trim();
    current = '';
    if (word.length === 0) return;
    if (/^\d+$/.test(word)) {
      const v = Number(word);
      if (!Number.isSafeInteger(v)) throw new ParseError('unexpected', `number too large to fit in target type: ${word}`);
      tokens.push({ t: 'uint', v });
    } else if (ELEMENT.test(word) && !word.startsWith('r#')) {
      tokens.push({ t: 'elem', v: word });
    } else {
      throw new ParseError('unexpected', `unexpected token: ${word}`);
    }
  };
  for (const ch of text) {
    if (DELIMITERS.has(ch)) {
      flush();
      tokens.push({ t: ch as '[' });
    } else {
      current += ch;
    }
  }
  flush();
  return tokens;
}

function describe(tokens: Token[]): string {
  return tokens.map((tok) => ('v' in tok ? String(tok.v) : tok.t)).join(' ');
}

/** Parse upstream's string form of a `Reference`. Throws `ParseError`. */
function parseReference(text: string): Reference {
  const comma = text.indexOf(',');
  if (comma < 0) {
    throw new ParseError('unexpected', `unexpected token: expected a comma-separated reference, got: ${text}`);
  }
  const addrText = text.slice(0, comma);
  let addr: ChannelAddr;
  try {
    addr = ChannelAddr.parse(addrText);
  } catch (err) {
    throw new ParseError('invalid-channel-address', `invalid channel address ${addrText}: ${(err as Error).message}`);
  }
  const tokens = tokenize(text.slice(comma + 1));
  const expected = (): ParseError =>
    new ParseError(
      'expected',
      `parse: expected one of: proc, proc,actor, proc,actor[pid], proc,actor[pid][port], proc,actor[pid][port<type>]; got: ${describe(tokens)}`,
    );
  const at = (i: number, t: Token['t']): boolean => tokens[i]?.t === t;
  const elem = (i: number): string => {
    const tok = tokens[i];
    if (tok?.t !== 'elem') throw expected();
    return tok.v;
  };
  const uint = (i: number): number => {
    const tok = tokens[i];
    if (tok?.t !== 'uint') throw expected();
    return tok.v;
  };
  const proc = new ProcId(addr, elem(0));
  if (tokens.length === 1) return { kind: 'proc', proc };
  if (!at(1, ',')) throw expected();
  const actorName = elem(2);
  if (tokens.length === 3) return { kind: 'actor', actor: new ActorId(proc, actorName, 0) };
  if (!at(3, '[') || !at(5, ']')) throw expected();
  const actor = new ActorId(proc, actorName, uint(4));
  if (tokens.length === 6) return { kind: 'actor', actor };
  if (!at(6, '[')) throw expected();
  const index = uint(7);
  if (tokens.length === 9 && at(8, ']')) return { kind: 'port', port: new PortId(actor, index) };
  if (tokens.length === 12 && at(8, '<') && tokens[9]?.t === 'elem' && at(10, '>') && at(11, ']')) {
    return { kind: 'port', port: new PortId(actor, index) };
  }
  throw expected();
}

function wrongType(kind: 'proc' | 'actor' | 'port'): ParseError {
  return new ParseError('wrong-type', `wrong reference type: expected ${kind}`);
}

/** FNV-1a, 32 bits: a stable, dependency-free hash for `ProcId.unique`. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
