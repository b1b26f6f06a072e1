/**
 * actor/spawn-options.ts: `ActorSpawnOptions`, what one spawn may set for the actor it makes
 * (`proc.spawn`, `cx.spawn`, `cx.spawnWithName`), and their check.
 */
import { ProcError } from '../errors.js';
import { MAX_FLIGHT_RECORDER_EVENTS } from '../flight-recorder.js';

/** Options of one spawn (`proc.spawn`, `cx.spawn`, `cx.spawnWithName`). */
export interface ActorSpawnOptions {
  /**
   * Events this actor's flight recorder keeps (flight-recorder.ts), up to 65,536; 0 turns it
   * off. Default: the proc's `config.flightRecorder` (`PROCMESH_FLIGHT_RECORDER`). Anything but
   * a non-negative integer throws `ProcError('invalid-spawn-option')`.
   */
  readonly flightRecorder?: number;
}

/** The flight recorder size a spawn asks for (`undefined`: the proc's), checked. */
export function spawnRecorderSize(options: ActorSpawnOptions | undefined): number | undefined {
  const size = options?.flightRecorder;
  if (size === undefined) return undefined;
  if (!Number.isInteger(size) || size < 0 || size > MAX_FLIGHT_RECORDER_EVENTS) {
    throw new ProcError('invalid-spawn-option', `flightRecorder must be an integer from 0 to ${MAX_FLIGHT_RECORDER_EVENTS}, not ${String(size)}`);
  }
  return size;
}
