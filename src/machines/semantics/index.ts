/**
 * The current kernel's rule table: every modelled kernel function, assembled from the files that
 * mirror the kernel's own files. Variants (src/machines/variants) override entries of it.
 */
import { driverCore } from './driverCore.ts';
import { domains } from './iommuDomains.ts';
import { iommufd } from './iommufd.ts';
import { ownership } from './iommuOwnership.ts';
import type { Kernel } from './kernel.ts';
import { vfioGroup } from './vfioGroup.ts';
import { sriov } from './sriov.ts';
import { dmaIommu } from './dmaIommu.ts';
import { iotlbSync } from './iotlbSync.ts';
import { defaultDomain } from './iommuDefaultDomain.ts';
import { pciAts } from './pciAts.ts';
import { ioPgfault } from './ioPgfault.ts';
import { pciReset } from './pciReset.ts';
import { vfioType1 } from './vfioType1.ts';
import { iommufdIoas } from './iommufdIoas.ts';
import { iommufdHwpt } from './iommufdHwpt.ts';

export const currentKernel: Kernel = {
  ...ownership,
  ...domains,
  ...driverCore,
  ...vfioGroup,
  ...iommufd,
  ...sriov,
  ...dmaIommu,
  ...iotlbSync,
  ...defaultDomain,
  ...pciAts,
  ...ioPgfault,
  ...pciReset,
  ...vfioType1,
  ...iommufdIoas,
  ...iommufdHwpt,
};

export type { Env, Kernel, KernelFn, KernelFnName } from './kernel.ts';
