/**
 * A scenario: a machine's IOMMU groups and device slots, K user contexts and the hardware facts
 * the ownership rules depend on. Built-in scenarios live in src/scenarios; users write their own
 * in JSON or YAML (validated by src/scenarios/scenarioFile.ts).
 */
import type { DriverName } from '../kernel/drivers.ts';
import type { Topology } from '../hardware/types.ts';
import type { PlatformSpec } from './platform.ts';

/** One device slot of the group. */
export interface DeviceSpec {
  /** A PCI address or any short name, used in traces (e.g. `00:1f.0`). */
  readonly name: string;
  /** The drivers the driver core may bind to this device (really_probe). */
  readonly drivers: readonly DriverName[];
  /** Present at the start. A device that is absent can be hot-added when `hotplug` is on. */
  readonly present: boolean;
  /** The device has a PASID capability (dev->iommu->max_pasids > 0). */
  readonly pasid: boolean;
  /**
   * pci_enable_pasid (drivers/pci/ats.c) would succeed: ACS RR and UF on the device (if
   * multifunction) and every bridge to the root. Derived from the topology when one is attached.
   */
  readonly pasidAcsPath: boolean;
  /** Firmware reports an IOMMU_RESV_DIRECT region (dev->iommu->require_direct). */
  readonly requireDirect: boolean;
  /**
   * Reserved regions (issue 16, Deliver 3): firmware reports an IOMMU_RESV_DIRECT_RELAXABLE region
   * (intel-iommu: the RMRR of a USB or graphics device, device_rmrr_is_relaxable; IORT RMR with
   * remapping permitted). Mapped 1:1 in the default domain like a DIRECT one, but it does not set
   * require_direct: the device may leave its direct mappings (VFIO and iommufd may claim it).
   */
  readonly directRelaxable?: boolean;
  /**
   * Reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G): firmware or the IOMMU
   * driver reports a non-relaxable reserved region (IOMMU_RESV_DIRECT / RESERVED / MSI) of the
   * device at this IOVA page of the user IOVA space (GroupTranslation.user.ptes index). VFIO type1
   * cuts it out of the container's valid IOVA list, iommufd reserves it in the IOAS at attach
   * (src/machines/semantics/ioPagetableResv.ts). Only on a DMA actor with a `mapDma` context.
   */
  readonly reservedIova?: number;
  /** The IOMMU group the device belongs to (index into Scenario.groups); 0 when omitted. */
  readonly group?: number;
  /**
   * A group-mate the plan leaves out: its driver (drivers[0], if any) is bound before any actor
   * acts and never unbound, and it is never hot-plugged (simplification: the host keeps it).
   */
  readonly fixed?: boolean;
  /** The host driver a dump shows for a fixed device (drivers[0] is its archetype). */
  readonly hostDriver?: string;
  /**
   * An SR-IOV VF: the slot of its PF. It exists only while the PF's driver has SR-IOV enabled
   * (pci_enable_sriov adds it, pci_disable_sriov removes it); it starts absent.
   */
  readonly pf?: number;
  /**
   * The device issues DMA in the interleavings (issue 15): its bound DMA-API driver maps and
   * unmaps buffers (dma_map_page / dma_unmap_page), and the device's untranslated requests reach
   * the IOMMU (dma_untranslated). Omitted: the device never acts as a DMA actor.
   */
  readonly dma?: boolean;
  /**
   * pci_dev->untrusted (set_pcie_untrusted, drivers/pci/probe.c: a device below an external-facing
   * port, e.g. Thunderbolt): its default domain is forced strict (iommu_get_def_domain_type) and
   * its sub-page DMA buffers are bounced through swiotlb (dev_use_swiotlb, dma-iommu.c).
   */
  readonly untrusted?: boolean;
  /**
   * Its driver's DMA buffers are sub-page kmalloc objects: other kernel data shares the page, and
   * mapping the whole page (iommu_map maps granules) exposes it unless the buffer is bounced.
   */
  readonly subPage?: boolean;
  /**
   * An ATS capability (pdev->ats_cap) on a DMA actor (issue 15, step 4): the IOMMU driver may
   * enable ATS (pci_enable_ats, refused when pci_ats_supported says no: untrusted), and the
   * device's ATC caches translations. An untrusted device with `ats` is treated as malicious: it
   * sends translated requests to any page and any peer BAR, whatever the kernel enabled.
   */
  readonly ats?: boolean;
  /**
   * PASID values the device may be given (issue 15, step 6): dev->iommu->max_pasids - 1, the range
   * [1, pasids] of iommu_alloc_global_pasid; 0 = no PASID capability. Set on any device, it turns
   * on the PASID allocator of the model (src/machines/iopf.ts): each SVA bond gets its process's
   * PASID from the allocator instead of the fixed SVA_PASID. Omitted: the one-process SVA model.
   */
  readonly pasids?: number;
  /** A PRI capability (pdev->pri_cap): with PRI enabled (pci_enable_pri), the device queues page requests per PASID. */
  readonly pri?: boolean;
  /**
   * A reset method of the PCI core (pcie_flr, pci_reset_bus_function, ...: pci_reset_function, e.g.
   * from VFIO_DEVICE_RESET) may start on the device between any two calls (issue 16, staged
   * resets): each method brackets its reset with pci_dev_reset_iommu_prepare / _done, and up to
   * two nest (cxl_reset_bus_function calls pci_reset_bus_function). The kernel stages the IOMMU
   * only for devices with `ats` (pci_ats_supported). Set on any device, it gives every device and
   * group of the scenario the reset state (src/machines/reset.ts).
   */
  readonly resettable?: boolean;
  /**
   * The slot of a device of the same group that shares a requester ID with this one (a DMA alias:
   * pci_for_each_dma_alias yields it, e.g. both behind a PCIe-to-PCI bridge or a quirk's alias
   * devfn): the IOMMU has one context entry for the shared ID, so attaching either device
   * reprograms what the other's DMA is translated with.
   */
  readonly dmaAlias?: number;
  /**
   * Interrupts (issue 16, Deliver 4; src/machines/msiDoorbell.ts): the device signals MSIs, and
   * while a user context controls it (device fd or iommufd binding) its DMA write to the MSI
   * doorbell (msi_doorbell_write, hardware) is explored: the invariant MSI judges which
   * interrupts it raises under the scenario's `platform:` (irqRemapping, msi). No state is added.
   */
  readonly msi?: boolean;
  /**
   * BAR access (issue 16, Deliver 6; src/machines/barAccess.ts): a vfio-pci device whose user maps
   * its BARs (vfio_pci_core_mmap) as soon as it holds the device fd, faults the mapping in
   * (vfio_pci_mmap_huge_fault), loads and stores through it, toggles memory decode in the
   * command register (vfio_basic_config_write) and resets the device (VFIO_DEVICE_RESET). Set on
   * any device, it gives every device the BAR fields of DeviceState (command_memory, bar_ptes,
   * memory_lock).
   */
  readonly barMmap?: boolean;
  /**
   * With `barMmap`: the user may also export the BAR as a DMABUF (VFIO_DEVICE_FEATURE_DMA_BUF) and
   * map it into its iommufd IOAS (IOMMU_IOAS_MAP_FILE), so that devices it attached to its hwpts
   * reach the BAR peer-to-peer through the IOMMU. Gives every device the `dma_buf` field.
   */
  readonly barDmabuf?: boolean;
  /**
   * Cache coherency (issue 16, Deliver 5; src/machines/coherency.ts): the device issues no-snoop
   * requests (PCIe Device Control "Enable No Snoop" set, TLPs with the No Snoop attribute, as
   * GPUs and HD-audio controllers do), so whether its IOMMU forces snooping matters. Only then do
   * devices carry DeviceState.no_snoop_stale and contexts ContainerState.enforce_cache_coherency.
   */
  readonly noSnoop?: boolean;
  /**
   * IOMMU_CAP_ENFORCE_CACHE_COHERENCY of this device's IOMMU (VT-d: ecap_sc_support of its DMAR
   * unit, intel_iommu_capable): it can force snooping. Omitted: the platform's enforceCoherency.
   * False models a DMAR unit without snoop control beside one with it (mixed IOMMUs).
   */
  readonly enforceCoherency?: boolean;
  /**
   * VFIO hot reset (issue 16, Deliver 2; src/machines/hotReset.ts): the device sits below a bridge
   * whose secondary bus reset works (pci_probe_reset_slot / pci_probe_reset_bus succeed), so its
   * user may issue VFIO_DEVICE_PCI_HOT_RESET, which resets every function of its bus. Omitted: the
   * ioctl gets -ENODEV. Set on any device, it gives every device DeviceState.hot_reset and the
   * reset fields (resetsEnabled).
   */
  readonly hotReset?: boolean;
}

