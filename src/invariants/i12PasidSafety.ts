import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';

/** I12: PASID DMA never lands on a peer's BAR: no SVA bond where a peer is reachable by P2P. */
export const i12PasidSafety = defineInvariant({
  id: 'I12',
  name: 'PasidSafety',
  description:
    "A device with an active PASID/SVA bond has no present peer (in its group or outside it) it can reach peer-to-peer: switches route PASID TLPs by address, so a process VA equal to the peer's BAR would land there.",
  kernelRef: 'pci_enable_pasid ACS RR+UF check (drivers/pci/ats.c, commit 201007ef707a); iommu_attach_device_pasid (iommu.c)',
  notJudged: (scenario) =>
    scenario.devices.some((d) => d.pasid && d.drivers.some((drv) => isDriverName(drv) && DRIVERS[drv].sva))
      ? null
      : 'no device has both a PASID capability and a driver that binds SVA (idxd): no PASID DMA can start',
  scan: firstReason({
    device(s, a, scenario) {
      const d = s.devices[a]!;
      if (!d.present || !d.sva) return null;
      const peer = scenario.p2p.find(([x, y]) => x === a && y !== a && s.devices[y]?.present);
      if (peer) return `${devName(scenario, a)} has PASID DMA enabled (SVA) and can reach ${devName(scenario, peer[1])}'s BAR peer-to-peer without the IOMMU`;
      // A device of another IOMMU group (Scenario.outsidePeers): the switch routes the PASID TLP to it all the same.
      const outside = scenario.outsidePeers?.find((o) => o.reachedFrom.includes(a));
      return outside
        ? `${devName(scenario, a)} has PASID DMA enabled (SVA) and can reach ${outside.name}'s BAR (outside the group) peer-to-peer without the IOMMU`
        : null;
    },
  }),
});
