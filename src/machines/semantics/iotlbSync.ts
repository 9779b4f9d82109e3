/**
 * The invalidation of a gather: iommu_iotlb_sync (drivers/iommu/iommu.c) calls the driver's
 * ->iotlb_sync, which invalidates the IOMMU's IOTLB first and the device-TLBs (ATCs) of the
 * domain's ATS devices after it, and waits (intel-iommu iommu_flush_iotlb_psi then
 * iommu_flush_dev_iotlb; arm-smmu-v3 TLBI + CMD_SYNC then arm_smmu_atc_inv_domain; amd-iommu
 * build_inv_iommu_pages then device_flush_iotlb). The two halves are separate rules, and separate
 * steps of a strict dma_unmap_page, so a variant can reorder or skip either.
 */
import { ok } from '../../kernel/errno.ts';
import { iotlbInvalidate } from '../iotlb.ts';
import { translationOf, withTranslation } from '../translation.ts';
import type { Kernel } from './kernel.ts';

type IotlbSyncFns = Pick<Kernel, 'iommu_iotlb_sync' | 'iommu_flush_dev_iotlb'>;

export const iotlbSync: IotlbSyncFns = {
  /**
   * iommu_iotlb_sync (iommu.c): `if (domain->ops->iotlb_sync) domain->ops->iotlb_sync(domain,
   * iotlb_gather)`; the IOTLB half: every IOTLB entry of the domain for the gathered IOVA goes.
   * (2026: "iommu: Do not call drivers for empty gathers", 90c5def10bea, skipped this when the
   * driver's unmap left the gather empty; Robin Murphy's fix marks it non-empty in __iommu_unmap.)
   */
  iommu_iotlb_sync(_env, s, { group, domain, iova }) {
    const t = translationOf(s, group);
    if (!t) return ok(s);
    const iotlb = iotlbInvalidate(t.iotlb, domain, iova);
    return iotlb === t.iotlb ? ok(s) : ok(withTranslation(s, group, { ...t, iotlb }));
  },

  /**
   * iommu_flush_dev_iotlb (intel/iommu.c; arm_smmu_atc_inv_domain, device_flush_iotlb): the
   * device-TLB half, after the IOTLB: an ATS Invalidate Request to each ATS-enabled device
   * attached to the domain. No device has ATS enabled in the model yet (ATS and the ATC come with
   * step 4 of docs/design/translation-path.md), so there is nothing to drop: the call completes.
   */
  iommu_flush_dev_iotlb(_env, s) {
    return ok(s);
  },
};
