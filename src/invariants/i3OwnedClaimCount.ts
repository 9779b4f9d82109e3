import { defineInvariant } from './defineInvariant.ts';
import { countDevices } from './deviceScan.ts';

/** I3: with an owner, owner_cnt counts its successful claims. */
export const i3OwnedClaimCount = defineInvariant({
  id: 'I3',
  name: 'OwnedClaimCount',
  description: 'owner != NULL => owner_cnt == claims (1 for the VFIO group claim; bound iommufd devices of the owner ctx).',
  kernelRef: 'iommu_device_claim_dma_owner / iommu_device_release_dma_owner (drivers/iommu/iommu.c)',
  scan: countDevices({
    counts(s, i) {
      const o = s.group.owner;
      const d = s.devices[i]!;
      return o !== null && o !== 'vfio_group' && d.present && !!d.iommufd && `ictx:${d.iommufd.ctx}` === o;
    },
    check(s, n) {
      const o = s.group.owner;
      if (o === null) return null;
      const claims = o === 'vfio_group' ? (s.vfio_group.container ? 1 : 0) : n;
      return s.group.owner_cnt === claims ? null : `owner ${o}: owner_cnt is ${s.group.owner_cnt} but ${claims} claim(s) are held`;
    },
  }),
});
