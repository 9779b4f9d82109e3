/**
 * The events of the model: one per kernel entry point an actor calls, named verbatim after the
 * kernel function (snake_case, no dots), with the device/context it is called on.
 *
 * Actors: the driver core (bind/unbind), PCI hot-plug, the bound kernel driver of a device
 * (private domains, SVA), and each user context (VFIO group path, VFIO cdev + iommufd path).
 * Each event runs atomically, as under group->mutex; actors interleave freely between calls.
 */
import { DEFAULT_DOMAIN, privateDomain } from '../kernel/domains.ts';
import type { DriverName } from '../kernel/drivers.ts';
import { err, ok, type KernelResult } from '../kernel/errno.ts';
import { dmaUnmapReturns, dmaUntranslated, driverAllocatesBuffer, pageReuse } from './dmaActors.ts';
import type { UnmapPhase } from './ioPagetable.ts';
import { atsTranslationRequest, type TranslatedRequest } from './atsActors.ts';
import type { Env } from './semantics/kernel.ts';
import { markEndedBindings, pageRequest } from './iopf.ts';
import { submitWork } from './svaWork.ts';
import type { SystemState } from './state.ts';
import { groupOf, updateDevice } from './state.ts';
import { resetMethodBegins, resetMethodEnds } from './reset.ts';
import { dmaNoSnoop } from './coherency.ts';
import { droppingClosedBarMaps, vfioResetReturns } from './barAccess.ts';
import { hotResetReturns } from './hotReset.ts';
import { barMmapEnabled } from './scenario.ts';
import { translationOf, withTranslation } from './translation.ts';
import { releasingLeftUserDomains } from './userMappings.ts';
import { canonicalPagesIn } from './pageSymmetry.ts';
import { translationEnabled } from './scenario.ts';

type Dev = { dev: number };
type Ctx = { ctx: number };
/** The IOMMU group whose VFIO group file the call acts on. */
type Grp = { group: number };

