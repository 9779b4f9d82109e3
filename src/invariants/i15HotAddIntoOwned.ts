import { defineInvariant } from './defineInvariant.ts';
import { groupOf } from '../machines/state.ts';
import { devName } from './facts.ts';

/** I15: a device hot-added into an owned group joins the group's domain; ownership unchanged. */
export const i15HotAddIntoOwned = defineInvariant({
  id: 'I15',
  name: 'HotAddIntoOwnedGroup',
  description: 'A device joining an owned group is attached to group->domain, and owner/owner_cnt do not change.',
  kernelRef: '__iommu_probe_device (drivers/iommu/iommu.c)',
  notJudged: (scenario) =>
    scenario.hotplug || scenario.devices.some((d) => d.pf !== undefined) ? null : 'hot-plug is off and no VF is added by SR-IOV (`hotplug: true`): no device ever joins a group',

  step(prev, _event, next, scenario) {
    // Any device that joins its group in this call: hot-add (iommu_probe_device) or a VF that
    // pci_enable_sriov adds.
    for (let dev = 0; dev < next.devices.length; dev++) {
      // A slot the call did not touch is the same object in both states (the semantic functions
      // share what they do not change): it did not join, and is not read (the packed engine's
      // per-slot entries hold only for calls that read one slot).
      if (next.devices[dev] === prev.devices[dev]) continue;
      const d = next.devices[dev]!;
      if (!d.present || prev.devices[dev]?.present) continue;
      const gi = groupOf(scenario, dev);
      const was = prev.groups[gi]!;
      const now = next.groups[gi]!;
      if (was.owner === null) continue;
      const name = devName(scenario, dev);
      if (d.hw !== now.domain) return `${name} joined group owned by ${was.owner} on ${d.hw}, not on group->domain ${now.domain}`;
      if (now.owner !== was.owner || now.owner_cnt !== was.owner_cnt) return `${name} joining changed the ownership`;
    }
    return null;
  },
});