/** One IOMMU group of the scenario (struct iommu_group). */
export interface GroupSpec {
  /** A short name for traces: the derived or recorded group number, or any label. */
  readonly name: string;
  /** Why the grouping rule put these devices together (pci_device_group's reason), if known. */
  readonly why?: string;
}

/**
 * A device outside the modelled group (another IOMMU group, whose driver the ownership model does
 * not track) that devices of the group reach peer-to-peer, e.g. an endpoint below another
 * downstream port of a switch without ACS, which mainline pci_device_group puts in its own group.
 */
export interface OutsidePeer {
  /** Its name in the topology (or bdf), used in traces. */
  readonly name: string;
  /** Indices of the group's devices whose plain or PASID-tagged memory request lands on its BAR without the IOMMU. */
  readonly reachedFrom: readonly number[];
}

/**
 * A requester ID a device of the scenario can put on the wire that belongs to a device of another
 * IOMMU group (a DMA alias, or a forged ID below a port without ACS Source Validation). The IOMMU
 * translates such a request with the other group's domain.
 */
export interface ForeignRid {
  /** The device slot that can emit it. */
  readonly from: number;
  readonly rid: string;
  readonly how: 'alias' | 'forged';
  /** Why it can, in kernel words (quirk, bridge, port without SV). */
  readonly note: string;
  /** The device the RID belongs to (bdf or name). */
  readonly owner: string;
  /** The owner's device slot, or null when the owner is not a device of the scenario. */
  readonly device: number | null;
  /** The owner's scenario group, or null when its group has no device of the scenario (a kernel-held group). */
  readonly group: number | null;
  /** The owner's derived group, for reasons. */
  readonly ownerGroup: string;
}

