/**
 * The VFIO cdev + iommufd path: drivers/vfio/device_cdev.c, drivers/vfio/iommufd.c and
 * drivers/iommu/iommufd/device.c (kernel pinned in src/kernel/version.ts).
 *
 * Simplifications: RID attachment only (PASID attach through iommufd is not modelled);
 * reserved-region enforcement in the IOAS is not modelled (the isolated-MSI check of
 * iommufd_device_bind is, issue 16: ./iommuMsi.ts). Hwpt lifetimes (IOMMU_HWPT_ALLOC,
 * IOMMU_DESTROY) are in iommufdHwpt.ts, for contexts with hwptLifetime; attach and replace to an
 * unallocated hwpt get -ENOENT (iommufd_device_change_pt's iommufd_get_object).
 */
import { hwptDomain } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import type { SystemState } from '../state.ts';
import { addToVfioGroup, groupOf, ictxOwner, iommufdGroupOf, patchDevice, presentDevices, setIommufdGroup, updateDevice } from '../state.ts';
import type { Kernel } from './kernel.ts';
import { isVfioBound } from './vfioGroup.ts';
import { hwptAllocated, iommufdCtxPut } from './iommufdHwpt.ts';
import { msiIsolationCheck } from './iommuMsi.ts';
import { iommufdCoherentAttach } from './cacheCoherency.ts';

type IommufdFns = Pick<
  Kernel,
  | 'vfio_df_ioctl_bind_iommufd'
  | 'vfio_df_ioctl_attach_pt'
  | 'vfio_df_ioctl_detach_pt'
  | 'vfio_df_unbind_iommufd'
  | 'iommufd_device_bind'
  | 'iommufd_device_attach'
  | 'iommufd_device_replace'
  | 'iommufd_device_detach'
  | 'iommufd_device_unbind'
>;

const boundTo = (s: SystemState, dev: number, ctx: number): boolean => s.devices[dev]?.iommufd?.ctx === ctx;

