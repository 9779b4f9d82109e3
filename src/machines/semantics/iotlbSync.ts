/**
 * The invalidation of a gather: iommu_iotlb_sync (drivers/iommu/iommu.c) calls the driver's
 * ->iotlb_sync, which invalidates the IOMMU's IOTLB first and the device-TLBs (ATCs) of the
 * domain's ATS devices after it, and waits (intel-iommu cache_tag_flush_range: cache_tag_flush_iotlb
 * then cache_tag_flush_devtlb_psi; arm-smmu-v3 TLBI + CMD_SYNC then arm_smmu_atc_inv_domain;
 * amd-iommu domain_flush_pages_v1 then device_flush_iotlb). The two halves are separate rules, and
 * separate steps of a strict dma_unmap_page, so a variant can reorder or skip either. One generic
 * rule serves all three drivers; src/kernel/iommuDrivers.ts names each driver's functions, which
 * traces cite for the scenario's platform.iommuDriver (docs/kernel-notes.md section 10.7).
 */
import { ok } from '../../kernel/errno.ts';
import { atcInvalidate } from '../ats.ts';
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
   * iommu_flush_dev_iotlb (the step's name is intel-iommu's older function, intel/iommu.c; today
   * cache_tag_flush_devtlb_psi, intel/cache.c; arm_smmu_atc_inv_domain; device_flush_iotlb): the
   * device-TLB half, after the IOTLB: for each ATS-enabled device attached to the domain
   * (DeviceState.hw) an ATS Invalidate Request, waited for. The same rule for every
   * platform.iommuDriver; traces cite the driver's function (src/kernel/iommuDrivers.ts).
   */
  iommu_flush_dev_iotlb(_env, s, { group, domain, iova }) {
    const t = translationOf(s, group);
    if (!t?.ats) return ok(s);
    const devs = t.ats.enabled.filter((d) => s.devices[d]?.hw === domain);
    const ats = atcInvalidate(t.ats, devs, domain, iova);
    return ats === t.ats ? ok(s) : ok(withTranslation(s, group, { ...t, ats }));
  },
};
