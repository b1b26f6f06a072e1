/**
 * benchmarks/savina/types.ts: every Savina actor type by its registered name: the one-proc run
 * builds actors from this table, `worker-actors.ts` registers it in each worker proc.
 */
import { BIG_TYPES } from './big.js';
import { CHAMENEOS_TYPES } from './chameneos.js';
import { COUNT_TYPES } from './count.js';
import { FJCREATE_TYPES } from './fjcreate.js';
import { FJTHRPUT_TYPES } from './fjthrput.js';
import { PINGPONG_TYPES } from './pingpong.js';
import type { Factory } from './place.js';
import { THREADRING_TYPES } from './threadring.js';

export const SAVINA_TYPES: Readonly<Record<string, Factory>> = {
  ...PINGPONG_TYPES,
  ...COUNT_TYPES,
  ...THREADRING_TYPES,
  ...CHAMENEOS_TYPES,
  ...BIG_TYPES,
  ...FJTHRPUT_TYPES,
  ...FJCREATE_TYPES,
};
