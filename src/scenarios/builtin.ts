/**
 * The built-in scenario suite. Each scenario is one IOMMU group: which devices, which drivers
 * the driver core may bind, which user contexts act through which path, hot-plug on or off, and
 * the peer-to-peer pairs the PCIe fabric allows (from the hardware model's topology when named).
 */
import type { DriverName } from '../kernel/drivers.ts';
import type { ContextSpec, DeviceSpec, Scenario, UserPath } from '../machines/scenario.ts';
import { applyTopology, builtinScenarioTopology } from './fromTopology.ts';
import type { GroupingRule } from '../hardware/index.ts';

type DevOpts = Partial<Omit<DeviceSpec, 'name' | 'drivers'>>;

/** A device slot; present, no PASID, no direct regions unless said. */
export const dev = (name: string, drivers: DriverName[], o: DevOpts = {}): DeviceSpec => ({
  name,
  drivers,
  present: o.present ?? true,
  pasid: o.pasid ?? false,
  pasidAcsPath: o.pasidAcsPath ?? false,
  requireDirect: o.requireDirect ?? false,
  ...(o.directRelaxable ? { directRelaxable: true } : {}),
  ...(o.pf !== undefined ? { pf: o.pf } : {}),
  ...(o.dma ? { dma: true } : {}),
  ...(o.untrusted ? { untrusted: true } : {}),
  ...(o.subPage ? { subPage: true } : {}),
  ...(o.ats ? { ats: true } : {}),
  ...(o.pasids !== undefined ? { pasids: o.pasids } : {}),
  ...(o.pri ? { pri: true } : {}),
  ...(o.resettable ? { resettable: true } : {}),
  ...(o.dmaAlias !== undefined ? { dmaAlias: o.dmaAlias } : {}),
  ...(o.msi ? { msi: true } : {}),
  ...(o.barMmap ? { barMmap: true } : {}),
  ...(o.barDmabuf ? { barDmabuf: true } : {}),
  ...(o.noSnoop ? { noSnoop: true } : {}),
  ...(o.enforceCoherency !== undefined ? { enforceCoherency: o.enforceCoherency } : {}),
});

/** A user context; `devices` (slots) are the ones it may take, all when omitted. */
export const ctx = (name: string, paths: UserPath[], hwpts = 1, devices?: number[]): ContextSpec => ({ name, paths, hwpts, ...(devices ? { devices } : {}) });

/**
 * A VM takes 03:00.0 while 04:00.0, below another port of the same switch, stays on a host
 * DMA-API driver; the groups come from `grouping` applied to `topology`.
 */
const vmBesideHost = (name: string, topology: string, grouping: 'mainline' | 'switch-groups', description: string): Scenario => ({
  name,
  description,
  grouping,
  devices: [dev('03:00.0', ['vfio-pci']), dev('04:00.0', ['e1000e'])],
  contexts: [ctx('vm', ['iommufd'], 1, [0])],
  hotplug: false,
  // As written; re-derived from the topology below (no ACS at all: both ways).
  p2p: topology === 'switch-no-acs' ? allPairs(2) : [],
  topology,
});

/** Every ordered pair of distinct devices: a non-ACS switch or multifunction device. */
export const allPairs = (n: number): [number, number][] =>
  Array.from({ length: n }, (_, a) => Array.from({ length: n }, (_, b) => [a, b] as [number, number])).flat().filter(([a, b]) => a !== b);

/** A PF on its host SR-IOV driver and one VF that a VM may take through either user path. */
const sriovScenario = (name: string, topology: string, description: string): Scenario => ({
  name,
  description,
  devices: [dev('01:00.0', ['sriov-pf']), dev('01:02.0', ['vfio-pci', 'e1000e'], { pf: 0, present: false })],
  contexts: [ctx('vm', ['vfio-group', 'iommufd'], 1, [1])],
  hotplug: false,
  // As written; re-derived from the topology (without ACS on the PF, VF and PF reach each other inside the device).
  p2p: topology === 'sriov-nic' ? allPairs(2) : [],
  topology,
});

