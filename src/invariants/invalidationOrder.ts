import { defineInvariant } from './defineInvariant.ts';
import { devName, inGroup } from './facts.ts';
import { translationOf } from '../machines/translation.ts';

/**
 * INV-ORDER: once the invalidation of an unmapped IOVA page has completed (a strict
 * dma_unmap_page returned after iommu_iotlb_sync and the device-TLB flush; or fq_flush_timeout
 * ran for the queued pages), no device's ATC still holds a translation for it. The kernel
 * invalidates the IOTLB first and the ATC after it, so an ATS Translation Request in between
 * misses the IOTLB and faults on the cleared PTE; the reverse order lets it refill the ATC from
 * the stale IOTLB entry. A step invariant on the call that completes the invalidation.
 */
export const invalidationOrder = defineInvariant({
  id: 'INV-ORDER',
  name: 'AtcInvalidatedLast',
  description: 'After the device-TLB flush of an unmapped IOVA page completes, no ATC holds a translation for that page.',
  kernelRef:
    'intel: intel_iommu_tlb_sync -> cache_tag_flush_range, the IOTLB tag before the DEVTLB tags in one qi batch (drivers/iommu/intel/cache.c); arm-smmu-v3: arm_smmu_tlb_inv_range_domain, TLBI + CMD_SYNC then arm_smmu_atc_inv_domain ("completed prior invalidation of the main TLBs", arm-smmu-v3.c); amd: __domain_flush_pages, domain_flush_pages_v1 then device_flush_iotlb (drivers/iommu/amd/iommu.c); the driver of a scenario: platform.iommuDriver',
  notJudged: (scenario) => (scenario.devices.some((d) => d.dma && d.ats && !d.untrusted) ? null : 'no trusted DMA actor has an ATS capability (`ats: true` with `dma:`): no ATC ever holds a translation'),
  step(prev, event, next, scenario) {
    if (event.type !== 'iommu_flush_dev_iotlb' && event.type !== 'iommu_iotlb_sync' && event.type !== 'dma_unmap_page' && event.type !== 'fq_flush_timeout') return null;
    for (let g = 0; g < next.groups.length; g++) {
      const before = translationOf(prev, g);
      const after = translationOf(next, g);
      if (!before?.ats || !after?.ats) continue;
      // The IOVA pages whose invalidation this call completed.
      const u = before.pagetable.unmap;
      const done = event.type === 'fq_flush_timeout' ? before.pagetable.fq : u && after.pagetable.unmap === null ? [u.iova] : [];
      const stale = after.ats.atc.find((e) => done.includes(e.iova) && after.pagetable.ptes[e.iova] === null);
      if (stale) {
        const hw = next.devices[stale.dev]?.hw ?? null;
        const why =
          hw !== stale.domain
            ? `its RID is on ${hw ?? 'no domain'} now, so the device-TLB flush of ${stale.domain} did not reach it, and ATS stayed enabled with the ATC unflushed when it left ${stale.domain}`
            : 'an ATS Translation Request answered from the IOTLB before the IOTLB was invalidated refilled it, or the ATC was never invalidated';
        return `${devName(scenario, stale.dev)}'s ATC still maps IOVA page ${stale.iova} to physical page ${stale.phys} after ${event.type} completed its invalidation${inGroup(scenario, g)}: ${why}`;
      }
    }
    return null;
  },
});
