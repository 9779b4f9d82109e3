import { describe, expect, it } from 'vitest';
import { createDeviceMachine } from '../../src/machines/device.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { valuesAfter } from './helpers.ts';

describe('device machine (dev->driver and group membership)', () => {
  it('device goes from absent to no_driver on iommu_probe_device and back on iommu_release_device', () => {
    const values = valuesAfter(createDeviceMachine(findScenario('hot-add-owned-group')!, 1), [
      { type: 'iommu_probe_device', dev: 1 },
      { type: 'iommu_release_device', dev: 1 },
    ]);
    expect(values).toEqual(['no_driver', 'absent']);
  });

  it('device goes to dma_api_driver on really_probe of e1000e and to managed_driver on really_probe of pci-stub', () => {
    const scenario = findScenario('pci-stub-neighbour')!;
    expect(valuesAfter(createDeviceMachine(scenario, 1), [{ type: 'really_probe', dev: 1, driver: 'e1000e' }])).toEqual([
      'dma_api_driver',
    ]);
    expect(valuesAfter(createDeviceMachine(scenario, 1), [{ type: 'really_probe', dev: 1, driver: 'pci-stub' }])).toEqual([
      'managed_driver',
    ]);
  });

  it('device stays managed_driver when device_release_driver returns EBUSY while a VFIO device fd is open', () => {
    const values = valuesAfter(createDeviceMachine(findScenario('pci-stub-neighbour')!, 0), [
      { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
      { type: 'vfio_group_fops_open', ctx: 0, group: 0 },
      { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 },
      { type: 'vfio_ioctl_set_iommu', ctx: 0 },
      { type: 'vfio_group_ioctl_get_device_fd', ctx: 0, dev: 0 },
      { type: 'device_release_driver', dev: 0 },
      { type: 'vfio_device_fops_release', ctx: 0, dev: 0 },
      { type: 'device_release_driver', dev: 0 },
    ]);
    expect(values.slice(-3)).toEqual(['managed_driver', 'managed_driver', 'no_driver']);
  });
});
