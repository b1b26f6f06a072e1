/**
 * admin/cli.ts: the `procmesh` command (the `bin` of @procmesh/worker-host). One subcommand:
 *
 * ```
 * procmesh top <addr> [--interval MS] [--timeout MS] [--token T]   the terminal UI (app.ts)
 * procmesh top <addr> --json                                        one snapshot as JSON, then exit
 * procmesh top <addr> --diagnose [--timeout MS]                     exit 0 when every proc answers
 *                                                                   within MS, else 1 (2: endpoint unreadable)
 * ```
 *
 * Exit codes: 0 done (or all healthy), 1 `--diagnose` found a failing proc, 2 the endpoint
 * could not be read, 64 a wrong command line. bin/procmesh.js (a plain file, so pnpm links it
 * before the build) imports this module, which runs `main` on load.
 *
 * `<addr>` is what the host prints (`tcp:127.0.0.1:9901`, `ProcHost.admin.addr`), or an
 * `http://` URL; without one, `PROCMESH_ADMIN`. The token is `--token` or
 * `PROCMESH_ADMIN_TOKEN`. Arguments are parsed with `node:util` `parseArgs`.
 */
import { parseArgs } from 'node:util';
import { AdminClient, TopError } from './top/client.js';
import { diagnose, exitCode, formatDiagnosis } from './top/diagnose.js';
import { takeSnapshot } from './top/snapshot.js';

/** A wrong command line (BSD's EX_USAGE). */
const EXIT_USAGE = 64;

const USAGE = `usage: procmesh top [ADDR] [--json | --diagnose] [--interval MS] [--timeout MS] [--token TOKEN]

  ADDR            the admin endpoint (tcp:127.0.0.1:9901 as the host prints it, or http://...);
                  default PROCMESH_ADMIN
  --json          print one snapshot of the whole tree as JSON and exit
  --diagnose      check that every proc answers within --timeout; exit 0 if so, 1 with the
                  failing procs listed, 2 if the endpoint cannot be read
  --interval MS   refresh period of the live view (default 1000)
  --timeout MS    bound on each request (default 2000)
  --token TOKEN   bearer token of a non-loopback endpoint (default PROCMESH_ADMIN_TOKEN)
`;

const positiveInt = (text: string | undefined, fallback: number, name: string): number => {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new TopError('bad_argument', `${name} must be a positive integer of ms, not '${text}'`);
  return n;
};

export async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      diagnose: { type: 'boolean', default: false },
      interval: { type: 'string' },
      timeout: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, addrArg, ...extra] = positionals;
  if (values.help || command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command !== 'top' || extra.length > 0) {
    process.stderr.write(USAGE);
    return EXIT_USAGE;
  }
  const addr = addrArg ?? process.env['PROCMESH_ADMIN'];
  if (addr === undefined || addr === '') {
    process.stderr.write(`procmesh top: no address (give ADDR or set PROCMESH_ADMIN)\n${USAGE}`);
    return EXIT_USAGE;
  }
  const timeoutMs = positiveInt(values.timeout, 2000, '--timeout');
  const intervalMs = positiveInt(values.interval, 1000, '--interval');
  const client = new AdminClient(addr, { timeoutMs, token: values.token ?? (process.env['PROCMESH_ADMIN_TOKEN'] || undefined) });
  if (values.diagnose) {
    const d = await diagnose(client, timeoutMs);
    (exitCode(d) === 0 ? process.stdout : process.stderr).write(formatDiagnosis(d));
    return exitCode(d);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(await takeSnapshot(client), null, 2)}\n`);
    return 0;
  }
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write('procmesh top: the live view needs a terminal; use --json or --diagnose in scripts\n');
    return EXIT_USAGE;
  }
  // ink (through is-in-ci) draws only the last frame when CI or CONTINUOUS_INTEGRATION is set;
  // here stdin and stdout are a terminal, so the live view tells it it is not in CI.
  for (const key of ['CI', 'CONTINUOUS_INTEGRATION']) if (key in process.env) process.env[key] = 'false';
  const { runTop } = await import('./top/app.js'); // ink and react only for the live view
  await runTop({ client, intervalMs });
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const text = err instanceof TopError ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err);
    process.stderr.write(`procmesh top: ${text}\n`);
    const usage = (err instanceof TopError && (err.code === 'bad_argument' || err.code === 'bad_address')) || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' || (err as { code?: unknown }).code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE';
    process.exitCode = usage ? EXIT_USAGE : 2;
  },
);
