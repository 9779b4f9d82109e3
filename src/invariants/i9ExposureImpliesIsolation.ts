import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, ownerMayUse, userOf } from './facts.ts';
import { groupOf } from '../machines/state.ts';

/** I9: a device exposed to user space is isolated: owned group, blocking or owner's domain. */
export const i9ExposureImpliesIsolation = defineInvariant({
  id: 'I9',
  name: 'ExposureImpliesIsolation',
  description: "User access to a device => the group is owned and the device is translated by the blocking domain or one of the owner's domains.",
  kernelRef: 'iommufd_device_bind, vfio_df_group_open (drivers/iommu/iommufd/device.c, drivers/vfio/group.c)',
  scan: firstReason({
    device(s, i, scenario) {
      const d = s.devices[i]!;
      const u = userOf(d);
      if (u === null) return null;
      const gi = groupOf(scenario, i);
      if (s.groups[gi]!.owner === null) return `${devName(scenario, i)} is accessible to ctx${u} but the group has no owner`;
      if (!ownerMayUse(s, gi, d.hw)) return `${devName(scenario, i)} is accessible to ctx${u} but its hardware uses ${d.hw ?? 'no domain (NULL)'}`;
      return null;
    },
  }),
});
