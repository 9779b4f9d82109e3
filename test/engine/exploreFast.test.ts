/**
 * exploreFast (packed states, typed-array visited set, replayed traces) finds what explore()
 * finds on every built-in scenario under every variant: the same distinct states, transitions,
 * depth, status, bound, coverage, and the same violations with the same shortest traces.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { exploreFast } from '../../src/engine/packed/exploreFast.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';
import type { ExplorationResult } from '../../src/engine/types.ts';
import { eventKey } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import { VARIANTS } from '../../src/machines/variants/index.ts';
import { builtinJobs } from '../../src/scenarios/jobs.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { counts } from '../helpers/outcome.ts';
import { scalingScenario } from '../../bench/scaling.ts';

const summary = (r: ExplorationResult) => ({
  ...counts(r),
  violations: r.violations.map((v) => ({
    invariant: v.invariant,
    kind: v.kind,
    reason: v.reason,
    init: canonicalKey(v.init),
    steps: v.steps.map((s) => `${eventKey(s.event)} -> ${s.errno ?? 'ok'} ${canonicalKey(s.state)}`),
  })),
});

/** The checker's own jobs (builtinJobs): each built-in scenario under every variant checked on it by default. */
const cases = builtinJobs(BUILTIN_SCENARIOS).map(({ scenario: s, variant: v }) => [s.name, v.name, s, v] as const);

describe('exploreFast equals explore', () => {
  it.each(cases)('%s under %s', (_s, _v, scenario, variant) => {
    const model = buildModel(scenario, variant);
    const ref = explore(model);
    const fast = exploreFast(model, { symmetry: false });
    expect(summary(fast)).toEqual(summary(ref));
    expect(fast.fast.symmetry).toBe(false);
  });

  it.each([
    [2, 1],
    [3, 2],
    [4, 2],
  ] as const)('scaling model, %i devices and %i contexts', (n, c) => {
    const model = buildModel(scalingScenario(n, c), VARIANTS[0]!);
    expect(summary(exploreFast(model, { symmetry: false }))).toEqual(summary(explore(model)));
  });

  it('honours maxStates exactly as explore does', () => {
    const model = buildModel(scalingScenario(3, 2), VARIANTS[0]!);
    for (const maxStates of [1, 2, 50, 300]) {
      const ref = explore(model, { maxStates });
      const fast = exploreFast(model, { maxStates, symmetry: false });
      expect(summary(fast)).toEqual(summary(ref));
      expect(fast.status).toBe('incomplete');
    }
  });

  it('checks only the invariants asked for', () => {
    // With fewer invariants, states that break the others are expanded: bound the run, since a
    // seeded bug may then reach unboundedly many states (owner_cnt underflow).
    for (const variant of [VARIANTS[0]!, VARIANTS[VARIANTS.length - 1]!]) {
      const model = buildModel(BUILTIN_SCENARIOS[0]!, variant);
      const options = { invariants: ['I1', 'I3'], maxStates: 3000 };
      expect(summary(exploreFast(model, { ...options, symmetry: false }))).toEqual(summary(explore(model, options)));
    }
  });
});

describe('exploreFast memory bound', () => {
  it('ends incomplete with bound max-memory once the caller-measured memory exceeds it', () => {
    const model = buildModel(scalingScenario(4, 2), VARIANTS[0]!);
    let used = 0;
    const r = exploreFast(model, { symmetry: false, maxMemory: 1000, memoryBytes: () => (used += 300) });
    expect(r.status).toBe('incomplete');
    expect(r.bound).toBe('max-memory');
    expect(r.distinctStates).toBeLessThan(explore(model).distinctStates);
  });
});