/** The event union: the kernel calls actors make. */
export type IommuEvent =
  | ({ type: 'really_probe'; driver: DriverName } & Dev)
  | ({ type: 'device_release_driver' } & Dev)
  | ({ type: 'iommu_probe_device' } & Dev)
  | ({ type: 'iommu_release_device' } & Dev)
  | ({ type: 'iommu_attach_device' } & Dev)
  | ({ type: 'iommu_detach_device' } & Dev)
  | ({ type: 'iommu_attach_group' } & Dev)
  | ({ type: 'iommu_detach_group' } & Dev)
  | ({ type: 'iommu_sva_bind_device'; mm?: number } & Dev)
  | ({ type: 'iommu_sva_unbind_device' } & Dev)
  | ({ type: 'pci_enable_sriov' } & Dev)
  | ({ type: 'pci_disable_sriov' } & Dev)
  | ({ type: 'vfio_group_fops_open' } & Ctx & Grp)
  | ({ type: 'vfio_group_ioctl_set_container' } & Ctx & Grp)
  | ({ type: 'vfio_ioctl_set_iommu' } & Ctx)
  | ({ type: 'vfio_group_ioctl_get_device_fd' } & Ctx & Dev)
  | ({ type: 'vfio_device_fops_release' } & Ctx & Dev)
  | ({ type: 'vfio_group_fops_release' } & Ctx & Grp)
  | ({ type: 'vfio_df_ioctl_bind_iommufd' } & Ctx & Dev)
  | ({ type: 'vfio_df_ioctl_attach_pt'; hwpt: number } & Ctx & Dev)
  | ({ type: 'vfio_df_ioctl_detach_pt' } & Ctx & Dev)
  | ({ type: 'vfio_df_unbind_iommufd' } & Ctx & Dev)
  // Hwpt lifetimes (issue 16): IOMMU_HWPT_ALLOC and IOMMU_DESTROY on the context's iommufd.
  | ({ type: 'iommufd_hwpt_alloc'; hwpt: number } & Ctx)
  | ({ type: 'iommufd_destroy'; hwpt: number } & Ctx)
  // Closing the iommufd (issue 16): close() of the context's iommufd fd; iommufd_fops_release runs at the last reference.
  | ({ type: 'iommufd_fops_release' } & Ctx)
  // vDEVICEs (issue 16, Deliver 7): a step of the user's IOMMU_VDEVICE_ALLOC; the IOMMU driver's lookup from its invalidation path.
  | ({ type: 'iommufd_vdevice_alloc_ioctl'; initFails?: 1 } & Ctx & Dev) // initFails 1: the driver's vdevice_init fails (a number, as ITF replays it)
  | ({ type: 'iommufd_viommu_find_dev' } & Ctx & Dev)
  // Fault queues of fault-capable hwpts (issue 16, Deliver 1): a page request reaches the iommufd iopf handler; the user answers it.
  | ({ type: 'iommufd_fault_iopf_handler' } & Dev)
  | ({ type: 'iommufd_fault_fops_write' } & Ctx & Dev)
  // The translation path (issue 15): a DMA-API driver's calls, the timer, the allocator, the device's DMA.
  | ({ type: 'dma_map_page' } & Dev)
  | ({ type: 'dma_unmap_page'; iova: number } & Dev)
  | ({ type: 'iommu_iotlb_sync' } & Dev)
  | ({ type: 'iommu_flush_dev_iotlb' } & Dev)
  | ({ type: 'fq_flush_timeout' } & Grp)
  | ({ type: 'iommu_group_store_type' } & Grp)
  | ({ type: 'page_reuse'; page: number } & Grp)
  | ({ type: 'dma_untranslated'; iova: number } & Dev)
  // ATS (issue 15, step 4): the IOMMU driver enables/disables it; the device's Translation Request and translated request.
  | ({ type: 'pci_enable_ats' } & Dev)
  | ({ type: 'pci_disable_ats' } & Dev)
  | ({ type: 'ats_translation_request'; iova: number } & Dev)
  | ({ type: 'ats_translated_request' } & Dev & TranslatedRequest)
  // Staged resets (issue 16): a reset method of the PCI core begins (prepare) and ends (done) on a resettable device.
  | ({ type: 'pci_dev_reset_iommu_prepare' } & Dev)
  | ({ type: 'pci_dev_reset_iommu_done' } & Dev)
  // PASID + PRI (issue 15, step 6): the IOMMU driver enables PRI; the device's page request; the iopf workqueue answers it.
  | ({ type: 'pci_enable_pri' } & Dev)
  | ({ type: 'page_request'; pasid: number } & Dev)
  | ({ type: 'iommu_page_response'; pasid: number } & Dev)
  // PASID-tagged DMA (issue 15, Deliver 3): a process submits work to the device; the device DMAs for it with the PASID.
  | ({ type: 'sva_submit_work' } & Dev)
  | ({ type: 'dma_pasid'; pasid: number } & Dev)
  // User mappings (issue 15, step 5): a user context's MAP/UNMAP ioctls; an unmap goes on as further steps of the same thread.
  | ({ type: 'vfio_dma_do_map'; iova: number } & Ctx & Grp)
  | ({ type: 'vfio_dma_do_unmap'; iova: number } & Ctx & Grp)
  | ({ type: 'vfio_sync_unpin' } & Ctx & Grp)
  | ({ type: 'iopt_map_user_pages'; iova: number } & Ctx & Grp)
  | ({ type: 'iopt_unmap_iova'; iova: number } & Ctx & Grp)
  | ({ type: 'iopt_area_unpin_domain' } & Ctx & Grp)
  // BAR access (issue 16, Deliver 6; src/machines/barAccess.ts): the user's fault, command-register write, write() and
  // VFIO_DEVICE_RESET (two steps: the ioctl up to the reset, pci_dev_restore at its end) on a barMmap device; its CPU access through the mmap.
  | ({ type: 'vfio_pci_mmap_huge_fault' } & Ctx & Dev)
  | ({ type: 'vfio_basic_config_write'; memory: 0 | 1 } & Ctx & Dev)
  | ({ type: 'vfio_pci_core_iowrite' } & Ctx & Dev)
  | ({ type: 'vfio_pci_ioctl_reset' } & Ctx & Dev)
  | ({ type: 'pci_dev_restore' } & Ctx & Dev)
  | ({ type: 'user_bar_access' } & Ctx & Dev)
  // DMABUF export of a BAR (barDmabuf): VFIO_DEVICE_FEATURE_DMA_BUF + IOMMU_IOAS_MAP_FILE; another device's DMA to it through the IOMMU.
  | ({ type: 'vfio_pci_core_feature_dma_buf' } & Ctx & Dev)
  | ({ type: 'p2p_dma_to_bar' } & Ctx & Dev)
  // Interrupts (issue 16, Deliver 4): a user-controlled device's DMA write to the MSI doorbell (hardware; src/machines/msiDoorbell.ts).
  | ({ type: 'msi_doorbell_write' } & Dev)
  // Cache coherency (issue 16, Deliver 5): a noSnoop device's no-snoop DMA read through its user domain (hardware; src/machines/coherency.ts).
  | ({ type: 'dma_no_snoop' } & Dev)
  // VFIO hot reset (issue 16, Deliver 2; src/machines/hotReset.ts): VFIO_DEVICE_PCI_HOT_RESET up to the bus reset, then its end.
  | ({ type: 'vfio_pci_ioctl_pci_hot_reset' } & Ctx & Dev)
  | ({ type: 'pci_bus_restore_locked' } & Ctx & Dev);

