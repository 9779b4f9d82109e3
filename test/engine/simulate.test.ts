/**
 * Simulation: random runs with fast-check, shrunk, then shortened by a bounded breadth-first
 * search. Fixed seeds throughout: the same seed gives the same runs and the same trace.
 */
import { describe, expect, it } from 'vitest';
import { scalingScenario } from '../../bench/scaling.ts';
import { exploreFast } from '../../src/engine/packed/exploreFast.ts';
import { replayCalls, simulate, simulationVerdict } from '../../src/engine/simulate.ts';
import type { Violation } from '../../src/engine/types.ts';
import { eventKey } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

const model = (scenario: string, variant: string) => buildModel(findScenario(scenario)!, findVariant(variant)!);
const keys = (v: Violation | null) => v?.steps.map((s) => eventKey(s.event));
const shortest = (m: ReturnType<typeof model>, invariant: string) => exploreFast(m).violations.find((v) => v.invariant === invariant)!.steps.length;

describe('simulate', { timeout: 30_000 }, () => {
  it('the same seed gives the same trace, coverage and counts', () => {
    const m = model('iommufd-two-contexts', 'bug-claim-ignores-owner');
    const a = simulate(m, { seed: 7, runs: 200, depth: 30 });
    const b = simulate(m, { seed: 7, runs: 200, depth: 30 });
    expect(a.violated).toBe(true);
    expect(keys(b.violation)).toEqual(keys(a.violation));
    expect({ ...b, violation: null }).toEqual({ ...a, violation: null });
  });

  it.each([
    ['iommufd-two-contexts', 'bug-claim-ignores-owner', 7],
    ['vfio-vs-dma-api', 'w1-vfio-viability', 3],
    ['probe-failure', 'bug-device-claim-no-count', 5],
  ])('finds the flaw of %s under %s and shrinks it to the length of check\'s shortest trace', (scenario, variant, seed) => {
    const m = model(scenario, variant);
    const r = simulate(m, { seed, runs: 300, depth: 40 });
    const v = r.violation!;
    expect(r.violated).toBe(true);
    expect(v.steps.length).toBe(shortest(m, v.invariant));
    expect(r.shrunkTo!).toBeLessThanOrEqual(r.shrunkFrom!);
    expect(r.search?.shortest).toBe(true);
    // The trace is a real run: replayed, it breaks the same invariant after as many calls.
    const back = replayCalls(m, v.steps.map((s) => ({ event: s.event, errno: s.errno })), v.invariant);
    expect(back.applies && back.violation?.invariant).toBe(v.invariant);
  });

  it('on 8 devices and 3 contexts (no exhaustive run in this budget) finds I3 as short as check does on 2 devices', () => {
    const big = buildModel(scalingScenario(8, 3), findVariant('bug-device-claim-no-count')!);
    const small = buildModel(scalingScenario(2, 2), findVariant('bug-device-claim-no-count')!);
    // The full state space (no symmetry reduction) of the big instance is far past 20,000 states.
    expect(exploreFast(big, { symmetry: false, maxStates: 20_000 }).bound).toBe('max-states');
    const r = simulate(big, { seed: 3, runs: 200, depth: 30, searchStates: 20_000 });
    expect(r.violation?.invariant).toBe('I3');
    expect(r.violation!.steps.length).toBe(shortest(small, 'I3'));
  });

  it('where the current kernel holds: "no violation found in R runs of depth D (seed S)", never "holds"', () => {
    const r = simulate(model('vfio-container-two-groups', 'current'), { seed: 3, runs: 100, depth: 30 });
    expect(r.violated).toBe(false);
    expect(r.violation).toBeNull();
    expect(simulationVerdict(r)).toBe('no violation found in 100 runs of depth 30 (seed 3)');
  });

  it('coverage lists the calls the runs enabled, fired, and their errnos', () => {
    const r = simulate(model('vfio-container-two-groups', 'current'), { seed: 3, runs: 100, depth: 30 });
    expect(Object.keys(r.coverage)).toContain('vfio_group_fops_open');
    const open = r.coverage.vfio_group_fops_open!;
    expect(open.enabled).toBeGreaterThanOrEqual(open.fired);
    expect(open.fired).toBeGreaterThan(0);
    expect(r.coverage.iommu_sva_bind_device).toBeUndefined();
  });

  it('a replayed call that is not enabled names its step', () => {
    const m = model('vfio-container-two-groups', 'current');
    const r = replayCalls(m, [{ event: { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 }, errno: null }]);
    expect(r).toMatchObject({ applies: false, step: 1 });
  });
});
