/**
 * The manifest (src/scenarios/manifest.json, tlaplus/Examples style): for each built-in scenario
 * and variant, the expected verdict, the invariants that break, and the state-space size. A test
 * fails on any drift; `iommu-mc check --write-manifest` regenerates it for review in git.
 */
import manifestJson from './manifest.json' with { type: 'json' };

export interface ManifestEntry {
  scenario: string;
  variant: string;
  expected: 'holds' | 'violated';
  invariants: string[];
  distinctStates: number;
  transitions: number;
  depth: number;
  /** Why a current-kernel entry is expected to be violated: a known weakness of today's kernel. */
  knownWeakness?: string;
  /** `check --recoverability` finds a stuck state (REC); recorded by `--write-manifest --recoverability`. */
  stuck?: boolean;
}

export interface Manifest {
  kernel: string;
  entries: ManifestEntry[];
}

export const MANIFEST = manifestJson as Manifest;

/** The manifest entry of a built-in job, if any. */
export const manifestEntry = (scenario: string, variant: string): ManifestEntry | undefined =>
  MANIFEST.entries.find((e) => e.scenario === scenario && e.variant === variant);

/** Known weaknesses of today's kernel, shown as traces rather than hidden (kernel-semantics.md W3, W16), and the accepted lazy-invalidation trade-off. */
export const KNOWN_WEAKNESSES: Record<string, string> = {
  'private-domain-hot-add':
    'W3: iommu_attach_device checks the device count only at attach time; a member added later makes iommu_detach_device WARN and skip, and the driver frees a domain the IOMMU still walks.',
  'kernel-attach-group-shared':
    'W16: iommu_attach_group has no device-count or ownership check; a DMA-API group-mate is moved off the default domain.',
  'pci-stub-neighbour':
    'accepted: driver_managed_dma (pci-stub), see seed thread (W12): the user-owned function reaches its pci-stub group-mate\'s BAR peer-to-peer; pci-stub does no DMA, so the kernel keeps it beside a user.',
  'switch-split-mainline':
    'I13 gap of mainline pci_device_group: endpoints below a switch whose downstream ports lack ACS get a group each although they reach each other peer-to-peer (and can forge each other\'s requester IDs); the pending pcie_switch_groups series closes it (switch-split-switch-groups holds).',
  'forged-rid-mainline':
    'mainline pci_device_group splits the endpoints below downstream ports that have ACS RR+CR+UF but no SV (an IDT switch whose SV the kernel cannot enable): a device handed to a VM can forge a host device\'s requester ID, which the IOMMU translates with the host group\'s default domain.',
  'forged-rid-switch-groups':
    'finding on the pending v3 switch-groups rule: under PCIE_SWITCH_DSP_NON_ISOLATED the upstream port stays out of the group below, yet without ACS SV a device below can forge its requester ID (translated with that port\'s default domain; identity under iommu.passthrough).',
  'sriov-vf-to-vm':
    'the I13 gap for SR-IOV: pci_acs_enabled() treats a VF as a single-function device, so mainline gives the VF a group apart from its PF even when the PF has no ACS, and the VF handed to a VM reaches the host PF driver\'s BAR inside the device (sriov-vf-to-vm-acs, with ACS RR on the PF, holds).',
  'dma-api-untrusted-sysfs-fq':
    'finding on the pinned kernel: iommu_group_store_type brings up a flush queue on a DMA default domain ("DMA-FQ" written to /sys/kernel/iommu_groups/G/type, root with CAP_SYS_ADMIN and CAP_SYS_RAWIO) without iommu_get_def_domain_type, so an untrusted device, which boot gave a strict domain, gets the lazy window; store-type-rechecks-untrusted, which refuses it, holds.',
  'dma-api-unmap-lazy':
    'accepted by design: iommu.strict=0 (DMA-FQ, drivers/iommu/dma-iommu.c flush queue) trades a window in which a device can still write an unmapped, freed page for unmap speed; the documented lazy-mode trade-off.',
  // Reserved regions (issue 16, Deliver 3): what the require_direct refusal does not cover.
  'resv-direct-private-domain':
    'I11 gap: __iommu_device_set_domain refuses a require_direct device only the blocking domain; a kernel driver\'s private domain (iommu_attach_device) passes and gets no IOMMU_RESV_DIRECT mappings (iommu_create_device_direct_mappings fills only the default domain).',
  'resv-direct-hot-add-owned':
    'I11 gap: a require_direct device hot-added into a group already on a user domain joins that domain (__iommu_probe_device -> __iommu_device_set_domain refuses only the blocking domain), without its direct mappings; the must-succeed detach then WARNs (-EINVAL).',
  'msi-unsafe-interrupts':
    'accepted by the administrator: allow_unsafe_interrupts (vfio_iommu_type1 and iommufd module parameters, W11) hands a group without isolated MSI to user space; the device\'s DMA write to the MSI doorbell can raise any interrupt of the machine.',
  'ats-vfio-claim-lazy':
    'accepted by design: the iommu.strict=0 window of dma-api-unmap-lazy, here also through the NIC\'s ATC (a translated request before fq_flush_timeout reaches the freed, reused page); the documented lazy-mode trade-off.',
  // VFIO hot reset (issue 16, Deliver 2, helper H).
  'vfio-hot-reset-bus':
    'finding on the pinned kernel: VFIO_DEVICE_PCI_HOT_RESET resets the bus through pci_reset_bus -> __pci_reset_bus / __pci_reset_slot, whose per-device hooks (pci_bus_save_and_disable_locked, pci_bus_restore_locked) do not call pci_dev_reset_iommu_prepare / _done (f5b16b802174 covered only the per-function reset methods), so an ATS-capable member is reset while its RID stays on the user\'s domain (I20). pci_dev_save_and_disable clears Bus Master Enable, so the device itself stops issuing DMA; what is missing is the IOMMU side that the PCIe r6.0 sec. 10.3.1 note asks for and the per-function methods do: ATS disabled and the IOMMU\'s invalidations to the device fenced while it is in reset. hot-reset-stages-iommu, which stages each member, holds.',
  // A PASID attachment in a shared IOMMU group (docs/kernel-notes.md section 21).
  'sva-shared-group-unbind':
    'finding on the pinned kernel: pci_enable_pasid asks ACS RR+UF (drivers/pci/ats.c) while pci_device_group splits functions only with SV+RR+CR+UF (REQ_ACS_FLAGS), and iommu_attach_device_pasid has no group-size check, so a PASID attachment can live in a group with a DMA-API group-mate; unbinding that group-mate\'s driver hits WARN_ON(!xa_empty(&group->pasid_array)) in iommu_device_unuse_default_domain, which skips owner_cnt-- (I2): owner_cnt stays above zero after every driver is gone and iommu_group_claim_dma_owner / iommu_device_claim_dma_owner refuse the group (-EPERM) until reboot. pasid-attach-singleton-group (Aug 2023 proposal) holds.',
};

/** Whether today's kernel breaks an invariant on `scenario` as an accepted trade-off (W12, lazy IOTLB) or as a weakness. */
export const knownWeaknessKind = (scenario: string): 'accepted' | 'weakness' | null =>
  KNOWN_WEAKNESSES[scenario] === undefined ? null : /^accepted\b/.test(KNOWN_WEAKNESSES[scenario]) ? 'accepted' : 'weakness';