export type IommuEventType = IommuEvent['type'];

type Handler<E> = (env: Env, s: SystemState, e: E) => KernelResult<SystemState>;
type Handlers = { [T in IommuEventType]: Handler<Extract<IommuEvent, { type: T }>> };

/**
 * What each event does: the kernel entry point, plus, for a kernel driver's own calls, the
 * driver's side of it (allocating and freeing its private domain, which the core does not own).
 */
const handlers: Handlers = {
  really_probe: (env, s, e) => env.k.really_probe(env, s, { dev: e.dev, driver: e.driver }),
  device_release_driver: (env, s, e) => env.k.device_release_driver(env, s, e),
  iommu_probe_device: (env, s, e) => env.k.iommu_probe_device(env, s, e),
  iommu_release_device: (env, s, e) => env.k.iommu_release_device(env, s, e),
  // The driver: domain = iommu_domain_alloc(); if (iommu_attach_device(domain, dev)) iommu_domain_free(domain);
  iommu_attach_device: (env, s, { dev }) => {
    const r = env.k.iommu_attach_device(env, s, { dev, domain: privateDomain(dev) });
    return r.ok ? ok(updateDevice(r.next, dev, { private_domain: true })) : r;
  },
  // The driver: iommu_detach_device(domain, dev); iommu_domain_free(domain); (detach returns void)
  iommu_detach_device: (env, s, { dev }) => {
    const domain = privateDomain(dev);
    const r = env.k.iommu_detach_device(env, s, { dev, domain });
    return r.ok ? env.k.iommu_domain_free(env, r.next, { domain }) : r;
  },
  iommu_attach_group: (env, s, { dev }) => {
    const r = env.k.iommu_attach_group(env, s, { group: groupOf(env.scenario, dev), domain: privateDomain(dev) });
    return r.ok ? ok(updateDevice(r.next, dev, { private_domain: true })) : r;
  },
  iommu_detach_group: (env, s, { dev }) => {
    const domain = privateDomain(dev);
    const r = env.k.iommu_detach_group(env, s, { group: groupOf(env.scenario, dev), domain });
    return r.ok ? env.k.iommu_domain_free(env, r.next, { domain }) : r;
  },
  iommu_sva_bind_device: (env, s, e) => env.k.iommu_sva_bind_device(env, s, e),
  iommu_sva_unbind_device: (env, s, e) => env.k.iommu_sva_unbind_device(env, s, e),
  // The PF driver's sriov_configure(n) / sriov_configure(0).
  pci_enable_sriov: (env, s, e) => env.k.pci_enable_sriov(env, s, e),
  pci_disable_sriov: (env, s, e) => env.k.pci_disable_sriov(env, s, e),
  vfio_group_fops_open: (env, s, e) => env.k.vfio_group_fops_open(env, s, e),
  vfio_group_ioctl_set_container: (env, s, e) => env.k.vfio_group_ioctl_set_container(env, s, e),
  vfio_ioctl_set_iommu: (env, s, e) => env.k.vfio_ioctl_set_iommu(env, s, e),
  vfio_group_ioctl_get_device_fd: (env, s, e) => env.k.vfio_group_ioctl_get_device_fd(env, s, e),
  vfio_device_fops_release: (env, s, e) => env.k.vfio_device_fops_release(env, s, e),
  vfio_group_fops_release: (env, s, e) => env.k.vfio_group_fops_release(env, s, e),
  vfio_df_ioctl_bind_iommufd: (env, s, e) => env.k.vfio_df_ioctl_bind_iommufd(env, s, e),
  vfio_df_ioctl_attach_pt: (env, s, e) => env.k.vfio_df_ioctl_attach_pt(env, s, e),
  vfio_df_ioctl_detach_pt: (env, s, e) => env.k.vfio_df_ioctl_detach_pt(env, s, e),
  vfio_df_unbind_iommufd: (env, s, e) => env.k.vfio_df_unbind_iommufd(env, s, e),
  iommufd_hwpt_alloc: (env, s, { ctx, hwpt }) => env.k.iommufd_hwpt_alloc(env, s, { ctx, hwpt }),
  iommufd_destroy: (env, s, { ctx, hwpt }) => env.k.iommufd_destroy(env, s, { ctx, hwpt }),
  iommufd_fops_release: (env, s, { ctx }) => env.k.iommufd_fops_release(env, s, { ctx }),
  iommufd_vdevice_alloc_ioctl: (env, s, { ctx, dev, initFails }) => env.k.iommufd_vdevice_alloc_ioctl(env, s, { ctx, dev, ...(initFails === 1 ? { initFails: true } : {}) }),
  iommufd_viommu_find_dev: (env, s, { ctx, dev }) => env.k.iommufd_viommu_find_dev(env, s, { ctx, dev }),
  iommufd_fault_iopf_handler: (env, s, { dev }) => env.k.iommufd_fault_iopf_handler(env, s, { dev }),
  iommufd_fault_fops_write: (env, s, { ctx, dev }) => env.k.iommufd_fault_fops_write(env, s, { ctx, dev }),
  ...translationHandlers(),
  pci_enable_ats: (env, s, e) => env.k.pci_enable_ats(env, s, e),
  pci_disable_ats: (env, s, e) => env.k.pci_disable_ats(env, s, e),
  ats_translation_request: (env, s, { dev, iova }) => ok(atsTranslationRequest(s, groupOf(env.scenario, dev), dev, iova)),
  // A translated request changes no state (no walk, no cache): only the step invariants judge it (ATS-TRUST, STALE).
  ats_translated_request: (_env, s) => ok(s),
  pci_enable_pri: (env, s, e) => env.k.pci_enable_pri(env, s, e),
  page_request: (env, s, { dev, pasid }) => ok(pageRequest(s, groupOf(env.scenario, dev), dev, pasid)),
  iommu_page_response: (env, s, { dev, pasid }) => env.k.iommu_page_response(env, s, { dev, pasid }),
  sva_submit_work: (env, s, { dev }) => ok(submitWork(s, groupOf(env.scenario, dev), dev)),
  // The IOMMU resolves PASID-tagged DMA through pasid_array; it changes no state, only PASID-REUSE judges it.
  dma_pasid: (_env, s) => ok(s),
  // pcie_flr and the other reset methods (drivers/pci/pci.c): prepare before the reset, done after it (src/machines/reset.ts).
  pci_dev_reset_iommu_prepare: (env, s, { dev }) => resetMethodBegins(env, s, dev),
  pci_dev_reset_iommu_done: (env, s, { dev }) => resetMethodEnds(env, s, dev),
  // VFIO_IOMMU_MAP_DMA / UNMAP_DMA (vfio_iommu_type1.c) and IOMMU_IOAS_MAP / UNMAP (iommufd): src/machines/userMappings.ts.
  vfio_dma_do_map: (env, s, { ctx, group, iova }) => env.k.vfio_dma_do_map(env, s, { ctx, group, iova }),
  vfio_dma_do_unmap: (env, s, { ctx, group, iova }) => env.k.vfio_dma_do_unmap(env, s, { ctx, group, iova }),
  vfio_sync_unpin: (env, s, { ctx, group }) => env.k.vfio_sync_unpin(env, s, { ctx, group }),
  iopt_map_user_pages: (env, s, { ctx, group, iova }) => env.k.iopt_map_user_pages(env, s, { ctx, group, iova }),
  iopt_unmap_iova: (env, s, { ctx, group, iova }) => env.k.iopt_unmap_iova(env, s, { ctx, group, iova }),
  iopt_area_unpin_domain: (env, s, { ctx, group }) => env.k.iopt_area_unpin_domain(env, s, { ctx, group }),
  // BAR access (issue 16, Deliver 6): vfio_pci_core.c / vfio_pci_config.c / vfio_pci_rdwr.c (src/machines/semantics/vfioPciCore.ts).
  vfio_pci_mmap_huge_fault: (env, s, { ctx, dev }) => env.k.vfio_pci_mmap_huge_fault(env, s, { ctx, dev }),
  vfio_basic_config_write: (env, s, { ctx, dev, memory }) => env.k.vfio_basic_config_write(env, s, { ctx, dev, memory: memory === 1 }),
  vfio_pci_core_iowrite: (env, s, { ctx, dev }) => env.k.vfio_pci_core_iowrite(env, s, { ctx, dev }),
  vfio_pci_ioctl_reset: (env, s, { ctx, dev }) => env.k.vfio_pci_ioctl_reset(env, s, { ctx, dev }),
  pci_dev_restore: (env, s, { dev }) => vfioResetReturns(env, s, dev),
  // A CPU load/store through a populated PTE enters no kernel code and changes no model state: the step invariant BAR judges it.
  user_bar_access: (_env, s) => ok(s),
  vfio_pci_core_feature_dma_buf: (env, s, { ctx, dev }) => env.k.vfio_pci_core_feature_dma_buf(env, s, { ctx, dev }),
  // The peer's DMA through the IOMMU changes no model state: the step invariant BAR judges it.
  p2p_dma_to_bar: (_env, s) => ok(s),
  // The interrupt controller raises what the write names; no model state changes: the step invariant MSI judges it.
  msi_doorbell_write: (_env, s) => ok(s),
  // Snooped, or stale when the domain claims enforcement but the device's IOMMU cannot snoop (src/machines/coherency.ts).
  dma_no_snoop: (env, s, { dev }) => ok(dmaNoSnoop(env.scenario, s, dev)),
  // VFIO hot reset (issue 16, Deliver 2): vfio_pci_core.c (src/machines/semantics/vfioPciHotReset.ts); the end drops every member's memory_lock.
  vfio_pci_ioctl_pci_hot_reset: (env, s, { ctx, dev }) => env.k.vfio_pci_ioctl_pci_hot_reset(env, s, { ctx, dev }),
  pci_bus_restore_locked: (env, s, { ctx, dev }) => hotResetReturns(env, s, ctx, dev),
};

