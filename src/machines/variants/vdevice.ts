/**
 * vDEVICE variants (issue 16, Deliver 7): IOMMU_VDEVICE_ALLOC before the fix that publishes a
 * vDEVICE only after its vdevice_init succeeded. Run by default only on the vDEVICE scenarios
 * (Variant.scenarios), so no other scenario gains a manifest row.
 */
import { vdeviceAllocStoreFirst } from '../semantics/iommufdViommu.ts';
import { defineVariant } from './defineVariant.ts';

const VDEVICE_SCENARIOS = ['iommufd-vdevice'];

/**
 * The pre-fix order of iommufd_vdevice_alloc_ioctl (viommu.c): xa_cmpxchg() stores the vDEVICE
 * in viommu->vdevs, then viommu->ops->vdevice_init() runs, and its failure aborts the stored
 * vDEVICE again; iommufd_viommu_find_dev in between returns it.
 */
export const vdevicePublishedBeforeInit = defineVariant({
  name: 'vdevice-published-before-init',
  kind: 'historical',
  description:
    'IOMMU_VDEVICE_ALLOC stores the vDEVICE in viommu->vdevs (xa_cmpxchg) before vdevice_init runs: an IOMMU driver\'s invalidation path (iommufd_viommu_find_dev) returns a vDEVICE that is not initialized, and one that a failing init then tears down.',
  source:
    'drivers/iommu/iommufd/viommu.c before e44915b77d38 ("iommufd/viommu: Publish a vDEVICE only after vdevice_init() succeeds", linux-7.1.y; jgg/iommufd for-rc 9be311cfbe61, July 2026; read at torvalds/linux 06449e9fba1e)',
  breaks: ['VDEVICE'],
  showcase: 'iommufd-vdevice',
  scenarios: VDEVICE_SCENARIOS,
  overrides: { iommufd_vdevice_alloc_ioctl: vdeviceAllocStoreFirst },
});

export const VDEVICE_VARIANTS = [vdevicePublishedBeforeInit];
