/**
 * benchmarks/savina/erlang.ts: the Erlang/OTP peer of the Savina programs: `erl` nodes that run
 * `erlang/savina.erl` one command at a time (so runs interleave with procmesh's, and each node
 * stays warm across runs, as procmesh's process does).
 *
 * `erl` comes from Debian's `erlang-base`; when it is missing, `ensureErlang` installs it with
 * apt-get if this process is root and apt-get exists, and otherwise says why it cannot (the
 * bench then skips the Erlang columns with that note).
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const has = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;

/** Make sure `erl` and `erlc` exist; undefined when they do, else why they cannot. */
export function ensureErlang(log: (line: string) => void): string | undefined {
  if (has('erl') && has('erlc')) return undefined;
  if (process.getuid?.() !== 0 || !has('apt-get')) return 'erl is not installed and cannot be installed here (needs root and apt-get: apt-get install erlang-base)';
  log('[savina] installing erlang-base with apt-get...');
  const r = spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq erlang-base'], { stdio: 'ignore', timeout: 600_000 });
  return r.status === 0 && has('erl') ? undefined : `apt-get install erlang-base failed (status ${r.status})`;
}

/** Compile savina.erl into a fresh temporary folder; returns the folder. */
export function compileSavina(): string {
  const src = fileURLToPath(new URL('../../savina/erlang/savina.erl', import.meta.url));
  const out = mkdtempSync(join(tmpdir(), 'procmesh-savina-'));
  const r = spawnSync('erlc', ['-o', out, src], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`erlc failed: ${r.stderr}`);
  return out;
}

export interface ErlResult {
  readonly us: number;
  readonly ok: boolean;
  readonly detail: string;
}

/** One `erl` node running savina:main (`+S schedulers` when given). */
export class ErlNode {
  private readonly waiting: { resolve: (line: string) => void; reject: (err: Error) => void }[] = [];
  private exited: Error | undefined;
  private readonly child: ChildProcessWithoutNullStreams;
  /** Resolves with the node's schedulers online. */
  readonly ready: Promise<number>;

  constructor(beamDir: string, schedulers?: number) {
    const args = [...(schedulers !== undefined ? ['+S', String(schedulers)] : []), '-noshell', '-pa', beamDir, '-s', 'savina', 'main'];
    this.child = spawn('erl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => process.stderr.write(`[erl] ${d.toString()}`));
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.resolve(line));
    this.child.on('exit', (code) => {
      this.exited = new Error(`erl exited (${code})`);
      for (const w of this.waiting.splice(0)) w.reject(this.exited);
    });
    this.ready = this.next().then((line) => {
      const m = /^ready (\d+)$/.exec(line);
      if (m === null) throw new Error(`erl said '${line}'`);
      return Number(m[1]);
    });
  }

  private next(): Promise<string> {
    return new Promise((resolve, reject) => {
      if (this.exited !== undefined) reject(this.exited);
      else this.waiting.push({ resolve, reject });
    });
  }

  /** Run one program (`pingpong 40000`); resolves with its time inside the node. */
  async run(command: string): Promise<ErlResult> {
    const line = this.next();
    this.child.stdin.write(`${command}\n`);
    const m = /^result \S+ (\d+) (ok|fail) ?(.*)$/.exec(await line);
    if (m === null) throw new Error(`erl answered '${await line}' to '${command}'`);
    return { us: Number(m[1]), ok: m[2] === 'ok', detail: m[3] ?? '' };
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}
