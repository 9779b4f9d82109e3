/**
 * The rule table: every modelled kernel function as a pure function over the model state.
 *
 * Functions call each other through `env.k`, never directly, so that a design variant that
 * overrides one function (say `__iommu_take_dma_ownership`) changes every path that uses it,
 * exactly as patching that function in the kernel would.
 */
import type { KernelResult } from '../../kernel/errno.ts';
import type { Scenario } from '../scenario.ts';
import type { DriverName } from '../../kernel/drivers.ts';
import type { Owner, SystemState } from '../state.ts';

/** What every semantic function sees besides the state: the rules in force and the scenario. */
export interface Env {
  readonly k: Kernel;
  readonly scenario: Scenario;
}

/** A kernel function of the model. */
export type KernelFn<A> = (env: Env, s: SystemState, a: A) => KernelResult<SystemState>;

export interface DevArg {
  readonly dev: number;
}
export interface CtxArg {
  readonly ctx: number;
}
export interface CtxDevArg {
  readonly ctx: number;
  readonly dev: number;
}
export type NoArg = Record<string, never>;
/** The IOMMU group a group-level function acts on (the kernel's `struct iommu_group *group`). */
export interface GroupArg {
  readonly group: number;
}
/** A context acting on one group's VFIO group file. */
export interface CtxGroupArg {
  readonly ctx: number;
  readonly group: number;
}

/** A kernel driver's DMA address: the device and its IOVA page (dma_unmap_page's dma_handle). */
export interface IovaArg {
  readonly dev: number;
  readonly iova: number;
}
/**
 * An IOTLB gather (struct iommu_iotlb_gather) on a group's domain: the IOVA page it covers, or
 * null for the whole domain (flush_iotlb_all).
 */
export interface GatherArg {
  readonly group: number;
  readonly domain: string;
  readonly iova: number | null;
}

/** A user context's mapping in one group's user domain: the IOVA page (VFIO_IOMMU_MAP_DMA's iova, IOMMU_IOAS_MAP's iova). */
export interface UserIovaArg {
  readonly ctx: number;
  readonly group: number;
  readonly iova: number;
}

