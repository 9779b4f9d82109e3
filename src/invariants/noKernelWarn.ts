import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';

/** The kernel's own WARN_ON/BUG_ON conditions never fire. */
export const noKernelWarn = defineInvariant({
  id: 'WARN',
  name: 'NoKernelWarn',
  description: 'No WARN_ON/BUG_ON of the modelled kernel functions fires.',
  kernelRef: 'WARN_ON in iommu_device_unuse_default_domain, __iommu_release_dma_ownership, iommu_detach_device, __iommu_group_remove_device (iommu.c)',
  scan: firstReason({ first: (s) => s.warn }),
});
