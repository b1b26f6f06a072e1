/**
 * log.ts: logging through pino. One root logger per thread, a child per proc (`proc` field) and
 * per actor (`actor` field). Level from `PROCMESH_LOG` (default `warn`; `silent` turns it off).
 * Lines go to stderr (fd 2, pino's synchronous destination: nothing lost at `process.exit`),
 * one JSON line per event, so the application's stdout stays its own.
 *
 * A host can install its own root (for example one that forwards worker logs to the main
 * thread's single stream) with `setRootLogger` before creating procs.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino({ name: 'procmesh', level: process.env['PROCMESH_LOG'] ?? 'warn' }, pino.destination({ fd: 2, sync: true }));
  return root;
}

export function setRootLogger(logger: Logger): void {
  root = logger;
}

export function procLogger(procId: string): Logger {
  return rootLogger().child({ proc: procId });
}
