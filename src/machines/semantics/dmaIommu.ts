/**
 * The DMA API of kernel drivers on an IOMMU: drivers/iommu/dma-iommu.c (copy read: gregkh/linux
 * @ 06dffc96, about v6.5; docs/design/translation-path.md section 1).
 *
 * dma_map_page -> iommu_dma_map_page -> __iommu_dma_map: iommu_dma_alloc_iova, then iommu_map of
 * the granule holding the buffer. dma_unmap_page -> iommu_dma_unmap_page -> __iommu_dma_unmap:
 * iommu_unmap_fast (the PTE is cleared), then `if (!iotlb_gather.queued) iommu_iotlb_sync()`,
 * then iommu_dma_free_iova (queue_iova on a DMA-FQ domain). The strict path is split at the
 * points where the device's DMA can interleave: this file clears the PTE and leaves the domain's
 * `unmap` pending; the events iommu_iotlb_sync and iommu_flush_dev_iotlb continue it
 * (src/machines/events.ts), and only then does dma_unmap_page return and the driver free its
 * buffer. Simplifications: the direction is always bidirectional (prot read+write); a buffer is a
 * whole page, or a sub-page kmalloc object sharing its page with other kernel data
 * (DeviceSpec.subPage), whose whole page iommu_map maps unless it is bounced.
 */
import { DEFAULT_DOMAIN } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import { lowestFreeIova, withPte } from '../ioPagetable.ts';
import { iotlbInvalidate } from '../iotlb.ts';
import { groupOf, warnOn } from '../state.ts';
import { lowestFreePage } from '../pages.ts';
import { allocatePage, translationOf, withTranslation } from '../translation.ts';
import type { Kernel } from './kernel.ts';

type DmaIommuFns = Pick<Kernel, 'iommu_dma_map_page' | 'iommu_dma_unmap_page' | '__iommu_dma_unmap' | 'fq_flush_timeout'>;

export const dmaIommu: DmaIommuFns = {
  /**
   * iommu_dma_map_page (dma-iommu.c): maps the driver's buffer page `phys` into the device's
   * default domain (iommu_get_dma_domain) at the IOVA iommu_dma_alloc_iova gives (the lowest free
   * IOVA page in the model; one held by the flush queue is not free), and returns it to the
   * driver (the handle). dev_use_swiotlb (dev_is_untrusted: pci_dev->untrusted) with a sub-page
   * buffer: a bounce slot is mapped instead. No free IOVA or slot: DMA_MAPPING_ERROR (-ENOMEM).
   */
  iommu_dma_map_page(env, s, { dev, phys }) {
    const g = groupOf(env.scenario, dev);
    let t = translationOf(s, g);
    if (!t) return err('ENODEV', 'the group has no DMA translation in this scenario (no DMA actor)');
    let mapped = phys;
    // `if (dev_use_swiotlb(dev, size, dir) && iova_offset(iovad, phys | size))`: an untrusted
    // device's sub-page buffer is bounced (swiotlb_tbl_map_single, padding zeroed) so that the
    // granule mapped holds nothing else.
    if (env.scenario.devices[dev]?.untrusted === true && t.pages[phys]?.state === 'kmalloc') {
      mapped = lowestFreePage(t.pages);
      if (mapped < 0) return err('ENOMEM', 'swiotlb_tbl_map_single: no free bounce slot: DMA_MAPPING_ERROR');
      t = allocatePage(t, mapped, { state: 'bounce', dev });
    }
    const iova = lowestFreeIova(t.pagetable);
    if (iova < 0) return err('ENOMEM', `iommu_dma_alloc_iova: no free IOVA page in the default domain${t.pagetable.fq.length ? ' (the flush queue still holds one)' : ''}: DMA_MAPPING_ERROR`);
    const handles = [...t.handles, { dev, iova, phys: mapped, buffer: phys }].sort((a, b) => a.iova - b.iova);
    return ok(withTranslation(s, g, { ...t, pagetable: withPte(t.pagetable, iova, { phys: mapped, stale: false }), handles }));
  },

  /**
   * iommu_dma_unmap_page (dma-iommu.c): `phys = iommu_iova_to_phys(domain, dma_handle); if
   * (WARN_ON(!phys)) return;` then __iommu_dma_unmap.
   */
  iommu_dma_unmap_page(env, s, { dev, iova }) {
    const t = translationOf(s, groupOf(env.scenario, dev));
    if (!t?.pagetable.ptes[iova]) return ok(warnOn(s, 'iommu_dma_unmap_page: WARN_ON(!phys): the IOVA is not mapped'));
    return env.k.__iommu_dma_unmap(env, s, { dev, iova });
  },

  /**
   * __iommu_dma_unmap (dma-iommu.c): `iotlb_gather.queued = READ_ONCE(cookie->fq_domain)`;
   * iommu_unmap_fast clears the PTE; on a strict (DMA) domain the thread goes on into
   * iommu_iotlb_sync (the domain's `unmap` is left pending, phase pte_cleared: the next steps are
   * the events iommu_iotlb_sync and iommu_flush_dev_iotlb); on a DMA-FQ domain
   * iommu_dma_free_iova queues the IOVA on the flush queue (queue_iova) and returns at once,
   * leaving the IOTLB entry until fq_flush_timeout.
   */
  __iommu_dma_unmap(env, s, { dev, iova }) {
    const g = groupOf(env.scenario, dev);
    const t = translationOf(s, g);
    if (!t) return err('ENODEV', 'the group has no DMA translation in this scenario');
    const cleared = withPte(t.pagetable, iova, null);
    const queued = t.pagetable.type === 'DMA-FQ';
    const pagetable = queued ? { ...cleared, fq: [...cleared.fq, iova].sort((a, b) => a - b) } : { ...cleared, unmap: { dev, iova, phase: 'pte_cleared' as const } };
    return ok(withTranslation(s, g, { ...t, pagetable }));
  },

  /**
   * fq_flush_timeout (dma-iommu.c), the flush queue's timer (IOVA_FQ_TIMEOUT, 10 ms):
   * fq_flush_iotlb -> domain->ops->flush_iotlb_all (every IOTLB entry of the domain, and on
   * intel-iommu the device-TLBs: iommu_flush_dev_iotlb for the whole domain), then fq_ring_free
   * frees the queued IOVAs (and page-table pages) for reuse.
   */
  fq_flush_timeout(env, s, { group }) {
    const t = translationOf(s, group);
    if (!t || t.pagetable.fq.length === 0) return ok(s);
    const flushed = withTranslation(s, group, { ...t, iotlb: iotlbInvalidate(t.iotlb, DEFAULT_DOMAIN, null) });
    const r = env.k.iommu_flush_dev_iotlb(env, flushed, { group, domain: DEFAULT_DOMAIN, iova: null });
    if (!r.ok) return r;
    const after = translationOf(r.next, group)!;
    return ok(withTranslation(r.next, group, { ...after, pagetable: { ...after.pagetable, fq: [] } }));
  },
};
