/**
 * The legacy VFIO group + container path: drivers/vfio/group.c and drivers/vfio/container.c
 * (kernel pinned in src/kernel/version.ts; call sites checked in docs/kernel-notes.md).
 *
 * The type1 backend is reduced to what ownership sees: VFIO_SET_IOMMU attaches the group to the
 * container's domain with iommu_attach_group, and the container detach runs the backend's
 * detach_group (iommu_detach_group) before iommu_group_release_dma_owner.
 * Simplifications: one container per context (it may hold several groups), with one type1
 * domain `container:K` that every group is compatible with; the iommufd-compat group path
 * (SET_CONTAINER given an iommufd) and no-IOMMU mode are not modelled.
 */
import { containerDomain } from '../../kernel/domains.ts';
import { DRIVERS, isDriverName } from '../../kernel/drivers.ts';
import { err, errAfter, ok } from '../../kernel/errno.ts';
import type { SystemState } from '../state.ts';
import { addToVfioGroup, containerGroups, groupOf, updateContainer, updateDevice, updateVfioGroup } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

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

/** A device is bound to a VFIO driver (its vfio_group has it registered). */
export const isVfioBound = (s: SystemState, dev: number): boolean => {
  const d = s.devices[dev];
  return !!d?.present && !!d.driver && isDriverName(d.driver) && DRIVERS[d.driver].vfio;
};
/** vfio_group_has_iommu (group.c): the vfio_group still has its iommu_group (vfio_group->drivers > 0). */
const hasIommuGroup = (s: SystemState, g: number): boolean => (s.vfio_groups[g]?.drivers ?? 0) > 0;
/**
 * The references open device fds hold on group g's file: vfio_group->container_users beyond the
 * group's own 1 (each vfio_group_use_container took get_file(group->opened_file) with its ++).
 */
export const deviceFileRefs = (s: SystemState, g: number): number => {
  const v = s.vfio_groups[g]!;
  return v.container_users - (v.container ? 1 : 0);
};
/**
 * vfio_group_fops_release (drivers/vfio/group.c), the release of group g's file once no reference
 * is left: vfio_group_detach_container if the group has one, then opened_file = NULL.
 */
function groupFileRelease(env: Env, s: SystemState, group: number): SystemState {
  let cur = s;
  if (cur.vfio_groups[group]!.container) {
    const r = env.k.vfio_group_detach_container(env, cur, { group });
    if (r.ok) cur = r.next;
  }
  return updateVfioGroup(cur, group, { opened_by: null, fd_closed: false });
}

/** Group g is on a container whose type1 backend is set (container->iommu_driver). */
export const containerHasIommu = (s: SystemState, g: number): boolean => {
  const v = s.vfio_groups[g]!;
  return v.container && v.opened_by !== null && !!s.containers[v.opened_by]?.iommu_set;
};
/** Device `dev` gets an fd of context `ctx`; its first open takes a group file reference (container_users++). */
export const openDeviceFd = (s: SystemState, g: number, dev: number, ctx: number): SystemState => {
  const first = s.devices[dev]?.group_fd === null;
  const next = updateDevice(s, dev, { group_fd: ctx });
  return first ? addToVfioGroup(next, g, 'container_users', 1) : next;
};