/**
 * The IOTLB-window pair: one NIC below an ACS switch port, strict or lazy invalidation
 * (iommu.strict); the NIC is a DMA actor, so dma_map_page / dma_unmap_page, the IOTLB, the flush
 * queue, page reuse and the NIC's DMA interleave with the ownership calls (STALE).
 */
const unmapScenario = (invalidation: 'strict' | 'lazy', description: string): Scenario => ({
  name: `dma-api-unmap-${invalidation}`,
  description,
  devices: [dev('03:00.0', ['e1000e', 'vfio-pci'], { dma: true })],
  contexts: [ctx('qemu-legacy', ['vfio-group'])],
  hotplug: false,
  p2p: [],
  topology: 'switch-acs',
  invalidation,
});

/**
 * An untrusted NIC (pci_dev->untrusted, as below an external-facing port) that is a DMA actor
 * below an ACS switch port, bound to e1000e only (no user context: the kernel's own DMA).
 */
const untrustedScenario = (name: string, invalidation: 'strict' | 'lazy', subPage: boolean, description: string): Scenario => ({
  name,
  description,
  devices: [dev('03:00.0', ['e1000e'], { dma: true, untrusted: true, subPage })],
  contexts: [],
  hotplug: false,
  p2p: [],
  topology: 'switch-acs',
  invalidation,
});

/**
 * An ATS-capable NIC that is a DMA actor below a switch port, bound to e1000e (issue 15, step 4):
 * the IOMMU driver may enable ATS, the NIC's ATC caches Translation Completions, and, when the NIC
 * is untrusted, it sends translated requests to any page and to the peer's BAR (a malicious device).
 */
const atsScenario = (name: string, topology: string, untrusted: boolean, description: string): Scenario => ({
  name,
  description,
  devices: [dev('03:00.0', ['e1000e'], { dma: true, ats: true, untrusted })],
  contexts: [],
  hotplug: false,
  p2p: [],
  topology,
  invalidation: 'strict',
});

/**
 * A NIC below an ACS switch port, bound to vfio-pci only, that a user context takes through `path`
 * and whose memory it maps for the NIC's DMA (issue 15, step 5: ContextSpec.mapDma): MAP pins a
 * page and maps it in the user's domain, the NIC's DMA goes through it, UNMAP unmaps, syncs the
 * IOTLB and unpins, and the allocator may reuse the page.
 */
const userMapScenario = (name: string, path: UserPath, invalidation: 'strict' | 'lazy', ats: boolean, description: string): Scenario => ({
  name,
  description,
  devices: [dev('03:00.0', ['vfio-pci'], { dma: true, ats })],
  contexts: [{ ...ctx(path === 'iommufd' ? 'qemu-iommufd' : 'qemu-legacy', [path]), mapDma: true }],
  hotplug: false,
  p2p: [],
  topology: 'switch-acs',
  invalidation,
});

/** The scenarios as written; the p2p and PASID facts of those naming a topology are re-derived below. */
/** The variants the staged-reset scenarios are checked against: the kernel and the reset designs (src/machines/variants/reset.ts). */
const RESET_SCENARIO_VARIANTS = ['current', 'reset-done-ignores-depth', 'reset-alias-sibling-unblocked', 'reset-resetting-domain-per-group'];

