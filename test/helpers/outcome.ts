/** What two explorations must agree on, timing and memory aside (the violations each test projects its own way). */
import type { ExplorationResult } from '../../src/engine/types.ts';

export const counts = (r: ExplorationResult) => ({
  status: r.status,
  bound: r.bound,
  distinctStates: r.distinctStates,
  transitions: r.transitions,
  depth: r.depth,
  coverage: r.coverage,
});
