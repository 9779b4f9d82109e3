import { defineInvariant } from './defineInvariant.ts';
import { devName } from './facts.ts';
import { groupOf } from '../machines/state.ts';
import { dmaAtIommu } from '../machines/translation.ts';

/**
 * SUBPAGE: an untrusted device reaches no page that holds other kernel data beside its sub-page
 * DMA buffer. iommu_map maps whole granules, so dma-iommu.c bounces an untrusted device's
 * sub-page buffer through swiotlb (dev_use_swiotlb) and zeroes the slot's padding. A step
 * invariant on the device's DMA, judged on the state before it.
 */
export const subPageBounce = defineInvariant({
  id: 'SUBPAGE',
  name: 'SubPageBounced',
  description: "An untrusted device's DMA never reaches a page shared by its sub-page buffer and other kernel data: the buffer is bounced.",
  kernelRef: 'iommu_dma_map_page: `if (dev_use_swiotlb(dev, size, dir) && iova_offset(iovad, phys | size))` -> swiotlb_tbl_map_single, padding zeroed (drivers/iommu/dma-iommu.c)',
  notJudged: (scenario) => (scenario.devices.some((d) => d.dma && d.untrusted && d.subPage) ? null : 'no untrusted DMA actor maps sub-page buffers (`untrusted: true`, `subPage: true` with `dma:`)'),
  step(prev, event, _next, scenario) {
    if (event.type !== 'dma_untranslated' || scenario.devices[event.dev]?.untrusted !== true) return null;
    const { outcome } = dmaAtIommu(prev, groupOf(scenario, event.dev), event.dev, event.iova);
    if (outcome.kind !== 'page' || outcome.page.state !== 'kmalloc') return null;
    return `untrusted ${devName(scenario, event.dev)}'s DMA to IOVA page ${event.iova} reaches physical page ${outcome.phys}, where a sub-page DMA buffer shares the page with other kernel data: the buffer was mapped without a bounce slot`;
  },
});