/** The unmap of dev's driver waiting in `phase` in its group's default domain, or null. */
function waitingUnmap(env: Env, s: SystemState, dev: number, phase: UnmapPhase) {
  const u = translationOf(s, groupOf(env.scenario, dev))?.pagetable.unmap ?? null;
  return u && u.dev === dev && u.phase === phase ? u : null;
}

/**
 * The translation path's events. dma_map_page / dma_unmap_page are the DMA-API driver's calls
 * (include/linux/dma-mapping.h -> dma_map_page_attrs -> iommu_dma_map_page, drivers/iommu/dma-iommu.c):
 * the driver allocates its buffer before and frees it after dma_unmap_page returned. A strict
 * unmap runs as three steps of the same driver thread: dma_unmap_page (PTE cleared), then
 * iommu_iotlb_sync (IOTLB), then iommu_flush_dev_iotlb (device-TLB), after which it returns.
 */
function translationHandlers(): Pick<Handlers, 'dma_map_page' | 'dma_unmap_page' | 'iommu_iotlb_sync' | 'iommu_flush_dev_iotlb' | 'fq_flush_timeout' | 'iommu_group_store_type' | 'page_reuse' | 'dma_untranslated'> {
  return {
    dma_map_page: (env, s, { dev }) => {
      const a = driverAllocatesBuffer(s, groupOf(env.scenario, dev), dev, env.scenario.devices[dev]?.subPage === true);
      if (!a) return err('ENOMEM', "the driver's buffer allocation failed: no free page in the group's pool");
      // On failure the driver frees its buffer again: the state stays as it was.
      return env.k.iommu_dma_map_page(env, a.s, { dev, phys: a.phys });
    },
    dma_unmap_page: (env, s, { dev, iova }) => {
      const r = env.k.iommu_dma_unmap_page(env, s, { dev, iova });
      if (!r.ok) return r;
      // Still inside __iommu_dma_unmap (strict: the sync follows), or returned: the driver frees its buffer.
      const u = translationOf(r.next, groupOf(env.scenario, dev))?.pagetable.unmap;
      return u && u.dev === dev && u.iova === iova ? r : ok(dmaUnmapReturns(r.next, groupOf(env.scenario, dev), dev, iova));
    },
    iommu_iotlb_sync: (env, s, { dev }) => {
      const u = waitingUnmap(env, s, dev, 'pte_cleared');
      if (!u) return err('EINVAL', 'no dma_unmap_page of this driver waits for iommu_iotlb_sync');
      const group = groupOf(env.scenario, dev);
      const r = env.k.iommu_iotlb_sync(env, s, { group, domain: DEFAULT_DOMAIN, iova: u.iova });
      if (!r.ok) return r;
      const t = translationOf(r.next, group)!;
      return ok(withTranslation(r.next, group, { ...t, pagetable: { ...t.pagetable, unmap: { ...u, phase: 'iotlb_done' } } }));
    },
    iommu_flush_dev_iotlb: (env, s, { dev }) => {
      const u = waitingUnmap(env, s, dev, 'iotlb_done');
      if (!u) return err('EINVAL', 'no dma_unmap_page of this driver waits for the device-TLB flush');
      const group = groupOf(env.scenario, dev);
      const r = env.k.iommu_flush_dev_iotlb(env, s, { group, domain: DEFAULT_DOMAIN, iova: u.iova });
      // iotlb_sync returns; __iommu_dma_unmap frees the IOVA (iommu_dma_free_iova) and returns; the driver frees its buffer.
      return r.ok ? ok(dmaUnmapReturns(r.next, group, dev, u.iova)) : r;
    },
    fq_flush_timeout: (env, s, e) => env.k.fq_flush_timeout(env, s, e),
    iommu_group_store_type: (env, s, e) => env.k.iommu_group_store_type(env, s, e),
    page_reuse: (_env, s, { group, page }) => ok(pageReuse(s, group, page)),
    dma_untranslated: (env, s, { dev, iova }) => ok(dmaUntranslated(s, groupOf(env.scenario, dev), dev, iova).next),
  };
}

