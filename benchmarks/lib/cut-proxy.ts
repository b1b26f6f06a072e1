/**
 * benchmarks/lib/cut-proxy.ts: a TCP proxy that forwards bytes both ways and cuts connections at
 * seeded points (`pnpm chaos`, issue 11). Written by hand: it is a few dozen lines over `node:net`,
 * and what it must do (cut at an exact byte of a seeded budget, mid-frame, and count) is what the
 * test is about; no maintained library does that.
 *
 * Each accepted connection gets a byte budget drawn from the seeded PRNG (uniform in
 * [minBytes, minBytes + 2 * meanBytes)), counted over both directions. The chunk that crosses it
 * is forwarded up to the budget's last byte, then both sockets are destroyed: the peers see a
 * reset in the middle of whatever frame was in flight. The target is resolved per connection
 * (`target()`), so a proxy in front of a worker that restarted on a fresh port follows it.
 * Backpressure is kept: a side whose `write` returns false pauses the other until `drain`.
 *
 * ## Invariants
 *
 * - CP-1: bytes arrive in order and unchanged, up to the cut; nothing after a cut is forwarded.
 * - CP-2: with cutting on, a connection is cut exactly when its budget is reached; `cuts` counts
 *   the connections cut (not those that the peers closed themselves).
 */
import net from 'node:net';
import { prng } from '@procmesh/core/testing';

export interface CutProxyOptions {
  /** Where to forward a new connection (host and port), read per connection. */
  readonly target: () => { host: string; port: number } | undefined;
  readonly seed: number;
  /** Mean bytes a connection carries before it is cut. */
  readonly meanBytes: number;
  /** Every connection carries at least this many bytes (default 0). */
  readonly minBytes?: number;
}

export class CutProxy {
  private readonly server: net.Server;
  private readonly random: () => number;
  private readonly open = new Set<net.Socket>();
  /** Connections cut at their budget (CP-2). */
  cuts = 0;
  /** Connections accepted. */
  connections = 0;
  /** Bytes forwarded, both directions. */
  bytes = 0;
  /** Off: forward without cutting (the budget is still drawn, so the PRNG stays in step). */
  cutting = true;

  private constructor(private readonly options: CutProxyOptions) {
    this.random = prng(options.seed);
    this.server = net.createServer((client) => this.accept(client));
  }

  /** Listen on a fresh loopback port. */
  static async start(options: CutProxyOptions): Promise<CutProxy> {
    const proxy = new CutProxy(options);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  /** The proxy's address as a procmesh `ChannelAddr` string. */
  get addr(): string {
    const a = this.server.address() as net.AddressInfo;
    return `tcp:127.0.0.1:${a.port}`;
  }

  private accept(client: net.Socket): void {
    this.connections++;
    const budget = Math.floor((this.options.minBytes ?? 0) + this.random() * 2 * this.options.meanBytes);
    const where = this.options.target();
    if (where === undefined) {
      client.destroy();
      return;
    }
    const upstream = net.connect(where.port, where.host);
    let carried = 0;
    let cut = false;
    const close = (): void => {
      client.destroy();
      upstream.destroy();
    };
    const forward = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk: Buffer) => {
        if (cut) return;
        let data = chunk;
        if (this.cutting && carried + data.length >= budget) {
          data = data.subarray(0, Math.max(0, budget - carried));
          cut = true;
        }
        carried += data.length;
        this.bytes += data.length;
        if (cut) {
          this.cuts++;
          // CP-1: the bytes up to the cut reach the peer (as a TCP segment sent before a reset
          // does), then both connections end; nothing more is read or forwarded
          from.destroy();
          to.end(data, () => to.destroy());
          return;
        }
        if (!to.write(data)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    forward(client, upstream);
    forward(upstream, client);
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on('error', close);
      s.on('close', () => {
        this.open.delete(s);
        // the other side ends too, after what it was still writing (CP-1)
        if (!cut) close();
      });
    }
  }

  /** Stop listening and destroy every open connection. */
  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
