import { BLOCKING_DOMAIN, hwptDomain } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import type { DeviceScan } from './deviceScan.ts';

/** I10: iommufd attaches all devices of a group to one hwpt, and the group follows it. */
export const i10IommufdGroupUniformity = defineInvariant({
  id: 'I10',
  name: 'IommufdGroupUniformity',
  description:
    'All iommufd-attached devices of the group use one hwpt and group->domain is its domain; with none attached an iommufd-owned group is blocked.',
  kernelRef: 'iommufd_hw_pagetable_attach -EINVAL, iommufd_hw_pagetable_detach (drivers/iommu/iommufd/device.c)',
  scan: {
    // The accumulator: null, or [ctx, hwpt] of the first attached device, then [.., ctx, hwpt]
    // of the first attached device on another hwpt.
    start: () => null,
    device(acc, s, i) {
      const b = s.devices[i]!.present ? s.devices[i]!.iommufd : null;
      if (!b || b.hwpt === null || (acc !== null && acc.length === 4)) return acc;
      if (acc === null) return [b.ctx, b.hwpt];
      return b.ctx !== acc[0] || b.hwpt !== acc[1] ? [acc[0]!, acc[1]!, b.ctx, b.hwpt] : acc;
    },
    end(acc, s) {
      if (acc !== null) {
        if (acc.length === 4) return `devices of one group are attached to hwpt:${acc[0]}.${acc[1]} and hwpt:${acc[2]}.${acc[3]}`;
        const want = hwptDomain(acc[0]!, acc[1]!);
        return s.group.domain === want ? null : `devices are attached to ${want} but group->domain is ${s.group.domain}`;
      }
      if (s.group.owner?.startsWith('ictx:') && s.group.domain !== BLOCKING_DOMAIN) {
        return `owned by ${s.group.owner} with no device attached but group->domain is ${s.group.domain}`;
      }
      return null;
    },
  } satisfies DeviceScan<readonly number[] | null>,
});
