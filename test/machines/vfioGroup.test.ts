import { describe, expect, it } from 'vitest';
import { createVfioGroupMachine } from '../../src/machines/vfioGroup.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { valuesAfter } from './helpers.ts';

const scenario = findScenario('pci-stub-neighbour')!;
const toIommuSet = [
  { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
  { type: 'vfio_group_fops_open', ctx: 0, group: 0 },
  { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 },
  { type: 'vfio_ioctl_set_iommu', ctx: 0 },
] as const;

describe('vfioGroup machine (/dev/vfio/$GROUP and its container)', () => {
  it('vfioGroup goes closed, open, container_set, iommu_set on open, SET_CONTAINER, SET_IOMMU', () => {
    expect(valuesAfter(createVfioGroupMachine(scenario), toIommuSet)).toEqual(['closed', 'open', 'container_set', 'iommu_set']);
  });

  it('vfioGroup stays closed when vfio_group_fops_open returns ENODEV with no VFIO driver bound', () => {
    expect(valuesAfter(createVfioGroupMachine(scenario), [{ type: 'vfio_group_fops_open', ctx: 0, group: 0 }])).toEqual(['closed']);
  });

  it('vfioGroup goes from iommu_set to open on device_release_driver of the last VFIO device (vfio_group_detach_container)', () => {
    const values = valuesAfter(createVfioGroupMachine(scenario), [...toIommuSet, { type: 'device_release_driver', dev: 0 }]);
    expect(values.at(-1)).toBe('open');
  });

  it('vfioGroup goes from iommu_set to closed on vfio_group_fops_release', () => {
    const values = valuesAfter(createVfioGroupMachine(scenario), [...toIommuSet, { type: 'vfio_group_fops_release', ctx: 0, group: 0 }]);
    expect(values.at(-1)).toBe('closed');
  });
});
