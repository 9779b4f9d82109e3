/**
 * Physical memory as the translation path sees it (struct page, mm/page_alloc.c): the pages of
 * one IOMMU group's pool, by small integers. Plain JSON data.
 *
 * Simplification (docs/kernel-notes.md, section "Translation path"): each group with a DMA actor
 * has a pool of its own (iovaPages + 1 pages), so that groups stay independent for decomposition;
 * "another owner" of a reused page is any other kernel user, not a device of the scenario.
 */

/**
 * One physical page: in the allocator (`free`), a DMA buffer of a device's kernel driver
 * (`kernel`, alloc_pages then dma_map_page; `kmalloc` when the buffer is a sub-page object beside
 * other kernel data), a swiotlb bounce slot (`bounce`), or handed to another owner after it was
 * freed while some translation still named it (`reused`; the other owner keeps it).
 */
export type PhysPage =
  | { readonly state: 'free' }
  | { readonly state: 'kernel'; readonly dev: number }
  /** A sub-page kmalloc buffer of dev's driver: other kernel data shares the page (DeviceSpec.subPage). */
  | { readonly state: 'kmalloc'; readonly dev: number }
  /** A swiotlb bounce slot for dev (swiotlb_tbl_map_single): only the buffer's copy, padding zeroed. */
  | { readonly state: 'bounce'; readonly dev: number }
  /**
   * A page of user context ctx's memory pinned for DMA (issue 15, step 5: vfio_pin_pages_remote,
   * drivers/vfio/vfio_iommu_type1.c; pin_user_pages through iommufd's pfn_reader, pages.c): it
   * stays the process's and cannot be freed until unpinned (vfio_unpin_pages_remote, batch_unpin).
   */
  | { readonly state: 'pinned'; readonly ctx: number }
  | { readonly state: 'reused' };

/** A page in the allocator. */
export const FREE_PAGE: PhysPage = Object.freeze({ state: 'free' });

/** The pool of a group: `n` free pages. */
export const freePages = (n: number): readonly PhysPage[] => Array.from({ length: n }, () => FREE_PAGE);

/** The lowest free page of the pool (the allocator's choice in the model), or -1. */
export const lowestFreePage = (pages: readonly PhysPage[]): number => pages.findIndex((p) => p.state === 'free');

/** The page's owner in words, for traces and reasons. */
export function pageText(p: PhysPage | undefined): string {
  if (!p) return 'no page';
  if (p.state === 'kernel') return `a DMA buffer of dev ${p.dev}`;
  if (p.state === 'kmalloc') return `a sub-page DMA buffer of dev ${p.dev} beside other kernel data`;
  if (p.state === 'bounce') return `a swiotlb bounce slot of dev ${p.dev}`;
  if (p.state === 'pinned') return `a page of user context ${p.ctx} pinned for DMA`;
  return p.state === 'free' ? 'free (in the allocator)' : 'reused by another owner';
}
