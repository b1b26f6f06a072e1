/**
 * benchmarks/fuzz.ts: a seeded fuzzer of everything procmesh decodes from outside its thread
 * (issue 17). It mutates valid inputs (bit flips, interesting bytes, inflated lengths,
 * truncation, insertion, splicing) and adds the findings of issue 17 (the array32 bomb, nested
 * array16 headers, deep chains, malformed `errors` entries, spoofed system-port payloads), then
 * throws them at:
 *
 * - the decoders: `decodeEnvelope`, `decodePayload`, `EnvelopeRecordCodec.decode` (a fresh
 *   decoder per input), `ActorId.parse` (mutated id text);
 * - a live `Proc.direct` over a real tcp socket: each input is one connection from a hand-written
 *   peer (preamble, one frame) whose bytes are a mutated envelope, or a valid envelope with a
 *   mutated payload for one of the victim actor's ports (handler, signal, undeliverable,
 *   introspect). The proc records crashes instead of exiting; uncaught exceptions and unhandled
 *   rejections count as crashes too. At the end the victim must still answer, or, when an input
 *   was a well-formed stop signal (an admitted peer may stop an actor), be cleanly stopped while
 *   a fresh actor on the same proc answers.
 * - the prototypes: the own properties of `Object.prototype` and `Array.prototype` (names and
 *   values) must be the same after the run as before it (no input may pollute them).
 *
 * It prints, per target: inputs, accepted, typed errors (`ProcmeshError`s with a code), other
 * exceptions (must be 0), crashes (must be 0), the worst time of one input and the worst heap
 * growth across one input (`process.memoryUsage()` before and after: indicative, GC moves it).
 * Exits with 1 when an "other exception" or a crash was seen.
 *
 * Run: `pnpm fuzz` (`tsc -b && node benchmarks/dist/fuzz.js`); options `--seed N`,
 * `--inputs N` (per decoder, default 20000), `--net N` (socket inputs, default 2000).
 */
import net from 'node:net';
import { cpus } from 'node:os';
import {
  ACTOR_PORT,
  ActorId,
  MessageEnvelope,
  OncePortRef,
  PortRef,
  Proc,
  ProcmeshError,
  Signal,
  Undeliverable,
  DeliveryError,
  type Actor,
  type Context,
  type OncePortRef as OncePortRefType,
} from '@procmesh/core';
import { EnvelopeRecordCodec, SeqInfo, decodeEnvelope, decodePayload, encodeEnvelope, encodePayload } from '@procmesh/core/transport';
import { prng } from '@procmesh/core/testing';
import { gitCommit } from './lib/stats.js';

// Quiet logs: every refusal is logged (`delivery_refused`, rejected sessions), thousands here.
process.env['PROCMESH_LOG'] ??= 'silent';

// ---- options and the seeded PRNG ---------------------------------------------------------------

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const SEED = option('--seed', 17);
const DECODER_INPUTS = option('--inputs', 20_000);
const NET_INPUTS = option('--net', 2_000);

const random = prng(SEED);
const int = (n: number): number => Math.floor(random() * n);
const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;

// ---- the corpus ---------------------------------------------------------------------------------

const ARRAY32_BOMB = Uint8Array.of(0xdd, 0xff, 0xff, 0xff, 0xff, 0x00);
const INTERESTING = [0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xc0, 0xc1, 0xc4, 0xc6, 0xc7, 0xc9, 0xcb, 0xd4, 0xd5, 0xd8, 0xd9, 0xdb, 0xdc, 0xdd, 0xde, 0xdf, 0xff];

function findings(): Uint8Array[] {
  const chain = new Uint8Array(3 * 22_000);
  for (let i = 0; i < chain.length; i += 3) chain.set([0xdc, 0xff, 0xff], i);
  const deep = new Uint8Array(50_000).fill(0x91);
  deep[deep.length - 1] = 0;
  return [
    ARRAY32_BOMB,
    Uint8Array.of(0xdf, 0xff, 0xff, 0xff, 0xff, 0x00),
    Uint8Array.of(0xdb, 0x7f, 0xff, 0xff, 0xff, 0x41),
    Uint8Array.of(0xc9, 0x7f, 0xff, 0xff, 0xff, 0x74, 0x00),
    Uint8Array.of(0x92, 0xd4, 0x72, 0x00, 0x01),
    Uint8Array.of(0x92, 0xd4, 0x62, 0x00, 0x01),
    Uint8Array.of(0xd4, 0x2f, 0x00, 0xdd, 0xff, 0xff, 0xff, 0xfe, 0x00), // a Map (plain-unpack.ts PU-8) claiming 2^32 entries
    chain,
    deep,
  ];
}

