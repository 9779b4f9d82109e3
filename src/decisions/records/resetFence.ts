/** 0008: the staged-reset fence is per device (blocked, reset_depth) with a group count (recovery_cnt). */
import { SEED_SECURITY_CONTEXT } from '../sources.ts';
import type { CommitSource } from '../types.ts';
import { defineDecision } from '../types.ts';

const COMMIT_RESET_INTRO: CommitSource = {
  id: 'c279e83953d9',
  title: 'iommu: Introduce pci_dev_reset_iommu_prepare/done()',
  note: 'v7.0: one group->resetting_domain pointer; prepare WARNs and returns -EBUSY on re-entry; every domain change, must-succeed included, gets -EBUSY while it is set',
};
const PATCH_REENTRY: CommitSource = {
  id: null,
  title: 'iommu: "Drop the WARN_ON in pci_dev_reset_iommu_prepare() to allow re-entries" (Nicolin Chen, 5 Mar 2026)',
  note: 'posted, not merged: "/* Already prepared */ if (group->resetting_domain) return 0;", so a second reset in the group is not parked',
};
const COMMIT_RESET_BLOCKED: CommitSource = {
  id: 'b296ca1fb43a',
  title: 'iommu: Replace per-group resetting_domain with per-gdev blocked flag',
  note: 'reported by Shuai Xue (cxl_reset_bus_function calls pci_reset_bus_function); lore.kernel.org/all/absKsk7qQOwzhpzv@Asurada-Nvidia/',
};
const COMMIT_RESET_DEPTH: CommitSource = { id: '0d5fd7a9323c', title: 'iommu: Fix nested pci_dev_reset_iommu_prepare/done()' };
const COMMIT_RESET_NOFAIL: CommitSource = {
  id: '5474e6e17a26',
  title: 'iommu: Fix WARN_ON in __iommu_group_set_domain_nofail() due to reset',
  note: 'CVE-2026-52952: must-succeed callers pass the recovery_cnt fence and skip blocked devices',
};
const COMMIT_RESET_ALIAS: CommitSource = { id: '15dd29ca6206', title: 'iommu: Warn on premature unblock during DMA aliased sibling reset', note: 'title only; the diff was not found in the stored sources' };

export const resetFence = defineDecision({
  id: '0008',
  slug: 'reset-fence-per-device-blocking',
  title: 'The reset fence is per device (blocked, reset_depth) with a group recovery_cnt',
  status: 'Accepted',
  question:
    'While a PCI reset method runs, the device\'s requester ID must stay on the blocking domain (no ATS, no DMA into a domain) and the group\'s domain must not change under it. Does one group-wide "resetting" pointer say enough, or must the core track each device and count them?',
  context: [
    '`pci_dev_reset_iommu_prepare` / `_done` (c279e83953d9, v7.0) bracket every reset method of the PCI core (pcie_flr, pci_af_flr, pci_pm_reset, pci_reset_bus_function, cxl_reset_bus_function, pci_dev_acpi_reset, the quirk resets): prepare attaches the device\'s RID and PASIDs to the group\'s blocking domain and keeps `group->domain`; done re-attaches them. The first version kept one `group->resetting_domain` pointer: prepare refused a second entry with a WARN and `-EBUSY`, and every domain change of the group got `-EBUSY` while it was set, must-succeed detaches included. A March 2026 revision let prepare be re-entered ("Already prepared ... return 0") so that a failed reset could leave the device blocked.',
    'Resets are per device while the pointer was per group. Shuai Xue found that cxl_reset_bus_function calls pci_reset_bus_function, both bracketing with prepare/done; Kevin Tian pointed out that quirk resets such as reset_hinic_vf_dev wait for firmware after their inner pcie_flr, so the inner done must not unblock. b296ca1fb43a replaced the pointer with `group_device->blocked` and `group->recovery_cnt` ("it cannot clear group->resetting_domain without iterating over the device list to ensure no other device is being reset"), 0d5fd7a9323c added `reset_depth`, and 5474e6e17a26 let the must-succeed detach and release paths through the fence, skipping blocked devices, because rejecting them left `group->domain` pointing at a domain about to be freed.',
    'The blocking domain is the state a device nobody may trust is put in: "a device under VFIO control should immediately have it\'s IOMMU programmed to block all DMA" (decision 0003). A device in reset is such a device: its ATC and its DMA are not in the OS\'s control until the reset is over.',
  ],
  threads: [SEED_SECURITY_CONTEXT],
  commits: [COMMIT_RESET_INTRO, PATCH_REENTRY, COMMIT_RESET_BLOCKED, COMMIT_RESET_DEPTH, COMMIT_RESET_NOFAIL, COMMIT_RESET_ALIAS],
  decision:
    'Each device of the group carries its own `blocked` flag and `reset_depth`: only the outermost prepare parks the device (and, through the IOMMU driver, every requester ID its DMA aliases share), only the outermost done re-attaches it, to the `group->domain` of that moment. The group counts its blocked devices in `recovery_cnt`; while it is non-zero, attaches, claims and PASID attaches get `-EBUSY`, and must-succeed detaches and releases pass but leave blocked devices on the blocking domain. Not yet checked here: a must-succeed path that attaches the unblocked DMA-alias sibling of a device in reset, which reprograms the shared requester ID (the case 15dd29ca6206 warns about).',
  chosen: {
    variant: 'current',
    as: 'The kernel after b296ca1fb43a, 0d5fd7a9323c and 5474e6e17a26 (7.1, backported to 7.0-stable).',
    expect: { 'pci-reset-staged': 'holds', 'pci-reset-dma-alias': 'holds' },
  },
  alternatives: [
    {
      variant: 'reset-resetting-domain-per-group',
      as: 'One group-wide resetting_domain: a second prepare in the group returns 0 without parking its device, any done clears the pointer for the whole group, and the fence rejects must-succeed paths too.',
      expect: { 'pci-reset-staged': ['WARN', 'I5', 'I10', 'I14', 'I20'], 'pci-reset-dma-alias': ['I20'] },
    },
    {
      variant: 'reset-done-ignores-depth',
      as: 'Per-device blocking without reset_depth: a nested prepare returns 0 and the inner method\'s done unblocks the device while the outer method still resets it.',
      expect: { 'pci-reset-staged': ['I20'], 'pci-reset-dma-alias': ['I20'] },
    },
  ],
  scenarios: ['pci-reset-staged', 'pci-reset-dma-alias'],
  invariants: ['I20', 'WARN', 'I14'],
});
