/**
 * sva-shared-group-unbind (docs/kernel-notes.md section 21): a function whose ACS has RR+CR+UF but
 * not SV shares its IOMMU group (pci_device_group, REQ_ACS_FLAGS) yet passes pci_enable_pasid
 * (RR+UF only); idxd binds SVA on it, the group-mate's DMA-API driver is unbound, and
 * iommu_device_unuse_default_domain WARNs and skips owner_cnt--, after which VFIO can never claim
 * the group. A group-size check in iommu_attach_device_pasid (the Aug 2023 proposal) prevents it.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { buildTopology, deriveGroups, getBuiltinTopology, pciEnablePasid } from '../../src/hardware/index.ts';
import { BUILTIN_TOPOLOGY_SPECS } from '../../src/hardware/builtinTopologies.ts';
import { buildModel } from '../../src/machines/model.ts';
import type { Scenario } from '../../src/machines/scenario.ts';
import { groupOf } from '../../src/machines/state.ts';
import { currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { ctx } from '../../src/scenarios/scenarioSpecs.ts';
import { expectErrno, expectOk, model, run } from '../helpers/model.ts';

const NAME = 'sva-shared-group-unbind';
const idxd0 = { type: 'really_probe', dev: 0, driver: 'idxd' } as const;
const e1000e1 = { type: 'really_probe', dev: 1, driver: 'e1000e' } as const;
const svaBind0 = { type: 'iommu_sva_bind_device', dev: 0 } as const;
const unbind = (dev: number) => ({ type: 'device_release_driver', dev }) as const;

describe('pci_device_group and pci_enable_pasid on functions with ACS RR+CR+UF but not SV', () => {
  const topo = getBuiltinTopology('multifunction-pasid-acs-no-sv')!;

  it('both functions land in one IOMMU group (REQ_ACS_FLAGS needs SV), and pci_enable_pasid passes on function 0 (RR+UF only)', () => {
    const { groupOf: group } = deriveGroups(topo);
    expect(group['06:00.0']).toBe(group['06:00.1']);
    expect(pciEnablePasid(topo, [], '06:00.0').ok).toBe(true);
  });

  it('with PASID on both functions, both may enable it inside the one group', () => {
    const spec = structuredClone(BUILTIN_TOPOLOGY_SPECS['multifunction-pasid-acs-no-sv']!);
    spec.endpoints![0]!.functions[1] = { ...spec.endpoints![0]!.functions[1]!, ats: true, pasid: true };
    const built = buildTopology(spec);
    if (!built.ok) throw new Error('topology did not build');
    const first = pciEnablePasid(built.topology, [], '06:00.0');
    expect(first.ok && pciEnablePasid(built.topology, first.next, '06:00.1').ok).toBe(true);
  });

  it('the scenario takes one group and pasidAcsPath from the hardware model', () => {
    const s = findScenario(NAME)!;
    expect(groupOf(s, 0)).toBe(groupOf(s, 1));
    expect(s.devices.map((d) => d.pasidAcsPath)).toEqual([true, false]);
  });
});

describe('iommu_device_unuse_default_domain with a PASID attached in the group (current kernel)', () => {
  const m = model(NAME);

  it('unbinding the group-mate\'s DMA-API driver while idxd holds an SVA bond: WARN, owner_cnt-- skipped', () => {
    const s = run(m, [idxd0, e1000e1, svaBind0, unbind(1)]);
    const g = s.groups[groupOf(findScenario(NAME)!, 1)]!;
    expect(s.warn).toMatch(/^iommu_device_unuse_default_domain: WARN_ON/);
    expect(g.owner_cnt).toBe(2);
  });

  it('only the SVA device needs PASID: the group-mate has none, and binding it after the SVA bond is -EBUSY instead', () => {
    expectErrno('EBUSY', m, run(m, [idxd0, svaBind0]), e1000e1);
  });

  it('explore: current breaks WARN and I2; the group-size check in iommu_attach_device_pasid holds', () => {
    const s = findScenario(NAME)!;
    expect(explore(buildModel(s, currentVariant)).violations.map((v) => v.invariant).sort()).toEqual(['I2', 'WARN']);
    expect(explore(buildModel(s, findVariant('pasid-attach-singleton-group')!)).violations).toEqual([]);
    const fixed = buildModel(s, findVariant('pasid-attach-singleton-group')!);
    expectErrno('EINVAL', fixed, run(fixed, [idxd0]), svaBind0);
  });
});

describe('after the leak, VFIO can never claim the group (iommu_group_claim_dma_owner: -EPERM)', () => {
  const base = findScenario(NAME)!;
  const withVfio: Scenario = {
    ...base,
    devices: base.devices.map((d) => ({ ...d, drivers: [...d.drivers, 'vfio-pci'] })),
    contexts: [ctx('vmm', ['vfio-group'])],
  };
  const m = buildModel(withVfio, currentVariant);
  const group = groupOf(withVfio, 0);

  it('every driver gone, owner_cnt still 1: VFIO_GROUP_SET_CONTAINER fails with -EPERM', () => {
    const leaked = run(m, [idxd0, e1000e1, svaBind0, unbind(1), { type: 'iommu_sva_unbind_device', dev: 0 }, unbind(0)]);
    expect(leaked.groups[group]!.owner_cnt).toBe(1);
    expect(leaked.devices.map((d) => d.driver)).toEqual([null, null]);
    const opened = run(m, [{ type: 'really_probe', dev: 0, driver: 'vfio-pci' }, { type: 'vfio_group_fops_open', ctx: 0, group }], leaked);
    expectErrno('EPERM', m, opened, { type: 'vfio_group_ioctl_set_container', ctx: 0, group });
  });

  it('without the SVA bond the same unbinds leave owner_cnt 0 and the claim succeeds', () => {
    const clean = run(m, [idxd0, e1000e1, unbind(1), unbind(0), { type: 'really_probe', dev: 0, driver: 'vfio-pci' }, { type: 'vfio_group_fops_open', ctx: 0, group }]);
    expectOk(m, clean, { type: 'vfio_group_ioctl_set_container', ctx: 0, group });
  });
});
