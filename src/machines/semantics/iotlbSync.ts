/**
 * The invalidation of a gather: iommu_iotlb_sync (drivers/iommu/iommu.c) calls the driver's
 * ->iotlb_sync, which invalidates the IOMMU's IOTLB first and the device-TLBs (ATCs) of the
 * domain's ATS devices after it, and waits (intel-iommu iommu_flush_iotlb_psi then
 * iommu_flush_dev_iotlb; arm-smmu-v3 TLBI + CMD_SYNC then arm_smmu_atc_inv_domain; amd-iommu
 * build_inv_iommu_pages then device_flush_iotlb). The two halves are separate rules, and separate
 * steps of a strict dma_unmap_page, so a variant can reorder or skip either.
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
   * iommu_flush_dev_iotlb (intel/iommu.c; arm_smmu_atc_inv_domain, device_flush_iotlb): the
   * device-TLB half, after the IOTLB: `list_for_each_entry(info, &domain->devices, link) { if
   * (!info->ats_enabled) continue; ... qi_flush_dev_iotlb(...) }`: an ATS Invalidate Request to
   * each ATS-enabled device attached to the domain (DeviceState.hw), waited for. The rule is
   * intel-iommu's (the scenario does not name its IOMMU driver; arm-smmu-v3 and amd do the same).
   */
  iommu_flush_dev_iotlb(_env, s, { group, domain, iova }) {
    const t = translationOf(s, group);
    if (!t?.ats) return ok(s);
    const devs = t.ats.enabled.filter((d) => s.devices[d]?.hw === domain);
    const ats = atcInvalidate(t.ats, devs, domain, iova);
    return ats === t.ats ? ok(s) : ok(withTranslation(s, group, { ...t, ats }));
  },
};