/** Every modelled kernel function, named verbatim; the file each lives in is given per group. */
export interface Kernel {
  // drivers/iommu/iommu.c: DMA ownership
  iommu_device_use_default_domain: KernelFn<DevArg>;
  iommu_device_unuse_default_domain: KernelFn<DevArg>;
  __iommu_take_dma_ownership: KernelFn<GroupArg & { owner: Owner }>;
  iommu_group_claim_dma_owner: KernelFn<GroupArg & { owner: Owner }>;
  iommu_device_claim_dma_owner: KernelFn<{ dev: number; owner: Owner }>;
  __iommu_release_dma_ownership: KernelFn<GroupArg>;
  iommu_group_release_dma_owner: KernelFn<GroupArg>;
  iommu_device_release_dma_owner: KernelFn<DevArg>;
  // drivers/iommu/iommu.c: domains
  /** `mustSucceed`: IOMMU_SET_DOMAIN_MUST_SUCCEED (__iommu_group_set_domain_nofail's callers), which passes the recovery_cnt fence. */
  __iommu_group_set_domain: KernelFn<GroupArg & { domain: string; mustSucceed?: boolean }>;
  __iommu_group_set_core_domain: KernelFn<GroupArg>;
  __iommu_attach_group: KernelFn<GroupArg & { domain: string }>;
  iommu_attach_device: KernelFn<{ dev: number; domain: string }>;
  iommu_detach_device: KernelFn<{ dev: number; domain: string }>;
  iommu_attach_group: KernelFn<GroupArg & { domain: string }>;
  iommu_detach_group: KernelFn<GroupArg & { domain: string }>;
  iommu_attach_group_handle: KernelFn<GroupArg & { domain: string }>;
  iommu_detach_group_handle: KernelFn<GroupArg & { domain: string }>;
  iommu_replace_group_handle: KernelFn<GroupArg & { domain: string }>;
  iommu_attach_device_pasid: KernelFn<{ dev: number; pasid: number; domain: string }>;
  iommu_detach_device_pasid: KernelFn<{ dev: number; pasid: number }>;
  /** Frees a driver's private domain (the driver's side; the core only frees what it owns). */
  iommu_domain_free: KernelFn<{ domain: string }>;
  // drivers/iommu/iommu.c: staged PCI resets (issue 16, src/machines/semantics/pciReset.ts)
  pci_dev_reset_iommu_prepare: KernelFn<DevArg>;
  pci_dev_reset_iommu_done: KernelFn<DevArg>;
  __iommu_attach_device: KernelFn<{ dev: number; domain: string }>;
  // drivers/iommu/iommu.c: reserved regions (issue 16, Deliver 3; iommuResv.ts): one member's attach, the require_direct refusal
  __iommu_device_set_domain: KernelFn<{ dev: number; domain: string }>;
  // drivers/iommu/iommu.c: device probe / release into the group
  iommu_probe_device: KernelFn<DevArg>;
  iommu_release_device: KernelFn<DevArg>;
  // drivers/iommu/iommu-sva.c
  /** `mm`: the process whose address space is bound (scenarios with PASID values, src/machines/iopf.ts); omitted: the one process. */
  iommu_sva_bind_device: KernelFn<DevArg & { mm?: number }>;
  iommu_sva_unbind_device: KernelFn<DevArg>;
  // drivers/pci/pci-driver.c
  pci_dma_configure: KernelFn<DevArg>;
  pci_dma_cleanup: KernelFn<DevArg>;
  // drivers/pci/iov.c: SR-IOV
  pci_enable_sriov: KernelFn<DevArg>;
  pci_disable_sriov: KernelFn<DevArg>;
  // drivers/base/dd.c
  really_probe: KernelFn<{ dev: number; driver: DriverName }>;
  device_release_driver: KernelFn<DevArg>;
  // drivers/vfio/group.c, drivers/vfio/container.c
  vfio_group_fops_open: KernelFn<CtxGroupArg>;
  vfio_group_ioctl_set_container: KernelFn<CtxGroupArg>;
  vfio_ioctl_set_iommu: KernelFn<CtxArg>;
  vfio_group_ioctl_get_device_fd: KernelFn<CtxDevArg>;
  vfio_device_fops_release: KernelFn<CtxDevArg>;
  vfio_group_fops_release: KernelFn<CtxGroupArg>;
  vfio_group_detach_container: KernelFn<GroupArg>;
  // drivers/vfio/device_cdev.c, drivers/iommu/iommufd/device.c
  vfio_df_ioctl_bind_iommufd: KernelFn<CtxDevArg>;
  vfio_df_ioctl_attach_pt: KernelFn<CtxDevArg & { hwpt: number }>;
  vfio_df_ioctl_detach_pt: KernelFn<CtxDevArg>;
  vfio_df_unbind_iommufd: KernelFn<CtxDevArg>;
  iommufd_device_bind: KernelFn<CtxDevArg>;
  iommufd_device_attach: KernelFn<CtxDevArg & { hwpt: number }>;
  iommufd_device_replace: KernelFn<CtxDevArg & { hwpt: number }>;
  iommufd_device_detach: KernelFn<CtxDevArg>;
  iommufd_device_unbind: KernelFn<CtxDevArg>;
  // drivers/iommu/iommufd/{hw_pagetable,main}.c: hwpt lifetimes (issue 16; iommufdHwpt.ts)
  iommufd_hwpt_alloc: KernelFn<CtxArg & { hwpt: number }>;
  iommufd_destroy: KernelFn<CtxArg & { hwpt: number }>;
  /** The context closes its iommufd fd (fput); the file's release runs now or at the last bound device's iommufd_ctx_put. */
  iommufd_fops_release: KernelFn<CtxArg>;
  // drivers/iommu/iommufd/{viommu,driver}.c: vDEVICEs (issue 16, Deliver 7; iommufdViommu.ts)
  /** One step of IOMMU_VDEVICE_ALLOC; `initFails`: the driver's vdevice_init fails if this step runs it. */
  iommufd_vdevice_alloc_ioctl: KernelFn<CtxDevArg & { initFails?: boolean }>;
  /** ok: the device's vDEVICE is in viommu->vdevs (the lookup returns it); -EIO: not found. */
  iommufd_viommu_find_dev: KernelFn<CtxDevArg>;
  // drivers/iommu/iommufd/{eventq,device}.c: fault queues of fault-capable hwpts (issue 16, Deliver 1; iommufdFault.ts)
  iommufd_fault_iopf_handler: KernelFn<DevArg>;
  iommufd_fault_fops_write: KernelFn<CtxDevArg>;
  iommufd_auto_response_faults: KernelFn<CtxGroupArg & { hwpt: number }>;
  /** The replace of a group from hwpt `old` to `hwpt` (iommu_replace_group_handle), then the old hwpt's auto-response. */
  iommufd_hwpt_replace_device: KernelFn<CtxGroupArg & { hwpt: number; old: number }>;
  /** The last device of a group detaches from `hwpt` (iommu_detach_group_handle), then its auto-response. */
  iommufd_hwpt_detach_device: KernelFn<CtxGroupArg & { hwpt: number }>;
  // drivers/iommu/iommu.c: the default domain's type (DMA or DMA-FQ) for a group with a DMA actor
  iommu_setup_default_domain: KernelFn<GroupArg>;
  /** echo DMA-FQ > /sys/kernel/iommu_groups/G/type: iommu_group_store_type's live DMA -> DMA-FQ switch. */
  iommu_group_store_type: KernelFn<GroupArg>;
  // drivers/iommu/dma-iommu.c: the DMA API of kernel drivers (translation path, issue 15)
  iommu_dma_map_page: KernelFn<{ dev: number; phys: number }>;
  iommu_dma_unmap_page: KernelFn<IovaArg>;
  __iommu_dma_unmap: KernelFn<IovaArg>;
  fq_flush_timeout: KernelFn<GroupArg>;
  // drivers/iommu/iommu.c: the driver's IOTLB invalidation of a gather
  iommu_iotlb_sync: KernelFn<GatherArg>;
  // drivers/iommu/intel/iommu.c: the device-TLB (ATC) invalidation that follows it
  iommu_flush_dev_iotlb: KernelFn<GatherArg>;
  // drivers/pci/ats.c: ATS (pci_ats_supported answers ok = supported, -EINVAL = not: see pciAts.ts)
  pci_ats_supported: KernelFn<DevArg>;
  pci_enable_ats: KernelFn<DevArg>;
  pci_disable_ats: KernelFn<DevArg>;
  // drivers/iommu/intel/iommu.c: the ATS half of taking a RID off its domain before an attach
  device_block_translation: KernelFn<DevArg & { domain: string }>;
  // drivers/pci/pci.c: the Translation Blocking clause of the ACS setup of a port
  pci_std_enable_acs: KernelFn<GroupArg & { port: string; external_facing: boolean }>;
  // PASID + PRI (issue 15, step 6; src/machines/semantics/ioPgfault.ts): drivers/pci/ats.c, drivers/iommu/io-pgfault.c, intel-iommu's drain
  pci_enable_pri: KernelFn<DevArg>;
  iommu_page_response: KernelFn<DevArg & { pasid: number }>;
  iopf_queue_flush_dev: KernelFn<DevArg>;
  intel_drain_pasid_prq: KernelFn<DevArg & { pasid: number }>;
  // the SVA driver's drain of a PASID's work before iommu_sva_unbind_device (svaWorkDrain.ts)
  idxd_device_drain_pasid: KernelFn<DevArg & { pasid: number }>;
  // User mappings (issue 15, step 5; vfioType1.ts, iommufdIoas.ts): drivers/vfio/vfio_iommu_type1.c, drivers/iommu/iommufd/{io_pagetable,pages}.c
  vfio_dma_do_map: KernelFn<UserIovaArg>;
  vfio_dma_do_unmap: KernelFn<UserIovaArg>;
  vfio_sync_unpin: KernelFn<CtxGroupArg>;
  vfio_unpin_pages_remote: KernelFn<CtxGroupArg & { phys: number }>;
  iopt_map_user_pages: KernelFn<UserIovaArg>;
  iopt_unmap_iova: KernelFn<UserIovaArg>;
  iopt_area_unpin_domain: KernelFn<CtxGroupArg>;
  batch_unpin: KernelFn<CtxGroupArg & { phys: number }>;
  // BAR access (issue 16, Deliver 6; vfioPciCore.ts): drivers/vfio/pci/vfio_pci_{core,config,rdwr}.c, drivers/pci/pci.c
  /** ok: the user's memory decode is on (vconfig PCI_COMMAND_MEMORY); -EIO with the reason: off. */
  __vfio_pci_memory_enabled: KernelFn<DevArg>;
  vfio_pci_zap_bars: KernelFn<DevArg>;
  vfio_pci_zap_and_down_write_memory_lock: KernelFn<DevArg>;
  vfio_pci_mmap_huge_fault: KernelFn<CtxDevArg>;
  /** A user write of PCI_COMMAND through the config region: `memory` is the PCI_COMMAND_MEMORY bit written. */
  vfio_basic_config_write: KernelFn<CtxDevArg & { memory: boolean }>;
  vfio_pci_core_iowrite: KernelFn<CtxDevArg>;
  /** VFIO_DEVICE_RESET up to the reset itself: the zap, memory_lock taken for write, the reset method begun. */
  vfio_pci_ioctl_reset: KernelFn<CtxDevArg>;
  /** The end of pci_try_reset_function (the reset method's done, the saved config restored); vfio_pci_ioctl_reset then drops memory_lock. */
  pci_dev_restore: KernelFn<DevArg>;
  /** VFIO_DEVICE_FEATURE_DMA_BUF of the device's BAR, mapped into context `ctx`'s IOAS (IOMMU_IOAS_MAP_FILE). */
  vfio_pci_core_feature_dma_buf: KernelFn<CtxDevArg>;
  /** Revoke (`revoked`) or un-revoke the device's DMABUF exports; caller holds memory_lock for write. */
  vfio_pci_dma_buf_move: KernelFn<DevArg & { revoked: boolean }>;
  // Interrupts (issue 16, Deliver 4): drivers/iommu/iommu.c (iommuMsi.ts), drivers/vfio/vfio_iommu_type1.c (vfioType1.ts)
  /** ok: every device of the group has isolated MSI (interrupt remapping); -EPERM with the reason: not. */
  iommu_group_has_isolated_msi: KernelFn<GroupArg>;
  /** The type1 backend's attach_group of group `group` to context `ctx`'s container domain (VFIO_SET_IOMMU, VFIO_GROUP_SET_CONTAINER). */
  vfio_iommu_type1_attach_group: KernelFn<CtxGroupArg>;
  // Cache coherency (issue 16, Deliver 5; cacheCoherency.ts): drivers/iommu/intel/iommu.c, drivers/iommu/iommufd/hw_pagetable.c
  /** The domain op enforce_cache_coherency: ok = returned true (force_snooping set), -EINVAL = returned false. `group`: type1's per-group vfio_domain (see cacheCoherency.ts). */
  iommu_enforce_cache_coherency: KernelFn<{ domain: string; group?: number }>;
  iommufd_hwpt_paging_enforce_cc: KernelFn<CtxArg & { hwpt: number }>;
  /** The IOMMU driver's check before attach_dev of `dev` to a paging domain (its snoop clause). */
  paging_domain_compatible: KernelFn<{ dev: number; domain: string }>;
  // Reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G; ioPagetableResv.ts)
  /** ok: `iova` is in the container's valid IOVA list (no reserved region of a group on it); -EINVAL: not. */
  vfio_iommu_iova_dma_valid: KernelFn<UserIovaArg>;
  /** iommufd's check of a fixed IOVA: -EINVAL when reserved in the IOAS (an attached device's region), -EEXIST when an area covers it. */
  iopt_check_iova: KernelFn<UserIovaArg>;
  /** At attach of `dev` to hwpt `hwpt` of `ctx`: its reserved regions into the IOAS; -EADDRINUSE when an area already covers one. */
  iopt_table_enforce_dev_resv_regions: KernelFn<CtxDevArg & { hwpt: number }>;
  // VFIO hot reset (issue 16, Deliver 2, helper H; vfioPciHotReset.ts): drivers/vfio/pci/vfio_pci_core.c, drivers/pci/pci.c
  /** VFIO_DEVICE_PCI_HOT_RESET through `dev`'s fd up to the bus reset: ownership per member, memory_lock, zap, members in reset. */
  vfio_pci_ioctl_pci_hot_reset: KernelFn<CtxDevArg>;
  /** Legacy ownership proof: ok when one of the group files `ctx` passes is `dev`'s VFIO group; -EINVAL: not. */
  vfio_dev_in_groups: KernelFn<CtxDevArg>;
  /** cdev ownership proof: ok when `dev` (or a device of its IOMMU group) is bound to `ctx`'s iommufd; -ENODEV: not owned. */
  vfio_iommufd_get_dev_id: KernelFn<CtxDevArg>;
  /** pci_reset_bus's per-device save and disable before the secondary bus reset (the device is then in reset). */
  pci_bus_save_and_disable_locked: KernelFn<DevArg>;
  /** pci_reset_bus's per-device restore after the secondary bus reset. */
  pci_bus_restore_locked: KernelFn<DevArg>;
}

