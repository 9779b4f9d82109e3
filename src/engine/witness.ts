/**
 * Reachability witnesses: the shortest trace to a state that shows a situation no invariant
 * forbids (an accepted exposure, an implicit effect). Same BFS as differential checking, so the
 * trace is shortest and deterministic. Pure.
 */
import type { Model } from '../machines/model.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { pathTo, reach } from './diff.ts';
import type { Violation } from './types.ts';

/** The result of a witness search: the trace (as a Violation of the witness id), or null when unreachable. */
export interface WitnessSearch {
  trace: Violation | null;
  /** Distinct states searched; `complete` is false when `maxStates` cut the search short. */
  states: number;
  complete: boolean;
}

/**
 * Searches `model` breadth-first for the first state where `find` returns a description; the
 * trace to it is returned as a state "violation" of `id` whose reason is that description.
 */
export function findWitness(
  model: Model,
  id: string,
  find: (s: SystemState, scenario: Scenario) => string | null,
  maxStates = 2_000_000,
): WitnessSearch {
  const r = reach(model, maxStates);
  for (let i = 0; i < r.states.length; i++) {
    const reason = find(r.states[i]!, model.scenario);
    if (reason !== null) {
      return { trace: { invariant: id, reason, kind: 'state', init: model.init, steps: pathTo(model, r, i) }, states: r.states.length, complete: r.complete };
    }
  }
  return { trace: null, states: r.states.length, complete: r.complete };
}
