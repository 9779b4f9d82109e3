import { BLOCKING_DOMAIN, hwptDomain } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';

/** I10: iommufd attaches all devices of a group to one hwpt, and the group follows it. */
export const i10IommufdGroupUniformity = defineInvariant({
  id: 'I10',
  name: 'IommufdGroupUniformity',
  description:
    'All iommufd-attached devices of the group use one hwpt and group->domain is its domain; with none attached an iommufd-owned group is blocked.',
  kernelRef: 'iommufd_hw_pagetable_attach -EINVAL, iommufd_hw_pagetable_detach (drivers/iommu/iommufd/device.c)',
  check(s) {
    const attached = s.devices.filter((d) => d.present && d.iommufd && d.iommufd.hwpt !== null);
    const first = attached[0]?.iommufd;
    if (first && first.hwpt !== null) {
      const other = attached.find((d) => d.iommufd?.ctx !== first.ctx || d.iommufd?.hwpt !== first.hwpt);
      if (other) return `devices of one group are attached to hwpt:${first.ctx}.${first.hwpt} and hwpt:${other.iommufd?.ctx}.${other.iommufd?.hwpt}`;
      const want = hwptDomain(first.ctx, first.hwpt);
      return s.group.domain === want ? null : `devices are attached to ${want} but group->domain is ${s.group.domain}`;
    }
    if (s.group.owner?.startsWith('ictx:') && s.group.domain !== BLOCKING_DOMAIN) {
      return `owned by ${s.group.owner} with no device attached but group->domain is ${s.group.domain}`;
    }
    return null;
  },
});
