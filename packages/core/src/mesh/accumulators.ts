/**
 * mesh/accumulators.ts: reducers for gathering a mesh's replies into one value (upstream
 * `accum::sum`, `accum::join_semilattice`, ...): each is an `Accumulator` for a reduce port
 * (`cx.openReducePort(accum, mesh.size)`, or `gather` in actor-mesh.ts) that resolves once every
 * member answered. Each has a `spec` name, as upstream's `ReducerSpec`.
 */
import type { Accumulator } from '../mailbox/ports.js';

/** A reply that says which member sent it. */
export interface Ranked<T> {
  readonly rank: number;
  readonly value: T;
}

/** A member's reply that may be an error. */
export type RankedResult<T> = { readonly rank: number; readonly ok: true; readonly value: T } | { readonly rank: number; readonly ok: false; readonly error: string };

/** The state of `firstError`: every value by rank, and the first error seen (if any). */
export interface FirstErrorState<T> {
  readonly values: (T | undefined)[];
  readonly error: { readonly rank: number; readonly error: string } | undefined;
}

/** The sum of numeric replies. */
export function sum(): Accumulator<number, number> {
  return { initial: () => 0, reduce: (state, update) => state + update, spec: 'sum' };
}

/** Every reply, in rank order (`size`: the mesh's size). */
export function collect<T>(size: number): Accumulator<Ranked<T>, (T | undefined)[]> {
  return {
    initial: () => new Array<T | undefined>(size).fill(undefined),
    reduce: (state, update) => {
      state[update.rank] = update.value;
      return state;
    },
    spec: 'collect',
  };
}

/** Every value by rank, keeping the first error that arrived (later errors are dropped). */
export function firstError<T>(size: number): Accumulator<RankedResult<T>, FirstErrorState<T>> {
  return {
    initial: () => ({ values: new Array<T | undefined>(size).fill(undefined), error: undefined }),
    reduce: (state, update) => {
      if (update.ok) {
        state.values[update.rank] = update.value;
        return state;
      }
      return state.error === undefined ? { values: state.values, error: { rank: update.rank, error: update.error } } : state;
    },
    spec: 'first-error',
  };
}