/**
 * The source of the events that are not a kernel function of the rule table: the driver's DMA-API
 * calls (they enter the rule table at iommu_dma_map_page / iommu_dma_unmap_page), the page
 * allocator, and the device's DMA (hardware).
 */
export const NON_KERNEL_EVENT_SOURCES: Readonly<Partial<Record<IommuEventType, string>>> = {
  dma_map_page: 'include/linux/dma-mapping.h (the DMA-API driver)',
  dma_unmap_page: 'include/linux/dma-mapping.h (the DMA-API driver)',
  page_reuse: 'mm/page_alloc.c (the page allocator)',
  dma_untranslated: 'hardware: the device\'s untranslated memory request at the IOMMU',
  ats_translation_request: 'hardware: the device\'s ATS Translation Request, answered by the IOMMU into its ATC',
  ats_translated_request: 'hardware: the device\'s translated memory request, routed through the fabric (ACS TB)',
  page_request: 'hardware: the device\'s PRI Page Request for a PASID, queued in the IOMMU\'s page-request queue',
  sva_submit_work: 'user space: the process submits work to the device\'s work queue (ENQCMD to an idxd portal), tagged with its PASID',
  dma_pasid: 'hardware: the device\'s PASID-tagged DMA for submitted work, translated in the domain attached to the PASID (pasid_array)',
  user_bar_access: 'user space: a CPU load or store through the mmap of a BAR (a populated PTE: no kernel entry, no lock)',
  p2p_dma_to_bar: 'hardware: a device on the context\'s hwpt DMAs to the IOVA where the context mapped another device\'s BAR (a DMABUF export), translated by the IOMMU to the BAR',
  msi_doorbell_write: 'hardware: the device\'s DMA write (MemWr) to the MSI doorbell, delivered as an interrupt by the interrupt controller',
  dma_no_snoop: 'hardware: the device\'s memory read with the No Snoop attribute, snooped only if the IOMMU forces it (VT-d snoop control)',
};

