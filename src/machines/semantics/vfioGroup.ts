/**
 * The legacy VFIO group + container path: drivers/vfio/group.c and drivers/vfio/container.c
 * (kernel pinned in src/kernel/version.ts; call sites checked in docs/kernel-notes.md).
 *
 * The type1 backend is reduced to what ownership sees: VFIO_SET_IOMMU attaches the group to the
 * container's domain with iommu_attach_group, and the container detach runs the backend's
 * detach_group (iommu_detach_group) before iommu_group_release_dma_owner.
 * Simplifications: one container per context; the iommufd-compat group path (SET_CONTAINER
 * given an iommufd) and no-IOMMU mode are not modelled.
 */
import { containerDomain } from '../../kernel/domains.ts';
import { DRIVERS, isDriverName } from '../../kernel/drivers.ts';
import { err, ok } from '../../kernel/errno.ts';
import type { SystemState } from '../state.ts';
import { addToVfioGroup, updateDevice, updateVfioGroup } from '../state.ts';
import type { Kernel } from './kernel.ts';

type VfioGroupFns = Pick<
  Kernel,
  | 'vfio_group_fops_open'
  | 'vfio_group_ioctl_set_container'
  | 'vfio_ioctl_set_iommu'
  | 'vfio_group_ioctl_get_device_fd'
  | 'vfio_device_fops_release'
  | 'vfio_group_fops_release'
  | 'vfio_group_detach_container'
>;

/** A device of the group is bound to a VFIO driver (the vfio_group has registered devices). */
export const isVfioBound = (s: SystemState, dev: number): boolean => {
  const d = s.devices[dev];
  return !!d?.present && !!d.driver && isDriverName(d.driver) && DRIVERS[d.driver].vfio;
};
/** vfio_group_has_iommu (group.c): the vfio_group still has its iommu_group (vfio_group->drivers > 0). */
const hasIommuGroup = (s: SystemState): boolean => s.vfio_group.drivers > 0;
/**
 * The references open device fds hold on the group file: vfio_group->container_users beyond the
 * group's own 1 (each vfio_group_use_container took get_file(group->opened_file) with its ++).
 */
export const deviceFileRefs = (s: SystemState): number => s.vfio_group.container_users - (s.vfio_group.container ? 1 : 0);
/** Device `dev` gets an fd of context `ctx`; its first open takes a group file reference (container_users++). */
export const openDeviceFd = (s: SystemState, dev: number, ctx: number): SystemState => {
  const first = s.devices[dev]?.group_fd === null;
  const next = updateDevice(s, dev, { group_fd: ctx });
  return first ? addToVfioGroup(next, 'container_users', 1) : next;
};

