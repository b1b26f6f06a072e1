/**
 * nats-job.ts: the map-reduce job across OS processes over NATS (`pnpm start --nats`).
 *
 * The same job as run.ts, with the procs in separate OS processes on one NATS system instead of
 * worker threads of one process: this process runs the coordinator on
 * `Proc.direct('nats://.../mapreduce', 'coordinator')`; each mapper is an OS process of its own
 * (nats-node.ts: `Proc.direct(..., 'mapper_N')`), found by name in the prefix's `NatsDirectory`.
 * Map messages carry the ref of the coordinator's accumulating port (a `nats:` id, tally.ts, as
 * in the worker-proc job), so mappers answer it wherever it runs; the tally counts each chunk once.
 *
 * Fault injection: once 30% of the chunks are done, the coordinator SIGKILLs one mapper process.
 * Its outstanding chunks go back in the queue (the child's exit is the signal: NATS itself says
 * nothing about a subscriber that vanished) and a replacement process takes its place. Map
 * messages still on their way to the dead process come back undeliverable when the
 * coordinator stops serving.
 *
 * Without `--nats-url` it starts a `nats-server` of its own on a free loopback port (the Debian
 * package) and stops it at the end.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { ACTOR_PORT, NatsDirectory, Proc, type ActorRef, type Instance, type PortRef, type PortReceiver, type Undeliverable } from '@procmesh/core';
import type { ChunkResult } from './actors.js';
import type { Display, ProcView, RunView } from './display.js';
import { chunkRange } from './primes.js';
import { tallyOf, type JobTally } from './tally.js';

/** To a mapper process: count the primes in [lo, hi) and send the result to `reply`. */
export type NatsMapperMsg = { type: 'map'; chunk: number; lo: number; hi: number; reply: PortRef<ChunkResult> };

export interface NatsJobSpec {
  readonly size: number;
  readonly chunks: number;
  readonly window: number;
  /** Mapper OS processes. */
  readonly nodes: number;
  /** Kill one mapper process at 30% (and start a replacement). */
  readonly failure: boolean;
  readonly stallMs: number;
  /** An existing server (`nats://host:port`); default: start one. */
  readonly url: string | undefined;
}

export interface NatsRunResult {
  readonly server: string;
  readonly startupMs: number;
  readonly wallMs: number;
  readonly count: number;
  readonly sum: number;
  readonly messages: { readonly map: number; readonly results: number; readonly returned: number };
  readonly killed: string | undefined;
  readonly redispatched: number;
  readonly duplicates: number;
  readonly procs: readonly ProcView[];
}

const NODE = fileURLToPath(new URL('./nats-node.js', import.meta.url));

interface Node {
  readonly index: number;
  readonly child: ChildProcess;
  readonly mapper: ActorRef<NatsMapperMsg>;
  readonly outstanding: Set<number>;
  state: string;
  messages: number;
}

/** Start mapper process `index` and find its mapper by name once it says it is ready. */
async function startNode(prefix: string, index: number, directory: NatsDirectory): Promise<Node> {
  const child = spawn(process.execPath, [NODE, prefix, String(index)], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`mapper process ${index} exited with code ${code} while starting`)));
  });
  const mapper = await directory.lookupActor<NatsMapperMsg>(`mapper_${index}`);
  return { index, child, mapper, outstanding: new Set(), state: 'live', messages: 0 };
}