/** Every event type, in the order of the handler table (the order the docs list them). */
export const IOMMU_EVENT_TYPES = Object.keys(handlers) as IommuEventType[];

/** Runs one event: the kernel call's result ({ok, next} or {ok:false, errno, reason[, after]}). */
export function applyEvent(env: Env, s: SystemState, e: IommuEvent): KernelResult<SystemState> {
  const r = applyEventAsNumbered(env, s, e);
  // Groups with a translation state: physical page numbers are names, renumbered canonically (src/machines/pageSymmetry.ts).
  if (!translationEnabled(env.scenario)) return r;
  return r.ok ? { ...r, next: canonicalPagesIn(r.next, s) } : r.after ? { ...r, after: canonicalPagesIn(r.after, s) } : r;
}

/** applyEvent before the canonical page renumbering: the call's result with the pages as the call numbered them (exported for the symmetry tests). */
export function applyEventAsNumbered(env: Env, s: SystemState, e: IommuEvent): KernelResult<SystemState> {
  const h = handlers[e.type] as Handler<IommuEvent>;
  // Scenarios with user mappings: a group that left a user domain has it unmapped, synced and unpinned (src/machines/userMappings.ts).
  const r0 = env.scenario.contexts.some((c) => c.mapDma === true) ? releasingLeftUserDomains(h(env, s, e), s) : h(env, s, e);
  // Scenarios with BAR access: a device whose fd was closed has no BAR mapping left (src/machines/barAccess.ts).
  const r = barMmapEnabled(env.scenario) ? droppingClosedBarMaps(env, s, r0) : r0;
  // Scenarios with PASID values: a page request whose PASID the call detached or rebound is stale (src/machines/iopf.ts).
  if (s.groups[0]?.iopf === undefined) return r;
  return r.ok ? ok(markEndedBindings(s, r.next)) : r.after ? { ...r, after: markEndedBindings(s, r.after) } : r;
}