const here = Proc.local();
const sender = here.procId.actorId('fuzz_sender');
const dest = here.procId.actorId('fuzz_dest').portId(ACTOR_PORT.HANDLER);
const headers = { send_timestamp: 1, message_type: 'inc', seq_info: SeqInfo.session('0190f3a4-7d2e-7c3a-9b1e-4f5a6b7c8d9e', 42) };

function payloads(): unknown[] {
  const inner = new MessageEnvelope(sender, dest, encodePayload([1, 2, 3]), { a: 1 }, 5, true, [DeliveryError.unroutable('x')]);
  return [
    { type: 'inc', by: 1 },
    { type: 'add', a: 1, b: 2, reply: new OncePortRef(dest) },
    [sender, dest, here.procId, new PortRef(dest, 'sum')],
    new Undeliverable(inner),
    { bytes: new Uint8Array(40), f: new Float64Array(3), when: new Date(1), big: 2n ** 70n, set: new Set([1, 'a']) },
    Signal.drainAndStop('x'),
    'x'.repeat(300),
    { nested: { deeper: [[[{ k: 'v' }]]] } },
    { counts: new Map<unknown, unknown>([['a', 1], [2, { k: 'v' }], ['m', new Map([[0, 'x']])]]) }, // plain-pack.ts PP-9
    new Map(Array.from({ length: 70 }, (_, i) => [`w${i}`, i] as const)), // a wide Map (PU-8: no interning)
  ];
}

function envelopes(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const value of payloads()) {
    out.push(encodeEnvelope(new MessageEnvelope(sender, dest, encodePayload(value), headers, 64, true, [])));
  }
  out.push(encodeEnvelope(new MessageEnvelope(sender, dest, encodePayload(1), {}, 3, false, [DeliveryError.brokenLink('b')])));
  // finding 3: a malformed errors entry
  out.push(encodePayload([sender, dest, encodePayload(1), {}, 3, true, [[1, 2]]]));
  return out;
}

function records(): Uint8Array[] {
  return envelopes().slice(0, -1).map((bytes) => {
    const encoder = new EnvelopeRecordCodec();
    const target = new Uint8Array(64 * 1024);
    const end = encoder.encodeInto(decodeEnvelope(bytes), target, 0, target.length);
    return typeof end === 'number' ? target.slice(0, end) : end.slice();
  });
}

/** One mutation (or a finding, or a splice) of a corpus entry. */
function mutate(corpus: readonly Uint8Array[]): Uint8Array {
  const roll = random();
  if (roll < 0.04) return pick(findings());
  const base = pick(corpus);
  if (roll < 0.1) {
    const other = pick(corpus);
    const cut = int(base.length + 1);
    const out = new Uint8Array(cut + other.length - Math.min(cut, other.length));
    out.set(base.subarray(0, cut));
    out.set(other.subarray(Math.min(cut, other.length)), cut);
    return out;
  }
  const out = Uint8Array.from(base);
  if (out.length === 0) return out;
  const edits = 1 + int(4);
  let bytes: Uint8Array = out;
  for (let e = 0; e < edits; e++) {
    const at = int(bytes.length);
    const kind = int(6);
    if (kind === 0) bytes[at] = (bytes[at] as number) ^ (1 << int(8));
    else if (kind === 1) bytes[at] = pick(INTERESTING);
    else if (kind === 2) bytes.fill(0xff, at, Math.min(bytes.length, at + 1 + int(4)));
    else if (kind === 3) bytes = bytes.slice(0, at);
    else if (kind === 4) {
      const insert = Uint8Array.from({ length: 1 + int(6) }, () => (random() < 0.5 ? pick(INTERESTING) : int(256)));
      const grown = new Uint8Array(bytes.length + insert.length);
      grown.set(bytes.subarray(0, at));
      grown.set(insert, at);
      grown.set(bytes.subarray(at), at + insert.length);
      bytes = grown;
    } else bytes[at] = int(256);
    if (bytes.length === 0) break;
  }
  return bytes;
}

