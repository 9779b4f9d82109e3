/**
 * The actors of the translation path that are not kernel rules (src/machines/semantics): the
 * kernel driver's own side of the DMA API (it allocates its buffer before dma_map_page and frees
 * it after dma_unmap_page returns), the page allocator handing a freed page to another owner, and
 * the device's untranslated DMA at the IOMMU (hardware: never overridable by a variant).
 */
import { lowestFreePage, type PhysPage } from './pages.ts';
import type { SystemState } from './state.ts';
import { allocatePage, dmaAtIommu, pageNamed, translationOf, withTranslation, type DmaOutcome } from './translation.ts';

/**
 * The driver allocates a DMA buffer (kmalloc / alloc_pages in mm/page_alloc.c): the lowest free
 * page of the group's pool becomes dev's; null when the pool is empty.
 */
export function driverAllocatesBuffer(s: SystemState, g: number, dev: number, subPage: boolean): { s: SystemState; phys: number } | null {
  const t = translationOf(s, g);
  const phys = t ? lowestFreePage(t.pages) : -1;
  if (!t || phys < 0) return null;
  return { s: withTranslation(s, g, allocatePage(t, phys, { state: subPage ? 'kmalloc' : 'kernel', dev })), phys };
}

/**
 * dma_unmap_page has returned: the IOVA is free again unless the flush queue holds it
 * (iommu_dma_free_iova), the domain's `unmap` is done, a bounce slot is released
 * (swiotlb_tbl_unmap_single, after __iommu_dma_unmap), and the driver drops its handle and frees
 * the buffer page (kfree / __free_pages: the page goes back to the allocator).
 */
export function dmaUnmapReturns(s: SystemState, g: number, dev: number, iova: number): SystemState {
  const t = translationOf(s, g);
  if (!t) return s;
  const h = t.handles.find((x) => x.dev === dev && x.iova === iova);
  const pages = t.pages.slice();
  if (h) pages[h.phys] = pages[h.buffer] = { state: 'free' };
  const pagetable = t.pagetable.unmap?.dev === dev && t.pagetable.unmap.iova === iova ? { ...t.pagetable, unmap: null } : t.pagetable;
  return withTranslation(s, g, { ...t, pages, pagetable, handles: t.handles.filter((x) => x !== h) });
}

/** The pages the allocator may hand to another owner: free pages some PTE or IOTLB entry still names. */
export function reusablePages(s: SystemState, g: number): number[] {
  const t = translationOf(s, g);
  if (!t) return [];
  return t.pages.flatMap((p, phys) => (p.state === 'free' && pageNamed(t, phys) ? [phys] : []));
}

/**
 * The allocator hands free page `phys` to another owner (mm/page_alloc.c; the other owner keeps
 * it): every translation still naming it becomes stale. Only pages some translation still names
 * are offered (reusablePages): reusing any other page cannot be reached through a cache.
 */
export function pageReuse(s: SystemState, g: number, phys: number): SystemState {
  const t = translationOf(s, g);
  if (!t || t.pages[phys]?.state !== 'free') return s;
  const reused: PhysPage = { state: 'reused' };
  return withTranslation(s, g, allocatePage(t, phys, reused));
}

/** The device's untranslated DMA to IOVA page `iova`: the state after it (an IOTLB fill on a walk) and the outcome. */
export function dmaUntranslated(s: SystemState, g: number, dev: number, iova: number): { next: SystemState; outcome: DmaOutcome } {
  const { outcome, after } = dmaAtIommu(s, g, dev, iova);
  const t = translationOf(s, g);
  return { next: after && after !== t ? withTranslation(s, g, after) : s, outcome };
}
