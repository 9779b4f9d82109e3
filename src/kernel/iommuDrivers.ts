/**
 * The IOMMU drivers a scenario may run on (`platform: iommuDriver`, src/machines/platform.ts) and,
 * for each, the driver functions behind the model's generic steps of the ATS/IOTLB path (issue 15:
 * "cite the kernel function (and driver: intel-iommu, arm-smmu-v3, amd) behind every rule").
 *
 * The model keeps one generic step per rule, named after the core function or intel's historical
 * name (`iommu_iotlb_sync`, `iommu_flush_dev_iotlb`, `pci_enable_ats`, `fq_flush_timeout`,
 * `device_block_translation`): all three drivers invalidate the IOTLB first and the device-TLBs
 * (ATCs) after it, and wait. Where a driver does the step only in some configurations (ATS
 * disabled on a domain switch), its entry says so in `note`. This
 * table only says which driver function carries out that step, for traces, `iommu-mc list` and the
 * docs; it changes no state and no verdict. Every entry was read in the copy named in
 * `IOMMU_DRIVER_SOURCES` (docs/kernel-notes.md section 10.7).
 */

/** The IOMMU driver of a scenario's machine. */
export type IommuDriver = 'intel' | 'arm-smmu-v3' | 'amd';

/** Every IOMMU driver, in the order the CLI and the docs list them. */
export const IOMMU_DRIVERS: readonly IommuDriver[] = ['intel', 'arm-smmu-v3', 'amd'];

/** The driver a scenario that names none runs on (the model's behaviour before the setting existed). */
export const DEFAULT_IOMMU_DRIVER: IommuDriver = 'intel';

/** The model steps a driver carries out with functions of its own. */
export type DriverStep = 'pci_enable_ats' | 'iommu_iotlb_sync' | 'iommu_flush_dev_iotlb' | 'fq_flush_timeout' | 'device_block_translation';

/** The model steps of `DriverStep`, in the order of an unmap's life, then ATS off when the RID leaves the domain. */
export const DRIVER_STEPS: readonly DriverStep[] = ['pci_enable_ats', 'iommu_iotlb_sync', 'iommu_flush_dev_iotlb', 'fq_flush_timeout', 'device_block_translation'];

/** The driver function that carries out one model step, the path from the driver's entry point, and its file. */
export interface DriverCall {
  /** The function that does the step's work (its invalidation command, its pci_enable_ats call). */
  readonly fn: string;
  /** The driver's entry point down to `fn`, outermost first (`fn` itself last). */
  readonly chain: readonly string[];
  readonly file: string;
  /** Where the driver differs from the model's step (when it does not take it, or takes it elsewhere). */
  readonly note?: string;
}

const INTEL = 'drivers/iommu/intel/iommu.c';
const INTEL_CACHE = 'drivers/iommu/intel/cache.c';
const SMMUV3 = 'drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c';
const AMD = 'drivers/iommu/amd/iommu.c';

/** The copy of each driver the table was verified against (repo, commit, file). */
export const IOMMU_DRIVER_SOURCES: Readonly<Record<IommuDriver, { readonly repo: string; readonly commit: string; readonly files: readonly string[] }>> = {
  intel: { repo: 'gregkh/linux', commit: '362f34fba309536598a02bc0541ccaeae2bc9052', files: [INTEL, INTEL_CACHE] },
  'arm-smmu-v3': { repo: 'gregkh/linux', commit: 'f0a831956806ccced6696c0808bf794130d5337e', files: [SMMUV3] },
  amd: { repo: 'gregkh/linux', commit: 'bbd92f5b718618c888d945b883e6bdac4ca97852', files: [AMD] },
};

