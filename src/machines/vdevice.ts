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