/** The user-space paths a context may use. */
export type UserPath = 'vfio-group' | 'iommufd';

/** A user security context: a process with a VFIO container and/or an iommufd. */
export interface ContextSpec {
  readonly name: string;
  readonly paths: readonly UserPath[];
  /** How many iommufd hardware page tables (IOAS-backed hwpts) the context may attach. */
  readonly hwpts: number;
  /**
   * The device slots the context may take (a plan's exclusive list); every device when omitted.
   * On the legacy path it opens the group files of the groups these devices are in.
   */
  readonly devices?: readonly number[];
  /**
   * The context maps its own memory for its devices' DMA (issue 15, step 5): VFIO_IOMMU_MAP_DMA /
   * UNMAP_DMA on its container (vfio_dma_do_map / vfio_dma_do_unmap) and IOMMU_IOAS_MAP / UNMAP
   * on its IOAS (iopt_map_user_pages / iopt_unmap_iova), pinning pages of the group's pool.
   * Acts only on groups with a DMA actor (DeviceSpec.dma) it may take. Omitted: no user mappings.
   */
  readonly mapDma?: boolean;
  /**
   * The context's hwpts are allocated and destroyed by calls (issue 16, domain lifetimes):
   * IOMMU_HWPT_ALLOC (iommufd_hwpt_alloc) and IOMMU_DESTROY (iommufd_destroy), each hwpt starting
   * unallocated. Omitted: every hwpt exists from the start and is never destroyed (as before).
   */
  readonly hwptLifetime?: boolean;
  /**
   * vDEVICEs (issue 16, helper E): the context has a vIOMMU on its iommufd and gives a bound
   * device a vDEVICE (IOMMU_VDEVICE_ALLOC, src/machines/semantics/iommufdViommu.ts), while the
   * IOMMU driver's invalidation path looks vDEVICEs up (iommufd_viommu_find_dev). Omitted: none.
   */
  readonly viommu?: boolean;
  /**
   * Fault-capable hwpts (issue 16, helper E): every hwpt of the context is allocated with a fault
   * object (IOMMU_HWPT_FAULT_ID_VALID), so a page request of an attached device is queued on the
   * hwpt's fault queue for the user to answer (src/machines/semantics/iommufdFault.ts). Omitted: none.
   */
  readonly faultHwpts?: boolean;
  /**
   * The kernel is expected to refuse this context every device (the scenario's point, e.g. a
   * machine without interrupt remapping: msi-no-remapping). Changes no rule: under `current` the
   * report checks that the first call of each of its paths never succeeded, and warns when one
   * did, instead of warning that the context never took a device. Omitted: a context is expected
   * to take devices, and a path that never does is a vacuity warning.
   */
  readonly expectRefused?: boolean;
}

