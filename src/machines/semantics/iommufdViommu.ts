/**
 * vDEVICEs on a vIOMMU (issue 16, Deliver 7): IOMMU_VDEVICE_ALLOC (iommufd_vdevice_alloc_ioctl,
 * drivers/iommu/iommufd/viommu.c) and the lookup IOMMU drivers make from their invalidation path
 * (iommufd_viommu_find_dev, drivers/iommu/iommufd/driver.c), for contexts with ContextSpec.viommu
 * (the state is DeviceState.vdevice; docs/kernel-notes.md, section "vDEVICE").
 *
 * Kernel facts (torvalds/linux @ 06449e9fba1e, raspberrypi/linux @ ca9e49e1c893, read; both before
 * the fix): the ioctl takes idev->igroup->lock, refuses a second vDEVICE of the idev (-EEXIST),
 * allocates the object, sets idev->vdev, then `xa_cmpxchg(&viommu->vdevs, virt_id, NULL, vdev)`
 * (the store: from here iommufd_viommu_find_dev, which xa_load()s under the xarray lock only,
 * returns the device), then `viommu->ops->vdevice_init(vdev)`, which may fail
 * (arm_vsmmu_vdevice_init: -EOPNOTSUPP unless the master has exactly one Stream ID), and on any
 * error iommufd_object_abort_and_destroy -> iommufd_vdevice_abort, which xa_cmpxchg()s it out.
 * A lookup between the store and the init returned an uninitialized vDEVICE, and one that a
 * failing init then tore down (arm_vsmmu_vsid_to_sid maps the vSID to master->streams[0]).
 * The fix "iommufd/viommu: Publish a vDEVICE only after vdevice_init() succeeds" (jgg/iommufd
 * for-rc 9be311cfbe61, July 2026; linux-7.1.y e44915b77d38; title read, diff not found [I]) calls vdevice_init first and
 * stores after it succeeded: the current kernel of this file.
 *
 * Simplifications: the vIOMMU exists on a `viommu` context from the start (no
 * IOMMU_VIOMMU_ALLOC); the virtual ID of a device is its slot, so the store never finds the ID
 * taken; the ioctl is two steps of the user's thread (the first one as far as the init or the
 * store, whichever comes first, the second one to the end), because the igroup lock keeps every
 * other vDEVICE call of the device out in between and only the xarray is visible to a lookup;
 * copy_to_user (iommufd_ucmd_respond) never fails.
 */
import { err, errAfter, ok } from '../../kernel/errno.ts';
import { updateDevice, type SystemState, type VdevicePhase } from '../state.ts';
import type { Env, Kernel } from './kernel.ts';

type ViommuFns = Pick<Kernel, 'iommufd_vdevice_alloc_ioctl' | 'iommufd_viommu_find_dev'>;

/** The vDEVICE phase of device slot `dev` ('none' on scenarios without vDEVICEs). */
export const vdeviceOf = (s: SystemState, dev: number): VdevicePhase => s.devices[dev]?.vdevice ?? 'none';

/** `s` with device slot `dev`'s vDEVICE in `phase`. */
export const withVdevice = (s: SystemState, dev: number, phase: VdevicePhase): SystemState => updateDevice(s, dev, { vdevice: phase });

/** The vDEVICE is in viommu->vdevs: iommufd_viommu_find_dev returns its device. */
export const vdeviceStored = (phase: VdevicePhase): boolean => phase === 'stored' || phase === 'live';

/** The ioctl's checks before it allocates (iommufd_get_viommu, iommufd_get_device, idev->vdev), or null. */
function refused(env: Env, s: SystemState, ctx: number, dev: number) {
  if (env.scenario.contexts[ctx]?.viommu !== true) return err('ENOENT', 'the context has no vIOMMU (iommufd_get_viommu)');
  if (s.devices[dev]?.iommufd?.ctx !== ctx) return err('ENOENT', 'the device is not bound to this iommufd (iommufd_get_device)');
  if (vdeviceOf(s, dev) === 'live') return err('EEXIST', 'idev->vdev is set: the device already has a vDEVICE');
  return null;
}

export const iommufdViommu: ViommuFns = {
  /**
   * One step of IOMMU_VDEVICE_ALLOC (viommu.c), as fixed by e44915b77d38: from 'none' it checks,
   * allocates and runs viommu->ops->vdevice_init (`initFails`: the driver's -EOPNOTSUPP, after
   * which iommufd_object_abort_and_destroy leaves nothing behind); from 'initialized' it stores
   * the vDEVICE with xa_cmpxchg and returns ('live'). The vDEVICE is visible only once initialized.
   */
  iommufd_vdevice_alloc_ioctl(env, s, { ctx, dev, initFails }) {
    const no = refused(env, s, ctx, dev);
    if (no) return no;
    if (vdeviceOf(s, dev) === 'initialized') return ok(withVdevice(s, dev, 'live'));
    if (vdeviceOf(s, dev) !== 'none') return err('EINVAL', 'another step of this IOMMU_VDEVICE_ALLOC is due');
    if (initFails) return err('EOPNOTSUPP', 'vdevice_init failed (arm_vsmmu_vdevice_init: the master has more than one Stream ID); the vDEVICE was aborted before it was stored');
    return ok(withVdevice(s, dev, 'initialized'));
  },

  /**
   * iommufd_viommu_find_dev (driver.c), from an IOMMU driver's invalidation path (arm_vsmmu_cache_invalidate
   * -> arm_vsmmu_vsid_to_sid): `xa_load(&viommu->vdevs, vdev_id)` under the xarray lock; the
   * device of whatever vDEVICE is stored, or NULL (the driver then returns -EIO). Changes nothing.
   */
  iommufd_viommu_find_dev(env, s, { ctx, dev }) {
    if (env.scenario.contexts[ctx]?.viommu !== true) return err('ENOENT', 'the context has no vIOMMU');
    if (s.devices[dev]?.iommufd?.ctx !== ctx || !vdeviceStored(vdeviceOf(s, dev))) return err('EIO', 'no vDEVICE with this virtual ID in viommu->vdevs (arm_vsmmu_vsid_to_sid: -EIO)');
    return ok(s);
  },
};

/**
 * The pre-fix order (viommu.c before e44915b77d38), for the variant vdevice-published-before-init:
 * from 'none' the step stores the vDEVICE ('stored'); from 'stored' it runs vdevice_init, and on
 * its failure iommufd_vdevice_abort xa_cmpxchg()s it out again ('none', -EOPNOTSUPP).
 */
export const vdeviceAllocStoreFirst: Kernel['iommufd_vdevice_alloc_ioctl'] = (env, s, { ctx, dev, initFails }) => {
  const no = refused(env, s, ctx, dev);
  if (no) return no;
  const phase = vdeviceOf(s, dev);
  if (phase === 'none') return ok(withVdevice(s, dev, 'stored'));
  if (phase !== 'stored') return err('EINVAL', 'another step of this IOMMU_VDEVICE_ALLOC is due');
  if (initFails) return errAfter('EOPNOTSUPP', 'vdevice_init failed after the store: iommufd_vdevice_abort removed the vDEVICE from viommu->vdevs', withVdevice(s, dev, 'none'));
  return ok(withVdevice(s, dev, 'live'));
};
