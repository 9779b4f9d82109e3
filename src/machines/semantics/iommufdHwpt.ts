/**
 * Hwpt lifetimes (issue 16, Deliver 1): IOMMU_HWPT_ALLOC and IOMMU_DESTROY of a user context's
 * hardware page tables, for contexts with ContextSpec.hwptLifetime (the state is
 * ContainerState.hwpt_allocated; other contexts keep every hwpt allocated forever, as before).
 *
 * Kernel facts, gregkh/linux @ e3af7df1c5b8dff4a6ecbdff08f72e32fba7d374:
 * - drivers/iommu/iommufd/hw_pagetable.c, iommufd_hwpt_alloc: allocates a paging hwpt on an IOAS
 *   and publishes it in ictx->objects (iommufd_object_finalize) with obj.users = 1.
 * - drivers/iommu/iommufd/main.c, iommufd_destroy -> iommufd_object_remove(ictx, NULL, id, 0):
 *   -ENOENT for an id not in ictx->objects; -EBUSY unless refcount_dec_if_one(&obj->users), i.e.
 *   while any device holds the attach reference; else the object is erased and destroyed
 *   (iommufd_hwpt_paging_destroy frees the iommu_domain).
 * - drivers/iommu/iommufd/device.c, iommufd_device_change_pt: iommufd_get_object(ictx, *pt_id,
 *   IOMMUFD_OBJ_ANY) -> -ENOENT for an id that is not allocated (attach and replace alike).
 * - drivers/iommu/iommufd/main.c, iommufd_fops_release (closing the iommufd, ContainerState.iommufd_open):
 *   runs at the file's last fput, after every bound VFIO cdev dropped its reference (iommufd_ctx_put
 *   in vfio_df_unbind_iommufd, drivers/vfio/device_cdev.c), and destroys the objects leaves first.
 *   Simplification: a context closes its iommufd once and never opens another.
 */
import { err, ok } from '../../kernel/errno.ts';
import type { SystemState } from '../state.ts';
import { updateContainer } from '../state.ts';
import type { Kernel } from './kernel.ts';

type HwptFns = Pick<Kernel, 'iommufd_hwpt_alloc' | 'iommufd_destroy' | 'iommufd_fops_release'>;

/** Hwpt `hwpt` of context `ctx` is in ictx->objects (always, on contexts without hwpt lifetimes). */
export function hwptAllocated(s: SystemState, ctx: number, hwpt: number): boolean {
  return s.containers[ctx]?.hwpt_allocated?.[hwpt] ?? true;
}

/** obj.users of hwpt `hwpt` of context `ctx`: 1 (ictx->objects) plus one per device attached to it. */
export function hwptUsers(s: SystemState, ctx: number, hwpt: number): number {
  return 1 + s.devices.filter((d) => d.present && d.iommufd?.ctx === ctx && d.iommufd.hwpt === hwpt).length;
}

/** `s` with hwpt `hwpt` of context `ctx` marked allocated or not (contexts with hwpt lifetimes only). */
export function withHwptAllocated(s: SystemState, ctx: number, hwpt: number, allocated: boolean): SystemState {
  const list = s.containers[ctx]?.hwpt_allocated;
  if (!list) return s;
  const next = list.slice();
  next[hwpt] = allocated;
  return updateContainer(s, ctx, { hwpt_allocated: next });
}

/** Some device is bound to context `ctx`'s iommufd: its VFIO cdev holds a file reference (iommufd_ctx_from_fd at bind). */
export function iommufdFileHeld(s: SystemState, ctx: number): boolean {
  return s.devices.some((d) => d.iommufd?.ctx === ctx);
}

/**
 * The body of iommufd_fops_release (main.c): destroy every object of ictx->objects, leaves first
 * ("Repeatedly destroying all the \"1 users\" leaf objects"). With no device bound, every hwpt has
 * obj.users == 1, so all of them go; the model's objects are the hwpts (devices, IOAS and the
 * rest are not modelled). Simplification: the WARN_ON(!destroyed) of a refcount bug is not modelled.
 */