export const vfioGroup: VfioGroupFns = {
  /**
   * vfio_group_fops_open (group.c): -ENODEV when no VFIO driver is left in the group
   * (!vfio_group_has_iommu); -EBUSY when a device of the group is open through its cdev
   * (group->cdev_device_open_cnt); -EBUSY when the group file is already open (single opener).
   */
  vfio_group_fops_open(_env, s, { ctx }) {
    if (!hasIommuGroup(s)) return err('ENODEV', 'no VFIO driver is bound in the group');
    if (s.vfio_group.cdev_device_open_cnt > 0) return err('EBUSY', 'a device of the group is open through its VFIO cdev');
    if (s.vfio_group.opened_by !== null) return err('EBUSY', 'the group file is already open');
    return ok(updateVfioGroup(s, { opened_by: ctx }));
  },

  /**
   * VFIO_GROUP_SET_CONTAINER -> vfio_group_ioctl_set_container (group.c) ->
   * vfio_container_attach_group (container.c): -EINVAL when the group already has a container;
   * -ENODEV when the group lost its iommu_group; then iommu_group_claim_dma_owner(vfio_group).
   */
  vfio_group_ioctl_set_container(env, s, { ctx }) {
    if (s.vfio_group.opened_by !== ctx) return err('EBADFD', 'the context has not opened the group file');
    if (s.vfio_group.container) return err('EINVAL', 'the group already has a container');
    if (!hasIommuGroup(s)) return err('ENODEV', 'the group lost its iommu_group (no VFIO device left)');
    const r = env.k.iommu_group_claim_dma_owner(env, s, { owner: 'vfio_group' });
    if (!r.ok) return r;
    // vfio_container_attach_group: group->container_users = 1.
    return ok(updateVfioGroup(r.next, { container: true, container_users: 1 }));
  },

  /**
   * VFIO_SET_IOMMU -> vfio_ioctl_set_iommu (container.c): -EINVAL when the container has no group
   * or already has a backend; the type1 backend attaches the group with iommu_attach_group.
   */
  vfio_ioctl_set_iommu(env, s, { ctx }) {
    const v = s.vfio_group;
    if (v.opened_by !== ctx || !v.container) return err('EINVAL', 'the container has no group');
    if (v.iommu_set) return err('EINVAL', 'the container already has an IOMMU backend');
    const r = env.k.iommu_attach_group(env, s, { domain: containerDomain(ctx) });
    if (!r.ok) return r;
    return ok(updateVfioGroup(r.next, { iommu_set: true }));
  },

  /**
   * VFIO_GROUP_GET_DEVICE_FD -> vfio_df_group_open (group.c): -EINVAL without a container and
   * backend (vfio_group_use_container); -ENODEV for a device that is not a VFIO device of the
   * group; the fd is installed only after open_device succeeded. The device's first open takes
   * a group file reference and container_users++ (vfio_device_group_use_iommu ->
   * vfio_group_use_container, container.c); the model holds at most one fd per device.
   */
  vfio_group_ioctl_get_device_fd(_env, s, { ctx, dev }) {
    const v = s.vfio_group;
    if (v.opened_by !== ctx) return err('EBADFD', 'the context has not opened the group file');
    if (!v.container || !v.iommu_set) return err('EINVAL', 'the group has no container with an IOMMU backend');
    if (!isVfioBound(s, dev)) return err('ENODEV', 'not a VFIO device of this group');
    return ok(openDeviceFd(s, dev, ctx));
  },

  /**
   * vfio_device_fops_release (vfio_main.c): the device fd closes; its last close drops the group
   * file reference and container_users-- (vfio_group_unuse_container, container.c).
   */
  vfio_device_fops_release(_env, s, { ctx, dev }) {
    if (s.devices[dev]?.group_fd !== ctx) return err('EBADFD', 'the context holds no fd for this device');
    return ok(addToVfioGroup(updateDevice(s, dev, { group_fd: null }), 'container_users', -1));
  },

  /**
   * vfio_group_fops_release (group.c): device fds hold a reference to the group file, so the
   * release runs only after they are closed (-EBUSY in the model); detaches the container.
   */
  vfio_group_fops_release(env, s, { ctx }) {
    if (s.vfio_group.opened_by !== ctx) return err('EBADFD', 'the context has not opened the group file');
    if (deviceFileRefs(s) > 0) return err('EBUSY', 'device fds still hold the group file');
    let cur = s;
    if (cur.vfio_group.container) {
      const r = env.k.vfio_group_detach_container(env, cur, {});
      if (!r.ok) return r;
      cur = r.next;
    }
    return ok(updateVfioGroup(cur, { opened_by: null }));
  },

  /**
   * vfio_group_detach_container (container.c): the backend's detach_group (type1:
   * iommu_detach_group) first, then iommu_group_release_dma_owner.
   */
  vfio_group_detach_container(env, s) {
    let cur = s;
    const ctx = s.vfio_group.opened_by;
    if (s.vfio_group.iommu_set && ctx !== null) {
      const r = env.k.iommu_detach_group(env, cur, { domain: containerDomain(ctx) });
      if (r.ok) cur = r.next;
    }
    const r = env.k.iommu_group_release_dma_owner(env, cur, {});
    if (r.ok) cur = r.next;
    return ok(updateVfioGroup(cur, { container: false, iommu_set: false, container_users: 0 }));
  },
};
