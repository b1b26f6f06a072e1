/**
 * benchmarks/lib/nats-server.ts: one real `nats-server` on loopback for a benchmark (the Debian
 * package; `natsServerVersion()` says whether it is installed), on free ports, with its
 * monitoring port (the server's `in_bytes`) and, on Linux, its CPU time from `/proc`. Used by
 * nats.bench.ts and the NATS link of slow-consumer.ts; the tests have their own fixture
 * (packages/core/test/fixtures/nats-server.ts), with clusters and restarts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BenchNatsServer {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  readonly child: ChildProcess;
  /** The server's `in_bytes` so far (its monitoring endpoint). */
  inBytes(): Promise<number>;
  /** The server process's CPU µs so far (Linux `/proc`), or NaN. */
  cpu(): number;
  /** SIGTERM, and its storage directory removed. */
  stop(): void;
}

/** `nats-server --version`'s line, or undefined when it is not installed. */
export function natsServerVersion(): string | undefined {
  const version = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return version.status === 0 ? (version.stdout?.trim() ?? '') : undefined;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `/proc/<pid>/stat` counts CPU time in clock ticks (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/** Start a server (with JetStream on when asked) and wait until it accepts connections. */
export async function startNatsServer(options: { readonly jetstream?: boolean } = {}): Promise<BenchNatsServer> {
  const port = await freePort();
  const monitor = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'procmesh-nats-bench-'));
  const args = ['-a', '127.0.0.1', '-p', String(port), '-m', String(monitor), ...(options.jetstream === true ? ['-js', '-sd', dir] : [])];
  const child = spawn('nats-server', args, { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('nats-server did not start');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const inBytes = async (): Promise<number> => ((await (await fetch(`http://127.0.0.1:${monitor}/varz`)).json()) as { in_bytes: number }).in_bytes;
  const cpu = (): number => {
    try {
      const fields = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
    } catch {
      return Number.NaN;
    }
  };
  const stop = (): void => {
    child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `nats://127.0.0.1:${port}`, child, inBytes, cpu, stop };
}
