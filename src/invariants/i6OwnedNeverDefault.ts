import { DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { firstGroupReason, groupLabel } from './facts.ts';

/** I6: an owned group is never on the default domain or on NULL. */
export const i6OwnedNeverDefault = defineInvariant({
  id: 'I6',
  name: 'OwnedNeverDefault',
  description: 'owner != NULL => group->domain is neither the default domain nor NULL.',
  kernelRef: '__iommu_take_dma_ownership, __iommu_group_set_core_domain (drivers/iommu/iommu.c); "must always assign a domain" (May 2022)',
  scan: firstReason({
    first: (s, scenario) =>
      firstGroupReason(s, (g, gi) => {
        if (g.owner === null) return null;
        if (g.domain === null) return `${groupLabel(scenario, gi)} owned by ${g.owner} but group->domain is NULL`;
        if (g.domain === DEFAULT_DOMAIN) return `${groupLabel(scenario, gi)} owned by ${g.owner} but on the default domain`;
        return null;
      }),
  }),
});
