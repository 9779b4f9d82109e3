import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';
import { groupOf } from '../machines/state.ts';

/** I19: no device fd with access exists before its context owns the group. */
export const i19FdAfterOwnership = defineInvariant({
  id: 'I19',
  name: 'FdAfterOwnership',
  description:
    'A VFIO group-path device fd exists only after SET_CONTAINER claimed the group and SET_IOMMU attached it; a cdev has access only after the bind claimed it.',
  kernelRef: 'vfio_df_group_open (drivers/vfio/group.c); vfio_df_ioctl_bind_iommufd (drivers/vfio/device_cdev.c)',
  scan: firstReason({
    device(s, i, scenario) {
      const d = s.devices[i]!;
      const name = devName(scenario, i);
      const gi = groupOf(scenario, i);
      const owner = s.groups[gi]!.owner;
      if (d.group_fd !== null) {
        const v = s.vfio_groups[gi]!;
        if (owner !== 'vfio_group' || !v.container || !s.containers[d.group_fd]?.iommu_set || v.opened_by !== d.group_fd) {
          return `ctx${d.group_fd} holds a device fd for ${name} but the group is not claimed and attached for it (owner ${owner ?? 'NULL'})`;
        }
      }
      if (d.iommufd && owner !== `ictx:${d.iommufd.ctx}`) {
        return `ctx${d.iommufd.ctx}'s cdev for ${name} has access but the group owner is ${owner ?? 'NULL'}`;
      }
      return null;
    },
  }),
});
