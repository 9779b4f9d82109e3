import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';

/** Why device slot i's no-snoop read broke the coherency its domain promised, or null. */
function reason(s: SystemState, scenario: Scenario, i: number): string | null {
  if (s.devices[i]?.no_snoop_stale !== true) return null;
  return `${devName(scenario, i)} read memory with a no-snoop request on a user domain that claims enforce_cache_coherency, but its IOMMU did not force the snoop: the read returned data a CPU cache still held dirty (KVM had skipped WBINVD emulation on the strength of the claim)`;
}

/**
 * SNOOP CoherencyEnforced: on a user domain that claims enforce_cache_coherency (the user, and
 * KVM through VFIO_DMA_CC_IOMMU / vfio_file_enforced_coherent, rely on it), no device read returns
 * data a CPU cache still holds dirty: every no-snoop request of a device on such a domain is
 * snooped (src/machines/coherency.ts).
 */
export const coherencyEnforced = defineInvariant({
  id: 'SNOOP',
  name: 'CoherencyEnforced',
  description:
    'On a user domain that claims enforce_cache_coherency, no device read returns data a CPU cache still holds dirty: every no-snoop request of a device on it is snooped by the IOMMU.',
  kernelRef:
    'iommufd_hwpt_paging_enforce_cc / iommufd_hwpt_paging_alloc (drivers/iommu/iommufd/hw_pagetable.c), vfio_iommu_type1_attach_group (drivers/vfio/vfio_iommu_type1.c), intel_iommu_enforce_cache_coherency_ss and paging_domain_compatible (drivers/iommu/intel/iommu.c; "iommu/vt-d: Block force-snoop domain attaching if no SC support", v5.19; "iommufd: Only enforce cache coherency in iommufd_hw_pagetable_alloc", v6.7)',
  scan: firstReason({ device: (s, i, scenario) => reason(s, scenario, i) }),
  notJudged(scenario) {
    if (!scenario.devices.some((d) => d.noSnoop === true)) return 'no device of the scenario issues no-snoop requests (noSnoop)';
    if (scenario.contexts.length === 0) return 'no user context: no user domain exists to claim coherency';
    return null;
  },
});