// ---- measuring ----------------------------------------------------------------------------------

interface Tally {
  readonly target: string;
  inputs: number;
  accepted: number;
  typed: number;
  other: number;
  crashes: number;
  worstMs: number;
  worstHeap: number;
  samples: string[];
}

const tallies: Tally[] = [];
let crashCount = 0;
const crashNotes: string[] = [];
process.on('uncaughtException', (err) => {
  console.error('uncaught exception:', err);
  process.exitCode = 1;
  crashCount++;
  crashNotes.push(`uncaught: ${String(err)}`);
});
process.on('unhandledRejection', (err) => {
  console.error('unhandled rejection:', err);
  process.exitCode = 1;
  crashCount++;
  crashNotes.push(`unhandled rejection: ${String(err)}`);
});

/** The own properties of the prototypes an input could pollute, as name -> value. */
function prototypeState(): Map<string, unknown> {
  const state = new Map<string, unknown>();
  for (const [label, proto] of [['Object', Object.prototype], ['Array', Array.prototype]] as const) {
    for (const key of Reflect.ownKeys(proto)) state.set(`${label}.prototype.${String(key)}`, Reflect.get(proto, key));
  }
  return state;
}

/** What changed on the prototypes since `before` (names), empty when nothing did. */
function prototypeChanges(before: Map<string, unknown>): string[] {
  const after = prototypeState();
  const changed: string[] = [];
  for (const [key, v] of after) if (!before.has(key) || before.get(key) !== v) changed.push(key);
  for (const key of before.keys()) if (!after.has(key)) changed.push(key);
  return changed;
}

function tally(target: string): Tally {
  const t: Tally = { target, inputs: 0, accepted: 0, typed: 0, other: 0, crashes: 0, worstMs: 0, worstHeap: 0, samples: [] };
  tallies.push(t);
  return t;
}

function heap(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external + m.arrayBuffers;
}

function classify(t: Tally, err: unknown): void {
  if (err instanceof ProcmeshError && typeof (err as { code?: unknown }).code === 'string') t.typed++;
  else {
    t.other++;
    if (t.samples.length < 5) t.samples.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
}

function fuzzDecoder(name: string, corpus: readonly Uint8Array[], decode: (bytes: Uint8Array) => unknown): void {
  const t = tally(name);
  for (let i = 0; i < DECODER_INPUTS; i++) {
    const input = mutate(corpus);
    const before = heap();
    const start = performance.now();
    try {
      decode(input);
      t.accepted++;
    } catch (err) {
      classify(t, err);
    }
    t.worstMs = Math.max(t.worstMs, performance.now() - start);
    t.worstHeap = Math.max(t.worstHeap, heap() - before);
    t.inputs++;
  }
}

function fuzzIds(): void {
  const t = tally('ActorId.parse (mutated text)');
  const texts = ['tcp:127.0.0.1:4000,proc_0,trainer[17]', 'unix:@abc,p,a[0]', 'local:3,worker,child[2]', 'tls:host:443,p,actor[1]'];
  const alphabet = ',[]:@.0123456789abcxyz-_ ';
  for (let i = 0; i < DECODER_INPUTS; i++) {
    let text = pick(texts);
    for (let e = 1 + int(3); e > 0; e--) {
      const at = int(text.length + 1);
      const roll = int(3);
      const ch = alphabet[int(alphabet.length)] as string;
      text = roll === 0 ? text.slice(0, at) + ch + text.slice(at) : roll === 1 ? text.slice(0, at) + text.slice(at + 1) : text.slice(0, at) + ch + text.slice(at + 1);
    }
    const before = heap();
    const start = performance.now();
    try {
      ActorId.parse(text);
      t.accepted++;
    } catch (err) {
      classify(t, err);
    }
    t.worstMs = Math.max(t.worstMs, performance.now() - start);
    t.worstHeap = Math.max(t.worstHeap, heap() - before);
    t.inputs++;
  }
}

// ---- the live proc --------------------------------------------------------------------------------

type AddMsg = { type: 'add'; a: number; b: number; reply: OncePortRefType<number> };
/**
 * The victim, written as an actor that serves untrusted peers must be. Its handler checks what
 * it gets: a handler port's payload is whatever a peer sent (TypeScript types do not travel),
 * and an actor whose handler throws on it fails by its own hand. It absorbs returns: a peer
 * chooses the reply port, and a reply that bounces fails the replier under upstream's default
 * `handleUndeliverableMessage` (the fuzzer finds this within seconds). The runtime guarantees
 * the rest: system ports, decoding, routing (issue 17).
 */
class Adder implements Actor<AddMsg> {
  returns = 0;
  handleUndeliverableMessage(): void {
    this.returns++;
  }
  handle(cx: Context<AddMsg>, msg: AddMsg): void {
    const m = msg as Partial<AddMsg> | null;
    if (typeof m !== 'object' || m === null || !(m.reply instanceof OncePortRef) || typeof m.a !== 'number' || typeof m.b !== 'number') return;
    m.reply.send(cx, m.a + m.b);
  }
}

function frame(sessionId: bigint, payload: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + 8 + 8 + payload.length);
  out.set([0x4c, 0x4e, 0x4b, 0x00], 0); // "LNK\0"
  out.writeBigUInt64BE(sessionId, 4);
  const length = 8 + payload.length;
  out[12] = 0; // tag: simplex
  out.writeUIntBE(length, 14, 6); // 7-byte length (the top byte stays 0)
  out.writeBigUInt64BE(0n, 20); // seq 0
  out.set(payload, 28);
  return out;
}

