import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, groupOfDevice, ownerContext, userOf } from './facts.ts';
import { groupOf } from '../machines/state.ts';

/** I8: every user-accessible device of the group belongs to the owner's one context. */
export const i8OneSecurityContext = defineInvariant({
  id: 'I8',
  name: 'OneSecurityContext',
  description:
    'All user-accessible devices of the group belong to one context, the one behind group->owner; the VFIO group node and cdev binds exclude each other.',
  kernelRef: 'iommu_device_claim_dma_owner -EPERM (iommu.c); vfio_group_fops_open / vfio_device_block_group -EBUSY (drivers/vfio/group.c)',
  scan: firstReason({
    device(s, i, scenario) {
      const d = s.devices[i]!;
      const u = userOf(d);
      if (u === null) return null;
      const gi = groupOf(scenario, i);
      const owner = ownerContext(s, gi);
      if (u !== owner) return `${devName(scenario, i)} is accessible to ctx${u} but the group owner is ${groupOfDevice(s, scenario, i).owner ?? 'NULL'}${owner !== null ? ` (ctx${owner})` : ''}`;
      if (d.iommufd && s.vfio_groups[gi]!.opened_by !== null) return `${devName(scenario, i)} is bound through its cdev while the VFIO group file is open`;
      return null;
    },
  }),
});
