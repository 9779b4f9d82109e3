import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, dmaApiBound, groupOfDevice } from './facts.ts';

/** I1: an owned group has no device bound to a DMA-API driver. */
export const i1OwnershipExclusivity = defineInvariant({
  id: 'I1',
  name: 'OwnershipExclusivity',
  description: 'owner != NULL => every device of the group is driverless or driver_managed_dma.',
  kernelRef: 'iommu_device_use_default_domain -EBUSY, iommu_*_claim_dma_owner -EPERM (drivers/iommu/iommu.c)',
  scan: firstReason({
    device(s, i, scenario) {
      const g = groupOfDevice(s, scenario, i);
      if (g.owner === null) return null;
      const d = s.devices[i]!;
      return d.present && dmaApiBound(d) ? `group owned by ${g.owner} while ${devName(scenario, i)} is bound to DMA-API driver ${d.driver}` : null;
    },
  }),
});
