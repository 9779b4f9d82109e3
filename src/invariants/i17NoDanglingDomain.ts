import { defineInvariant } from './defineInvariant.ts';
import { devName, isLive } from './facts.ts';

/** I17: no freed domain is still used by the hardware or named by the group. */
export const i17NoDanglingDomain = defineInvariant({
  id: 'I17',
  name: 'NoDanglingDomain',
  description: 'group->domain, every member\'s hardware domain and every pasid_array entry name live (not freed) domains.',
  kernelRef: 'iommu_detach_device WARN + no-op, then iommu_domain_free by the driver (drivers/iommu/iommu.c)',
  check(s, scenario) {
    if (s.group.domain !== null && !isLive(s, s.group.domain)) return `group->domain is ${s.group.domain}, which was freed`;
    for (const [i, d] of s.devices.entries()) {
      if (d.present && d.hw !== null && !isLive(s, d.hw)) return `the IOMMU still walks freed domain ${d.hw} for ${devName(scenario, i)}`;
    }
    const e = s.group.pasid_array.find((p) => !isLive(s, p.domain));
    return e ? `pasid_array[${e.pasid}] names freed domain ${e.domain}` : null;
  },
});
