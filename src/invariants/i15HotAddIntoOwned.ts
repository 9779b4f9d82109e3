import { defineInvariant } from './defineInvariant.ts';
import { groupOf } from '../machines/state.ts';
import { devName } from './facts.ts';

/** I15: a device hot-added into an owned group joins the group's domain; ownership unchanged. */
export const i15HotAddIntoOwned = defineInvariant({
  id: 'I15',
  name: 'HotAddIntoOwnedGroup',
  description: 'A device joining an owned group is attached to group->domain, and owner/owner_cnt do not change.',
  kernelRef: '__iommu_probe_device (drivers/iommu/iommu.c)',
  notJudged: (scenario) => (scenario.hotplug ? null : 'hot-plug is off in the scenario (`hotplug: true`): no device is ever hot-added'),
  step(prev, event, next, scenario) {
    if (event.type !== 'iommu_probe_device') return null;
    const gi = groupOf(scenario, event.dev);
    const was = prev.groups[gi]!;
    const now = next.groups[gi]!;
    if (was.owner === null) return null;
    const d = next.devices[event.dev];
    if (!d?.present || prev.devices[event.dev]?.present) return null;
    const name = devName(scenario, event.dev);
    if (d.hw !== now.domain) return `${name} joined group owned by ${was.owner} on ${d.hw}, not on group->domain ${now.domain}`;
    if (now.owner !== was.owner || now.owner_cnt !== was.owner_cnt) return `${name} joining changed the ownership`;
    return null;
  },
});
