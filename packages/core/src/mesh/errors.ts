/**
 * mesh/errors.ts: `SpawnError`, a failed spawn of a registered actor type on a proc (remote
 * spawn, batch spawn, mesh spawn). It names what was asked (`typeName`, `actorName`) and where
 * (`procId`), so a failure from another thread reads as the caller's own.
 */
import { ProcmeshError } from '../errors.js';

/**
 * `unknown-actor-type`: no such type is registered in the target's thread; `duplicate-name`: the
 * name is taken there; `unsendable`: the parameters cannot be serialized (the message names the
 * field); `spawn-failed`: the factory or the actor's construction threw; `unreachable`: the
 * target proc does not answer (gone, or no reply within the timeout).
 */
export type SpawnErrorCode = 'unknown-actor-type' | 'duplicate-name' | 'unsendable' | 'spawn-failed' | 'unreachable';

export class SpawnError extends ProcmeshError {
  readonly code: SpawnErrorCode;
  constructor(
    code: SpawnErrorCode,
    message: string,
    readonly typeName: string,
    readonly actorName: string,
    readonly procId: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
  }
}
