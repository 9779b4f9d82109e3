import { defineInvariant } from './defineInvariant.ts';
import { devName } from './facts.ts';

/** I15: a device hot-added into an owned group joins the group's domain; ownership unchanged. */
export const i15HotAddIntoOwned = defineInvariant({
  id: 'I15',
  name: 'HotAddIntoOwnedGroup',
  description: 'A device joining an owned group is attached to group->domain, and owner/owner_cnt do not change.',
  kernelRef: '__iommu_probe_device (drivers/iommu/iommu.c)',
  step(prev, event, next, scenario) {
    if (event.type !== 'iommu_probe_device' || prev.group.owner === null) return null;
    const d = next.devices[event.dev];
    if (!d?.present || prev.devices[event.dev]?.present) return null;
    const name = devName(scenario, event.dev);
    if (d.hw !== next.group.domain) return `${name} joined group owned by ${prev.group.owner} on ${d.hw}, not on group->domain ${next.group.domain}`;
    if (next.group.owner !== prev.group.owner || next.group.owner_cnt !== prev.group.owner_cnt) return `${name} joining changed the ownership`;
    return null;
  },
});
