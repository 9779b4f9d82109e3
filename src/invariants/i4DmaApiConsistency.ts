import { BLOCKING_DOMAIN, DEFAULT_DOMAIN, privateDomain } from '../kernel/domains.ts';
import { parkedForReset } from '../machines/reset.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, dmaApiBound } from './facts.ts';

/** I4: a DMA-API driver's device is translated by the default domain (or its own private one). */
export const i4DmaApiConsistency = defineInvariant({
  id: 'I4',
  name: 'DmaApiConsistency',
  description: "A device bound to a DMA-API driver is unowned and its hardware uses the default domain or that driver's own private domain.",
  kernelRef: 'iommu_device_use_default_domain (drivers/iommu/iommu.c); Jason Gunthorpe: "asserts the group domain is the DMA API\'s domain"',
  scan: firstReason({
    device(s, i, scenario) {
      const d = s.devices[i]!;
      if (!d.present || !dmaApiBound(d)) return null;
      // During a staged reset the driver's DMA is blocked on purpose (I20 judges the reset).
      if (d.hw === BLOCKING_DOMAIN && parkedForReset(s, scenario, i)) return null;
      if (d.hw !== DEFAULT_DOMAIN && d.hw !== privateDomain(i)) {
        return `${devName(scenario, i)} (${d.driver}) maps through the DMA API into the default domain but its hardware uses ${d.hw}`;
      }
      return null;
    },
  }),
});