/** The device slots context `ctx` may take. */
export const contextDevices = (scenario: Scenario, ctx: number): readonly number[] => {
  const c = scenario.contexts[ctx];
  return c?.devices ?? scenario.devices.map((_, i) => i);
};

/** A scenario: the groups, their devices, the user contexts, and which actors may act. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  /** The IOMMU groups; one group named "0" when omitted (every device in it). */
  readonly groups?: readonly GroupSpec[];
  /** For a component of a decomposed scenario: how many groups the whole scenario has (reports name groups when > 1). */
  readonly wholeGroups?: number;
  /** The grouping rule that made `groups` from the topology ('mainline', 'switch-groups', ...), if any. */
  readonly grouping?: string;
  readonly devices: readonly DeviceSpec[];
  readonly contexts: readonly ContextSpec[];
  /** Devices may be hot-added (iommu_probe_device) and removed (iommu_release_device). */
  readonly hotplug: boolean;
  /**
   * Pairs [a, b] (device indices) where a memory request from a can land on b's MMIO BAR without
   * passing the IOMMU (no ACS RR/UF on a shared port, multifunction without ACS, conventional PCI).
   * Derived from the hardware model when the scenario names a topology.
   */
  readonly p2p: readonly (readonly [number, number])[];
  /**
   * Devices outside the group that the group's devices reach peer-to-peer (derived from the
   * topology; omitted when there are none). Always present, held by whatever the kernel bound.
   */
  readonly outsidePeers?: readonly OutsidePeer[];
  /** Name of the built-in or file topology the hardware facts came from, if any. */
  readonly topology: string | null;
  /**
   * Requester IDs of other IOMMU groups the scenario's devices can emit (derived from the
   * topology; omitted when there are none).
   */
  readonly foreignRids?: readonly ForeignRid[];
  /** The grouping assumption the groups depend on (switch-groups: assumeNoLoopbackWithoutAcsCap), if any. */
  readonly groupingAssumption?: string;
  /**
   * The PCIe tree the facts came from (plain data) and the topology device of each slot, kept
   * so that reports can draw DMA routes for scenarios whose topology is a file or an lspci dump.
   */
  readonly hardware?: { readonly topology: Topology; readonly deviceMap: readonly string[] };
  /**
   * How dma_unmap invalidates the IOTLB of the DMA-API default domain: 'strict' (iommu.strict=1,
   * the IOTLB is synced before dma_unmap returns) or 'lazy' (iommu.strict=0: a DMA-FQ domain, the
   * invalidation waits in the flush queue of drivers/iommu/dma-iommu.c). Omitted: not modelled.
   */
  readonly invalidation?: 'strict' | 'lazy';
  /**
   * IOVA pages per DMA-API default domain when some device is a DMA actor (`DeviceSpec.dma`):
   * 1 (the default) or 2. The group's pool has one physical page more, so that a page freed by
   * dma_unmap_page can be reused by another owner while a buffer is mapped.
   */
  readonly iovaPages?: number;
  /**
   * Per device, under `invalidation`: the shortest map/DMA/unmap/flush sequence (one line per step,
   * DMA route included) in which the device's DMA after dma_unmap reaches the freed page, or null
   * when none exists. Derived from the topology by the hardware model (findUnmapWindow).
   */
  readonly unmapWindow?: readonly (readonly string[] | null)[];
  /**
   * Classes of device names the scenario declares interchangeable (same spec apart from the name,
   * p2p pairs unchanged by swapping them; checked). The checker explores one representative per
   * orbit under these by default (`check --no-symmetry` turns it off); verdicts are the same.
   */
  readonly symmetry?: readonly (readonly string[])[];
  /** The variants this scenario is checked against by default (all when omitted). */
  readonly variants?: readonly string[];
  /**
   * The administrator may write "DMA-FQ" to the sysfs `type` file of each group with a DMA actor
   * (/sys/kernel/iommu_groups/G/type: iommu_group_store_type switches a strict default domain to
   * the flush queue live, drivers bound). Omitted: nobody writes it.
   */
  readonly groupTypeWrites?: boolean;
  /** Platform settings (interrupt remapping, MSI region, module parameters, coherency; src/machines/platform.ts); defaults when omitted. */
  readonly platform?: PlatformSpec;
}