/** One connection: write the frame, resolve on the first response frame or the close. */
function exchange(port: number, bytes: Buffer): Promise<'ack' | 'reject' | 'closed' | 'timeout'> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let done = false;
    const finish = (outcome: 'ack' | 'reject' | 'closed' | 'timeout'): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(() => finish('timeout'), 3_000);
    let seen = Buffer.alloc(0);
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      if (seen.length >= 9) finish(seen[8] === 0 ? 'ack' : 'reject');
    });
    socket.on('error', () => finish('closed'));
    socket.on('close', () => finish('closed'));
  });
}

async function fuzzNet(): Promise<boolean> {
  const crashes: string[] = [];
  const server = await Proc.direct('tcp:127.0.0.1:0', 'fuzz_server', {
    onCrash: (message) => crashes.push(message),
    serve: { messageAckEveryNMessages: 1 },
    dial: { messageDeliveryTimeoutMs: 1_000 },
  });
  const adder = new Adder();
  const victim = server.spawn('victim', adder);
  const victimRef = victim.bind();
  const port = server.procId.addr.port;
  const ports = [ACTOR_PORT.HANDLER, ACTOR_PORT.SIGNAL, ACTOR_PORT.UNDELIVERABLE, ACTOR_PORT.INTROSPECT].map((i) => victimRef.actorId.portId(i));
  // senders on a proc nobody serves: returns to them are dropped after the delivery timeout
  const ghost = ActorId.parse('tcp:127.0.0.1:1,ghost,spoofer[0]');
  const payloadCorpus = [...payloads().map((v) => encodePayload(v)), encodePayload({ type: 'add', a: 1, b: 2, reply: 'no' }), encodePayload({ kind: 'abort', reason: 5 })];
  const envelopeCorpus = envelopes();
  const t = tally('Proc.direct over tcp (one frame per connection)');
  const outcomes = new Map<string, number>();
  let session = BigInt(SEED) << 32n;
  for (let i = 0; i < NET_INPUTS; i++) {
    let bytes: Uint8Array;
    if (random() < 0.5) bytes = mutate(envelopeCorpus);
    else {
      const data = random() < 0.1 ? pick(findings()) : mutate(payloadCorpus);
      bytes = encodeEnvelope(new MessageEnvelope(ghost, pick(ports), data, random() < 0.5 ? headers : {}, 64, true, []));
    }
    const before = heap();
    const start = performance.now();
    const outcome = await exchange(port, frame(session++, bytes));
    outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    if (outcome === 'ack') t.accepted++;
    else if (outcome === 'reject' || outcome === 'closed') t.typed++;
    else {
      t.other++;
      if (t.samples.length < 5) t.samples.push(`no answer within 3 s to input ${i}`);
    }
    t.worstMs = Math.max(t.worstMs, performance.now() - start);
    t.worstHeap = Math.max(t.worstHeap, heap() - before);
    t.inputs++;
  }
  // the victim still answers a well-formed request from another peer
  const friend = await Proc.direct('tcp:127.0.0.1:0', 'fuzz_friend');
  const [client] = friend.instance('client');
  const [reply, answer] = client.openOncePort<number>();
  victimRef.send(client, { type: 'add', a: 20, b: 22, reply: reply.bind() });
  const ask = (reply: Promise<number>): Promise<number> => Promise.race([reply, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5_000))]);
  const sum = await ask(answer.recv());
  // An admitted peer may stop an actor with a well-formed stop signal (a mutation can produce
  // one): a clean stop is the contract, not damage. Then the proc itself must still serve: a
  // fresh actor on it answers over the socket.
  let witnessSum = -1;
  if (victim.status.kind === 'stopped') {
    const witness = server.spawn('witness', new Adder()).bind();
    const [witnessReply, witnessAnswer] = client.openOncePort<number>();
    witness.send(client, { type: 'add', a: 20, b: 22, reply: witnessReply.bind() });
    witnessSum = await ask(witnessAnswer.recv());
  }
  const alive = victim.status.kind !== 'failed' && (sum === 42 || witnessSum === 42);
  t.crashes = crashes.length;
  crashNotes.push(...crashes);
  console.log(`net outcomes: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; victim after the run: ${victim.status.kind}${victim.status.kind === 'stopped' ? ` (${JSON.stringify(victim.status)}; a fresh actor on the proc answered 20 + 22 = ${witnessSum})` : ''}, answered 20 + 22 = ${sum}; replies of the victim that bounced (absorbed): ${adder.returns}`);
  await friend.stopServing('fuzz over');
  await server.stopServing('fuzz over');
  return alive;
}

