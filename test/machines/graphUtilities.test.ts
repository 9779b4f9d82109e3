/**
 * xstate/graph's getAdjacencyMap over the system machine finds the engine's state space: the
 * same state keys as explore() (compared by key set against the test BFS, which follows
 * explore()'s rule, and by count against explore().distinctStates) and the same non-self edges.
 *
 * explore() does not expand a state that breaks a state invariant; the traversal is given the
 * same rule through `stopWhen`, so violated models compare too. Where a model holds, the
 * traversal also runs without `stopWhen` (nothing is cut off in either).
 */
import { describe, expect, it } from 'vitest';
import { adjacencyMapToArray, getAdjacencyMap, getShortestPaths } from 'xstate/graph';
import { explore } from '../../src/engine/explore.ts';
import { buildModel } from '../../src/machines/model.ts';
import { assertModelCheckable } from '../../src/machines/assertModelCheckable.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import { createSystemMachine, machineEventKey, machineStateKey, xstateEvents, type SystemSnapshot } from '../../src/machines/system.ts';
import { currentVariant, findVariant, type Variant } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../../src/scenarios/builtin.ts';
import { breaksStateInvariant, edgeKey, engineGraph } from './helpers.ts';

/** Far above any built-in state space; getAdjacencyMap throws 'Traversal limit exceeded' past it. */
const LIMIT = 100_000;

const SCENARIOS = ['vfio-vs-dma-api', 'iommufd-two-contexts', 'hot-add-owned-group', 'probe-failure', 'pci-stub-neighbour'];
const VARIANT_NAMES = ['current', 'w1-vfio-viability', 'w8-probe-error-leak', 'bug-release-keeps-blocking'];

function adjacency(scenario: Scenario, variant: Variant, stopAtViolations: boolean) {
  const machine = createSystemMachine(scenario, variant);
  assertModelCheckable(machine);
  const adj = getAdjacencyMap(machine, {
    events: xstateEvents(scenario),
    serializeState: (s: SystemSnapshot) => machineStateKey(s),
    serializeEvent: machineEventKey,
    limit: LIMIT,
    ...(stopAtViolations ? { stopWhen: (s: SystemSnapshot) => breaksStateInvariant(scenario, s.context) } : {}),
  });
  const edges = new Set<string>();
  for (const { state, event, nextState } of adjacencyMapToArray(adj)) {
    const from = machineStateKey(state);
    const to = machineStateKey(nextState);
    if (to !== from) edges.add(edgeKey(from, machineEventKey(event), to));
  }
  return { keys: new Set(Object.keys(adj)), edges };
}

/** The built-in scenarios the current kernel holds on: nothing is cut off by explore(). */
const HOLDING = BUILTIN_SCENARIOS.filter((s) => explore(buildModel(s, currentVariant)).status === 'holds');

const cases = SCENARIOS.flatMap((s) => VARIANT_NAMES.map((v) => [s, v] as const));

describe('getAdjacencyMap over createSystemMachine', () => {
  it('the current kernel holds on at least six built-in scenarios (compared again without stopWhen)', () => {
    expect(HOLDING.length).toBeGreaterThanOrEqual(6);
  });

  it.each(cases)('%s under %s finds the states and non-self edges explore() finds', (s, v) => {
    const scenario = findScenario(s)!;
    const variant = findVariant(v)!;
    const engine = engineGraph(scenario, variant);
    const result = explore(buildModel(scenario, variant));
    const { keys, edges } = adjacency(scenario, variant, true);
    expect(keys.size).toBe(result.distinctStates);
    expect(keys).toEqual(new Set(engine.states.keys()));
    expect(edges).toEqual(engine.edges);
  });

  it.each(HOLDING.map((s) => [s.name, s] as const))(
    '%s holds under current: a traversal that expands everything (no stopWhen) finds the same states',
    (_name, scenario) => {
      const variant = findVariant('current')!;
      const { keys, edges } = adjacency(scenario, variant, false);
      const engine = engineGraph(scenario, variant);
      expect(keys).toEqual(new Set(engine.states.keys()));
      expect(edges).toEqual(engine.edges);
    },
  );

  it('getShortestPaths finds that two calls (bind vfio-pci, then VFIO_DEVICE_BIND_IOMMUFD) give a user an owned group in vfio-vs-dma-api', () => {
    const scenario = findScenario('vfio-vs-dma-api')!;
    const machine = createSystemMachine(scenario);
    const paths = getShortestPaths(machine, {
      events: xstateEvents(scenario),
      serializeState: (s: SystemSnapshot) => machineStateKey(s),
      serializeEvent: machineEventKey,
      limit: LIMIT,
      toState: (s: SystemSnapshot) => s.matches({ iommuGroup: 'owned' }),
    });
    const lengths = paths.map((p) => p.steps.length - 1);
    expect(Math.min(...lengths)).toBe(2);
    expect(paths.map((p) => p.steps.slice(1).map((st) => machineEventKey(st.event)).join(' ; ')).sort()).toMatchInlineSnapshot(`
      [
        "really_probe(dev=0,driver=vfio-pci) ; really_probe(dev=1,driver=vfio-pci) ; vfio_df_ioctl_bind_iommufd(ctx=1,dev=0)",
        "really_probe(dev=0,driver=vfio-pci) ; really_probe(dev=1,driver=vfio-pci) ; vfio_df_ioctl_bind_iommufd(ctx=1,dev=1)",
        "really_probe(dev=0,driver=vfio-pci) ; really_probe(dev=1,driver=vfio-pci) ; vfio_group_fops_open(ctx=0,group=0) ; vfio_group_ioctl_set_container(ctx=0,group=0)",
        "really_probe(dev=0,driver=vfio-pci) ; vfio_df_ioctl_bind_iommufd(ctx=1,dev=0)",
        "really_probe(dev=0,driver=vfio-pci) ; vfio_group_fops_open(ctx=0,group=0) ; vfio_group_ioctl_set_container(ctx=0,group=0)",
        "really_probe(dev=1,driver=vfio-pci) ; vfio_df_ioctl_bind_iommufd(ctx=1,dev=1)",
        "really_probe(dev=1,driver=vfio-pci) ; vfio_group_fops_open(ctx=0,group=0) ; vfio_group_ioctl_set_container(ctx=0,group=0)",
      ]
    `);
  });
});
