/**
 * The built-in scenario suite. Each scenario is one IOMMU group: which devices, which drivers
 * the driver core may bind, which user contexts act through which path, hot-plug on or off, and
 * the peer-to-peer pairs the PCIe fabric allows (from the hardware model's topology when named).
 */
import type { Scenario, UserPath } from '../machines/scenario.ts';
import { PLATFORM_SCENARIOS } from './builtinPlatform.ts';
import { allPairs, ctx, dev } from './scenarioSpecs.ts';
import { applyTopology, builtinScenarioTopology } from './fromTopology.ts';
import type { GroupingRule } from '../hardware/index.ts';

/** The spec constructors, re-exported for the tests and the CLI that build scenarios like the built-ins. */
export { allPairs, ctx, dev } from './scenarioSpecs.ts';

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
      'An SVA accelerator with PRI and one PASID value below an ACS switch port (issue 15, step 6): two processes in turn have idxd bind their address space, the device queues a page request under the PASID, and the unbind drains it (intel_drain_pasid_prq -> iopf_queue_flush_dev) before the PASID is freed, so no request of the old process is handled in the new process\'s address space. Each process also submits work that the device executes by PASID-tagged DMA; idxd drains it (idxd_device_drain_pasid) before iommu_sva_unbind_device, so no DMA of the old process reaches the new one.',
    devices: [dev('03:00.0', ['idxd'], { pasid: true, pasidAcsPath: true, pasids: 1, pri: true })],
    contexts: [],
    hotplug: false,
    p2p: [],
    topology: 'sva-switch-acs',
  },
  ...PLATFORM_SCENARIOS,
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
