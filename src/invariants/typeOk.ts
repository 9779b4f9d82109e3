import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';

/** TypeOK: the state is well formed (always checked first). */
export const typeOk = defineInvariant({
  id: 'TypeOK',
  name: 'ContextWellFormed',
  description: 'owner_cnt is a natural number no larger than the device count; absent devices have no driver, domain or fd; drivers are the scenario\'s.',
  kernelRef: 'struct iommu_group (drivers/iommu/iommu.c): unsigned int owner_cnt',
  scan: firstReason({
    first(s) {
      const g = s.group;
      if (!Number.isInteger(g.owner_cnt) || g.owner_cnt < 0) return `owner_cnt is ${g.owner_cnt}`;
      if (g.owner_cnt > s.devices.length) return `owner_cnt is ${g.owner_cnt}, more than the ${s.devices.length} devices could account for`;
      if (g.owner !== null && g.owner_cnt === 0) return `owner is ${g.owner} with owner_cnt 0`;
      return null;
    },
    device(s, i, scenario) {
      const d = s.devices[i]!;
      const spec = scenario.devices[i];
      if (!spec) return `device slot ${i} is not in the scenario`;
      if (!d.present && (d.driver || d.hw || d.group_fd !== null || d.iommufd)) return `${spec.name} is absent but still has state`;
      if (d.driver && !spec.drivers.includes(d.driver)) return `${spec.name} is bound to ${d.driver}, not one of its drivers`;
      return null;
    },
  }),
});
