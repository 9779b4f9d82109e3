/**
 * Symmetry reduction over interchangeable devices keeps every verdict: the same status, the same
 * broken invariants, counterexamples of the same (shortest) length that are real runs of the
 * model from its initial state; and it does reduce the scaling model.
 */
import { describe, expect, it } from 'vitest';
import { exploreFast } from '../../src/engine/packed/exploreFast.ts';
import { StateCodec } from '../../src/engine/packed/codec.ts';
import { declaredSymmetryProblem, deviceSymmetryClasses, DeviceSymmetry } from '../../src/engine/packed/symmetry.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';
import type { ExplorationResult } from '../../src/engine/types.ts';
import { successor } from '../../src/machines/events.ts';
import type { Model } from '../../src/machines/model.ts';
import { buildModel } from '../../src/machines/model.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { currentVariant, VARIANTS } from '../../src/machines/variants/index.ts';
import { allPairs, BUILTIN_SCENARIOS, dev } from '../../src/scenarios/builtin.ts';
import { scalingScenario } from '../../bench/scaling.ts';

const verdict = (r: ExplorationResult) => ({
  status: r.status,
  violations: r.violations.map((v) => ({ invariant: v.invariant, kind: v.kind, length: v.steps.length })),
});

/** Every trace step is the model's own successor of the previous state. */
function expectRealRuns(model: Model, r: ExplorationResult) {
  for (const v of r.violations) {
    let s = model.init;
    for (const step of v.steps) {
      expect(model.events(s).map((e) => canonicalKey(e))).toContain(canonicalKey(step.event));
      const next = successor(model.apply(s, step.event));
      expect(next && canonicalKey(next)).toBe(canonicalKey(step.state));
      s = step.state;
    }
  }
}

/** The plain renaming: device i moves to slot perm[i]; every private:D becomes private:perm[D]. */
function renamed(s: SystemState, perm: readonly number[]): SystemState {
  const json = JSON.stringify(s).replace(/"private:(\d)"/g, (_, d) => `"private:${perm[Number(d)]}"`);
  const r = JSON.parse(json) as SystemState;
  const devices = [...r.devices];
  r.devices.forEach((d, i) => (devices[perm[i]!] = d));
  return { ...r, devices, groups: r.groups.map((g) => ({ ...g, devices: g.devices.map((i) => perm[i]!).sort((a, b) => a - b) })) };
}

const symmetric = BUILTIN_SCENARIOS.filter((s) => deviceSymmetryClasses(s).length > 0);
const scaling: Scenario[] = [scalingScenario(2, 1), scalingScenario(3, 2), scalingScenario(4, 2)];
const cases = [...symmetric, ...scaling].flatMap((s) => VARIANTS.map((v) => [s.name, v.name, s, v] as const));

