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
import { svaWorkDrain } from './svaWorkDrain.ts';
import { pciReset } from './pciReset.ts';
import { vfioType1 } from './vfioType1.ts';
import { iommufdIoas } from './iommufdIoas.ts';
import { iommufdHwpt } from './iommufdHwpt.ts';
import { iommufdViommu } from './iommufdViommu.ts';
import { iommufdFault } from './iommufdFault.ts';
import { iommuResv } from './iommuResv.ts';
import { iommuMsi } from './iommuMsi.ts';
import { vfioPciCore } from './vfioPciCore.ts';
import { vfioPciDmabuf } from './vfioPciDmabuf.ts';
import { cacheCoherency } from './cacheCoherency.ts';
import { ioPagetableResv } from './ioPagetableResv.ts';
import { vfioPciHotReset } from './vfioPciHotReset.ts';

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
  ...svaWorkDrain, // the SVA driver's drain before unbind (issue 15, Deliver 5)
  ...pciReset,
  ...vfioType1,
  ...iommufdIoas,
  ...iommufdHwpt,
  ...iommufdViommu, // vDEVICEs (issue 16, Deliver 7)
  ...iommufdFault, // fault queues across an hwpt replace (issue 16, Deliver 1)
  ...iommuResv, // reserved regions (issue 16, Deliver 3)
  ...iommuMsi, // interrupts (issue 16, Deliver 4)
  ...vfioPciCore, // BAR access (issue 16, Deliver 6)
  ...vfioPciDmabuf, // DMABUF export of a BAR (issue 16, Deliver 6)
  ...cacheCoherency, // cache coherency (issue 16, Deliver 5)
  ...ioPagetableResv, // reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G)
  ...vfioPciHotReset, // VFIO hot reset (issue 16, Deliver 2, helper H)
};

export type { Env, Kernel, KernelFn, KernelFnName } from './kernel.ts';
