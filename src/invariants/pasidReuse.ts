import { defineInvariant } from './defineInvariant.ts';
import { devName, inGroup } from './facts.ts';
import { mmOfDomain } from '../machines/iopf.ts';
import { groupOf } from '../machines/state.ts';

/**
 * PASID-REUSE: no page request issued under a binding b of a PASID is handled in the domain of a
 * later binding b' of the same PASID value. A step invariant on iommu_page_response (the iopf
 * workqueue handles the fault in the domain attached to the PASID now): the request was queued
 * under a binding that has since ended (PageRequest.stale: its PASID was detached or rebound while
 * it waited) and the PASID is attached again. The kernel rule: a PASID's detach drains its page
 * requests (intel_drain_pasid_prq -> iopf_queue_flush_dev) before it returns, so the PASID can be
 * freed and given to a new owner only with no request of the old binding left.
 * PASID-tagged DMA is not modelled yet (only page requests carry a PASID).
 */
export const pasidReuse = defineInvariant({
  id: 'PASID-REUSE',
  name: 'PasidReuseDrained',
  description: 'No page request issued under a binding of a PASID is handled in the domain of a later binding of the same PASID value (the detach drains the PASID\'s page requests before the PASID can be reused).',
  kernelRef:
    'iommu_sva_unbind_device -> iommu_detach_device_pasid (iommu-sva.c, iommu.c) -> intel-iommu remove_dev_pasid: intel_drain_pasid_prq -> iopf_queue_flush_dev (drivers/iommu/io-pgfault.c); 2026 "Fix IOPF group ownership UAF" [V-lore]',
  notJudged: (scenario) => (scenario.devices.some((d) => d.pri === true && (d.pasids ?? 0) > 0) ? null : 'no device has PRI and PASID values (`pri: true` with `pasids: N`): no page request can be queued'),
  step(prev, event, _next, scenario) {
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
