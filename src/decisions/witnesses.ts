/** Situations the records show as traces although no invariant forbids them. */
import { DRIVERS, isDriverName } from '../kernel/drivers.ts';
import { devName, userOf } from '../invariants/facts.ts';
import type { Witness } from './types.ts';

/**
 * W12 (kernel-semantics.md section 6): a user-accessible device can reach, by P2P inside the
 * group, the MMIO of a group-mate that a kernel driver keeps because it is driver_managed_dma.
 */
export const stubExposure: Witness = {
  id: 'W12',
  title: 'P2P exposure of a driver_managed_dma group-mate',
  scenario: 'pci-stub-neighbour',
  description: 'a user holds a device while a group-mate stays bound to pci-stub, and the fabric routes the user device\'s DMA to that group-mate\'s BARs without the IOMMU',
  find(s, scenario) {
    for (const [a, b] of scenario.p2p) {
      const user = userOf(s.devices[a]!);
      const peer = s.devices[b]!;
      if (user === null || !peer.present || !peer.driver || !isDriverName(peer.driver)) continue;
      const drv = DRIVERS[peer.driver];
      if (drv.driverManagedDma && !drv.vfio) {
        return `${scenario.contexts[user]?.name ?? `ctx${user}`} holds ${devName(scenario, a)}, which reaches ${devName(scenario, b)} (${peer.driver}) by P2P`;
      }
    }
    return null;
  },
};

/**
 * The implicit effect on group-mates (David Gibson, seed 004): attaching one device of a group to
 * a hwpt changes the DMA of a bound group-mate its user never attached.
 */
export const groupMateFollowsHwpt: Witness = {
  id: 'group-mate',
  title: 'a bound, never-attached group-mate follows another device\'s hwpt',
  scenario: 'iommufd-two-contexts',
  description: 'one device is attached to a hwpt, and a group-mate that is bound but not attached is translated by that same hwpt',
  find(s, scenario) {
    for (let a = 0; a < s.devices.length; a++) {
      const da = s.devices[a]!;
      if (da.iommufd?.hwpt == null) continue;
      for (let b = 0; b < s.devices.length; b++) {
        const db = s.devices[b]!;
        if (b !== a && db.iommufd && db.iommufd.hwpt === null && db.hw !== null && db.hw === da.hw) {
          return `${devName(scenario, b)} is bound but not attached, yet translated by ${db.hw}, which ${devName(scenario, a)} was attached to`;
        }
      }
    }
    return null;
  },
};
