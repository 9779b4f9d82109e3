/**
 * iommufd user mappings (issue 15, step 5): IOMMU_IOAS_MAP / IOMMU_IOAS_UNMAP.
 *
 * Read: drivers/iommu/iommufd/io_pagetable.c, torvalds/linux @ 037dd1308c6dfa64edd2dfcd1b8177a3f484a124
 * (iopt_map_user_pages, iopt_map_pages, iopt_unmap_iova -> iopt_unmap_iova_range ->
 * iopt_area_unfill_domains; iopt_unfill_domain); drivers/iommu/iommufd/pages.c, torvalds/linux @
 * 0604aa87b098740f2e517a584552591cbf2209d7 (iopt_area_unfill_domains -> iopt_area_unfill_domain ->
 * __iopt_area_unfill_domain -> iopt_area_unpin_domain: iopt_area_unmap_domain_range, which is
 * iommu_unmap_nofail -> iommu_unmap (__iommu_unmap, then iommu_iotlb_sync), and then, commented
 * "unpin must follow unmap", batch_unpin; __iopt_area_unfill_domain: "For security we must not
 * unpin something that is still DMA mapped, so this must unmap any IOVA before we go ahead and
 * unpin the pages"). iommu_unmap_nofail's body (iommu_unmap plus a WARN on a short unmap) was not
 * re-read [I].
 *
 * MAP: iopt_map_user_pages -> iopt_alloc_pages, iopt_map_pages -> iopt_alloc_area_pages
 * (iopt_check_iova: -EEXIST when an area covers the IOVA) -> iopt_fill_domains_pages ->
 * iopt_area_fill_domains: the pfn_reader pins the pages (pin_user_pages_fast) and batch_to_domain
 * maps them (iommu_map) in every domain of the IOAS; here the hwpt domain `hwpt:K.H` the group is
 * attached to. UNMAP: the PTE is cleared (__iommu_unmap), then the thread goes on in
 * iopt_area_unpin_domain: the IOTLB sync (the rest of iommu_unmap), then batch_unpin, then the
 * ioctl returns. Simplification: the model maps only while the group is attached (an IOAS without
 * a domain holds no pins: its areas are filled into a domain at attach, iopt_table_add_domain ->
 * iopt_fill_domain), and keeps one domain per IOAS.
 */
import { hwptDomain } from '../../kernel/domains.ts';
import { err } from '../../kernel/errno.ts';
import { iommufdGroupOf } from '../state.ts';
import type { Kernel } from './kernel.ts';
import { clearUserPte, ioasDomain, pendingUnmapOf, pinAndMap, unpinPage, userUnmapStep } from './userDma.ts';

type IommufdIoasFns = Pick<Kernel, 'iopt_map_user_pages' | 'iopt_unmap_iova' | 'iopt_area_unpin_domain' | 'batch_unpin'>;

export const iommufdIoas: IommufdIoasFns = {
  /**
   * iopt_map_user_pages (IOMMU_IOAS_MAP): iopt_check_iova (-EINVAL on a reserved IOVA, -EEXIST when
   * mapped; ioPagetableResv.ts); the
   * pfn_reader pins the user page (pinned for ctx), batch_to_domain maps it in the hwpt's domain.
   */
  iopt_map_user_pages(env, s, { ctx, group, iova }) {
    const domain = ioasDomain(s, ctx, group);
    if (!domain) return err('EINVAL', 'the model maps an IOAS only while the group is attached to one of its hwpts');
    const check = env.k.iopt_check_iova(env, s, { ctx, group, iova }); // reserved regions (issue 16, helper G; ioPagetableResv.ts)
    if (!check.ok) return check;
    return pinAndMap(check.next, group, ctx, domain, iova, 'pin_user_pages_fast');
  },

  /**
   * iopt_unmap_iova (IOMMU_IOAS_UNMAP) -> iopt_unmap_iova_range: `rc = -ENOENT` when no area
   * covers the IOVA; else iopt_area_unfill_domains -> iopt_area_unpin_domain ->
   * iopt_area_unmap_domain_range -> iommu_unmap: __iommu_unmap clears the PTE (the unmap is left
   * in progress, phase pte_cleared; iopt_area_unpin_domain goes on with the sync and the unpin).
   */
  iopt_unmap_iova(_env, s, { ctx, group, iova }) {
    const hwpt = iommufdGroupOf(s, ctx, group)?.hwpt;
    const domain = hwpt === undefined ? null : hwptDomain(ctx, hwpt);
    const notMapped = err('ENOENT', `no area of the IOAS covers IOVA page ${iova}`);
    return domain === null ? notMapped : clearUserPte(s, group, domain, iova, notMapped);
  },

  /**
   * iopt_area_unpin_domain (pages.c): the rest of iommu_unmap (iommu_iotlb_sync on the domain),
   * then "unpin must follow unmap": batch_unpin. One step per call (the device's DMA interleaves
   * between them); then iopt_unmap_iova returns.
   */
  iopt_area_unpin_domain(env, s, { ctx, group }) {
    const u = pendingUnmapOf(s, group, ctx);
    if (!u || !u.domain.startsWith('hwpt:')) return err('EINVAL', 'no IOMMU_IOAS_UNMAP of this context is in iopt_area_unpin_domain');
    return userUnmapStep(env, s, group, u, (cur) => env.k.batch_unpin(env, cur, { ctx, group, phys: u.phys }));
  },

  /** batch_unpin (pages.c): unpin_user_page_range_dirty_lock on the batch's pfns: the page leaves the pinned state (free in the model). */
  batch_unpin(_env, s, { ctx, group, phys }) {
    return unpinPage(s, group, ctx, phys, 'batch_unpin');
  },
};