/** For each driver and step, the driver function behind it. */
export const IOMMU_DRIVER_CALLS: Readonly<Record<IommuDriver, Readonly<Record<DriverStep, DriverCall>>>> = {
  intel: {
    // intel_iommu_probe_finalize (scalable mode) or domain_context_mapping (legacy) -> iommu_enable_pci_ats -> pci_enable_ats.
    pci_enable_ats: { fn: 'iommu_enable_pci_ats', chain: ['intel_iommu_probe_finalize', 'iommu_enable_pci_ats'], file: INTEL },
    // intel_iommu_tlb_sync -> cache_tag_flush_range: the domain's CACHE_TAG_IOTLB tag before its CACHE_TAG_DEVTLB tags, one qi_batch, qi_submit_sync.
    iommu_iotlb_sync: { fn: 'cache_tag_flush_iotlb', chain: ['intel_iommu_tlb_sync', 'cache_tag_flush_range', 'cache_tag_flush_iotlb'], file: INTEL_CACHE },
    iommu_flush_dev_iotlb: { fn: 'cache_tag_flush_devtlb_psi', chain: ['intel_iommu_tlb_sync', 'cache_tag_flush_range', 'cache_tag_flush_devtlb_psi'], file: INTEL_CACHE },
    fq_flush_timeout: { fn: 'cache_tag_flush_all', chain: ['intel_flush_iotlb_all', 'cache_tag_flush_all'], file: INTEL_CACHE },
    // blocking_domain_attach_dev (also the start of intel_iommu_attach_device and identity_domain_attach_dev)
    // -> device_block_translation: legacy mode domain_context_clear -> iommu_disable_pci_ats -> pci_disable_ats;
    // scalable mode intel_pasid_tear_down_entry only (PASID cache, IOTLB, then devtlb_invalidation_with_pasid).
    device_block_translation: {
      fn: 'iommu_disable_pci_ats',
      chain: ['blocking_domain_attach_dev', 'device_block_translation', 'domain_context_clear', 'iommu_disable_pci_ats'],
      file: INTEL,
      note: 'legacy mode only: scalable mode keeps ATS and flushes the device-TLB (intel_pasid_tear_down_entry), as variant ats-always-on',
    },
  },
  'arm-smmu-v3': {
    // arm_smmu_attach_commit -> arm_smmu_enable_ats: arm_smmu_atc_inv_master, then pci_enable_ats.
    pci_enable_ats: { fn: 'arm_smmu_enable_ats', chain: ['arm_smmu_attach_commit', 'arm_smmu_enable_ats'], file: SMMUV3 },
    // arm_smmu_iotlb_sync -> arm_smmu_tlb_inv_range_domain: __arm_smmu_tlb_inv_range (TLBI + CMD_SYNC), then arm_smmu_atc_inv_domain.
    iommu_iotlb_sync: { fn: '__arm_smmu_tlb_inv_range', chain: ['arm_smmu_iotlb_sync', 'arm_smmu_tlb_inv_range_domain', '__arm_smmu_tlb_inv_range'], file: SMMUV3 },
    iommu_flush_dev_iotlb: { fn: 'arm_smmu_atc_inv_domain', chain: ['arm_smmu_iotlb_sync', 'arm_smmu_tlb_inv_range_domain', 'arm_smmu_atc_inv_domain'], file: SMMUV3 },
    fq_flush_timeout: { fn: 'arm_smmu_tlb_inv_context', chain: ['arm_smmu_flush_iotlb_all', 'arm_smmu_tlb_inv_context'], file: SMMUV3 },
    // arm_smmu_attach_dev_blocked -> arm_smmu_attach_dev_ste -> arm_smmu_attach_prepare: pci_disable_ats (the
    // new domain is not paging, so state.ats_enabled stays false); then the abort STE (EATS off); then
    // arm_smmu_attach_commit: arm_smmu_atc_inv_master(master, IOMMU_NO_PASID), "invalidate the entire ATC".
    // Identity (arm_smmu_attach_dev_identity) is the same path; a paging domain keeps ATS and flushes the ATC.
    device_block_translation: {
      fn: 'arm_smmu_attach_prepare',
      chain: ['arm_smmu_attach_dev_blocked', 'arm_smmu_attach_dev_ste', 'arm_smmu_attach_prepare'],
      file: SMMUV3,
      note: 'pci_disable_ats, then the abort STE, then the whole ATC invalidated (arm_smmu_attach_commit); ATS stays on while PASIDs use the CD table',
    },
  },
  amd: {
    // amd_iommu_attach_device -> pdev_enable_cap_ats -> pci_enable_ats.
    pci_enable_ats: { fn: 'pdev_enable_cap_ats', chain: ['amd_iommu_attach_device', 'pdev_enable_cap_ats'], file: AMD },
    // amd_iommu_iotlb_sync -> amd_iommu_domain_flush_pages -> __domain_flush_pages: INVALIDATE_IOMMU_PAGES, then INVALIDATE_IOTLB_PAGES per ATS device, then COMPLETION_WAIT.
    iommu_iotlb_sync: { fn: 'domain_flush_pages_v1', chain: ['amd_iommu_iotlb_sync', 'amd_iommu_domain_flush_pages', '__domain_flush_pages', 'domain_flush_pages_v1'], file: AMD },
    iommu_flush_dev_iotlb: { fn: 'device_flush_iotlb', chain: ['amd_iommu_iotlb_sync', 'amd_iommu_domain_flush_pages', '__domain_flush_pages', 'device_flush_iotlb'], file: AMD },
    fq_flush_timeout: { fn: 'amd_iommu_domain_flush_all', chain: ['amd_iommu_flush_iotlb_all', 'amd_iommu_domain_flush_all'], file: AMD },
    // amd_iommu_attach_device -> detach_device: do_detach (DTE cleared, amd_iommu_domain_flush_all of the old
    // domain while the device is still on its dev_list), then pdev_disable_caps -> pdev_disable_cap_ats -> pci_disable_ats
    // (newer copies: pdev_disable_caps first, then the DTE and the flush, which then skips the device's ATC).
    device_block_translation: {
      fn: 'pdev_disable_cap_ats',
      chain: ['amd_iommu_attach_device', 'detach_device', 'pdev_disable_caps', 'pdev_disable_cap_ats'],
      file: AMD,
      note: 'ATS comes back on with the new domain (pdev_enable_cap_ats) unless it is the blocked domain of newer copies (blocked_domain_attach_device; this copy has none)',
    },
  },
};

/** Whether `name` (an event type or a rule-table function) is a step some driver carries out with its own function. */
export const isDriverStep = (name: string): name is DriverStep => (DRIVER_STEPS as readonly string[]).includes(name);

/** The driver function behind `step` on `driver`. */
export const driverCall = (driver: IommuDriver, step: DriverStep): DriverCall => IOMMU_DRIVER_CALLS[driver][step];

/**
 * One line citing the driver's function for a step: `arm-smmu-v3: arm_smmu_iotlb_sync -> ... ->
 * arm_smmu_atc_inv_domain (drivers/...)`, and the entry's note after a semicolon when it has one.
 */
export function driverCallText(driver: IommuDriver, step: DriverStep): string {
  const c = driverCall(driver, step);
  return `${driver}: ${c.chain.join(' -> ')} (${c.file})${c.note ? `; ${c.note}` : ''}`;
}