/** A `nats-server` on a free loopback port, until `stop()`. */
async function startServer(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (spawnSync('nats-server', ['--version']).status !== 0) throw new Error('nats-server is not installed (apt-get install nats-server), and no --nats-url was given');
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen({ host: '127.0.0.1', port: 0 }, () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  process.once('exit', () => child.kill('SIGKILL'));
  for (let tries = 0; ; tries++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (tries > 500 || child.exitCode !== null) throw new Error('nats-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

class Coordinator {
  readonly nodes = new Map<number, Node>();
  private readonly retry: number[] = [];
  private next = 0;
  private seen = 0;
  readonly counts = { map: 0, results: 0, returned: 0 };
  redispatched = 0;
  killed: string | undefined;
  started = 0;
  finished = 0;
  private replacing: Promise<void> | undefined;

  constructor(
    private readonly spec: NatsJobSpec,
    private readonly display: Display,
    private readonly cx: Instance<never>,
    private readonly reply: PortRef<ChunkResult>,
    private readonly tally: JobTally,
    private readonly replace: (index: number) => Promise<Node>,
  ) {}

  add(node: Node): void {
    this.nodes.set(node.index, node);
    node.child.once('exit', (code, signal) => this.onExit(node, signal ?? String(code)));
    this.fill(node);
  }

  view(): RunView {
    const elapsedMs = this.started === 0 ? 0 : (this.finished || performance.now()) - this.started;
    const procs = [...this.nodes.values()].map((n) => ({
      index: n.index,
      procId: String(n.mapper.actorId.proc),
      state: n.state,
      chunks: this.tally.byRank[n.index]?.chunks ?? 0,
      messages: n.messages,
      inFlight: n.outstanding.size,
      busy: (this.tally.byRank[n.index]?.busyMs ?? 0) / Math.max(1, elapsedMs),
    }));
    return { done: this.tally.order.length, total: this.spec.chunks, elapsedMs, messages: this.counts.map + this.tally.results, procs };
  }

  /** Dispatch, then follow the tally until every chunk is in. */
  async run(results: PortReceiver<JobTally>): Promise<void> {
    this.started = performance.now();
    this.display.start(() => this.view());
    try {
      for (const node of this.nodes.values()) this.fill(node);
      while (this.tally.order.length < this.spec.chunks) {
        await withTimeout(results.recv(), this.spec.stallMs, () => new Error(`no result for ${this.spec.stallMs} ms`));
        this.onTally();
      }
      this.finished = performance.now();
      this.counts.results = this.tally.results;
      await this.replacing;
    } finally {
      if (this.finished === 0) this.finished = performance.now();
      this.display.stop();
    }
  }

  /** New results in the tally: free their slots, maybe kill a mapper process, refill. */
  private onTally(): void {
    for (; this.seen < this.tally.order.length; this.seen++) for (const n of this.nodes.values()) n.outstanding.delete(this.tally.order[this.seen] as number);
    this.display.update();
    if (this.spec.failure && this.killed === undefined && this.tally.order.length >= this.spec.chunks * 0.3) this.kill();
    for (const n of this.nodes.values()) this.fill(n);
  }

  /** The fault: SIGKILL the mapper process holding the most chunks. */
  private kill(): void {
    const victim = [...this.nodes.values()].filter((n) => n.state === 'live').sort((a, b) => b.outstanding.size - a.outstanding.size)[0];
    if (victim === undefined) return;
    this.killed = String(victim.mapper.actorId.proc);
    this.display.note(`  ⚡ fault injection: SIGKILL mapper process ${victim.index} (pid ${victim.child.pid}, ${this.killed}) holding ${victim.outstanding.size} chunk(s)`);
    victim.child.kill('SIGKILL');
  }

  private onExit(node: Node, how: string): void {
    if (node.state !== 'live') return;
    const closed = this.finished > 0;
    node.state = closed ? 'stopped' : `exited (${how})`;
    if (closed) return;
    const lost = [...node.outstanding].filter((c) => this.tally.done[c] === 0).sort((a, b) => a - b);
    node.outstanding.clear();
    this.retry.push(...lost);
    this.redispatched += lost.length;
    this.display.note(`    mapper process ${node.index} is gone (${how}); its ${lost.length} chunk(s) go back in the queue, and a replacement process starts`);
    const index = Math.max(...this.nodes.keys()) + 1;
    this.replacing = this.replace(index).then(
      (fresh) => {
        this.display.note(`  ✚ replacement mapper process ${index} (pid ${fresh.child.pid}) is up: ${fresh.mapper.actorId}`);
        if (this.finished > 0) fresh.state = 'live (idle)';
        this.add(fresh);
      },
      (err: unknown) => this.display.note(`  ✘ could not start a replacement process: ${(err as Error).message}`),
    );
    for (const n of this.nodes.values()) this.fill(n);
  }

  /** A map message came back undeliverable (its process died; `onExit` re-queued its chunk already). */
  onReturned(_u: Undeliverable): void {
    this.counts.returned++;
  }

  private take(): number {
    while (this.retry.length > 0) {
      const c = this.retry.shift() as number;
      if (this.tally.done[c] === 0) return c;
    }
    return this.next < this.spec.chunks ? this.next++ : -1;
  }

  private fill(node: Node): void {
    while (this.finished === 0 && node.state === 'live' && node.outstanding.size < this.spec.window) {
      const c = this.take();
      if (c < 0) return;
      const [lo, hi] = chunkRange(c, this.spec.chunks, this.spec.size);
      node.outstanding.add(c);
      node.messages++;
      this.counts.map++;
      node.mapper.send(this.cx, { type: 'map', chunk: c, lo, hi, reply: this.reply });
    }
  }
}

/** Run the job over NATS: server (unless given), coordinator proc, `spec.nodes` mapper processes. */
export async function runNatsJob(spec: NatsJobSpec, display: Display): Promise<NatsRunResult> {
  const t0 = performance.now();
  const own = spec.url === undefined ? await startServer() : undefined;
  const url = spec.url ?? (own as { url: string }).url;
  const prefix = `${url.replace(/\/+$/, '')}/mapreduce`;
  const proc = await Proc.direct(prefix, 'coordinator');
  const directory = await NatsDirectory.open(prefix);
  const started: Node[] = [];
  try {
    const [cx] = proc.instance('coordinator');
    let onReturned: (u: Undeliverable) => void = () => undefined;
    cx.mailbox.openEnqueuePort<Undeliverable>(ACTOR_PORT.UNDELIVERABLE, (u) => onReturned(u), 'Undeliverable').bind();
    const [tally, accumulator] = tallyOf(spec.chunks);
    const [reply, results] = cx.openAccumPort(accumulator);
    const launch = async (index: number): Promise<Node> => {
      const node = await startNode(prefix, index, directory);
      started.push(node);
      return node;
    };
    const nodes = await Promise.all(Array.from({ length: spec.nodes }, (_, i) => launch(i + 1)));
    const startupMs = performance.now() - t0;
    const coordinator = new Coordinator(spec, display, cx, reply.bind(), tally, launch);
    onReturned = (u) => coordinator.onReturned(u);
    for (const node of nodes) coordinator.add(node);
    // no `proc.flush()`: map messages to the killed process would wait out their delivery
    // timeout; `stopServing` below returns them at once (counted as returned)
    await coordinator.run(results);
    return {
      server: own !== undefined ? `${url} (nats-server started by the example)` : url,
      startupMs,
      wallMs: coordinator.finished - coordinator.started,
      count: tally.count,
      sum: tally.sum,
      duplicates: tally.duplicates,
      messages: coordinator.counts, // returns counted until `stopServing` below
      killed: coordinator.killed,
      redispatched: coordinator.redispatched,
      procs: coordinator.view().procs,
    };
  } finally {
    for (const node of started) {
      if (node.child.exitCode !== null || node.child.signalCode !== null) continue;
      const exited = once(node.child, 'exit');
      node.child.stdin?.end();
      await exited;
    }
    await directory.close();
    await proc.stopServing('job over');
    await own?.stop();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