export const iommufd: IommufdFns = {
  /**
   * VFIO_DEVICE_BIND_IOMMUFD -> vfio_df_ioctl_bind_iommufd (device_cdev.c): -ENODEV when the
   * device has no VFIO cdev (no VFIO driver bound); vfio_device_block_group -> -EBUSY while the
   * legacy group file is open, else group->cdev_device_open_cnt++; -EINVAL when already bound;
   * then iommufd_device_bind. Access is granted only after the bind succeeded; a failed bind
   * unblocks the group again (the model returns the unchanged state).
   */
  vfio_df_ioctl_bind_iommufd(env, s, { ctx, dev }) {
    if (!isVfioBound(s, dev)) return err('ENODEV', 'the device has no VFIO cdev (no VFIO driver bound)');
    const group = groupOf(env.scenario, dev);
    if (s.vfio_groups[group]!.opened_by !== null) return err('EBUSY', 'vfio_device_block_group: the VFIO group file is open');
    if (s.devices[dev]?.iommufd) return err('EINVAL', 'the device is already bound to an iommufd');
    // iommufd close (issue 16): iommufd_ctx_from_fd(bind.iommufd) -> -EBADF once the context closed its iommufd fd.
    if (s.containers[ctx]?.iommufd_open === false) return err('EBADF', 'iommufd_ctx_from_fd: the context closed its iommufd fd');
    const r = env.k.iommufd_device_bind(env, s, { ctx, dev });
    if (!r.ok) return r;
    return ok(addToVfioGroup(r.next, group, 'cdev_device_open_cnt', 1));
  },

  /**
   * iommufd_device_bind (iommufd/device.c): iommu_device_claim_dma_owner(dev, ictx); the first
   * claim in the group moves it to the blocking domain.
   * Interrupts (issue 16, Deliver 4): before the claim, `if (!iommufd_selftest_is_mock_dev(dev) &&
   * !iommu_group_has_isolated_msi(igroup->group))`: -EPERM unless iommufd's allow_unsafe_interrupts
   * (then a dev_warn, "MSI interrupts are not secure"); nothing changed yet (out_group_put).
   */
  iommufd_device_bind(env, s, { ctx, dev }) {
    const msi = msiIsolationCheck(env, s, groupOf(env.scenario, dev), 'iommufd');
    if (!msi.ok) return msi;
    const r = env.k.iommu_device_claim_dma_owner(env, msi.next, { dev, owner: ictxOwner(ctx) });
    if (!r.ok) return r;
    return ok(updateDevice(r.next, dev, { iommufd: { ctx, hwpt: null } }));
  },

  /**
   * VFIO_DEVICE_ATTACH_IOMMUFD_PT -> vfio_df_ioctl_attach_pt (device_cdev.c) ->
   * vfio_iommufd_physical_attach_ioas (vfio/iommufd.c): -EINVAL before the bind granted access;
   * an attached device is replaced, an unattached one attached.
   */
  vfio_df_ioctl_attach_pt(env, s, { ctx, dev, hwpt }) {
    const b = s.devices[dev]?.iommufd;
    if (!b || b.ctx !== ctx) return err('EINVAL', 'the device is not bound to this iommufd (access not granted)');
    return b.hwpt === null
      ? env.k.iommufd_device_attach(env, s, { ctx, dev, hwpt })
      : env.k.iommufd_device_replace(env, s, { ctx, dev, hwpt });
  },

  /**
   * iommufd_device_attach -> iommufd_hw_pagetable_attach (iommufd/device.c): -EINVAL when
   * igroup->hwpt is another hwpt (one hwpt per group); only the first device of the group (an
   * empty igroup->device_list) attaches the hardware, with iommu_attach_group_handle. Devices of
   * other groups may attach to the same hwpt (each group has its own iommufd_group).
   */
  iommufd_device_attach(env, s, { ctx, dev, hwpt }) {
    if (!hwptAllocated(s, ctx, hwpt)) return err('ENOENT', `iommufd_get_object: hwpt ${hwpt} is not allocated`);
    const group = groupOf(env.scenario, dev);
    const ig = iommufdGroupOf(s, ctx, group);
    if (ig && ig.hwpt !== hwpt) return err('EINVAL', `the group is attached to hwpt ${ig.hwpt}: one hwpt per group`);
    // Reserved regions (issue 16, helper G; ioPagetableResv.ts): iommufd_device_attach_reserved_iova, before the hardware attach.
    const resv = env.k.iopt_table_enforce_dev_resv_regions(env, s, { ctx, dev, hwpt });
    if (!resv.ok) return resv;
    let cur = resv.next;
    if (!ig) {
      // Cache coherency (issue 16, Deliver 5): the hwpt's enforce_cache_coherency, the driver's paging_domain_compatible.
      const c = iommufdCoherentAttach(env, cur, ctx, hwpt, dev);
      if (!c.ok) return c;
      const r = env.k.iommu_attach_group_handle(env, c.next, { group, domain: hwptDomain(ctx, hwpt) });
      if (!r.ok) return r;
      cur = r.next;
    }
    cur = setIommufdGroup(cur, ctx, group, { hwpt, devices: (ig?.devices ?? 0) + 1 });
    return ok(updateDevice(cur, dev, { iommufd: { ctx, hwpt } }));
  },

  /**
   * iommufd_device_replace -> iommufd_device_do_replace (iommufd/device.c): same hwpt -> 0;
   * iommu_replace_group_handle switches the group with no blocking gap, igroup->hwpt becomes the
   * new hwpt and every device on igroup->device_list moves with it.
   */
  iommufd_device_replace(env, s, { ctx, dev, hwpt }) {
    const old = s.devices[dev]?.iommufd?.hwpt;
    if (old === null || old === undefined) return err('EINVAL', 'the device is not attached');
    if (!hwptAllocated(s, ctx, hwpt)) return err('ENOENT', `iommufd_get_object: hwpt ${hwpt} is not allocated`);
    if (old === hwpt) return ok(s);
    const group = groupOf(env.scenario, dev);
    const c = iommufdCoherentAttach(env, s, ctx, hwpt, dev); // cache coherency (issue 16, Deliver 5)
    if (!c.ok) return c;
    // iommufd_hwpt_replace_device: iommu_replace_group_handle, then the old hwpt's fault auto-response (issue 16, ./iommufdFault.ts).
    const r = env.k.iommufd_hwpt_replace_device(env, c.next, { ctx, group, hwpt, old });
    if (!r.ok) return r;
    // igroup->device_list: the group's devices attached through this context move with it.
    const devices = r.next.devices.slice();
    for (const i of presentDevices(r.next, group)) {
      const d = devices[i]!;
      if (d.iommufd && d.iommufd.ctx === ctx && d.iommufd.hwpt === old) devices[i] = patchDevice(d, { iommufd: { ctx, hwpt } });
    }
    const ig = iommufdGroupOf(r.next, ctx, group);
    return ok(setIommufdGroup({ ...r.next, devices }, ctx, group, { hwpt, devices: ig?.devices ?? 1 }));
  },

  /**
   * VFIO_DEVICE_DETACH_IOMMUFD_PT -> vfio_df_ioctl_detach_pt (device_cdev.c): -EINVAL before
   * access is granted; a device that is not attached is a no-op (vfio_iommufd_physical_detach_ioas).
   */
  vfio_df_ioctl_detach_pt(env, s, { ctx, dev }) {
    const b = s.devices[dev]?.iommufd;
    if (!b || b.ctx !== ctx) return err('EINVAL', 'the device is not bound to this iommufd (access not granted)');
    if (b.hwpt === null) return ok(s);
    return env.k.iommufd_device_detach(env, s, { ctx, dev });
  },

  /**
   * iommufd_device_detach -> iommufd_hw_pagetable_detach (iommufd/device.c): the device leaves
   * igroup->device_list; the last one detaches the hardware with iommu_detach_group_handle
   * (back to blocking) and igroup->hwpt becomes NULL.
   */
  iommufd_device_detach(env, s, { ctx, dev }) {
    const hwpt = s.devices[dev]?.iommufd?.hwpt ?? 0;
    const group = groupOf(env.scenario, dev);
    const ig = iommufdGroupOf(s, ctx, group);
    const left = (ig?.devices ?? 1) - 1;
    let cur = updateDevice(s, dev, { iommufd: { ctx, hwpt: null } });
    cur = setIommufdGroup(cur, ctx, group, ig && left > 0 ? { hwpt: ig.hwpt, devices: left } : null);
    if (left === 0) {
      // iommufd_hwpt_detach_device: iommu_detach_group_handle, then the fault auto-response (issue 16, ./iommufdFault.ts).
      const r = env.k.iommufd_hwpt_detach_device(env, cur, { ctx, group, hwpt });
      if (!r.ok) return r;
      cur = r.next;
    }
    return ok(cur);
  },

  /**
   * Closing the cdev fd -> vfio_df_unbind_iommufd (device_cdev.c): the physical unbind detaches an
   * attached device first, then iommufd_device_unbind; vfio_device_unblock_group drops
   * group->cdev_device_open_cnt.
   */
  vfio_df_unbind_iommufd(env, s, { ctx, dev }) {
    if (!boundTo(s, dev, ctx)) return err('EBADFD', 'the context has no bound cdev for this device');
    let cur = s;
    if (s.devices[dev]?.iommufd?.hwpt !== null) {
      const r = env.k.iommufd_device_detach(env, cur, { ctx, dev });
      if (!r.ok) return r;
      cur = r.next;
    }
    const r = env.k.iommufd_device_unbind(env, cur, { ctx, dev });
    if (!r.ok) return r;
    // iommufd_ctx_put(df->iommufd): the last reference of a closed iommufd runs iommufd_fops_release (issue 16, ./iommufdHwpt.ts).
    return ok(addToVfioGroup(iommufdCtxPut(r.next, ctx), groupOf(env.scenario, dev), 'cdev_device_open_cnt', -1));
  },

  /**
   * iommufd_device_unbind -> iommufd_device_destroy (iommufd/device.c):
   * iommu_device_release_dma_owner; the last one restores the default domain.
   */
  iommufd_device_unbind(env, s, { dev }) {
    const r = env.k.iommu_device_release_dma_owner(env, s, { dev });
    const cur = r.ok ? r.next : s;
    // vDEVICEs (issue 16, Deliver 7): iommufd_device_pre_destroy destroys idev->vdev with the idev. Simplification: an
    // IOMMU_VDEVICE_ALLOC in flight (the kernel's unbind waits for its idev reference) is dropped with it.
    const vdev = s.devices[dev]?.vdevice !== undefined ? { vdevice: 'none' as const } : {};
    return ok(updateDevice(cur, dev, { iommufd: null, ...vdev }));
  },
};
