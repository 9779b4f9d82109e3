import { barActors, barDeviceInReset, p2pInitiator } from '../machines/barAccess.ts';
import type { IommuEvent } from '../machines/events.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { defineInvariant } from './defineInvariant.ts';
import { devName } from './facts.ts';

/** Why the user's access to `dev`'s BAR in `prev` reaches a BAR that must not be touched, or null. */
function reason(prev: SystemState, scenario: Scenario, dev: number, how: string): string | null {
  const d = prev.devices[dev];
  if (!d) return null;
  if (d.memory_lock === true) return `${how} reaches ${devName(scenario, dev)}'s BAR while VFIO_DEVICE_RESET resets the device (memory_lock held for write, decode off in the device): the PTE survived the reset's zap`;
  if (barDeviceInReset(prev, dev)) return `${how} reaches ${devName(scenario, dev)}'s BAR while a reset method of the PCI core resets the device`;
  if (d.command_memory === false) return `${how} reaches ${devName(scenario, dev)}'s BAR with memory decode off (PCI_COMMAND_MEMORY clear): the access the zap or the -EIO check exists to stop (an Unsupported Request, on some platforms a machine check)`;
  return null;
}

/**
 * BAR: no user CPU access -- a load or store through a populated PTE of a BAR mmap
 * (user_bar_access), or a write() on the BAR region that the kernel let through
 * (vfio_pci_core_iowrite) -- reaches a BAR whose memory decode is off or whose device is being
 * reset; nor does a peer's DMA through the IOMMU to a DMABUF export of the BAR mapped in the
 * user's IOAS (p2p_dma_to_bar: the same rule for device access, kept by revoking the export).
 * Judged on the access itself (a step), in the state it starts from.
 */
export const barDecodeOn = defineInvariant({
  id: 'BAR',
  name: 'BarDecodeOn',
  description:
    'No user CPU access (a load or store through a BAR mmap, or write() on a BAR region), and no peer DMA through the IOMMU to an exported BAR (DMABUF), reaches a BAR whose memory decode is off or whose device is in reset.',
  kernelRef:
    'vfio_pci_zap_bars / vfio_pci_zap_and_down_write_memory_lock, vfio_pci_mmap_huge_fault, vfio_pci_ioctl_reset (drivers/vfio/pci/vfio_pci_core.c), vfio_basic_config_write, __vfio_pci_memory_enabled (vfio_pci_config.c), vfio_pci_core_iowrite (vfio_pci_rdwr.c), vfio_pci_dma_buf_move (vfio_pci_dmabuf.c); "vfio-pci: Invalidate mmaps and block MMIO access on disabled memory" (CVE-2020-12888)',
  step(prev: SystemState, event: IommuEvent, _next: SystemState, scenario: Scenario) {
    if (event.type === 'user_bar_access') return reason(prev, scenario, event.dev, "the user's load/store through its BAR mmap");
    if (event.type === 'vfio_pci_core_iowrite') return reason(prev, scenario, event.dev, "the user's write() on the BAR region");
    if (event.type === 'p2p_dma_to_bar') {
      const j = p2pInitiator(prev, event.ctx, event.dev);
      return reason(prev, scenario, event.dev, `${j === null ? 'a peer' : devName(scenario, j)}'s DMA through the IOMMU to the IOAS mapping of the exported BAR`);
    }
    return null;
  },
  notJudged(scenario) {
    if (!scenario.devices.some((d) => d.barMmap === true)) return 'no device of the scenario has barMmap: no user maps a BAR';
    if (barActors(scenario).length === 0) return 'no context may take a barMmap device';
    return null;
  },
});
