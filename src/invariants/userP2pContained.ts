import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import { devName, managedDriver, ownerContext, userOf } from './facts.ts';
import { scenarioGroups } from '../machines/scenario.ts';
import { groupOf } from '../machines/state.ts';

/**
 * P2P: a device a user context can access reaches no present peer's MMIO BAR peer-to-peer (the
 * ownership half of I13), unless the peer is the user's too. The peers a user-owned group can
 * still hold are driverless or vfio-pci ones (the owner's by group ownership) and ones bound to a
 * driver_managed_dma kernel driver that is not a user device (pci-stub, pcieport): the second is
 * the documented, accepted exposure of the seed thread (kernel-semantics.md W12), and the reason
 * names it as such, so it is never an anonymous violation.
 */
export const userP2pContained = defineInvariant({
  id: 'P2P',
  name: 'UserP2pContained',
  description:
    "A user-accessible device cannot reach, peer-to-peer past the IOMMU, the BAR of a present peer held by the kernel or another context, in its own IOMMU group or any other (accepted exception: a driver_managed_dma peer, W12).",
  kernelRef: 'pci_device_group + __iommu_take_dma_ownership (drivers/iommu/iommu.c); driver_managed_dma (include/linux/pci.h, drivers/pci/pci-stub.c); kernel-semantics.md I13, W12',
  notJudged: (scenario) =>
    scenario.topology === null ? 'the scenario names no topology: there are no PCIe routes to judge peer-to-peer reach on (add `topology:`)' : null,
  scan: firstReason({
    device(s, a, scenario) {
      // Only scenarios whose p2p pairs come from a topology (the hardware model gives the route
      // the report prints); hand-written p2p lists (e.g. the engine's scaling series) are not judged.
      if (scenario.topology === null) return null;
      const da = s.devices[a]!;
      const u = da.present ? userOf(da) : null;
      if (u === null) return null;
      const who = `${devName(scenario, a)} (ctx${u})`;
      for (const [x, b] of scenario.p2p) {
        const db = s.devices[b];
        if (x !== a || !db?.present) continue;
        const peerUser = userOf(db);
        // The group's owner holds a driverless peer, or one bound to vfio-pci and not yet opened:
        // the user's own when the peer is in its group, or in another group the same context owns.
        const gb = groupOf(scenario, b);
        const sameOwner = gb === groupOf(scenario, a) || ownerContext(s, gb) === u;
        const ownersToo = sameOwner && peerUser === null && (!db.driver || (isDriverName(db.driver) && DRIVERS[db.driver].vfio));
        if (peerUser === u || ownersToo) continue;
        const peer = devName(scenario, b);
        if (gb !== groupOf(scenario, a) && peerUser === null && !db.driver) {
          return `${who} can reach ${peer}'s BAR peer-to-peer without the IOMMU; ${peer} is in another IOMMU group (${scenarioGroups(scenario)[gb]?.name ?? gb}), not owned by ctx${u}`;
        }
        if (managedDriver(db) && peerUser === null) {
          return `accepted exception driver_managed_dma (${db.driver}): ${who} can reach ${peer}'s BAR peer-to-peer without the IOMMU; ${peer} is bound to ${db.driver}, which does no DMA (W12, seed thread)`;
        }
        return `${who} can reach ${peer}'s BAR peer-to-peer without the IOMMU, and ${peer} is held by ${peerUser === null ? db.driver : `ctx${peerUser}`}`;
      }
      // A device of another IOMMU group (Scenario.outsidePeers) is never the user's: the grouping
      // put it elsewhere although the fabric routes to it (the I13 gap below non-ACS switch ports).
      const outside = scenario.outsidePeers?.find((o) => o.reachedFrom.includes(a));
      return outside ? `${who} can reach ${outside.name}'s BAR (outside the group, another IOMMU group) peer-to-peer without the IOMMU` : null;
    },
  }),
});
