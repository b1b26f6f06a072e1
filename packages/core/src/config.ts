/**
 * config.ts: configuration keys with upstream's defaults (spec §1.14), read from `PROCMESH_<KEY>`
 * environment variables. Durations are milliseconds; sizes are bytes.
 *
 * `config()` reads the environment once per thread (workers inherit the parent's env) and
 * returns a frozen object; `withConfig(overrides)` gives a copy for tests and per-proc options.
 */

export interface Config {
  /** Initial envelope TTL: the number of `post` hops a message may take. */
  readonly messageTtlDefault: number;
  /** Cap on terminated-actor snapshots kept per proc. */
  readonly terminatedSnapshotRetention: number;
  /** Closed mailboxes (stopped actors') the proc's muxer keeps answering for with the stop reason (MX-1); older ones answer `has ended`. */
  readonly closedMailboxRetention: number;
  /** Max time `Actor.cleanup` may take. */
  readonly cleanupTimeoutMs: number;
  /** Net channel: max time from post to ack before the Tx closes. */
  readonly messageDeliveryTimeoutMs: number;
  /** Net channel: ack at least this often when behind. */
  readonly messageAckTimeIntervalMs: number;
  /** Net channel: ack after this many messages. */
  readonly messageAckEveryNMessages: number;
  /** Net channel: the largest frame a peer may send (upstream: 10 GiB; JS buffers cap lower). */
  readonly codecMaxFrameLength: number;
  /** Reorder buffer at the destination (default false, as at the reference commit). */
  readonly enableDestActorReorderingBuffer: boolean;
  /** How long a parent waits for its children per wait round during teardown. */
  readonly childStopWaitMs: number;
  /** Decoding outside bytes (wire/limits.ts DL-2): deepest nesting of arrays, maps and wrapping extensions. */
  readonly decodeMaxDepth: number;
  /** Decoding outside bytes: array elements and map entries in one input, all containers together. */
  readonly decodeMaxElements: number;
  /** Decoding outside bytes: the largest string, binary or extension body. */
  readonly decodeMaxBytes: number;
  /** Events each actor's flight recorder keeps (flight-recorder.ts); 0 = off. */
  readonly flightRecorder: number;
  /** Flow control (mailbox/flow.ts, FC-1..FC-8): mute senders whose destination queue is over its bound. */
  readonly flowControl: boolean;
  /** Flow control: queue length (messages) over which a send mutes its sender (FC-1). */
  readonly flowHighWatermark: number;
  /** Flow control: queue length at or under which muted senders go free (FC-1); below the high one. */
  readonly flowLowWatermark: number;
  /** Flow control: a muting actor that handles nothing this long frees its senders (FC-5). */
  readonly flowStallMs: number;
}

export const DEFAULT_CONFIG: Config = Object.freeze({
  messageTtlDefault: 64,
  terminatedSnapshotRetention: 100,
  closedMailboxRetention: 4096,
  cleanupTimeoutMs: 3_000,
  messageDeliveryTimeoutMs: 30_000,
  messageAckTimeIntervalMs: 500,
  messageAckEveryNMessages: 1_000,
  codecMaxFrameLength: 1 << 30,
  enableDestActorReorderingBuffer: false,
  childStopWaitMs: 500,
  decodeMaxDepth: 128,
  decodeMaxElements: 1 << 24,
  decodeMaxBytes: 1 << 30,
  flightRecorder: 0,
  flowControl: true,
  flowHighWatermark: 8192,
  flowLowWatermark: 2048,
  flowStallMs: 1_000,
});

const ENV_KEYS: { readonly [K in keyof Config]: string } = {
  messageTtlDefault: 'PROCMESH_MESSAGE_TTL_DEFAULT',
  terminatedSnapshotRetention: 'PROCMESH_TERMINATED_SNAPSHOT_RETENTION',
  closedMailboxRetention: 'PROCMESH_CLOSED_MAILBOX_RETENTION',
  cleanupTimeoutMs: 'PROCMESH_CLEANUP_TIMEOUT',
  messageDeliveryTimeoutMs: 'PROCMESH_MESSAGE_DELIVERY_TIMEOUT',
  messageAckTimeIntervalMs: 'PROCMESH_MESSAGE_ACK_TIME_INTERVAL',
  messageAckEveryNMessages: 'PROCMESH_MESSAGE_ACK_EVERY_N_MESSAGES',
  codecMaxFrameLength: 'PROCMESH_CODEC_MAX_FRAME_LENGTH',
  enableDestActorReorderingBuffer: 'PROCMESH_ENABLE_DEST_ACTOR_REORDERING_BUFFER',
  childStopWaitMs: 'PROCMESH_CHILD_STOP_WAIT',
  decodeMaxDepth: 'PROCMESH_DECODE_MAX_DEPTH',
  decodeMaxElements: 'PROCMESH_DECODE_MAX_ELEMENTS',
  decodeMaxBytes: 'PROCMESH_DECODE_MAX_BYTES',
  flightRecorder: 'PROCMESH_FLIGHT_RECORDER',
  flowControl: 'PROCMESH_FLOW_CONTROL',
  flowHighWatermark: 'PROCMESH_FLOW_HIGH_WATERMARK',
  flowLowWatermark: 'PROCMESH_FLOW_LOW_WATERMARK',
  flowStallMs: 'PROCMESH_FLOW_STALL',
};

let cached: Config | undefined;

/** The configuration from `PROCMESH_*` environment variables over the defaults. */
export function config(): Config {
  if (cached !== undefined) return cached;
  const out: Record<string, number | boolean> = { ...DEFAULT_CONFIG };
  for (const key of Object.keys(ENV_KEYS) as (keyof Config)[]) {
    const raw = process.env[ENV_KEYS[key]];
    if (raw === undefined || raw === '') continue;
    const fallback = DEFAULT_CONFIG[key];
    if (typeof fallback === 'boolean') out[key] = raw === '1' || raw.toLowerCase() === 'true';
    else {
      const n = Number(raw);
      if (Number.isFinite(n) && n >= 0) out[key] = n;
    }
  }
  cached = Object.freeze(out as unknown as Config);
  return cached;
}

/** A copy of the configuration with some keys overridden. */
export function withConfig(overrides: Partial<Config>): Config {
  return Object.freeze({ ...config(), ...overrides });
}

/**
 * One key of a proc's effective configuration, as the admin endpoint reports it (upstream's
 * `ConfigDump` entry): where its value came from (`override`: the proc's options, `env`: a
 * `PROCMESH_*` variable, `default`).
 */
export interface ConfigEntry {
  readonly name: keyof Config;
  readonly value: number | boolean;
  readonly defaultValue: number | boolean;
  readonly source: 'default' | 'env' | 'override';
  readonly changedFromDefault: boolean;
  readonly envVar: string;
}

/** The entries of `effective` (a proc's `config`), sorted by name; `overrides` are the proc's options. */
export function configEntries(effective: Config, overrides: Partial<Config> = {}): ConfigEntry[] {
  return (Object.keys(ENV_KEYS) as (keyof Config)[]).sort().map((name) => {
    const envVar = ENV_KEYS[name];
    const raw = process.env[envVar];
    const source = Object.hasOwn(overrides, name) ? 'override' : raw !== undefined && raw !== '' ? 'env' : 'default';
    const value = effective[name];
    const defaultValue = DEFAULT_CONFIG[name];
    return { name, value, defaultValue, source, changedFromDefault: value !== defaultValue, envVar };
  });
}
