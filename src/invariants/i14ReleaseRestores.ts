import { DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import { inGroup } from './facts.ts';

/** I14: the last release of an owner returns the group to the default domain. */
export const i14ReleaseRestores = defineInvariant({
  id: 'I14',
  name: 'ReleaseRestoresDefault',
  description: 'A call that drops the owner leaves owner_cnt == 0, group->domain == default and pasid_array empty.',
  kernelRef: '__iommu_release_dma_ownership (drivers/iommu/iommu.c)',
  step(prev, event, next, scenario) {
    for (let gi = 0; gi < next.groups.length; gi++) {
      const was = prev.groups[gi]?.owner ?? null;
      const g = next.groups[gi]!;
      if (was === null || g.owner !== null) continue;
      const at = inGroup(scenario, gi);
      if (g.owner_cnt !== 0) return `${event.type} released ${was}${at} but owner_cnt is ${g.owner_cnt}`;
      if (g.default_domain && g.domain !== DEFAULT_DOMAIN) return `${event.type} released ${was}${at} but group->domain is ${g.domain}`;
      if (g.pasid_array.length > 0) return `${event.type} released ${was}${at} with PASIDs still attached`;
    }
    return null;
  },
});
