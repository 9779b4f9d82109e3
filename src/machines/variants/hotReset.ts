/**
 * VFIO hot reset variants (issue 16, Deliver 2, helper H): the ownership proof of
 * VFIO_DEVICE_PCI_HOT_RESET taken away (breaks RESET-OWNED), and the proposed fix of the pinned
 * kernel's I20 finding (pci_reset_bus stages the IOMMU like the per-function reset methods). They
 * run by default only on the hot-reset scenario (Variant.scenarios).
 */
import { ok } from '../../kernel/errno.ts';
import { resetMethodBegins, resetMethodEnds } from '../reset.ts';
import { defineVariant } from './defineVariant.ts';

export const HOT_RESET_SCENARIOS = ['vfio-hot-reset-bus'];

/** (a) No ownership proof: every dev_set member counts as owned, on both paths. */
export const hotResetWithoutOwnershipProof = defineVariant({
  name: 'hot-reset-without-ownership-proof',
  kind: 'seeded',
  description:
    'vfio_pci_dev_set_hot_reset skips the owned test (vfio_dev_in_groups / vfio_iommufd_get_dev_id): a user holding one function of a bus resets every vfio-pci function on it, including those another context owns.',
  source: 'seeded: the ownership proof of VFIO_DEVICE_PCI_HOT_RESET (group fds since v3.12, "vfio-pci: PCI hot reset interface"; the iommufd-ctx proof of v6.6, "vfio/pci: Allow passing zero-length fd array in VFIO_DEVICE_PCI_HOT_RESET")',
  breaks: ['RESET-OWNED'],
  showcase: 'vfio-hot-reset-bus',
  scenarios: HOT_RESET_SCENARIOS,
  overrides: {
    vfio_dev_in_groups: (_env, s) => ok(s),
    vfio_iommufd_get_dev_id: (_env, s) => ok(s),
  },
});

/** (b) Proposed: the bus path stages the IOMMU per member, as pci_reset_bus_function does. */
export const hotResetStagesIommu = defineVariant({
  name: 'hot-reset-stages-iommu',
  kind: 'proposed',
  description:
    'pci_bus_save_and_disable_locked / pci_bus_restore_locked call pci_dev_reset_iommu_prepare / _done for every device of the bus, as the per-function reset methods do since f5b16b802174: each member of a VFIO hot reset is parked on the blocking domain (ATS off) while the secondary bus reset runs.',
  source: 'proposed (no patch found, docs/kernel-notes.md "Hot reset"): extend f5b16b802174 ("PCI: Suspend iommu function prior to resetting a device") to __pci_reset_bus / __pci_reset_slot',
  breaks: [],
  showcase: 'vfio-hot-reset-bus',
  scenarios: HOT_RESET_SCENARIOS,
  overrides: {
    pci_bus_save_and_disable_locked: (env, s, { dev }) => resetMethodBegins(env, s, dev),
    pci_bus_restore_locked: (env, s, { dev }) => resetMethodEnds(env, s, dev),
  },
});

export const HOT_RESET_VARIANTS = [hotResetWithoutOwnershipProof, hotResetStagesIommu];
