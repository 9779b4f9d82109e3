import { defineInvariant } from './defineInvariant.ts';
import { devName, inGroup } from './facts.ts';
import { groupOf } from '../machines/state.ts';
import { translationOf } from '../machines/translation.ts';

/**
 * STALE-UNTRUSTED: an untrusted device's dma_unmap_page (pci_dev->untrusted: below an
 * external-facing port) never leaves its IOVA to the lazy flush queue: its group's default domain
 * is strict (IOMMU_DOMAIN_DMA) whatever iommu.strict says, so the unmap window that STALE accepts
 * on `invalidation: lazy` never opens for it. A step invariant on the unmap (rather than a state
 * check of the domain type) so that the counterexample shows the map and the queued unmap, and
 * the exploration goes on to the DMA that STALE then finds.
 */
export const untrustedStrict = defineInvariant({
  id: 'STALE-UNTRUSTED',
  name: 'UntrustedIsStrict',
  description: "An untrusted device's dma_unmap_page never queues its IOVA on a DMA-FQ flush queue: its default domain is strict (IOMMU_DOMAIN_DMA), whatever iommu.strict says.",
  kernelRef: 'iommu_get_def_domain_type (drivers/iommu/iommu.c): `if (dev_is_pci(dev) && to_pci_dev(dev)->untrusted) return IOMMU_DOMAIN_DMA;`; __iommu_dma_unmap / queue_iova (drivers/iommu/dma-iommu.c)',
  notJudged: (scenario) => (scenario.devices.some((d) => d.dma && d.untrusted) ? null : 'no DMA actor is untrusted (`untrusted: true` with `dma:`)'),
  step(_prev, event, next, scenario) {
    if (event.type !== 'dma_unmap_page' || scenario.devices[event.dev]?.untrusted !== true) return null;
    const g = groupOf(scenario, event.dev);
    const pt = translationOf(next, g)?.pagetable;
    if (!pt || pt.type !== 'DMA-FQ' || !pt.fq.includes(event.iova)) return null;
    return `untrusted ${devName(scenario, event.dev)}'s dma_unmap_page left IOVA page ${event.iova} on the flush queue of the DMA-FQ default domain${inGroup(scenario, g)}: its IOTLB entry outlives the unmap until fq_flush_timeout`;
  },
});
