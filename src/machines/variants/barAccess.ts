/**
 * BAR-access variants (issue 16, Deliver 6): vfio-pci without one of the three guards that
 * "vfio-pci: Invalidate mmaps and block MMIO access on disabled memory" (Alex Williamson, v5.8,
 * CVE-2020-12888) put around a user's BAR mmap, each breaking BAR (BarDecodeOn) on vfio-bar-mmap.
 * They run by default only on that scenario (Variant.scenarios).
 */
import { ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import { updateDevice } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

const BAR_SCENARIOS = ['vfio-bar-mmap'];
const FIX = '"vfio-pci: Invalidate mmaps and block MMIO access on disabled memory" (Alex Williamson, v5.8, CVE-2020-12888)';

/** (a) A PCI_COMMAND write clearing memory decode only takes memory_lock: the user's PTEs survive. */
export const configWriteWithoutZap = defineVariant({
  name: 'config-write-without-zap',
  kind: 'seeded',
  description:
    'vfio_basic_config_write clears PCI_COMMAND_MEMORY under memory_lock but without vfio_pci_zap_bars: PTEs the user faulted in while decode was on stay, and its next load or store reaches a BAR that no longer decodes.',
  source: `seeded: the zap on decode-off that ${FIX} added`,
  breaks: ['BAR'],
  showcase: 'vfio-bar-mmap',
  scenarios: BAR_SCENARIOS,
  overrides: {
    // down_write(&vdev->memory_lock) whatever the new value: no zap.
    vfio_basic_config_write: (_env, s, a) => ok(updateDevice(s, a.dev, { command_memory: a.memory })),
  },
});

/** (b) VFIO_DEVICE_RESET takes memory_lock without zapping: an access through an old PTE lands in the reset. */
export const resetWithoutZap = defineVariant({
  name: 'reset-without-zap',
  kind: 'seeded',
  description:
    'vfio_pci_ioctl_reset takes memory_lock with a plain down_write instead of vfio_pci_zap_and_down_write_memory_lock: the lock stops new faults, but a PTE the user already has lets its loads and stores reach the device while pci_try_reset_function resets it.',
  source: `seeded: the zap before the reset that ${FIX} added to VFIO_DEVICE_RESET`,
  breaks: ['BAR'],
  showcase: 'vfio-bar-mmap',
  scenarios: BAR_SCENARIOS,
  overrides: {
    vfio_pci_ioctl_reset(env, s, a) {
      // The current kernel's ioctl with a zap that drops nothing.
      return currentKernel.vfio_pci_ioctl_reset({ ...env, k: { ...env.k, vfio_pci_zap_and_down_write_memory_lock: (_env, s1) => ok(s1) } }, s, a);
    },
  },
});

/** (c) The fault handler inserts the PFN without asking __vfio_pci_memory_enabled. */
export const faultIgnoresDecode = defineVariant({
  name: 'fault-ignores-decode',
  kind: 'seeded',
  description:
    'vfio_pci_mmap_huge_fault inserts the BAR\'s PFN without the __vfio_pci_memory_enabled test (no VM_FAULT_SIGBUS): after the user cleared memory decode, a fault re-populates the PTE the zap removed.',
  source: `seeded: the SIGBUS on a fault with decode off that ${FIX} added (now in vfio_pci_vmf_insert_pfn)`,
  breaks: ['BAR'],
  showcase: 'vfio-bar-mmap',
  scenarios: BAR_SCENARIOS,
  overrides: {
    vfio_pci_mmap_huge_fault(env, s, a) {
      return currentKernel.vfio_pci_mmap_huge_fault({ ...env, k: { ...env.k, __vfio_pci_memory_enabled: (_env, s1) => ok(s1) } }, s, a);
    },
  },
});

export const BAR_VARIANTS = [configWriteWithoutZap, resetWithoutZap, faultIgnoresDecode];

/** (d) DMABUF exports are never revoked: the IOAS keeps translating to the BAR while it does not decode. */
export const dmaBufRevokeSkipped = defineVariant({
  name: 'dma-buf-revoke-skipped',
  kind: 'seeded',
  description:
    'vfio_pci_dma_buf_move does nothing: a DMABUF export of a BAR stays mapped in the user\'s IOAS when memory decode is cleared or the device is reset, so a peer\'s DMA through the IOMMU reaches a BAR that does not decode.',
  source: 'seeded: the revoke that 5d74781ebc86 ("vfio/pci: Add dma-buf export support for MMIO regions", Leon Romanovsky, 2025) puts beside every zap',
  breaks: ['BAR'],
  showcase: 'vfio-bar-dmabuf',
  scenarios: ['vfio-bar-dmabuf'],
  overrides: {
    vfio_pci_dma_buf_move: (_env, s) => ok(s),
  },
});

export const BAR_DMABUF_VARIANTS = [dmaBufRevokeSkipped];