/** The state after an event: the next state, the state a failing error path left, or null. */
export function successor(r: KernelResult<SystemState>): SystemState | null {
  return r.ok ? r.next : (r.after ?? null);
}

/** Which actor makes the call: used for traces and sequence diagrams. */
export function actorOf(e: IommuEvent): string {
  // Issue 16: the vDEVICE lookup runs in the IOMMU driver's invalidation path (arm_vsmmu_cache_invalidate), a page request in its page-request path.
  if (e.type === 'iommufd_viommu_find_dev' || e.type === 'iommufd_fault_iopf_handler') return 'iommu_driver';
  if ('ctx' in e) return `ctx${e.ctx}`;
  switch (e.type) {
    case 'really_probe':
    case 'device_release_driver':
      return 'driver_core';
    case 'iommu_probe_device':
    case 'iommu_release_device':
      return 'hotplug';
    case 'fq_flush_timeout':
      return 'fq_timer';
    case 'iommu_group_store_type':
      return 'admin';
    case 'page_reuse':
      return 'page_allocator';
    case 'dma_untranslated':
    case 'ats_translation_request':
    case 'ats_translated_request':
      return `device${e.dev}`;
    case 'pci_enable_ats':
    case 'pci_disable_ats':
    case 'pci_enable_pri':
      return 'iommu_driver';
    case 'sva_submit_work':
      return `process${e.dev}`;
    case 'page_request':
    case 'dma_pasid':
    case 'msi_doorbell_write':
    case 'dma_no_snoop':
      return `device${e.dev}`;
    case 'iommu_page_response':
      return 'iopf_queue';
    case 'pci_dev_reset_iommu_prepare':
    case 'pci_dev_reset_iommu_done':
      return `pci_reset${e.dev}`;
    default:
      return `driver${e.dev}`;
  }
}

/** The event's arguments in a fixed order, for keys and traces. */
export function eventArgs(e: IommuEvent): [string, string | number][] {
  const out: [string, string | number][] = [];
  if ('ctx' in e) out.push(['ctx', e.ctx]);
  if ('group' in e) out.push(['group', e.group]);
  if ('dev' in e) out.push(['dev', e.dev]);
  if ('driver' in e) out.push(['driver', e.driver]);
  if ('hwpt' in e) out.push(['hwpt', e.hwpt]);
  if ('iova' in e) out.push(['iova', e.iova]);
  if ('page' in e) out.push(['page', e.page]);
  if ('peer' in e) out.push(['peer', e.peer]);
  if ('pasid' in e) out.push(['pasid', e.pasid]);
  if ('mm' in e && e.mm !== undefined) out.push(['mm', e.mm]);
  if ('memory' in e) out.push(['memory', e.memory]);
  if ('initFails' in e && e.initFails !== undefined) out.push(['initFails', e.initFails]);
  return out;
}

/** A canonical one-line key of an event: `really_probe(dev=0,driver=e1000e)`. */
export const eventKey = (e: IommuEvent): string => `${e.type}(${eventArgs(e).map(([k, v]) => `${k}=${v}`).join(',')})`;
