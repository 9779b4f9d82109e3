import { defineInvariant } from './defineInvariant.ts';
import { userOfDomain } from '../kernel/domains.ts';
import { devName } from './facts.ts';
import { pageText } from '../machines/pages.ts';
import { translationEnabled } from '../machines/scenario.ts';
import { groupOf } from '../machines/state.ts';
import { dmaAtIommu, translationOf } from '../machines/translation.ts';
import { atsTranslatedRequest } from '../machines/atsActors.ts';
import type { IommuEvent } from '../machines/events.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/**
 * STALE: no DMA reaches a physical page through a translation older than the page's current
 * owner. A PTE or IOTLB entry that names a page freed by the driver after dma_unmap_page returned
 * and allocated again (to another owner, or as a new buffer) is stale; a device's untranslated
 * DMA that the IOMMU serves from it writes another owner's data.
 *
 * A step invariant on the device's DMA (dma_untranslated), judged on the state before it, so the
 * reason names the access. iommu.strict=1: __iommu_dma_unmap syncs the IOTLB before the driver may
 * free the page, so it holds. iommu.strict=0 (DMA-FQ): the invalidation waits for
 * fq_flush_timeout while the page is already freed: the accepted lazy trade-off
 * (src/scenarios/manifest.ts KNOWN_WEAKNESSES). With ATS, a translated request through a stale
 * ATC entry counts the same (the IOMMU does not walk it). Simplification: a DMA into a page that is free
 * (in the allocator, not yet reused) is not counted; only reuse makes it another owner's data.
 * User mappings (VFIO type1, iommufd) count the same: a page unpinned by VFIO_IOMMU_UNMAP_DMA or
 * IOMMU_IOAS_UNMAP and allocated again must not be reached (vfio_sync_unpin: the IOTLB sync first).
 */
export const staleTranslation = defineInvariant({
  id: 'STALE',
  name: 'NoStaleTranslation',
  description:
    'No DMA reaches a physical page through a PTE or IOTLB entry made before the page was freed (after dma_unmap_page returned, strict; or before the deferred flush, lazy) and allocated again.',
  kernelRef:
    '__iommu_dma_unmap: iommu_unmap_fast, then iommu_iotlb_sync unless iotlb_gather.queued, then iommu_dma_free_iova (drivers/iommu/dma-iommu.c); iommu_iotlb_sync (drivers/iommu/iommu.c); queue_iova / fq_flush_timeout for iommu.strict=0; vfio_sync_unpin (drivers/vfio/vfio_iommu_type1.c) and iopt_area_unpin_domain (drivers/iommu/iommufd/pages.c): the IOTLB sync before the unpin',
  notJudged: (scenario) => (translationEnabled(scenario) ? null : 'no device of the scenario is a DMA actor (`dma:`): DMA and the IOTLB are not in the interleavings'),
  step(prev, event, _next, scenario) {
    if (event.type === 'ats_translated_request') return staleViaAtc(prev, event, scenario);
    if (event.type !== 'dma_untranslated') return null;
    const g = groupOf(scenario, event.dev);
    const { outcome } = dmaAtIommu(prev, g, event.dev, event.iova);
    if (outcome.kind !== 'page' || !outcome.stale) return null;
    const fq = translationOf(prev, g)?.pagetable;
    const why = fq?.type === 'DMA-FQ' && fq.fq.includes(event.iova) ? ' (its invalidation still waits in the flush queue: iommu.strict=0, fq_flush_timeout has not run)' : '';
    const via = outcome.via === 'iotlb' ? 'a stale IOTLB entry' : 'a stale PTE';
    const hw = prev.devices[event.dev]?.hw ?? null;
    const freed = userOfDomain(hw) !== null ? `unpinned by the user's unmap of ${hw}` : 'freed after dma_unmap_page';
    return `${devName(scenario, event.dev)}'s DMA to IOVA page ${event.iova} reaches physical page ${outcome.phys}, now ${pageText(outcome.page)}, through ${via}${why}: the page was ${freed} and allocated again`;
  },
});

/** STALE through the device's ATC: a translated request using an ATC entry whose page was freed and allocated again. */
function staleViaAtc(prev: SystemState, event: Extract<IommuEvent, { type: 'ats_translated_request' }>, scenario: Scenario): string | null {
  if (!('iova' in event)) return null;
  const o = atsTranslatedRequest(scenario, prev, groupOf(scenario, event.dev), event.dev, event);
  if (o.kind !== 'page' || !o.stale) return null;
  const hw = prev.devices[event.dev]?.hw ?? null;
  const freed = userOfDomain(hw) !== null ? `unpinned by the user's unmap of ${hw}` : 'freed after dma_unmap_page';
  return `${devName(scenario, event.dev)}'s translated request for IOVA page ${event.iova} reaches physical page ${o.phys}, now ${pageText(o.page)}, through a stale ATC entry: the page was ${freed} and allocated again`;
}
