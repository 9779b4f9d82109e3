/**
 * The XState layer is the engine, seen through a statechart: from every state the engine
 * reaches, for every call an actor can make, XState's pure transition() gives the semantic
 * successor (or the same context when the call fails without side effects), and every region's
 * value is modeOf(context).
 */
import { transition } from 'xstate';
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';
import { applyEvent, eventKey, successor } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import { createSystemMachine, stateValueOf, systemSnapshotOf } from '../../src/machines/system.ts';
import { builtinJobs } from '../../src/scenarios/jobs.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { engineGraph } from './helpers.ts';

/**
 * The checker's own jobs: every built-in scenario under each variant that is checked on it by
 * default (builtinJobs: a variant of a rule only some scenarios exercise runs on those), so every
 * variant is covered and no pair whose override is never called is paid for.
 */
const cases = builtinJobs(BUILTIN_SCENARIOS).map(({ scenario, variant }) => ({ scenario, variant }));

describe('createSystemMachine agrees with applyEvent/successor', () => {
  it.each(cases.map((c) => [c.scenario.name, c.variant.name, c] as const))(
    '%s under %s: every call from every state the engine reaches',
    (_s, _v, { scenario, variant }) => {
      const model = buildModel(scenario, variant);
      const machine = createSystemMachine(scenario, variant);
      const graph = engineGraph(scenario, variant);
      // The BFS found exactly the states explore() counts.
      expect(graph.states.size).toBe(explore(model).distinctStates);

      const mismatches: string[] = [];
      let checked = 0;
      for (const [key, s] of graph.states) {
        const snapshot = systemSnapshotOf(machine, s);
        expect(snapshot.value).toEqual(stateValueOf(s));
        for (const e of model.events(s)) {
          const want = successor(applyEvent(model.env, s, e)) ?? s;
          const [next] = transition(machine, snapshot, e);
          checked++;
          if (canonicalKey(next.context) !== canonicalKey(want)) {
            mismatches.push(`${eventKey(e)} from ${key}: context differs`);
          } else if (canonicalKey(next.value) !== canonicalKey(stateValueOf(next.context))) {
            mismatches.push(`${eventKey(e)} from ${key}: value ${canonicalKey(next.value)} != modeOf(context)`);
          }
        }
      }
      expect(mismatches).toEqual([]);
      expect(checked).toBeGreaterThan(0);
    },
  );
});