const ONE_GROUP: readonly GroupSpec[] = [{ name: '0' }];

/** The scenario's IOMMU groups (one group when it names none). */
export const scenarioGroups = (scenario: Scenario): readonly GroupSpec[] => scenario.groups ?? ONE_GROUP;

/** Reports name groups when the machine has several (a component of a decomposed scenario counts the whole machine's). */
export const namesGroups = (scenario: Scenario): boolean => (scenario.wholeGroups ?? scenarioGroups(scenario).length) > 1;

/** The scenario puts DMA, its mappings and the IOTLB into the interleavings: some device is a DMA actor. */
export const translationEnabled = (scenario: Scenario): boolean => scenario.devices.some((d) => d.dma === true);

/** IOVA pages per default domain (Scenario.iovaPages, 1 when omitted). */
export const iovaPagesOf = (scenario: Scenario): number => scenario.iovaPages ?? 1;

/**
 * The scenario models PASID values and page requests (issue 15, step 6): some device says how many
 * PASIDs it may use (`pasids`) or has PRI. Otherwise groups carry no `iopf` state and SVA keeps its
 * one process with the fixed PASID.
 */
export const pasidAllocation = (scenario: Scenario): boolean => scenario.devices.some((d) => d.pasids !== undefined || d.pri === true);

/**
 * Group g has user mappings in its translation state (issue 15, step 5): some context with
 * `mapDma` may take a DMA actor of the group. Otherwise the group carries no user page table.
 */
export const userMappingsIn = (scenario: Scenario, g: number): boolean =>
  scenario.contexts.some((c, ctx) => c.mapDma === true && contextDevices(scenario, ctx).some((dev) => scenario.devices[dev]?.dma === true && (scenario.devices[dev]!.group ?? 0) === g));

/**
 * The scenario stages PCI resets (issue 16): some device is `resettable` (or `hotReset`: a bus reset puts its members in reset). Otherwise no device or
 * group carries the reset fields (blocked, reset_depth, resetting, recovery_cnt).
 */
export const resetsEnabled = (scenario: Scenario): boolean => scenario.devices.some((d) => d.resettable === true || d.hotReset === true);

/** VFIO hot reset (issue 16, Deliver 2): some device is `hotReset`. Otherwise no device carries DeviceState.hot_reset. */
export const hotResetsEnabled = (scenario: Scenario): boolean => scenario.devices.some((d) => d.hotReset === true);

/**
 * The scenario has vDEVICEs (issue 16, helper E): some context has `viommu`. Otherwise no device
 * carries the vDEVICE field (DeviceState.vdevice).
 */
export const vdevicesEnabled = (scenario: Scenario): boolean => scenario.contexts.some((c) => c.viommu === true);

/**
 * BAR access (issue 16, Deliver 6): some device is `barMmap`. Otherwise no device carries the BAR
 * fields (command_memory, bar_ptes, memory_lock) and no BAR event is offered.
 */
export const barMmapEnabled = (scenario: Scenario): boolean => scenario.devices.some((d) => d.barMmap === true);

/** BAR DMABUF exports (issue 16, Deliver 6): some `barMmap` device is `barDmabuf`. */
export const barDmabufEnabled = (scenario: Scenario): boolean => scenario.devices.some((d) => d.barMmap === true && d.barDmabuf === true);

/**
 * Cache coherency (issue 16, Deliver 5): some device issues no-snoop requests (`noSnoop`).
 * Otherwise no device or context carries the coherency fields and dma_no_snoop is not offered.
 */
export const coherencyEnabled = (scenario: Scenario): boolean => scenario.devices.some((d) => d.noSnoop === true);

/**
 * The scenario has fault-capable hwpts (issue 16, helper E): some context has `faultHwpts`.
 * Otherwise no device carries the page-request field (DeviceState.iopf_pending).
 */
export const faultQueuesEnabled = (scenario: Scenario): boolean => scenario.contexts.some((c) => c.faultHwpts === true);