describe('symmetry reduction', () => {
  it('finds interchangeable devices where the scenario has them, and only there', () => {
    expect(symmetric.map((s) => s.name)).toContain('iommufd-two-contexts');
    expect(deviceSymmetryClasses(scalingScenario(4, 2))).toEqual([[0, 1, 2, 3]]);
    // Same spec but asymmetric p2p: 0 reaches 1, not the other way round.
    const oneWay: Scenario = { ...scalingScenario(2, 1), p2p: [[0, 1]] };
    expect(deviceSymmetryClasses(oneWay)).toEqual([]);
    const mixed: Scenario = { ...scalingScenario(3, 1), devices: [...scalingScenario(2, 1).devices, dev('x', ['e1000e'])], p2p: allPairs(3) };
    expect(deviceSymmetryClasses(mixed)).toEqual([[0, 1]]);
  });

  it.each(cases)('%s under %s: same verdict with and without', (_s, _v, scenario, variant) => {
    const model = buildModel(scenario, variant);
    const off = exploreFast(model, { symmetry: false });
    const on = exploreFast(model, { symmetry: true });
    expect(on.fast.symmetry).toBe(true);
    expect(verdict(on)).toEqual(verdict(off));
    expect(on.distinctStates).toBeLessThanOrEqual(off.distinctStates);
    expectRealRuns(model, on);
  });

  it('exploreFast reduces what the scenario declares with symmetry: \'declared\', and nothing by default', () => {
    const model = buildModel(scalingScenario(5, 2), VARIANTS[0]!);
    const declared = exploreFast(model, { symmetry: 'declared' });
    const off = exploreFast(model);
    expect(declared.fast.symmetry).toBe(true);
    expect(off.fast.symmetry).toBe(false);
    expect(off.distinctStates / declared.distinctStates).toBeGreaterThan(10);
    const undeclared = buildModel({ ...scalingScenario(5, 2), symmetry: undefined }, VARIANTS[0]!);
    expect(exploreFast(undeclared, { symmetry: 'declared' }).fast.symmetry).toBe(false);
  });

  it('a declared class of devices that are not interchangeable is refused, naming the class and why', () => {
    const s = scalingScenario(3, 1);
    const swapped: Scenario = { ...s, p2p: [[0, 1]], symmetry: [['10:00.0', '10:00.1']] };
    expect(declaredSymmetryProblem(swapped)).toEqual({ index: 0, message: 'swapping 10:00.0 and 10:00.1 changes the peer-to-peer pairs' });
    expect(() => exploreFast(buildModel(swapped, VARIANTS[0]!), { symmetry: 'declared' })).toThrow(/symmetry\[0\]: swapping 10:00.0 and 10:00.1/);
    expect(declaredSymmetryProblem({ ...s, symmetry: [['10:00.0', '10:00.1'], ['10:00.1', '10:00.2']] })?.message).toBe('10:00.1 is in two classes');
  });

  it('every built-in scenario\'s declared symmetry is sound', () => {
    for (const s of BUILTIN_SCENARIOS) expect(declaredSymmetryProblem(s), s.name).toBeNull();
    expect(BUILTIN_SCENARIOS.filter((s) => s.symmetry).map((s) => s.name)).toEqual(['iommufd-two-contexts', 'iommufd-hwpt-destroy', 'iommufd-vdevice']);
  });

  it('a representative is the whole state renamed by a permutation of the class, and its own representative (private domains, hot-plug)', () => {
    // Drivers that hold private:D domains, and hot-plug, so that the group's device list is partial.
    const scenario: Scenario = {
      name: 'private-domains',
      description: 'three interchangeable devices whose drivers hold private domains',
      devices: [0, 1, 2].map((i) => dev(`10:00.${i}`, ['drm-tegra', 'drm-msm', 'vfio-pci'])),
      contexts: scalingScenario(1, 1).contexts,
      hotplug: true,
      p2p: allPairs(3),
      topology: null,
    };
    const model = buildModel(scenario, currentVariant);
    const codec = new StateCodec(model.init);
    const sym = new DeviceSymmetry([[0, 1, 2]], codec);
    const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
    const code = (s: SystemState) => {
      const c = new Int32Array(codec.k);
      codec.encode(s, c);
      return [...c].join(',');
    };
    let privateSeen = 0;
    let partialSeen = 0;
    const seen = new Set([canonicalKey(model.init)]);
    const queue = [model.init];
    while (queue.length > 0 && seen.size < 3000) {
      const s = queue.shift()!;
      if (JSON.stringify(s).includes('private:')) privateSeen++;
      if (s.groups[0]!.devices.length < 3) partialSeen++;
      const c = new Int32Array(codec.k);
      codec.encode(s, c);
      sym.canonicalize(c);
      const rep = [...c].join(',');
      expect(perms.some((p) => code(renamed(s, p)) === rep)).toBe(true);
      sym.canonicalize(c);
      expect([...c].join(',')).toBe(rep);
      for (const e of model.events(s)) {
        const next = successor(model.apply(s, e));
        if (next && !seen.has(canonicalKey(next))) {
          seen.add(canonicalKey(next));
          queue.push(next);
        }
      }
    }
    expect(privateSeen).toBeGreaterThan(100);
    expect(partialSeen).toBeGreaterThan(100);
  });

  it('a twin slot\'s events are left out only where its twin\'s reach the same orbits (private domains, hot-plug, two contexts)', () => {
    const scenario: Scenario = {
      name: 'twins',
      description: 'four interchangeable devices, private domains, hot-plug, two contexts',
      devices: [0, 1, 2, 3].map((i) => dev(`10:00.${i}`, ['drm-msm', 'vfio-pci', 'e1000e'])),
      contexts: scalingScenario(4, 2).contexts,
      hotplug: true,
      p2p: allPairs(4),
      topology: null,
    };
    const model = buildModel(scenario, currentVariant);
    const codec = new StateCodec(model.init);
    const sym = new DeviceSymmetry([[0, 1, 2, 3]], codec);
    const canon = (s: SystemState) => {
      const c = new Int32Array(codec.k);
      codec.encode(s, c);
      sym.canonicalize(c);
      return c;
    };
    /** The orbit's true canonical key: the least key of the state renamed by each of the 24 permutations. */
    const all = (p: number[]): number[][] => (p.length <= 1 ? [p] : p.flatMap((x) => all(p.filter((y) => y !== x)).map((rest) => [x, ...rest])));
    const perms = all([0, 1, 2, 3]);
    const orbit = (s: SystemState) => perms.map((perm) => canonicalKey(renamed(s, perm))).sort()[0]!;
    const skip = new Uint8Array(4);
    let skipped = 0;
    const seen = new Set<string>();
    const queue = [codec.decode(canon(model.init))];
    while (queue.length > 0 && seen.size < 500) {
      const s = queue.shift()!;
      const c = canon(s);
      skipped += sym.twins(c, skip);
      const all = new Set<string>();
      const kept = new Set<string>();
      for (const e of model.events(s)) {
        const next = successor(model.apply(s, e));
        if (!next) continue;
        const key = orbit(next);
        all.add(key);
        const slot = (e as { dev?: number }).dev;
        if (slot === undefined || skip[slot] === 0) kept.add(key);
        if (!seen.has(key)) {
          seen.add(key);
          queue.push(codec.decode(canon(next)));
        }
      }
      expect([...kept].sort()).toEqual([...all].sort());
    }
    expect(skipped).toBeGreaterThan(200);
  });
});
