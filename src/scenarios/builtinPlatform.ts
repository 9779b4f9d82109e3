/**
 * The built-in scenarios of issue 16 (lifetimes and platform rules): staged and VFIO resets,
 * vDEVICEs, fault queues, reserved regions, interrupts, BAR access, cache coherency and
 * reserved IOVAs. Each exercises one rule, runs by default only the variants of that rule, and
 * joins the suite after the ownership and translation scenarios (src/scenarios/builtin.ts).
 */
import type { Scenario } from '../machines/scenario.ts';
import { allPairs, ctx, dev } from './scenarioSpecs.ts';

/** The variants the staged-reset scenarios are checked against: the kernel and the reset designs (src/machines/variants/reset.ts). */
const RESET_SCENARIO_VARIANTS = ['current', 'reset-done-ignores-depth', 'reset-alias-sibling-unblocked', 'reset-resetting-domain-per-group'];

/** The issue-16 scenarios as written (src/scenarios/builtin.ts re-derives the facts of those naming a topology). */
export const PLATFORM_SCENARIOS: readonly Scenario[] = [
  // Staged resets (issue 16): reset methods begin and end between any two calls.
  {
    name: 'pci-reset-staged',
    description:
      'Two functions of one ATS-capable device in one IOMMU group, both resettable (VFIO_DEVICE_RESET -> pci_reset_function, up to two nested reset methods as cxl_reset_bus_function does) and taken by an iommufd user (issue 16): pci_dev_reset_iommu_prepare parks the function\'s RID on the blocking domain and counts it in group->recovery_cnt, attaches and claims get -EBUSY until the last done, must-succeed detaches and releases pass but skip the blocked function, and only the outermost done re-attaches it to the group\'s domain of that moment.',
    devices: [dev('03:00.0', ['vfio-pci'], { ats: true, resettable: true }), dev('03:00.1', ['vfio-pci'], { ats: true, resettable: true })],
    contexts: [ctx('vm', ['iommufd'], 1)],
    hotplug: false,
    p2p: [],
    topology: null,
    variants: RESET_SCENARIO_VARIANTS,
  },
  {
    name: 'iommufd-hwpt-destroy',
    description:
      'Two vfio-pci functions of one group bound to one iommufd context that allocates and destroys its hwpts (issue 16, domain lifetimes): IOMMU_DESTROY of an hwpt a device is attached to gets -EBUSY (iommufd_object_remove: obj->users), attaching to an hwpt not allocated gets -ENOENT, and closing the iommufd destroys the hwpts only once the last bound device unbound (each bound VFIO cdev holds a reference on the iommufd file), so no group or device is left on a freed domain (I17).',
    devices: [dev('01:00.0', ['vfio-pci']), dev('01:00.1', ['vfio-pci'])],
    contexts: [{ ...ctx('vmm', ['iommufd'], 2), hwptLifetime: true }],
    hotplug: false,
    p2p: allPairs(2),
    topology: null,
    symmetry: [['01:00.0', '01:00.1']],
    variants: ['current', 'iommufd-destroy-ignores-users', 'iommufd-release-ignores-device-refs'],
  },
  // vDEVICEs (issue 16, Deliver 7): IOMMU_VDEVICE_ALLOC against the IOMMU driver's lookups, VDEVICE.
  {
    name: 'iommufd-vdevice',
    description:
      'A VMM with a vIOMMU on its iommufd (issue 16, vDEVICEs) binds two vfio-pci functions and gives each a vDEVICE (IOMMU_VDEVICE_ALLOC) while another of its threads has the IOMMU driver translate virtual IDs (IOMMU_VIOMMU_INVALIDATE -> iommufd_viommu_find_dev). vdevice_init may fail (arm_vsmmu_vdevice_init: more than one Stream ID); the kernel stores a vDEVICE in viommu->vdevs only after its init succeeded, so no lookup returns one that is not initialized (VDEVICE).',
    devices: [dev('01:00.0', ['vfio-pci']), dev('01:00.1', ['vfio-pci'])],
    contexts: [{ ...ctx('vmm', ['iommufd']), viommu: true }],
    hotplug: false,
    p2p: allPairs(2),
    topology: null,
    symmetry: [['01:00.0', '01:00.1']],
    variants: ['current', 'vdevice-published-before-init'],
  },
  // Fault queues across an hwpt replace (issue 16, Deliver 1): FAULTQ.
  {
    name: 'iommufd-fault-replace',
    description:
      'A VMM attaches a PRI-capable vfio-pci function to one of two fault-capable hwpts of its iommufd (issue 16, fault queues): the device\'s page request is queued on the fault queue of the hwpt its group is attached to (iommufd_fault_iopf_handler), and the VMM answers it, or replaces the hwpt first. The replace auto-responds what the old hwpt\'s queue holds for the group (iommufd_auto_response_faults(old, old_handle)), so no request stays pending on an hwpt the group left (FAULTQ).',
    devices: [dev('01:00.0', ['vfio-pci'])],
    contexts: [{ ...ctx('vmm', ['iommufd'], 2), faultHwpts: true }],
    hotplug: false,
    p2p: [],
    topology: null,
    variants: ['current', 'fault-auto-response-new-hwpt'],
  },
  {
    name: 'pci-reset-dma-alias',
    description:
      'An ATS-capable NIC whose second function shares its requester ID (a DMA alias quirk), both on host DMA-API drivers (issue 16): resetting the NIC parks the shared context entry on the blocking domain, so the alias function\'s DMA is fenced too until the NIC\'s reset is done.',
    devices: [dev('06:00.0', ['e1000e'], { ats: true, resettable: true }), dev('06:00.1', ['e1000e'], { dmaAlias: 0 })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: null,
    variants: RESET_SCENARIO_VARIANTS,
  },
  // Reserved regions (issue 16, Deliver 3): devices with IOMMU_RESV_DIRECT regions (require_direct), I11.
  {
    name: 'resv-direct-vfio-claim',
    description:
      'Reserved regions (issue 16): below an ACS switch (one group per endpoint), a NIC whose firmware keeps DMAing to an RMRR (IOMMU_RESV_DIRECT, a BMC side band: require_direct) and a USB controller with a relaxable RMRR (IOMMU_RESV_DIRECT_RELAXABLE). A VMM may claim both through VFIO or iommufd: the kernel refuses the blocking domain for the NIC (__iommu_device_set_domain: -EINVAL), so its group is never owned and the NIC keeps its 1:1 mappings (I11), while the USB controller\'s group is claimed and attached.',
    devices: [dev('03:00.0', ['e1000e', 'vfio-pci'], { requireDirect: true }), dev('04:00.0', ['vfio-pci'], { directRelaxable: true })],
    contexts: [ctx('vmm', ['vfio-group', 'iommufd'])],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
    variants: ['current', 'require-direct-not-refused'],
  },
  {
    name: 'resv-direct-private-domain',
    description:
      'Known weakness of reserved regions (issue 16): a display engine whose IOMMU_RESV_DIRECT region covers the boot framebuffer it still scans out (require_direct) is bound to a driver that attaches its own paging domain (iommu_attach_device). __iommu_device_set_domain refuses only blocking domains, and the private domain gets no direct mappings (iommu_create_device_direct_mappings fills only the default domain): the firmware-set-up DMA faults (I11).',
    devices: [dev('00:02.0', ['drm-msm'], { requireDirect: true })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: null,
    variants: ['current'],
  },
  {
    name: 'resv-direct-hot-add-owned',
    description:
      'Known weakness of reserved regions (issue 16): a function with IOMMU_RESV_DIRECT regions (require_direct) is hot-added into a group a VFIO user owns. On the blocking domain __iommu_probe_device refuses it (-EINVAL), but once the user\'s container domain is attached it joins that domain, which lacks its 1:1 mappings (I11); detaching the container then cannot move it to the blocking domain (must-succeed -EINVAL: WARN).',
    devices: [dev('01:00.0', ['vfio-pci']), dev('01:00.1', ['e1000e'], { requireDirect: true, present: false })],
    contexts: [ctx('qemu', ['vfio-group'])],
    hotplug: true,
    p2p: allPairs(2),
    topology: null,
    variants: ['current'],
  },
  // Interrupts (issue 16, Deliver 4): MSI without interrupt remapping, invariant MSI.
  {
    name: 'msi-no-remapping',
    description:
      'Interrupts (issue 16): a vfio-pci function on a machine without interrupt remapping (platform irqRemapping: false), which a VMM may take through the VFIO container or its VFIO cdev and iommufd. Its DMA write to the MSI doorbell could raise any interrupt of the machine, so VFIO_SET_IOMMU (vfio_iommu_type1_attach_group) and VFIO_DEVICE_BIND_IOMMUFD (iommufd_device_bind) refuse it with -EPERM (iommu_group_has_isolated_msi, allow_unsafe_interrupts off): no device fd, no binding, no doorbell write (MSI).',
    devices: [dev('01:00.0', ['vfio-pci'], { msi: true })],
    // The refusal is the point: the report checks that the VMM never gets the device under current.
    contexts: [{ ...ctx('vmm', ['vfio-group', 'iommufd']), expectRefused: true }],
    hotplug: false,
    p2p: [],
    topology: null,
    platform: { irqRemapping: false },
    variants: ['current', 'isolated-msi-not-checked', 'iommufd-bind-skips-msi-check'],
  },
  {
    name: 'msi-unsafe-interrupts',
    description:
      'Accepted trade-off of interrupts (issue 16): the machine of msi-no-remapping with allow_unsafe_interrupts set (vfio_iommu_type1 and iommufd module parameters): both user paths accept the group (iommufd with a dev_warn, not a WARN_ON), and the VMM\'s device can write the MSI doorbell and raise any interrupt of the machine (MSI), as the administrator accepted.',
    devices: [dev('01:00.0', ['vfio-pci'], { msi: true })],
    contexts: [ctx('vmm', ['vfio-group', 'iommufd'])],
    hotplug: false,
    p2p: [],
    topology: null,
    platform: { irqRemapping: false, allowUnsafeInterrupts: true },
    variants: ['current'],
  },
  // BAR access (issue 16, Deliver 6): a user's BAR mmap against decode-off and VFIO_DEVICE_RESET, BAR.
  {
    name: 'vfio-bar-mmap',
    description:
      'A VMM opens a vfio-pci NIC through its VFIO group or binds it to its iommufd and maps its BARs (issue 16, BAR access): it faults the mmap in, loads and stores through it and with write(), clears and sets memory decode in the command register and resets the device (VFIO_DEVICE_RESET). Clearing decode zaps the PTEs under memory_lock and a fault with decode off gets SIGBUS; the reset zaps them and holds memory_lock for write until the device is restored, so no user access reaches the BAR with decode off or during the reset (BAR).',
    devices: [dev('05:00.0', ['vfio-pci'], { barMmap: true })],
    contexts: [ctx('vmm', ['vfio-group', 'iommufd'])],
    hotplug: false,
    p2p: [],
    topology: null,
    variants: ['current', 'config-write-without-zap', 'reset-without-zap', 'fault-ignores-decode'],
  },
  {
    name: 'vfio-bar-dmabuf',
    description:
      'A VMM holds a GPU and a NIC of one IOMMU group through iommufd (issue 16, BAR access, DMABUF): it exports the GPU\'s BAR (VFIO_DEVICE_FEATURE_DMA_BUF) and maps it into its IOAS (IOMMU_IOAS_MAP_FILE), so the NIC, attached to its hwpt, DMAs to the BAR peer-to-peer through the IOMMU. Clearing the GPU\'s memory decode, resetting it or closing it revokes the export (vfio_pci_dma_buf_move -> iopt_revoke_notify unmaps it from the IOAS) in the same locked section as the zap, so no peer DMA reaches the BAR with decode off or during the reset (BAR).',
    devices: [dev('07:00.0', ['vfio-pci'], { barMmap: true, barDmabuf: true }), dev('08:00.0', ['vfio-pci'])],
    contexts: [ctx('vmm', ['iommufd'])],
    hotplug: false,
    p2p: [],
    topology: null,
    variants: ['current', 'dma-buf-revoke-skipped'],
  },
  // Cache coherency (issue 16, Deliver 5): no-snoop reads on a domain that claims enforce_cache_coherency, SNOOP.
  {
    name: 'coherency-no-snoop',
    description:
      'Cache coherency (issue 16): below an ACS switch (one group per endpoint) a VMM binds a GPU, 03:00.0, whose IOMMU has snoop control, and a second GPU, 04:00.0, whose IOMMU has none (enforceCoherency: false, as behind a graphics DMAR unit without SC), to its iommufd; both issue no-snoop reads. An hwpt allocated for 03:00.0 enforces cache coherency (iommufd_hwpt_paging_enforce_cc: VT-d force_snooping) and KVM skips WBINVD emulation on that claim; the IOMMU driver refuses to attach 04:00.0 to it (paging_domain_compatible: -EINVAL), so every no-snoop read on an hwpt that claims coherency is snooped (SNOOP). An hwpt allocated for 04:00.0 does not enforce, and 03:00.0 may share it.',
    devices: [dev('03:00.0', ['vfio-pci'], { noSnoop: true }), dev('04:00.0', ['vfio-pci'], { noSnoop: true, enforceCoherency: false })],
    contexts: [ctx('vmm', ['iommufd'])],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
    variants: ['current', 'enforce-cc-attach-skips-snoop-check'],
  },
  {
    name: 'coherency-no-snoop-type1',
    description:
      'Cache coherency through VFIO type1 (issue 16): the two GPUs of coherency-no-snoop taken through the VFIO container. vfio_iommu_type1_attach_group asks the IOMMU driver to enforce coherency on each group\'s new domain right after attaching it: yes for 03:00.0, no for 04:00.0 (domain_support_force_snooping: its IOMMU has no snoop control), so only domains whose devices can snoop claim coherency (VFIO_DMA_CC_IOMMU) and every no-snoop read on them is snooped (SNOOP).',
    devices: [dev('03:00.0', ['vfio-pci'], { noSnoop: true }), dev('04:00.0', ['vfio-pci'], { noSnoop: true, enforceCoherency: false })],
    contexts: [ctx('vmm', ['vfio-group'])],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
    variants: ['current', 'enforce-cc-claims-without-snoop-control'],
  },
  // Reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G): a device's reserved IOVA, RESV.
  {
    name: 'resv-iova-user-map',
    description:
      'Reserved regions in user IOVA spaces (issue 16): a VMM holds the two functions of one IOMMU group through VFIO type1 or iommufd and maps its memory for their DMA; 01:00.1 has a non-relaxable reserved region (an RMRR, the MSI window) at IOVA page 0 (the user may map page 1). Type1 cuts the group\'s regions out of the container\'s valid IOVA list (VFIO_IOMMU_MAP_DMA there: -EINVAL, vfio_iommu_iova_dma_valid); iommufd reserves 01:00.1\'s region in the IOAS when it attaches (IOMMU_IOAS_MAP there: -EINVAL, iopt_check_iova) and refuses to attach it while its reserved IOVA is mapped (-EADDRINUSE, iopt_reserve_iova). No user mapping covers the reserved IOVA of a device the domain serves (RESV).',
    devices: [dev('01:00.0', ['vfio-pci'], { dma: true }), { ...dev('01:00.1', ['vfio-pci'], { dma: true }), reservedIova: 0 }],
    contexts: [{ ...ctx('vmm', ['vfio-group', 'iommufd']), mapDma: true }],
    hotplug: false,
    p2p: allPairs(2),
    topology: null,
    invalidation: 'strict',
    iovaPages: 2,
    variants: ['current', 'reserved-iova-not-enforced'],
  },
  // The IOMMU driver as a platform setting (issue 15, "cite the driver behind every rule"): INV-ORDER on arm-smmu-v3.
  {
    name: 'ats-invalidation-order-smmuv3',
    description:
      'ats-invalidation-order on an Arm SMMUv3 (platform iommuDriver: arm-smmu-v3): a trusted NIC with ATS enabled by arm_smmu_enable_ats, iommu.strict=1. dma_unmap_page clears the PTE and arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain invalidates the SMMU TLB (TLBI + CMD_SYNC) before the ATC (arm_smmu_atc_inv_domain), so a Translation Request in between faults on the cleared PTE and no translated request reaches the page after its reuse. The model\'s steps are those of intel-iommu (one generic rule); the trace cites the SMMUv3 functions.',
    devices: [dev('03:00.0', ['e1000e'], { dma: true, ats: true })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
    invalidation: 'strict',
    platform: { iommuDriver: 'arm-smmu-v3' },
    variants: ['current', 'atc-before-iotlb'],
  },
  // VFIO hot reset (issue 16, Deliver 2, helper H): VFIO_DEVICE_PCI_HOT_RESET's ownership proof, RESET-OWNED; the bus path's missing IOMMU staging, I20.
  {
    name: 'vfio-hot-reset-bus',
    description:
      'An Intel I350 whose two functions share bus 01 but not an IOMMU group (pci_quirk_mf_endpoint_acs), both vfio-pci and below a bridge whose secondary bus reset works (issue 16, VFIO hot reset): a VMM holds both through their VFIO groups, another context may bind 01:00.1 to its iommufd. VFIO_DEVICE_PCI_HOT_RESET resets the whole dev_set, so the kernel requires proof of ownership of every member (the group fds on the legacy path, the iommufd context on the cdev path): no context resets a function it does not own (RESET-OWNED). The bus reset (pci_reset_bus) does not call pci_dev_reset_iommu_prepare, so the ATS-capable 01:00.0 is reset while its RID stays on the VMM\'s domain (I20, a finding on the pinned kernel; hot-reset-stages-iommu holds).',
    devices: [{ ...dev('01:00.0', ['vfio-pci'], { ats: true }), hotReset: true }, { ...dev('01:00.1', ['vfio-pci']), hotReset: true }],
    contexts: [ctx('vmm', ['vfio-group']), ctx('peer', ['iommufd'], 1, [1])],
    hotplug: false,
    p2p: [],
    topology: 'multifunction-quirk',
    variants: ['current', 'hot-reset-without-ownership-proof', 'hot-reset-stages-iommu'],
  },
  // A PASID attachment in a shared IOMMU group (docs/kernel-notes.md section 21): a finding on the pinned kernel.
  {
    name: 'sva-shared-group-unbind',
    description:
      'A two-function accelerator whose functions have ACS RR+CR+UF but not SV (pci=config_acs=): pci_device_group keeps them in one IOMMU group (REQ_ACS_FLAGS), yet pci_enable_pasid passes on function 0 (RR+UF only). idxd on 06:00.0 binds a process address space (iommu_sva_bind_device -> iommu_attach_device_pasid: no group-size check), then the DMA-API driver of 06:00.1 is unbound (sysfs unbind -> pci_dma_cleanup -> iommu_device_unuse_default_domain): WARN_ON(!xa_empty(&group->pasid_array)) fires and owner_cnt-- is skipped, so owner_cnt counts a driver that is gone (I2) and the group can never be claimed by VFIO again (a finding on the pinned kernel; pasid-attach-singleton-group holds).',
    devices: [dev('06:00.0', ['idxd'], { pasid: true, pasidAcsPath: true }), dev('06:00.1', ['e1000e'])],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'multifunction-pasid-acs-no-sv',
    variants: ['current', 'pasid-attach-singleton-group'],
  },
];
