import type { ExploreConfig, ExploreOptions } from './types.ts';

/** Fills in the defaults of ExploreOptions: the one place they live. */
export function resolveExploreOptions(o: ExploreOptions = {}): ExploreConfig {
  return {
    maxStates: o.maxStates ?? Number.POSITIVE_INFINITY,
    maxSeconds: o.maxSeconds ?? Number.POSITIVE_INFINITY,
    onProgress: o.onProgress ?? null,
    progressEvery: o.progressEvery ?? 20000,
    invariants: o.invariants ?? null,
  };
}
