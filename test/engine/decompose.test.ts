/**
 * Decomposition: independent IOMMU groups explored apart give the verdicts, counterexamples and
 * (as a product) the state counts of the exploration of the whole; a variant whose rules cross
 * groups is the reason decomposition is limited to group-local rules.
 */
import { describe, expect, it } from 'vitest';
import { runJob, runJobDecomposed } from '../../src/engine/check.ts';
import { VARIANTS, findVariant } from '../../src/machines/variants/index.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../../src/scenarios/builtin.ts';
import { decompose, groupComponents } from '../../src/scenarios/decompose.ts';
import { applyTopology } from '../../src/scenarios/fromTopology.ts';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { dev, ctx } from '../../src/scenarios/builtin.ts';

const expectation = { expected: 'holds' as const, invariants: [], source: 'default' as const };
const sorted = (xs: string[]) => [...xs].sort();

/** Two NICs below an ACS switch, two groups; a legacy container holding both couples them. */
const containerCouples: Scenario = applyTopology(
  {
    name: 'container-couples',
    description: 'test',
    devices: [dev('03:00.0', ['vfio-pci', 'e1000e']), dev('04:00.0', ['vfio-pci'])],
    contexts: [ctx('legacy', ['vfio-group'], 1, [0, 1]), ctx('vmm', ['iommufd'], 2, [])],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
  },
  getBuiltinTopology('switch-acs')!,
);

describe('decomposition into independent groups', () => {
  it('a legacy VFIO container couples the groups of its devices; an iommufd context does not', () => {
    expect(groupComponents(containerCouples)).toEqual([[0, 1]]);
    expect(groupComponents(findScenario('iommufd-two-groups-one-hwpt')!)).toEqual([[0], [1]]);
    expect(groupComponents(findScenario('vfio-container-two-groups')!)).toEqual([[0, 1]]);
  });

  it('an iommufd context that allocates and destroys its hwpts couples its groups (IOMMU_DESTROY counts users in each)', () => {
    const s = findScenario('iommufd-two-groups-one-hwpt')!;
    expect(groupComponents({ ...s, contexts: s.contexts.map((c) => ({ ...c, hwptLifetime: true })) })).toEqual([[0, 1]]);
  });

  it('a peer-to-peer route or a forged requester ID between two groups couples them', () => {
    expect(groupComponents(findScenario('switch-split-mainline')!)).toEqual([[0, 1]]);
    expect(groupComponents(findScenario('forged-rid-mainline')!)).toEqual([[0, 1]]);
  });

  it.each(BUILTIN_SCENARIOS.filter((s) => decompose(s).length > 1).map((s) => [s.name, s] as const))(
    '%s: under every group-local built-in variant the composed verdicts, counterexamples and product of counts equal the whole exploration',
    (_name, scenario) => {
      for (const variant of VARIANTS.filter((v) => !v.crossesGroups)) {
        const whole = runJob({ scenario, variant, expectation }, { symmetry: false });
        const parts = runJobDecomposed({ scenario, variant, expectation }, { symmetry: false });
        expect(parts.components?.length).toBeGreaterThan(1);
        expect({ v: variant.name, status: parts.status, broken: sorted(parts.result.violations.map((x) => x.invariant)) }).toEqual({
          v: variant.name,
          status: whole.status,
          broken: sorted(whole.result.violations.map((x) => x.invariant)),
        });
        // Counterexamples: equally short, with the same reason.
        for (const v of whole.result.violations) {
          const p = parts.result.violations.find((x) => x.invariant === v.invariant)!;
          expect([p.steps.length, p.reason]).toEqual([v.steps.length, v.reason]);
        }
        if (whole.status === 'holds') expect(parts.productStates).toBe(whole.result.distinctStates);
      }
    },
  );

  it('SR-IOV couples a PF\'s group with its VF\'s, and a component renumbers the VF\'s PF: with the PF in slot 1, the seeded disable bug is still found', () => {
    const base = findScenario('sriov-vf-to-vm-acs')!;
    const other = dev('03:00.0', ['vfio-pci']);
    const scenario: Scenario = { ...base, name: 'sriov-after-nic', groups: [{ name: 'x' }, ...base.groups!], devices: [{ ...other, group: 0 }, ...base.devices.map((d) => ({ ...d, group: (d.group ?? 0) + 1, ...(d.pf !== undefined ? { pf: d.pf + 1 } : {}) }))], contexts: base.contexts.map((c) => ({ ...c, devices: c.devices!.map((i) => i + 1) })), p2p: [], hardware: undefined, foreignRids: [] };
    expect(groupComponents(scenario)).toEqual([[0], [1, 2]]);
    const variant = findVariant('bug-sriov-disable-skips-release')!;
    const parts = runJobDecomposed({ scenario, variant, expectation }, { symmetry: false });
    const whole = runJob({ scenario, variant, expectation }, { symmetry: false });
    expect(parts.components?.length).toBe(2);
    expect(sorted(parts.result.violations.map((v) => v.invariant))).toEqual(sorted(whole.result.violations.map((v) => v.invariant)));
    expect(whole.status).toBe('violated');
  });

  it('a variant that breaks I10 across two groups (iommufd replace moving every group) is found whole, missed by the parts, so it never decomposes', () => {
    const scenario = findScenario('iommufd-two-groups-one-hwpt')!;
    const variant = findVariant('bug-iommufd-replace-every-group')!;
    const whole = runJob({ scenario, variant, expectation });
    expect(whole.result.violations.map((v) => v.invariant)).toEqual(['I10']);
    const naive = decompose(scenario).map((part) => runJob({ scenario: part, variant, expectation }).status);
    expect(naive).toEqual(['holds', 'holds']);
    const guarded = runJobDecomposed({ scenario, variant, expectation });
    expect(guarded.components).toBeUndefined();
    expect(guarded.result.violations.map((v) => v.invariant)).toEqual(['I10']);
  });
});
