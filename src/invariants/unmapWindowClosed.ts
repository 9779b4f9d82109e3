import { DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, dmaApiBound, groupOfDevice } from './facts.ts';
import { translationEnabled } from '../machines/scenario.ts';

/**
 * UNMAP: a device's DMA after dma_unmap never reaches the freed page. Checked in every state in
 * which a present device is bound to a DMA-API driver and the group is on its default domain:
 * the states in which that driver maps and unmaps buffers (dma_map_* / dma_unmap_*).
 *
 * Simplified: dma_map, the device's DMA, dma_unmap, the page's reuse and the flush-queue timeout
 * are not events of the ownership model. The hardware model explores them (findUnmapWindow in
 * src/hardware/iotlbWindow.ts, over routeMemoryRequest + translate + the IOTLB) once per device
 * when the scenario is built (Scenario.unmapWindow), since the answer depends only on the
 * topology, the device and `invalidation`, not on the ownership state. A group moved off its
 * default domain (VFIO/iommufd claim, blocking domain) is not checked: the domain switch
 * flushes the device's IOTLB entries and no kernel driver unmaps there.
 */
export const unmapWindowClosed = defineInvariant({
  id: 'UNMAP',
  name: 'UnmapWindowClosed',
  description:
    "A device bound to a DMA-API driver on the group's default domain cannot reach a page after dma_unmap freed it: the IOTLB entry is gone before the page is reused.",
  kernelRef: '__iommu_dma_unmap / iommu_iotlb_sync vs the DMA-FQ flush queue (queue_iova, fq_flush_timeout), drivers/iommu/dma-iommu.c; iommu.strict=0',
  notJudged: (scenario) =>
    translationEnabled(scenario)
      ? 'the scenario puts DMA in the interleavings (`dma:`): STALE judges the unmap window there'
      : !scenario.invalidation
      ? 'the scenario sets no IOTLB invalidation mode (`invalidation: strict|lazy`, iommu.strict)'
      : !scenario.unmapWindow
        ? 'the scenario names no topology: the DMA route through the IOTLB cannot be derived'
        : null,
  scan: firstReason({
    device(s, i, scenario) {
      const d = s.devices[i]!;
      const window = scenario.unmapWindow?.[i];
      if (!window || translationEnabled(scenario) || groupOfDevice(s, scenario, i).domain !== DEFAULT_DOMAIN || !d.present || !dmaApiBound(d)) return null;
      return `${devName(scenario, i)} (${d.driver}, DMA API on the ${scenario.invalidation} default domain) can write a page after dma_unmap freed it: ${window.join(' | ')}`;
    },
  }),
});