export function iommufdDestroyAllObjects(s: SystemState, ctx: number): SystemState {
  const list = s.containers[ctx]?.hwpt_allocated;
  return list ? updateContainer(s, ctx, { hwpt_allocated: list.map(() => false) }) : s;
}

/**
 * iommufd_ctx_put (main.c: fput(ictx->file)) of the last bound device after the context closed its
 * iommufd fd: the file's last reference goes and iommufd_fops_release runs. Called at the end of
 * vfio_df_unbind_iommufd (device_cdev.c). Unchanged while the fd is open or other devices are bound.
 */
export function iommufdCtxPut(s: SystemState, ctx: number): SystemState {
  if (s.containers[ctx]?.iommufd_open !== false || iommufdFileHeld(s, ctx)) return s;
  return iommufdDestroyAllObjects(s, ctx);
}

export const iommufdHwpt: HwptFns = {
  /**
   * IOMMU_HWPT_ALLOC -> iommufd_hwpt_alloc (hw_pagetable.c): a paging hwpt on the context's IOAS,
   * published with obj.users = 1. The model's hwpt ids are slots: an allocated slot is -EEXIST
   * (the kernel would hand out a fresh id; the model bounds them by ContextSpec.hwpts).
   */
  iommufd_hwpt_alloc(env, s, { ctx, hwpt }) {
    const c = env.scenario.contexts[ctx];
    if (!c?.hwptLifetime || hwpt < 0 || hwpt >= c.hwpts) return err('EOPNOTSUPP', 'the context has no hwpt slot with this id');
    if (s.containers[ctx]?.iommufd_open === false) return err('EBADF', 'the context closed its iommufd fd');
    if (hwptAllocated(s, ctx, hwpt)) return err('EEXIST', `hwpt ${hwpt} is already allocated`);
    return ok(withHwptAllocated(s, ctx, hwpt, true));
  },

  /**
   * IOMMU_DESTROY -> iommufd_destroy -> iommufd_object_remove (main.c): -ENOENT for an id not in
   * ictx->objects, -EBUSY unless refcount_dec_if_one(&obj->users) (a device is attached), else the
   * hwpt and its iommu_domain are freed.
   */
  iommufd_destroy(_env, s, { ctx, hwpt }) {
    if (s.containers[ctx]?.iommufd_open === false) return err('EBADF', 'the context closed its iommufd fd');
    if (!s.containers[ctx]?.hwpt_allocated || !hwptAllocated(s, ctx, hwpt)) return err('ENOENT', `hwpt ${hwpt} is not in ictx->objects`);
    if (hwptUsers(s, ctx, hwpt) !== 1) return err('EBUSY', `refcount_dec_if_one(&obj->users) failed: a device is attached to hwpt ${hwpt}`);
    return ok(withHwptAllocated(s, ctx, hwpt, false));
  },

  /**
   * close() of the context's iommufd fd: fput drops the fd table's reference. Every bound device's
   * VFIO cdev holds another (vfio_df_ioctl_bind_iommufd: iommufd_ctx_from_fd = fget, dropped by
   * iommufd_ctx_put in vfio_df_unbind_iommufd, device_cdev.c), so while one is bound the release is
   * deferred: close returns 0, the hwpts stay, and iommufd_fops_release (main.c) runs when the last
   * device unbinds (iommufdCtxPut). With none bound it runs now and destroys every hwpt.
   */
  iommufd_fops_release(_env, s, { ctx }) {
    if (s.containers[ctx]?.iommufd_open !== true) return err('EBADF', 'the context holds no iommufd fd');
    const closed = updateContainer(s, ctx, { iommufd_open: false });
    return ok(iommufdFileHeld(s, ctx) ? closed : iommufdDestroyAllObjects(closed, ctx));
  },
};
