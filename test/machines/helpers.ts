/**
 * Test helpers. engineGraph is the engine's side of the comparisons: a plain BFS over
 * buildModel(...).events/apply/successor that follows explore()'s rule (a state that breaks a
 * state invariant is recorded but not expanded), so its state set is exactly the one explore()
 * counts in distinctStates. valuesAfter drives a machine through kernel calls; FC_SEED is the
 * fast-check seed.
 */
import { createActor, type AnyStateMachine } from 'xstate';
import { canonicalKey } from '../../src/engine/serialize.ts';
import { INVARIANTS } from '../../src/invariants/index.ts';
import { eventKey, successor, type IommuEvent } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import type { SystemState } from '../../src/machines/state.ts';
import type { Variant } from '../../src/machines/variants/index.ts';

/** True when `s` breaks a state invariant: explore() records such a state and does not expand it. */
export const breaksStateInvariant = (scenario: Scenario, s: SystemState): boolean =>
  INVARIANTS.some((inv) => inv.check !== undefined && inv.check(s, scenario) !== null);

/** Every state the engine reaches, which of them it expands, and its non-self edges `from|event|to`. */
export interface EngineGraph {
  readonly states: ReadonlyMap<string, SystemState>;
  readonly expanded: ReadonlySet<string>;
  readonly edges: ReadonlySet<string>;
}

/** The engine's reachable graph of `scenario` under `variant` (explore()'s expansion rule). */
export function engineGraph(scenario: Scenario, variant: Variant): EngineGraph {
  const model = buildModel(scenario, variant);
  const states = new Map<string, SystemState>([[canonicalKey(model.init), model.init]]);
  const expanded = new Set<string>();
  const edges = new Set<string>();
  const queue = [model.init];
  for (let s = queue.shift(); s !== undefined; s = queue.shift()) {
    if (breaksStateInvariant(scenario, s)) continue;
    const from = canonicalKey(s);
    expanded.add(from);
    for (const e of model.events(s)) {
      const next = successor(model.apply(s, e));
      if (next === null) continue;
      const to = canonicalKey(next);
      if (to !== from) edges.add(edgeKey(from, eventKey(e), to));
      if (!states.has(to)) {
        states.set(to, next);
        queue.push(next);
      }
    }
  }
  return { states, expanded, edges };
}

/** One edge as a string, for set comparison. */
export const edgeKey = (from: string, event: string, to: string): string => `${from} --${event}--> ${to}`;

/** The seed of every fast-check property here: FC_SEED when set, else the project's fixed seed. */
export const FC_SEED = Number(process.env.FC_SEED ?? (process.env.CI ? 20261121 : 20261121));

/** Sends `events` to a fresh actor of `machine` and returns the state value after each one. */
export function valuesAfter(machine: AnyStateMachine, events: readonly IommuEvent[]): unknown[] {
  const actor = createActor(machine).start();
  const values = events.map((e) => {
    actor.send(e);
    return actor.getSnapshot().value;
  });
  actor.stop();
  return values;
}
