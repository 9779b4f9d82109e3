import { DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { firstGroupReason, inGroup } from './facts.ts';

/** I5: an idle group (owner_cnt == 0) is on its default domain with no PASIDs. */
export const i5IdleGroupDefault = defineInvariant({
  id: 'I5',
  name: 'IdleGroupDefault',
  description: 'owner_cnt == 0 => owner == NULL, domain in {default, NULL}, pasid_array empty.',
  kernelRef: 'iommu_device_use_default_domain relies on it when owner_cnt == 0 (drivers/iommu/iommu.c)',
  scan: firstReason({
    first: (s, scenario) =>
      firstGroupReason(s, (g, gi) => {
        if (g.owner_cnt !== 0) return null;
        const at = inGroup(scenario, gi);
        if (g.owner !== null) return `owner_cnt${at} is 0 but owner is ${g.owner}`;
        if (g.domain !== null && g.domain !== DEFAULT_DOMAIN) return `owner_cnt${at} is 0 but group->domain is ${g.domain}`;
        if (g.pasid_array.length > 0) return `owner_cnt${at} is 0 but pasid_array holds PASID ${g.pasid_array[0]?.pasid}`;
        return null;
      }),
  }),
});
