import { devName } from './facts.ts';
import { defineInvariant } from './defineInvariant.ts';

/**
 * VDEVICE: no lookup of a vIOMMU's vDEVICEs (iommufd_viommu_find_dev, from an IOMMU driver's
 * invalidation path) returns one whose vdevice_init has not succeeded. A step invariant on the
 * lookup: it returned the device (ok) while the device's vDEVICE was stored but not initialized.
 */
export const vdevicePublishedAfterInit = defineInvariant({
  id: 'VDEVICE',
  name: 'VdevicePublishedAfterInit',
  description: 'No lookup of a vIOMMU\'s vDEVICEs (iommufd_viommu_find_dev) returns a vDEVICE before its vdevice_init succeeded.',
  kernelRef:
    'iommufd_vdevice_alloc_ioctl (drivers/iommu/iommufd/viommu.c), iommufd_viommu_find_dev (drivers/iommu/iommufd/driver.c); e44915b77d38 "iommufd/viommu: Publish a vDEVICE only after vdevice_init() succeeds"',
  step(prev, event, _next, scenario) {
    if (event.type !== 'iommufd_viommu_find_dev') return null;
    if (prev.devices[event.dev]?.vdevice !== 'stored') return null;
    return `iommufd_viommu_find_dev returned ${devName(scenario, event.dev)} from viommu->vdevs while its vDEVICE's vdevice_init had not run: the IOMMU driver's invalidation uses a vDEVICE that is not initialized (and that a failing init then tears down)`;
  },
  notJudged(scenario) {
    return scenario.contexts.some((c) => c.viommu === true && c.paths.includes('iommufd')) ? null : 'no iommufd context of the scenario has a vIOMMU (viommu)';
  },
});
