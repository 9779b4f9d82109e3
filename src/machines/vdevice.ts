/**
 * vDEVICEs (issue 16, Deliver 7): the calls a `viommu` context and its IOMMU driver make on a
 * device bound to the context's iommufd, for src/machines/enumerate.ts. The rules are in the rule
 * table (src/machines/semantics/iommufdViommu.ts).
 *
 * - The user's thread in IOMMU_VDEVICE_ALLOC: a step, offered with both outcomes of the driver's
 *   vdevice_init (the step that does not run the init ignores `initFails`); once the device has
 *   its vDEVICE, a second ioctl (-EEXIST).
 * - The IOMMU driver's invalidation path (IOMMU_VIOMMU_INVALIDATE from another thread of the
 *   VMM -> arm_vsmmu_cache_invalidate -> arm_vsmmu_vsid_to_sid): iommufd_viommu_find_dev of the
 *   device's virtual ID, at any point of the ioctl.
 */
import type { EventBlock } from './enumerate.ts';
import type { IommuEvent } from './events.ts';
import type { SystemState } from './state.ts';

/**
 * Where the vDEVICE of a device is: 'none'; 'initialized' (inside IOMMU_VDEVICE_ALLOC:
 * vdevice_init succeeded, not yet stored); 'stored' (inside the ioctl: in viommu->vdevs,
 * vdevice_init not yet run, the pre-fix order); 'live' (stored and initialized, the ioctl returned).
 */
export type VdevicePhase = 'none' | 'initialized' | 'stored' | 'live';

/** vDEVICEs (issue 16): the per-device field of DeviceState. */
export interface VdeviceDeviceFields {
  /**
   * The device's vDEVICE on its context's vIOMMU (issue 16, helper E; struct iommufd_vdevice,
   * src/machines/semantics/iommufdViommu.ts): 'none' (idev->vdev NULL), or the steps of
   * IOMMU_VDEVICE_ALLOC a lookup can tell apart. Present only in scenarios with a `viommu` context.
   */
  readonly vdevice?: VdevicePhase;
}

const NONE: IommuEvent[] = [];

/** The vDEVICE calls of context `ctx` (with a vIOMMU) on device slot `dev`. */
export function vdeviceBlock(ctx: number, dev: number): EventBlock {
  const events = (s: SystemState): IommuEvent[] => {
    const d = s.devices[dev];
    if (!d?.present || d.iommufd?.ctx !== ctx) return NONE;
    const out: IommuEvent[] = [{ type: 'iommufd_vdevice_alloc_ioctl', ctx, dev }];
    if (d.vdevice !== 'live') out.push({ type: 'iommufd_vdevice_alloc_ioctl', ctx, dev, initFails: 1 });
    out.push({ type: 'iommufd_viommu_find_dev', ctx, dev });
    return out;
  };
  return { slot: dev, events };
}
