import { defineInvariant } from './defineInvariant.ts';
import { devName, inGroup } from './facts.ts';
import { mmOfDomain } from '../machines/iopf.ts';
import { groupOf } from '../machines/state.ts';
import { svaDomainOf } from '../machines/iopf.ts';
import { resolvePasidDma, workOf } from '../machines/svaWork.ts';
import type { IommuEvent } from '../machines/events.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/**
 * PASID-REUSE: no page request issued under a binding b of a PASID is handled in the domain of a
 * later binding b' of the same PASID value. A step invariant on iommu_page_response (the iopf
 * workqueue handles the fault in the domain attached to the PASID now): the request was queued
 * under a binding that has since ended (PageRequest.stale: its PASID was detached or rebound while
 * it waited) and the PASID is attached again. The kernel rule: a PASID's detach drains its page
 * requests (intel_drain_pasid_prq -> iopf_queue_flush_dev) before it returns, so the PASID can be
 * freed and given to a new owner only with no request of the old binding left.
 * The same for PASID-tagged DMA (dma_pasid): the device's DMA for work submitted under a binding
 * of process A never reaches the address space of another owner of the PASID. The kernel rule:
 * iommu_sva_unbind_device's caller has stopped the device's DMA for the PASID (idxd_cdev_release:
 * idxd_device_drain_pasid) before the unbind tears the PASID entry down; a DMA after the teardown
 * faults until the PASID is allocated again.
 */
export const pasidReuse = defineInvariant({
  id: 'PASID-REUSE',
  name: 'PasidReuseDrained',
  description: 'No page request or DMA issued under a binding of a PASID reaches the domain of a later binding of the same PASID value (the driver drains the PASID\'s work before the unbind, and the detach drains its page requests, before the PASID can be reused).',
  kernelRef:
    'iommu_sva_unbind_device -> iommu_detach_device_pasid (iommu-sva.c, iommu.c) -> intel-iommu remove_dev_pasid: intel_drain_pasid_prq -> iopf_queue_flush_dev (drivers/iommu/io-pgfault.c); 2026 "Fix IOPF group ownership UAF" [V-lore]; the caller of iommu_sva_unbind_device stops the PASID\'s DMA first (idxd_cdev_release: idxd_device_drain_pasid, drivers/dma/idxd/cdev.c), intel_pasid_tear_down_entry (drivers/iommu/intel/pasid.c)',
  notJudged: (scenario) => (scenario.devices.some((d) => (d.pasids ?? 0) > 0) ? null : 'no device has PASID values (`pasids: N`): no page request or PASID-tagged DMA can be issued'),
  step(prev, event, _next, scenario) {
    if (event.type === 'dma_pasid') return dmaOfOldBinding(prev, event, scenario);
    if (event.type !== 'iommu_page_response') return null;
    const g = groupOf(scenario, event.dev);
    const req = prev.groups[g]?.iopf?.prq.find((e) => e.dev === event.dev && e.pasid === event.pasid);
    if (!req?.stale) return null;
    const now = prev.groups[g]!.pasid_array.find((e) => e.pasid === event.pasid);
    if (!now) return null; // answered IOMMU_PAGE_RESP_INVALID: nothing is attached to the PASID
    const mm = mmOfDomain(now.domain);
    const owner = mm === null ? now.domain : `${now.domain} (process ${mm}'s address space)`;
    return `${devName(scenario, event.dev)}'s page request for PASID ${event.pasid}, queued under a binding that has since been unbound, is handled in ${owner}, the domain of a later binding of PASID ${event.pasid}${inGroup(scenario, g)}`;
  },
});

/** A PASID-tagged DMA for work submitted for process A that the IOMMU translates in another domain now attached to the PASID. */
function dmaOfOldBinding(prev: SystemState, event: Extract<IommuEvent, { type: 'dma_pasid' }>, scenario: Scenario): string | null {
  const g = groupOf(scenario, event.dev);
  const work = workOf(prev.groups[g]?.iopf).find((w) => w.dev === event.dev && w.pasid === event.pasid);
  const domain = resolvePasidDma(prev, g, event.pasid);
  if (!work || domain === null || domain === svaDomainOf(work.mm)) return null; // no domain: the DMA faults
  const mm = mmOfDomain(domain);
  const owner = mm === null ? domain : `${domain} (process ${mm}'s address space)`;
  return `${devName(scenario, event.dev)}'s DMA with PASID ${event.pasid}, for work submitted for process ${work.mm} under a binding that has since been unbound, reaches ${owner}, the domain of a later binding of PASID ${event.pasid}${inGroup(scenario, g)}`;
}
