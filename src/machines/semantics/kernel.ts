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
  // drivers/iommu/iommu.c: the default domain's type (DMA or DMA-FQ) for a group with a DMA actor
  iommu_setup_default_domain: KernelFn<GroupArg>;
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
  // User mappings (issue 15, step 5; vfioType1.ts, iommufdIoas.ts): drivers/vfio/vfio_iommu_type1.c, drivers/iommu/iommufd/{io_pagetable,pages}.c
  vfio_dma_do_map: KernelFn<UserIovaArg>;
  vfio_dma_do_unmap: KernelFn<UserIovaArg>;
  vfio_sync_unpin: KernelFn<CtxGroupArg>;
  vfio_unpin_pages_remote: KernelFn<CtxGroupArg & { phys: number }>;
  iopt_map_user_pages: KernelFn<UserIovaArg>;
  iopt_unmap_iova: KernelFn<UserIovaArg>;
  iopt_area_unpin_domain: KernelFn<CtxGroupArg>;
  batch_unpin: KernelFn<CtxGroupArg & { phys: number }>;
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
  iommu_setup_default_domain: IOMMU,
  iommu_dma_map_page: DMA_IOMMU,
  iommu_dma_unmap_page: DMA_IOMMU,
  __iommu_dma_unmap: DMA_IOMMU,
  fq_flush_timeout: DMA_IOMMU,
  iommu_iotlb_sync: IOMMU,
  iommu_flush_dev_iotlb: 'drivers/iommu/intel/iommu.c',
  pci_ats_supported: 'drivers/pci/ats.c',
  pci_enable_ats: 'drivers/pci/ats.c',
  pci_disable_ats: 'drivers/pci/ats.c',
  device_block_translation: 'drivers/iommu/intel/iommu.c',
  pci_std_enable_acs: 'drivers/pci/pci.c',
  pci_enable_pri: 'drivers/pci/ats.c',
  iommu_page_response: 'drivers/iommu/io-pgfault.c',
  iopf_queue_flush_dev: 'drivers/iommu/io-pgfault.c',
  intel_drain_pasid_prq: 'drivers/iommu/intel/svm.c',
  vfio_dma_do_map: 'drivers/vfio/vfio_iommu_type1.c',
  vfio_dma_do_unmap: 'drivers/vfio/vfio_iommu_type1.c',
  vfio_sync_unpin: 'drivers/vfio/vfio_iommu_type1.c',
  vfio_unpin_pages_remote: 'drivers/vfio/vfio_iommu_type1.c',
  iopt_map_user_pages: 'drivers/iommu/iommufd/io_pagetable.c',
  iopt_unmap_iova: 'drivers/iommu/iommufd/io_pagetable.c',
  iopt_area_unpin_domain: 'drivers/iommu/iommufd/pages.c',
  batch_unpin: 'drivers/iommu/iommufd/pages.c',
};
