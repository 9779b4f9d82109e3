import { BLOCKING_DOMAIN } from '../kernel/domains.ts';
import { parkedForReset } from '../machines/reset.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, groupOfDevice } from './facts.ts';

/** I7: every member's RID is translated by group->domain. */
export const i7UniformTranslation = defineInvariant({
  id: 'I7',
  name: 'UniformTranslation',
  description: 'Every device of the group uses group->domain in hardware (between atomic calls).',
  kernelRef: '__iommu_group_set_domain_internal, __iommu_probe_device (drivers/iommu/iommu.c)',
  scan: firstReason({
    device(s, i, scenario) {
      const d = s.devices[i]!;
      const domain = groupOfDevice(s, scenario, i).domain;
      // A staged reset parks the RID on the blocking domain while group->domain is retained (I20 judges it).
      if (d.hw === BLOCKING_DOMAIN && parkedForReset(s, scenario, i)) return null;
      return d.present && d.hw !== domain ? `${devName(scenario, i)} uses ${d.hw} in hardware but group->domain is ${domain}` : null;
    },
  }),
});