export const BUILTIN_SCENARIO_SPECS: readonly Scenario[] = [
  {
    name: 'vfio-vs-dma-api',
    description:
      'Two functions of a multifunction endpoint without ACS (one group). Either may get e1000e or vfio-pci; ctx0 uses the legacy VFIO group + container, ctx1 the VFIO cdev + iommufd.',
    devices: [dev('01:00.0', ['e1000e', 'vfio-pci']), dev('01:00.1', ['e1000e', 'vfio-pci'])],
    contexts: [ctx('qemu-legacy', ['vfio-group']), ctx('qemu-iommufd', ['iommufd'])],
    hotplug: false,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
  },
  {
    name: 'iommufd-two-contexts',
    description:
      'Two vfio-pci devices of one group and two iommufd contexts: the first bind wins the group, the other context gets -EPERM; one hwpt per group (ctx0 has two hwpts).',
    devices: [dev('01:00.0', ['vfio-pci']), dev('01:00.1', ['vfio-pci'])],
    contexts: [ctx('vmm-a', ['iommufd'], 2), ctx('vmm-b', ['iommufd'])],
    hotplug: false,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
    symmetry: [['01:00.0', '01:00.1']],
  },
  {
    name: 'hot-add-owned-group',
    description:
      'A device is hot-added into (and removed from) a group that a user context owns: it joins the group\'s current domain and cannot get a DMA-API driver.',
    devices: [dev('01:00.0', ['vfio-pci']), dev('01:00.1', ['e1000e', 'vfio-pci'], { present: false })],
    contexts: [ctx('qemu-legacy', ['vfio-group']), ctx('qemu-iommufd', ['iommufd'])],
    hotplug: true,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
  },
  {
    name: 'pci-stub-neighbour',
    description:
      'The seed thread\'s P2P case: a user owns function 0 while its group-mate (function 1 of the same non-ACS multifunction device) is bound to pci-stub (driver_managed_dma): accepted, since pci-stub does no DMA (W12).',
    devices: [dev('01:00.0', ['vfio-pci']), dev('01:00.1', ['pci-stub', 'e1000e'])],
    contexts: [ctx('qemu-legacy', ['vfio-group'])],
    hotplug: false,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
  },
  {
    name: 'private-domain-hot-add',
    description:
      'W3 today: function 0 of a multifunction device without ACS is bound to a driver that uses iommu_attach_device; function 1 is removed and rescanned around the point-in-time device-count check.',
    devices: [dev('01:00.0', ['drm-msm']), dev('01:00.1', ['e1000e'])],
    contexts: [],
    hotplug: true,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
  },
  {
    name: 'sva-peer-hot-add',
    description:
      'W4: function 0 of a multifunction accelerator without ACS has PASID; function 1 is removed and re-added around the device-count check. Today pci_enable_pasid refuses PASID without ACS RR+UF on the device.',
    devices: [dev('06:00.0', ['idxd'], { pasid: true, pasidAcsPath: false }), dev('06:00.1', ['e1000e'])],
    contexts: [],
    hotplug: true,
    p2p: allPairs(2),
    topology: 'multifunction-pasid-no-acs',
  },
  {
    name: 'sva-driverless-peer',
    description:
      'W5: a PASID-capable function beside a pci-stub function of the same multifunction accelerator without ACS: one DMA-API driver in the group, two devices.',
    devices: [dev('06:00.0', ['idxd'], { pasid: true, pasidAcsPath: false }), dev('06:00.1', ['pci-stub'])],
    contexts: [],
    hotplug: false,
    p2p: allPairs(2),
    topology: 'multifunction-pasid-no-acs',
  },
  {
    name: 'sva-acs-switch',
    description:
      'An SVA-capable endpoint below a switch whose ports have ACS RR+CR+UF: PASID is enabled and nothing is reachable peer-to-peer.',
    devices: [dev('03:00.0', ['idxd'], { pasid: true, pasidAcsPath: true })],
    // No user context: the device only ever gets idxd (an iommufd context here never took a device).
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'sva-switch-acs',
  },
  {
    name: 'sva-switch-peer',
    description:
      'W4/W5 below a switch without ACS: an SVA accelerator alone in its IOMMU group (mainline pci_device_group gives each non-ACS downstream port its own group) beside a peer NVMe in another group, which PASID DMA reaches through the switch. A device count of 1 and owner_cnt 1 both pass; today pci_enable_pasid refuses PASID without ACS RR+UF on the path.',
    devices: [dev('03:00.0', ['idxd'], { pasid: true, pasidAcsPath: false })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'sva-switch',
  },
  {
    name: 'probe-failure',
    description:
      'W8: a DMA-API driver whose probe() fails after dma_configure, on one function of a non-ACS multifunction device, beside a VFIO function and an iommufd context that later claims the group.',
    devices: [dev('01:00.0', ['probe-fails', 'vfio-pci']), dev('01:00.1', ['e1000e', 'vfio-pci'])],
    contexts: [ctx('qemu-iommufd', ['iommufd'])],
    hotplug: false,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
  },
  {
    name: 'kernel-attach-group-shared',
    description:
      'W16 today: a DMA-API driver calls iommu_attach_group on a two-device group whose other device also uses the DMA API; nothing in the core refuses it.',
    devices: [dev('01:00.0', ['drm-tegra']), dev('01:00.1', ['e1000e'])],
    contexts: [],
    hotplug: false,
    p2p: allPairs(2),
    topology: 'multifunction-no-acs',
  },
  {
    name: 'vfio-container-two-groups',
    description:
      'Two NICs below an ACS switch, each in its own IOMMU group, handed to one VM through one legacy VFIO container: the second group joins a container whose type1 backend is already set (attached at once), and only the last group to leave releases the backend.',
    devices: [dev('03:00.0', ['vfio-pci']), dev('04:00.0', ['vfio-pci', 'e1000e'])],
    contexts: [ctx('qemu-legacy', ['vfio-group'])],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
  },
  {
    name: 'iommufd-two-groups-one-hwpt',
    description:
      'Two NICs below an ACS switch, each in its own IOMMU group, bound to one iommufd context and attached to one hwpt (one iommufd_group per IOMMU group); replacing one group\'s hwpt moves that group only.',
    devices: [dev('03:00.0', ['vfio-pci']), dev('04:00.0', ['vfio-pci'])],
    contexts: [ctx('vmm', ['iommufd'], 2)],
    hotplug: false,
    p2p: [],
    topology: 'switch-acs',
  },
  vmBesideHost(
    'switch-split-mainline',
    'switch-no-acs',
    'mainline',
    'Acceptance (a), today: two endpoints below a switch whose downstream ports lack ACS; mainline pci_device_group gives each port its own group, so the VM gets 03:00.0 while 04:00.0 stays on e1000e, and 03:00.0 reaches its BAR peer-to-peer (the I13 gap the pcie_switch_groups series fixes).',
  ),
  vmBesideHost(
    'switch-split-switch-groups',
    'switch-no-acs',
    'switch-groups',
    'Acceptance (a) under the pending v3 switch-grouping rule: the non-isolated switch bus makes one group of everything below it, so VFIO_DEVICE_BIND_IOMMUFD gets -EPERM while e1000e is bound to the group-mate.',
  ),
  vmBesideHost(
    'forged-rid-mainline',
    'switch-no-acs-sv',
    'mainline',
    'Acceptance (e), today: an IDT switch whose downstream ports have ACS RR+CR+UF but no SV; mainline gives each port its own group, yet the VM\'s 03:00.0 can put 04:00.0\'s requester ID on the wire, which the IOMMU translates with the host group\'s default domain.',
  ),
  vmBesideHost(
    'forged-rid-switch-groups',
    'switch-no-acs-sv',
    'switch-groups',
    'Acceptance (e) under the v3 switch-grouping rule: a downstream port without isolating ACS (SV missing) makes the switch bus PCIE_SWITCH_DSP_NON_ISOLATED, one group below the ports, so 04:00.0\'s forged requester ID stays in the VM\'s own group. The upstream port is left out of that group, yet its requester ID can still be forged from below (no SV): RID reports it, a question for the series (with iommu.passthrough its default domain is identity).',
  ),
  sriovScenario(
    'sriov-vf-to-vm',
    'sriov-nic',
    'Acceptance (d), today: an SR-IOV NIC whose PF has no ACS capability, on its host PF driver, enables a VF that goes to a VM. Mainline gives the PF and the VF groups of their own (a VF is single-function for pci_acs_enabled), yet the VF reaches the PF\'s BAR inside the device: the I13 gap for SR-IOV.',
  ),
  sriovScenario(
    'sriov-vf-to-vm-acs',
    'sriov-nic-acs',
    'Acceptance (d) with ACS RR+CR+UF on the PF: peer requests among the PF and its VFs are redirected to the IOMMU. The VF comes and goes with the PF driver\'s pci_enable_sriov / pci_disable_sriov, which waits (-EBUSY in the model) while the VM holds the VF open.',
  ),
  unmapScenario(
    'strict',
    'A NIC below an ACS switch port, bound to e1000e (DMA API) or handed to a VFIO user; iommu.strict=1: dma_unmap_page clears the PTE, syncs the IOTLB (iommu_iotlb_sync) and the device-TLB before it returns and the driver frees the page, so the NIC\'s DMA to the unmapped IOVA faults.',
  ),
  unmapScenario(
    'lazy',
    'The same NIC with iommu.strict=0 (DMA-FQ default domain): dma_unmap_page clears the PTE and only queues the IOTLB invalidation (queue_iova), the driver frees the page, and until fq_flush_timeout the NIC\'s DMA through the stale IOTLB entry reaches the page after its reuse (the documented lazy-mode trade-off).',
  ),
  untrustedScenario(
    'dma-api-untrusted-lazy',
    'lazy',
    false,
    'iommu.strict=0, but the NIC is untrusted (as below an external-facing port): iommu_get_def_domain_type gives its group a strict DMA default domain, not DMA-FQ, so no DMA reaches a page reused after dma_unmap_page.',
  ),
  {
    name: 'dma-api-external-lazy',
    description:
      'iommu.strict=0 on a Thunderbolt dock: nothing marks the dock\'s NIC untrusted by hand; set_pcie_untrusted derives it from the root port firmware marks external-facing (thunderbolt-dock), so iommu_get_def_domain_type gives its group a strict DMA default domain and no DMA reaches a page reused after dma_unmap_page.',
    devices: [dev('03:00.0', ['e1000e'], { dma: true })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'thunderbolt-dock',
    invalidation: 'lazy',
  },
  {
    name: 'dma-api-untrusted-sysfs-fq',
    description:
      'The Thunderbolt dock\'s untrusted NIC on a strict default domain (iommu.strict=1), and an administrator who writes DMA-FQ to its group\'s sysfs type file: iommu_group_store_type switches the domain to the flush queue live, without iommu_get_def_domain_type\'s untrusted rule, so an unmap of the external NIC leaves its IOTLB entry until fq_flush_timeout and its DMA reaches the freed, reused page.',
    devices: [dev('03:00.0', ['e1000e'], { dma: true })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'thunderbolt-dock',
    invalidation: 'strict',
    groupTypeWrites: true,
    // The current kernel breaks STALE here (a recorded finding), so every variant built on it does too: only the rules of decision 0009.
    variants: ['current', 'store-type-rechecks-untrusted', 'default-domain-ignores-untrusted'],
  },
  untrustedScenario(
    'dma-api-untrusted-subpage',
    'strict',
    true,
    'An untrusted NIC whose driver maps sub-page kmalloc buffers: iommu_dma_map_page bounces each through a swiotlb slot (dev_use_swiotlb), so the NIC never reaches the other kernel data sharing the buffer\'s page.',
  ),
  atsScenario(
    'ats-untrusted',
    'switch-acs',
    true,
    'An untrusted NIC with an ATS capability (as below an external-facing port) that forges translated requests: pci_ats_supported refuses it, pci_enable_ats returns -EINVAL, so the IOMMU rejects its translated requests (no device-TLB in its context entry) and ACS RR sends the peer-bound ones there too.',
  ),
  atsScenario(
    'ats-translated-peer',
    'switch-acs-dt',
    true,
    'The same untrusted NIC below a switch port with Direct Translated P2P (ACS DT) on: its translated request to the peer 04:00.0 would go straight to the peer\'s BAR, but pci_std_enable_acs sets ACS Translation Blocking on the external-facing port, which blocks every translated request.',
  ),
  atsScenario(
    'ats-invalidation-order',
    'switch-acs',
    false,
    'A trusted NIC with ATS enabled (iommu.strict=1): its ATC caches the translation of its DMA buffer; dma_unmap_page clears the PTE, invalidates the IOTLB (iommu_iotlb_sync) and then the ATC (iommu_flush_dev_iotlb), so a Translation Request in between faults on the cleared PTE and no translated request reaches the page after its reuse.',
  ),
  {
    ...atsScenario(
      'ats-vfio-claim-lazy',
      'switch-acs',
      false,
      'A trusted NIC with ATS under iommu.strict=0 that its e1000e driver leaves with an unmap still in the flush queue and a VFIO user then claims: taking the RID off the default domain disables ATS (device_block_translation), so the deferred flush, which reaches only the devices still on the default domain, leaves no ATC behind. The lazy window before the flush is the accepted trade-off (STALE).',
    ),
    devices: [dev('03:00.0', ['e1000e', 'vfio-pci'], { dma: true, ats: true })],
    contexts: [ctx('qemu-legacy', ['vfio-group'])],
    invalidation: 'lazy',
  },
  userMapScenario(
    'vfio-type1-unmap',
    'vfio-group',
    'lazy',
    true,
    'A NIC below an ACS switch port handed to a VFIO user that maps its own memory for the NIC\'s DMA (issue 15, step 5): VFIO_IOMMU_MAP_DMA pins a page and maps it in the container\'s type1 domain; VFIO_IOMMU_UNMAP_DMA clears the PTE and vfio_sync_unpin syncs the IOTLB before vfio_unpin_pages_remote, so no DMA of the NIC reaches the page after it is unpinned and reused. Type1 domains are unmanaged: strict even with iommu.strict=0. The NIC has ATS: its ATC, filled while it is on the container\'s domain, is invalidated inside the sync (iommu_flush_dev_iotlb) before the unpin.',
  ),
  userMapScenario(
    'iommufd-ioas-unmap',
    'iommufd',
    'strict',
    false,
    'The same NIC handed to an iommufd user (VFIO cdev) that maps its memory into its IOAS (issue 15, step 5): IOMMU_IOAS_MAP pins the page and maps it in the hwpt\'s domain; IOMMU_IOAS_UNMAP unmaps it (iommu_unmap: PTE, then IOTLB sync) and only then batch_unpin ("unpin must follow unmap", iopt_area_unpin_domain), so no DMA of the NIC reaches the page after it is unpinned and reused.',
  ),
  {
    name: 'sva-pasid-reuse',
    description:
      'An SVA accelerator with PRI and one PASID value below an ACS switch port (issue 15, step 6): two processes in turn have idxd bind their address space, the device queues a page request under the PASID, and the unbind drains it (intel_drain_pasid_prq -> iopf_queue_flush_dev) before the PASID is freed, so no request of the old process is handled in the new process\'s address space.',
    devices: [dev('03:00.0', ['idxd'], { pasid: true, pasidAcsPath: true, pasids: 1, pri: true })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'sva-switch-acs',
  },
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
    contexts: [ctx('vmm', ['vfio-group', 'iommufd'])],
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
];

/**
 * The built-in suite: each scenario that names a topology gets its p2p pairs and PASID gate from
 * the hardware model (pci_device_group, ACS routing, pci_enable_pasid), so ownership and hardware
 * are checked together; test/scenarios/fromTopology.test.ts shows the written facts agree.
 */
export const BUILTIN_SCENARIOS: readonly Scenario[] = BUILTIN_SCENARIO_SPECS.map((s) => {
  const bt = builtinScenarioTopology(s);
  return bt ? applyTopology(s, bt.topology, bt.deviceMap) : s;
});

/** Looks a scenario up by name. */
export const findScenario = (name: string): Scenario | undefined => BUILTIN_SCENARIOS.find((s) => s.name === name);

/**
 * The built-in scenario `name` with its groups derived by `grouping` instead of its own rule
 * (`check --grouping`, `diff --grouping`); the scenario itself when it names no topology or
 * already uses that rule.
 */
export function scenarioWithGrouping(scenario: Scenario, grouping: GroupingRule | undefined): Scenario {
  if (!grouping || (scenario.grouping ?? 'mainline') === grouping) return scenario;
  const spec = BUILTIN_SCENARIO_SPECS.find((s) => s.name === scenario.name);
  const bt = spec ? builtinScenarioTopology(spec) : null;
  return spec && bt ? applyTopology({ ...spec, grouping }, bt.topology, bt.deviceMap) : scenario;
}