/** Names of all kernel functions in the rule table. */
export type KernelFnName = keyof Kernel;

const IOMMU = 'drivers/iommu/iommu.c';
const SVA = 'drivers/iommu/iommu-sva.c';
const PCI = 'drivers/pci/pci-driver.c';
const DD = 'drivers/base/dd.c';
const VFIO_GROUP = 'drivers/vfio/group.c';
const VFIO_CONTAINER = 'drivers/vfio/container.c';
const VFIO_CDEV = 'drivers/vfio/device_cdev.c';
const IOMMUFD = 'drivers/iommu/iommufd/device.c';
const DMA_IOMMU = 'drivers/iommu/dma-iommu.c';

/** The kernel source file of every modelled function (docs/machines.md prints it per event). */
export const KERNEL_FUNCTION_FILES: Readonly<Record<KernelFnName, string>> = {
  iommu_device_use_default_domain: IOMMU,
  iommu_device_unuse_default_domain: IOMMU,
  __iommu_take_dma_ownership: IOMMU,
  iommu_group_claim_dma_owner: IOMMU,
  iommu_device_claim_dma_owner: IOMMU,
  __iommu_release_dma_ownership: IOMMU,
  iommu_group_release_dma_owner: IOMMU,
  iommu_device_release_dma_owner: IOMMU,
  __iommu_group_set_domain: IOMMU,
  __iommu_group_set_core_domain: IOMMU,
  __iommu_attach_group: IOMMU,
  iommu_attach_device: IOMMU,
  iommu_detach_device: IOMMU,
  iommu_attach_group: IOMMU,
  iommu_detach_group: IOMMU,
  iommu_attach_group_handle: IOMMU,
  iommu_detach_group_handle: IOMMU,
  iommu_replace_group_handle: IOMMU,
  iommu_attach_device_pasid: IOMMU,
  iommu_detach_device_pasid: IOMMU,
  iommu_domain_free: IOMMU,
  pci_dev_reset_iommu_prepare: IOMMU,
  pci_dev_reset_iommu_done: IOMMU,
  __iommu_attach_device: IOMMU,
  __iommu_device_set_domain: IOMMU,
  iommu_probe_device: IOMMU,
  iommu_release_device: IOMMU,
  iommu_sva_bind_device: SVA,
  iommu_sva_unbind_device: SVA,
  pci_dma_configure: PCI,
  pci_dma_cleanup: PCI,
  pci_enable_sriov: 'drivers/pci/iov.c',
  pci_disable_sriov: 'drivers/pci/iov.c',
  really_probe: DD,
  device_release_driver: DD,
  vfio_group_fops_open: VFIO_GROUP,
  vfio_group_ioctl_set_container: VFIO_GROUP,
  vfio_ioctl_set_iommu: VFIO_CONTAINER,
  vfio_group_ioctl_get_device_fd: VFIO_GROUP,
  vfio_device_fops_release: 'drivers/vfio/vfio_main.c',
  vfio_group_fops_release: VFIO_GROUP,
  vfio_group_detach_container: VFIO_CONTAINER,
  vfio_df_ioctl_bind_iommufd: VFIO_CDEV,
  vfio_df_ioctl_attach_pt: VFIO_CDEV,
  vfio_df_ioctl_detach_pt: VFIO_CDEV,
  vfio_df_unbind_iommufd: VFIO_CDEV,
  iommufd_device_bind: IOMMUFD,
  iommufd_device_attach: IOMMUFD,
  iommufd_device_replace: IOMMUFD,
  iommufd_device_detach: IOMMUFD,
  iommufd_device_unbind: IOMMUFD,
  iommufd_hwpt_alloc: 'drivers/iommu/iommufd/hw_pagetable.c',
  iommufd_destroy: 'drivers/iommu/iommufd/main.c',
  iommufd_fops_release: 'drivers/iommu/iommufd/main.c',
  iommufd_vdevice_alloc_ioctl: 'drivers/iommu/iommufd/viommu.c',
  iommufd_viommu_find_dev: 'drivers/iommu/iommufd/driver.c',
  iommufd_fault_iopf_handler: 'drivers/iommu/iommufd/eventq.c',
  iommufd_fault_fops_write: 'drivers/iommu/iommufd/eventq.c',
  iommufd_auto_response_faults: 'drivers/iommu/iommufd/eventq.c',
  iommufd_hwpt_replace_device: IOMMUFD,
  iommufd_hwpt_detach_device: IOMMUFD,
  iommu_setup_default_domain: IOMMU,
  iommu_group_store_type: IOMMU,
  iommu_dma_map_page: DMA_IOMMU,
  iommu_dma_unmap_page: DMA_IOMMU,
  __iommu_dma_unmap: DMA_IOMMU,
  fq_flush_timeout: DMA_IOMMU,
  iommu_iotlb_sync: IOMMU,
  // intel-iommu's historical name (removed with the cache-tag rework); today cache_tag_flush_devtlb_psi, per driver in src/kernel/iommuDrivers.ts.
  iommu_flush_dev_iotlb: 'drivers/iommu/intel/cache.c',
  pci_ats_supported: 'drivers/pci/ats.c',
  pci_enable_ats: 'drivers/pci/ats.c',
  pci_disable_ats: 'drivers/pci/ats.c',
  device_block_translation: 'drivers/iommu/intel/iommu.c',
  pci_std_enable_acs: 'drivers/pci/pci.c',
  pci_enable_pri: 'drivers/pci/ats.c',
  iommu_page_response: 'drivers/iommu/io-pgfault.c',
  iopf_queue_flush_dev: 'drivers/iommu/io-pgfault.c',
  intel_drain_pasid_prq: 'drivers/iommu/intel/svm.c',
  idxd_device_drain_pasid: 'drivers/dma/idxd/device.c',
  vfio_dma_do_map: 'drivers/vfio/vfio_iommu_type1.c',
  vfio_dma_do_unmap: 'drivers/vfio/vfio_iommu_type1.c',
  vfio_sync_unpin: 'drivers/vfio/vfio_iommu_type1.c',
  vfio_unpin_pages_remote: 'drivers/vfio/vfio_iommu_type1.c',
  iopt_map_user_pages: 'drivers/iommu/iommufd/io_pagetable.c',
  iopt_unmap_iova: 'drivers/iommu/iommufd/io_pagetable.c',
  iopt_area_unpin_domain: 'drivers/iommu/iommufd/pages.c',
  batch_unpin: 'drivers/iommu/iommufd/pages.c',
  // BAR access (issue 16, Deliver 6)
  __vfio_pci_memory_enabled: 'drivers/vfio/pci/vfio_pci_config.c',
  vfio_pci_zap_bars: 'drivers/vfio/pci/vfio_pci_core.c',
  vfio_pci_zap_and_down_write_memory_lock: 'drivers/vfio/pci/vfio_pci_core.c',
  vfio_pci_mmap_huge_fault: 'drivers/vfio/pci/vfio_pci_core.c',
  vfio_basic_config_write: 'drivers/vfio/pci/vfio_pci_config.c',
  vfio_pci_core_iowrite: 'drivers/vfio/pci/vfio_pci_rdwr.c',
  vfio_pci_ioctl_reset: 'drivers/vfio/pci/vfio_pci_core.c',
  pci_dev_restore: 'drivers/pci/pci.c',
  vfio_pci_core_feature_dma_buf: 'drivers/vfio/pci/vfio_pci_dmabuf.c',
  vfio_pci_dma_buf_move: 'drivers/vfio/pci/vfio_pci_dmabuf.c',
  // Interrupts (issue 16, Deliver 4)
  iommu_group_has_isolated_msi: IOMMU,
  vfio_iommu_type1_attach_group: 'drivers/vfio/vfio_iommu_type1.c',
  // Cache coherency (issue 16, Deliver 5)
  iommu_enforce_cache_coherency: 'drivers/iommu/intel/iommu.c',
  iommufd_hwpt_paging_enforce_cc: 'drivers/iommu/iommufd/hw_pagetable.c',
  paging_domain_compatible: 'drivers/iommu/intel/iommu.c',
  // Reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G)
  vfio_iommu_iova_dma_valid: 'drivers/vfio/vfio_iommu_type1.c',
  iopt_check_iova: 'drivers/iommu/iommufd/io_pagetable.c',
  iopt_table_enforce_dev_resv_regions: 'drivers/iommu/iommufd/io_pagetable.c',
  // VFIO hot reset (issue 16, Deliver 2, helper H)
  vfio_pci_ioctl_pci_hot_reset: 'drivers/vfio/pci/vfio_pci_core.c',
  vfio_dev_in_groups: 'drivers/vfio/pci/vfio_pci_core.c',
  vfio_iommufd_get_dev_id: 'drivers/vfio/iommufd.c',
  pci_bus_save_and_disable_locked: 'drivers/pci/pci.c',
  pci_bus_restore_locked: 'drivers/pci/pci.c',
};
