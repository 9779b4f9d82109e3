import type { IommuEvent } from '../machines/events.ts';
import { busSlots, devSetSlots, hotResetActors } from '../machines/hotReset.ts';
import type { Scenario } from '../machines/scenario.ts';
import { groupOf, ictxOwner, type SystemState } from '../machines/state.ts';
import { defineInvariant } from './defineInvariant.ts';
import { devName } from './facts.ts';

/** Context `ctx` owns device slot `j`'s IOMMU group (iommufd: group->owner is its ictx) or holds its VFIO group file. */
function ownedBy(prev: SystemState, scenario: Scenario, ctx: number, j: number): boolean {
  const g = groupOf(scenario, j);
  return prev.groups[g]?.owner === ictxOwner(ctx) || prev.vfio_groups[g]?.opened_by === ctx;
}

/**
 * RESET-OWNED: a VFIO_DEVICE_PCI_HOT_RESET puts in reset only devices whose IOMMU group the
 * calling context owns (bound to its iommufd) or whose VFIO group file it holds. Judged on the
 * ioctl (a step): every device the call newly put in reset in `next`.
 */
export const hotResetOwned = defineInvariant({
  id: 'RESET-OWNED',
  name: 'HotResetTouchesOnlyOwned',
  description:
    'A VFIO hot reset resets only devices of groups the calling context owns (iommufd) or holds the VFIO group file of: no user resets a device another context or the host holds.',
  kernelRef:
    'vfio_pci_dev_set_hot_reset, vfio_pci_ioctl_pci_hot_reset_groups (drivers/vfio/pci/vfio_pci_core.c), vfio_file_has_dev (drivers/vfio/group.c), vfio_iommufd_get_dev_id (drivers/vfio/iommufd.c), iommufd_ctx_has_group (drivers/iommu/iommufd/device.c)',
  step(prev: SystemState, event: IommuEvent, next: SystemState, scenario: Scenario) {
    if (event.type !== 'vfio_pci_ioctl_pci_hot_reset') return null;
    const ctx = event.ctx;
    for (let j = 0; j < next.devices.length; j++) {
      if (next.devices[j]?.hot_reset !== ctx || prev.devices[j]?.hot_reset === ctx) continue;
      if (ownedBy(prev, scenario, ctx, j)) continue;
      const holder = prev.groups[groupOf(scenario, j)]?.owner ?? null;
      const who = holder === null ? 'nobody owns its group' : `its group is owned by ${holder}`;
      return `${scenario.contexts[ctx]?.name ?? ctx}'s VFIO_DEVICE_PCI_HOT_RESET through ${devName(scenario, event.dev)} resets ${devName(scenario, j)}, whose group it neither owns nor holds the group file of (${who})`;
    }
    return null;
  },
  notJudged(scenario) {
    if (!scenario.devices.some((d) => d.hotReset === true)) return 'no device of the scenario has hotReset: no VFIO_DEVICE_PCI_HOT_RESET';
    const actors = hotResetActors(scenario);
    if (actors.length === 0) return 'no context may take a hotReset device';
    if (actors.every(({ dev }) => devSetSlots(scenario, dev).length === 1 && busSlots(scenario, dev).length === 1)) return "every hotReset device is alone on its bus: a hot reset touches only the caller's own device";
    return null;
  },
});
