import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, firstGroupReason, inGroup, isLive } from './facts.ts';
import { groupOf } from '../machines/state.ts';

/** I17: no freed domain is still used by the hardware or named by the group. */
export const i17NoDanglingDomain = defineInvariant({
  id: 'I17',
  name: 'NoDanglingDomain',
  description: 'group->domain, every member\'s hardware domain and every pasid_array entry name live (not freed) domains.',
  kernelRef:
    'iommu_detach_device WARN + no-op, then iommu_domain_free by the driver (drivers/iommu/iommu.c); IOMMU_DESTROY of an attached hwpt: -EBUSY from iommufd_object_remove (drivers/iommu/iommufd/main.c)',
  scan: firstReason({
    first: (s, scenario) =>
      firstGroupReason(s, (g, gi) => (g.domain !== null && !isLive(s, gi, g.domain) ? `group->domain${inGroup(scenario, gi)} is ${g.domain}, which was freed` : null)),
    device(s, i, scenario) {
      const d = s.devices[i]!;
      return d.present && d.hw !== null && !isLive(s, groupOf(scenario, i), d.hw) ? `the IOMMU still walks freed domain ${d.hw} for ${devName(scenario, i)}` : null;
    },
    last: (s, scenario) =>
      firstGroupReason(s, (g, gi) => {
        const e = g.pasid_array.find((p) => !isLive(s, gi, p.domain));
        return e ? `pasid_array[${e.pasid}]${inGroup(scenario, gi)} names freed domain ${e.domain}` : null;
      }),
  }),
});
