/**
 * benchmarks/savina/worker-actors.ts: registers the Savina actor types in a worker proc
 * (`ProcHost.start({ modules: [new URL('./worker-actors.js', import.meta.url)] })`).
 */
import type { Actor } from '@procmesh/core';
import { registerActor } from '@procmesh/worker-host';
import { SAVINA_TYPES } from './types.js';

for (const [name, factory] of Object.entries(SAVINA_TYPES)) registerActor(name, factory as (params: unknown) => Actor<unknown>);
