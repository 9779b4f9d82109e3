/**
 * The IO page table of a group's DMA-API default domain (struct iommu_domain of type
 * IOMMU_DOMAIN_DMA or IOMMU_DOMAIN_DMA_FQ, drivers/iommu/iommu.c; its cookie and flush queue in
 * drivers/iommu/dma-iommu.c). IOVA pages are small integers 0..iovaPages-1.
 */

/**
 * One translation (a PTE, or a copy of one cached in the IOTLB): the physical page, and whether
 * that page has been allocated again since the translation was made (the page's "generation"
 * no longer matches: reaching it now is a use after free).
 */
export interface Translation {
  readonly phys: number;
  readonly stale: boolean;
}

/** Where a strict dma_unmap_page is, split so that the device's DMA can interleave (__iommu_dma_unmap). */
export type UnmapPhase = 'pte_cleared' | 'iotlb_done';

/** A dma_unmap_page in progress on the domain: the driver thread of `dev` is inside __iommu_dma_unmap. */
export interface PendingUnmap {
  readonly dev: number;
  readonly iova: number;
  readonly phase: UnmapPhase;
}

/** The default domain's page table, its type, the unmap in progress and the flush queue. */
export interface IoPagetable {
  /**
   * The default domain's type (iommu_setup_default_domain -> iommu_get_def_domain_type):
   * `DMA` (strict, iommu.strict=1) or `DMA-FQ` (lazy, iommu.strict=0; cookie->fq_domain set).
   */
  readonly type: 'DMA' | 'DMA-FQ';
  /** PTE per IOVA page (index = IOVA page), or null when unmapped. */
  readonly ptes: readonly (Translation | null)[];
  /** __iommu_dma_unmap in progress (strict: between the PTE clear and the return), or null. */
  readonly unmap: PendingUnmap | null;
  /** DMA-FQ: IOVA pages queued by queue_iova, waiting for fq_flush_timeout (ascending). */
  readonly fq: readonly number[];
}

/** An empty page table of `iovaPages` pages. */
export const emptyPagetable = (iovaPages: number, type: IoPagetable['type']): IoPagetable => ({
  type,
  ptes: Array.from({ length: iovaPages }, () => null),
  unmap: null,
  fq: [],
});

/**
 * iommu_dma_alloc_iova (dma-iommu.c) in the model: the lowest IOVA page that is not mapped, not
 * being unmapped and not held by the flush queue; -1 when the IOVA space is exhausted.
 */
export function lowestFreeIova(pt: IoPagetable): number {
  return pt.ptes.findIndex((p, iova) => p === null && pt.unmap?.iova !== iova && !pt.fq.includes(iova));
}

/** `pt` with the PTE of `iova` set (null: cleared). */
export function withPte(pt: IoPagetable, iova: number, pte: Translation | null): IoPagetable {
  const ptes = pt.ptes.slice();
  ptes[iova] = pte;
  return { ...pt, ptes };
}
