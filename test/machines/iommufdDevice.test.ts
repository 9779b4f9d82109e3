import { describe, expect, it } from 'vitest';
import { createIommufdDeviceMachine } from '../../src/machines/iommufdDevice.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { valuesAfter } from './helpers.ts';

const twoContexts = findScenario('iommufd-two-contexts')!;

describe('iommufdDevice machine (struct iommufd_device through the VFIO cdev)', () => {
  it('iommufdDevice goes unbound, bound, attached, bound, unbound on bind, ATTACH_PT, DETACH_PT, unbind', () => {
    const values = valuesAfter(createIommufdDeviceMachine(twoContexts, 0), [
      { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
      { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 },
      { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 },
      { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 1 },
      { type: 'vfio_df_ioctl_detach_pt', ctx: 0, dev: 0 },
      { type: 'vfio_df_unbind_iommufd', ctx: 0, dev: 0 },
    ]);
    expect(values).toEqual(['unbound', 'bound', 'attached', 'attached', 'bound', 'unbound']);
  });

  it('iommufdDevice stays unbound when the second context gets EPERM from iommu_device_claim_dma_owner', () => {
    const values = valuesAfter(createIommufdDeviceMachine(twoContexts, 1), [
      { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
      { type: 'really_probe', dev: 1, driver: 'vfio-pci' },
      { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 },
      { type: 'vfio_df_ioctl_bind_iommufd', ctx: 1, dev: 1 },
    ]);
    expect(values.at(-1)).toBe('unbound');
  });

  it('iommufdDevice goes from attached to unbound on vfio_df_unbind_iommufd (detach first)', () => {
    const values = valuesAfter(createIommufdDeviceMachine(twoContexts, 0), [
      { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
      { type: 'vfio_df_ioctl_bind_iommufd', ctx: 0, dev: 0 },
      { type: 'vfio_df_ioctl_attach_pt', ctx: 0, dev: 0, hwpt: 0 },
      { type: 'vfio_df_unbind_iommufd', ctx: 0, dev: 0 },
    ]);
    expect(values.slice(-2)).toEqual(['attached', 'unbound']);
  });
});
