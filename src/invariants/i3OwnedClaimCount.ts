import { defineInvariant } from './defineInvariant.ts';
import { countDevicesPerGroup } from './deviceScan.ts';
import { groupOfDevice, inGroup } from './facts.ts';

/** I3: with an owner, owner_cnt counts its successful claims. */
export const i3OwnedClaimCount = defineInvariant({
  id: 'I3',
  name: 'OwnedClaimCount',
  description: 'owner != NULL => owner_cnt == claims (1 for the VFIO group claim; bound iommufd devices of the owner ctx).',
  kernelRef: 'iommu_device_claim_dma_owner / iommu_device_release_dma_owner (drivers/iommu/iommu.c)',
  scan: countDevicesPerGroup({
    counts(s, i, scenario) {
      const o = groupOfDevice(s, scenario, i).owner;
      const d = s.devices[i]!;
      return o !== null && o !== 'vfio_group' && d.present && !!d.iommufd && `ictx:${d.iommufd.ctx}` === o;
    },
    check(s, gi, n, scenario) {
      const g = s.groups[gi]!;
      const o = g.owner;
      if (o === null) return null;
      const claims = o === 'vfio_group' ? (s.vfio_groups[gi]!.container ? 1 : 0) : n;
      return g.owner_cnt === claims ? null : `owner ${o}${inGroup(scenario, gi)}: owner_cnt is ${g.owner_cnt} but ${claims} claim(s) are held`;
    },
  }),
});
