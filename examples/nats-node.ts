/**
 * nats-node.ts: one mapper OS process of the map-reduce over NATS (`pnpm start --nats`;
 * nats-job.ts starts these). It serves `Proc.direct('<prefix>', 'mapper_<index>')` on the NATS
 * server, spawns a `NatsMapper`, registers it in the prefix's `NatsDirectory` under
 * `mapper_<index>` (the coordinator finds it by that name, no id passed by hand), prints
 * `ready <actor id>` and works until its stdin closes; then it stops serving and exits 0.
 *
 *   node examples/dist/nats-node.js <nats prefix address> <index>
 */
import { NatsDirectory, Proc, type Actor, type Context } from '@procmesh/core';
import type { NatsMapperMsg } from './nats-job.js';
import { primesIn } from './primes.js';

/** The mapper over NATS: as `Mapper` (actors.ts), tallies a chunk and sends it to the port ref in the message. */
class NatsMapper implements Actor<NatsMapperMsg> {
  constructor(private readonly index: number) {}

  handle(cx: Context<NatsMapperMsg>, msg: NatsMapperMsg): void {
    const started = performance.now();
    const { count, sum } = primesIn(msg.lo, msg.hi);
    const busyMs = performance.now() - started;
    msg.reply.send(cx, { chunk: msg.chunk, rank: this.index, count, sum, busyMs });
  }

  displayName(): string {
    return 'mapper';
  }
}

const [prefix, indexText] = process.argv.slice(2);
if (prefix === undefined || indexText === undefined) throw new Error('usage: nats-node <nats prefix address> <index>');
const index = Number(indexText);
const name = `mapper_${index}`;
// the coordinator kills one of these on purpose: its peers' "connection lost" warnings are expected
process.env['PROCMESH_LOG'] ??= 'error';
const proc = await Proc.direct(prefix, name);
const directory = await NatsDirectory.open(prefix);
const mapper = proc.spawn('mapper', new NatsMapper(index)).bind();
await directory.register(name, mapper);
process.stdout.write(`ready ${mapper.actorId}\n`);
process.stdin.resume();
process.stdin.on('end', () => {
  void (async () => {
    await proc.flush();
    await directory.close();
    await proc.stopServing('coordinator done');
    process.exit(0);
  })();
});