export const vfioGroup: VfioGroupFns = {
  /**
   * vfio_group_fops_open (group.c): -ENODEV when no VFIO driver is left in the group
   * (!vfio_group_has_iommu); -EBUSY when a device of the group is open through its cdev
   * (group->cdev_device_open_cnt); -EBUSY when the group file is already open (single opener).
   */
  vfio_group_fops_open(_env, s, { ctx, group }) {
    const v = s.vfio_groups[group]!;
    if (!hasIommuGroup(s, group)) return err('ENODEV', 'no VFIO driver is bound in the group');
    if (v.cdev_device_open_cnt > 0) return err('EBUSY', 'a device of the group is open through its VFIO cdev');
    if (v.opened_by !== null) return err('EBUSY', 'the group file is already open');
    return ok(updateVfioGroup(s, group, { opened_by: ctx }));
  },

  /**
   * VFIO_GROUP_SET_CONTAINER -> vfio_group_ioctl_set_container (group.c): -EINVAL when the group
   * already has a container; -ENODEV when the group lost its iommu_group; then
   * vfio_container_attach_group (container.c): iommu_group_claim_dma_owner(vfio_group); when the
   * container already has its IOMMU backend (an earlier group ran VFIO_SET_IOMMU), the backend's
   * attach_group (vfio_iommu_type1_attach_group: iommu_attach_group on the container's domain,
   * -EPERM without isolated MSI) runs at once, and its failure releases the ownership again.
   * Simplification: every group is compatible with the container's one type1 domain (no noiommu
   * mix, one IOMMU instance).
   */
  vfio_group_ioctl_set_container(env, s, { ctx, group }) {
    const v = s.vfio_groups[group]!;
    if (v.opened_by !== ctx || v.fd_closed) return err('EBADFD', 'the context has not opened the group file');
    if (v.container) return err('EINVAL', 'the group already has a container');
    if (!hasIommuGroup(s, group)) return err('ENODEV', 'the group lost its iommu_group (no VFIO device left)');
    const r = env.k.iommu_group_claim_dma_owner(env, s, { group, owner: 'vfio_group' });
    if (!r.ok) return r;
    let cur = r.next;
    if (s.containers[ctx]?.iommu_set) {
      const a = env.k.vfio_iommu_type1_attach_group(env, cur, { ctx, group });
      if (!a.ok) {
        const rel = env.k.iommu_group_release_dma_owner(env, a.after ?? cur, { group });
        return rel.ok && rel.next !== cur ? errAfter(a.errno, `attach_group: ${a.reason}`, rel.next) : a;
      }
      cur = a.next;
    }
    // vfio_container_attach_group: group->container_users = 1, list_add to container->group_list.
    return ok(updateVfioGroup(cur, group, { container: true, container_users: 1 }));
  },

  /**
   * VFIO_SET_IOMMU -> vfio_ioctl_set_iommu (container.c): -EINVAL when the container's group_list
   * is empty or it already has a backend; __vfio_container_attach_groups attaches every group on
   * the list (vfio_iommu_type1_attach_group on the container's domain) and, when one fails, detaches
   * the ones attached before it and returns the error.
   */
  vfio_ioctl_set_iommu(env, s, { ctx }) {
    const groups = containerGroups(s, ctx);
    if (groups.length === 0) return err('EINVAL', 'the container has no group');
    if (s.containers[ctx]?.iommu_set) return err('EINVAL', 'the container already has an IOMMU backend');
    let cur = s;
    for (const [n, group] of groups.entries()) {
      const r = env.k.vfio_iommu_type1_attach_group(env, cur, { ctx, group });
      if (r.ok) {
        cur = r.next;
        continue;
      }
      if (n > 0 && r.after) cur = r.after;
      for (const back of groups.slice(0, n)) {
        const d = env.k.iommu_detach_group(env, cur, { group: back, domain: containerDomain(ctx) });
        if (d.ok) cur = d.next;
      }
      return cur === s ? r : errAfter(r.errno, r.reason, cur);
    }
    return ok(updateContainer(cur, ctx, { iommu_set: true }));
  },

  /**
   * VFIO_GROUP_GET_DEVICE_FD -> vfio_df_group_open (group.c): -EINVAL without a container and
   * backend (vfio_group_use_container); -ENODEV for a device that is not a VFIO device of the
   * group; the fd is installed only after open_device succeeded. The device's first open takes
   * a group file reference and container_users++ (vfio_device_group_use_iommu ->
   * vfio_group_use_container, container.c); the model holds at most one fd per device.
   */
  vfio_group_ioctl_get_device_fd(env, s, { ctx, dev }) {
    const group = groupOf(env.scenario, dev);
    const v = s.vfio_groups[group]!;
    if (v.opened_by !== ctx || v.fd_closed) return err('EBADFD', 'the context has not opened the group file');
    if (!containerHasIommu(s, group)) return err('EINVAL', 'the group has no container with an IOMMU backend');
    if (!isVfioBound(s, dev)) return err('ENODEV', 'not a VFIO device of this group');
    return ok(openDeviceFd(s, group, dev, ctx));
  },

  /**
   * vfio_device_fops_release (vfio_main.c): the device fd closes; its last close drops the group
   * file reference and container_users-- (vfio_group_unuse_container, container.c).
   */
  vfio_device_fops_release(env, s, { ctx, dev }) {
    if (s.devices[dev]?.group_fd !== ctx) return err('EBADFD', 'the context holds no fd for this device');
    const group = groupOf(env.scenario, dev);
    const next = addToVfioGroup(updateDevice(s, dev, { group_fd: null }), group, 'container_users', -1);
    // fput of the group file: when its opener closed it already, this was the last reference and
    // the deferred vfio_group_fops_release runs now.
    if (next.vfio_groups[group]!.fd_closed && deviceFileRefs(next, group) === 0) return ok(groupFileRelease(env, next, group));
    return ok(next);
  },

  /**
   * The opener closes its group fd. Device fds hold references to the group file, so
   * vfio_group_fops_release (group.c: detach the container, opened_file = NULL) runs now only
   * when none is open; otherwise close() still returns 0, the release is deferred to the last
   * device fd's close (fd_closed), and the group stays opened and attached until then.
   */
  vfio_group_fops_release(env, s, { ctx, group }) {
    const v = s.vfio_groups[group]!;
    if (v.opened_by !== ctx || v.fd_closed) return err('EBADFD', 'the context has not opened the group file');
    if (deviceFileRefs(s, group) > 0) return ok(updateVfioGroup(s, group, { fd_closed: true }));
    return ok(groupFileRelease(env, s, group));
  },

  /**
   * vfio_group_detach_container (container.c): the backend's detach_group (type1:
   * iommu_detach_group) first, then iommu_group_release_dma_owner; the group leaves the
   * container's group_list, and the last group to leave releases the container's backend
   * ("Detaching the last group deprivileges a container": iommu_driver = NULL).
   */
  vfio_group_detach_container(env, s, { group }) {
    let cur = s;
    const ctx = s.vfio_groups[group]!.opened_by;
    const backend = containerHasIommu(s, group);
    if (backend && ctx !== null) {
      const r = env.k.iommu_detach_group(env, cur, { group, domain: containerDomain(ctx) });
      if (r.ok) cur = r.next;
    }
    const r = env.k.iommu_group_release_dma_owner(env, cur, { group });
    if (r.ok) cur = r.next;
    cur = updateVfioGroup(cur, group, { container: false, container_users: 0 });
    if (backend && ctx !== null && containerGroups(cur, ctx).length === 0) cur = updateContainer(cur, ctx, { iommu_set: false });
    return ok(cur);
  },
};
