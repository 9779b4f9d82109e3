import { groupOf, type SystemState } from '../machines/state.ts';
import type { Scenario } from '../machines/scenario.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';

/** Why device slot i's pending page request sits in the fault queue of an hwpt its group has left, or null. */
function reason(s: SystemState, scenario: Scenario, i: number): string | null {
  const pending = s.devices[i]?.iopf_pending ?? null;
  if (pending === null) return null;
  const domain = s.groups[groupOf(scenario, i)]?.domain ?? null;
  if (domain === pending) return null;
  return `a page request of ${devName(scenario, i)} is still pending in the fault queue of ${pending}, but its group is on ${domain ?? 'no domain'}: no auto-response answered it when the group left ${pending}, so the device waits for a response that only a stale attach handle can give (freed: use after free)`;
}

/**
 * FAULTQ: a page request of a device pending in the fault queue of a fault-capable hwpt is
 * pending on the hwpt the device's group is attached to: leaving an hwpt (detach, replace)
 * answers what its queue holds for the group (iommufd_auto_response_faults).
 */
export const faultQueueOwner = defineInvariant({
  id: 'FAULTQ',
  name: 'FaultQueueOwner',
  description: 'No page request of a device stays pending in the fault queue of an hwpt its group is no longer attached to.',
  kernelRef:
    'iommufd_hwpt_replace_device, iommufd_hwpt_detach_device (drivers/iommu/iommufd/device.c), iommufd_auto_response_faults (drivers/iommu/iommufd/eventq.c); 40e08f99aaab "iommufd: Fix wrong hwpt passed to iommufd_auto_response_faults on replace"',
  scan: firstReason({ device: (s, i, scenario) => reason(s, scenario, i) }),
  notJudged(scenario) {
    return scenario.contexts.some((c) => c.faultHwpts === true && c.paths.includes('iommufd')) ? null : 'no iommufd context of the scenario has fault-capable hwpts (faultHwpts)';
  },
});
