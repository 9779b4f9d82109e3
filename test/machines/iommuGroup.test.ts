import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { createIommuGroupMachine } from '../../src/machines/iommuGroup.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { valuesAfter } from './helpers.ts';

const vfioVsDmaApi = findScenario('vfio-vs-dma-api')!;

describe('iommuGroup machine (struct iommu_group)', () => {
  it('iommuGroup goes from free to owned on vfio_group_ioctl_set_container', () => {
    const values = valuesAfter(createIommuGroupMachine(vfioVsDmaApi), [
      { type: 'really_probe', dev: 0, driver: 'vfio-pci' },
      { type: 'vfio_group_fops_open', ctx: 0, group: 0 },
      { type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 },
    ]);
    expect(values).toEqual(['free', 'free', 'owned']);
  });

  it('iommuGroup goes from free to kernel on really_probe of a DMA-API driver and back on device_release_driver', () => {
    const values = valuesAfter(createIommuGroupMachine(vfioVsDmaApi), [
      { type: 'really_probe', dev: 0, driver: 'e1000e' },
      { type: 'really_probe', dev: 1, driver: 'e1000e' },
      { type: 'device_release_driver', dev: 0 },
      { type: 'device_release_driver', dev: 1 },
    ]);
    expect(values).toEqual(['kernel', 'kernel', 'kernel', 'free']);
  });

  it('iommuGroup stays kernel when vfio_group_ioctl_set_container returns EPERM beside an e1000e driver', () => {
    const actor = createActor(createIommuGroupMachine(vfioVsDmaApi)).start();
    actor.send({ type: 'really_probe', dev: 0, driver: 'e1000e' });
    actor.send({ type: 'really_probe', dev: 1, driver: 'vfio-pci' });
    actor.send({ type: 'vfio_group_fops_open', ctx: 0, group: 0 });
    const before = actor.getSnapshot();
    actor.send({ type: 'vfio_group_ioctl_set_container', ctx: 0, group: 0 });
    expect(actor.getSnapshot().value).toBe('kernel');
    expect(actor.getSnapshot().context).toBe(before.context);
  });

  it('iommuGroup goes from free to owned on vfio_df_ioctl_bind_iommufd and back on vfio_df_unbind_iommufd', () => {
    const values = valuesAfter(createIommuGroupMachine(vfioVsDmaApi), [
      { type: 'really_probe', dev: 1, driver: 'vfio-pci' },
      { type: 'vfio_df_ioctl_bind_iommufd', ctx: 1, dev: 1 },
      { type: 'vfio_df_unbind_iommufd', ctx: 1, dev: 1 },
    ]);
    expect(values).toEqual(['free', 'owned', 'free']);
  });

  it('iommuGroup goes from free to kernel when a failing probe leaks owner_cnt under w8-probe-error-leak', () => {
    const scenario = findScenario('probe-failure')!;
    const event = { type: 'really_probe', dev: 0, driver: 'probe-fails' } as const;
    expect(valuesAfter(createIommuGroupMachine(scenario), [event])).toEqual(['free']);
    expect(valuesAfter(createIommuGroupMachine(scenario, findVariant('w8-probe-error-leak')!), [event])).toEqual(['kernel']);
  });
});