// ---- the run --------------------------------------------------------------------------------------

const startedAt = performance.now();
const prototypesBefore = prototypeState();
fuzzDecoder('decodeEnvelope', envelopes(), decodeEnvelope);
fuzzDecoder('decodePayload', payloads().map((v) => encodePayload(v)), decodePayload);
fuzzDecoder('EnvelopeRecordCodec.decode (fresh decoder)', records(), (bytes) => new EnvelopeRecordCodec().decode(bytes, 0, bytes.length));
fuzzIds();
const alive = await fuzzNet();
const seconds = (performance.now() - startedAt) / 1000;
const polluted = prototypeChanges(prototypesBefore);

const mb = (n: number): string => `${(n / 1024 / 1024).toFixed(2)} MB`;
console.log(`procmesh fuzz: seed ${SEED}; ${cpus()[0]?.model ?? 'unknown cpu'}, ${cpus().length} cores, Node ${process.version}; commit ${gitCommit()}; ${seconds.toFixed(1)} s`);
console.log('');
console.log('| target | inputs | accepted | typed errors | other exceptions | crashes | worst time / input | worst heap growth / input |');
console.log('|---|---|---|---|---|---|---|---|');
for (const t of tallies) {
  console.log(`| ${t.target} | ${t.inputs} | ${t.accepted} | ${t.typed} | ${t.other} | ${t.crashes} | ${t.worstMs.toFixed(1)} ms | ${mb(Math.max(0, t.worstHeap))} |`);
}
const other = tallies.reduce((n, t) => n + t.other, 0);
const crashed = crashCount + tallies.reduce((n, t) => n + t.crashes, 0);
console.log('');
console.log(`other exceptions: ${other}; crashes: ${crashed}; victim alive and answering: ${alive}; prototypes untouched: ${polluted.length === 0}`);
for (const key of polluted) console.log(`  polluted: ${key}`);
for (const t of tallies) for (const s of t.samples) console.log(`  ${t.target}: ${s}`);
for (const note of crashNotes) console.log(`  crash: ${note}`);
process.exit(other === 0 && crashed === 0 && alive && polluted.length === 0 ? 0 : 1);
