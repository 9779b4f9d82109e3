/**
 * VFIO type1 user mappings (issue 15, step 5): drivers/vfio/vfio_iommu_type1.c as read in the
 * design note (docs/design/translation-path.md section 1: `vfio_sync_unpin`, id 6703330; hunks ids
 * 44061530702, 7733967335). Type1 domains are IOMMU_DOMAIN_UNMANAGED: never lazy, whatever
 * iommu.strict says.
 *
 * VFIO_IOMMU_MAP_DMA -> vfio_dma_do_map -> vfio_pin_map_dma: vfio_pin_pages_remote, then
 * vfio_iommu_map (iommu_map on every domain of the container: here the one domain `container:K`).
 * VFIO_IOMMU_UNMAP_DMA -> vfio_dma_do_unmap -> vfio_remove_dma -> vfio_unmap_unpin: the fast path
 * unmap_unpin_fast calls iommu_unmap_fast (the PTE is cleared) and collects the region, then
 * vfio_sync_unpin: `iommu_iotlb_sync(domain->domain, iotlb_gather)` FIRST and only then
 * vfio_unpin_pages_remote ("VFIO needs to unpin remote pages after each IOTLB flush"). The ioctl
 * is split where the device's DMA can interleave: vfio_dma_do_unmap clears the PTE; vfio_sync_unpin
 * runs as two steps of the same thread (the sync, then the unpin), after which the ioctl returns.
 * Not modelled: the slow path (iommu_unmap, synchronous, then unpin: the same order), the
 * errnos of MAP/UNMAP beyond -EINVAL/-EEXIST (not re-read), vfio_pin_pages_remote's accounting.
 */
import { containerDomain } from '../../kernel/domains.ts';
import { err, errAfter, ok } from '../../kernel/errno.ts';
import type { Kernel } from './kernel.ts';
import { msiIsolationCheck } from './iommuMsi.ts';
import { type1EnforceCoherency } from './cacheCoherency.ts';
import { clearUserPte, pendingUnmapOf, pinAndMap, type1Domain, unpinPage, userUnmapStep } from './userDma.ts';

type VfioType1Fns = Pick<Kernel, 'vfio_dma_do_map' | 'vfio_dma_do_unmap' | 'vfio_sync_unpin' | 'vfio_unpin_pages_remote' | 'vfio_iommu_type1_attach_group'>;

export const vfioType1: VfioType1Fns = {
  /**
   * vfio_iommu_type1_attach_group (vfio_iommu_type1.c; read in id 13823375, docs/kernel-notes.md
   * section "Interrupts"): iommu_attach_group(domain->domain, iommu_group) first; then (after the
   * aperture and reserved-region checks, not modelled) `if (!allow_unsafe_interrupts &&
   * !iommu_group_has_isolated_msi(iommu_group))` pr_warn "No interrupt remapping support", -EPERM,
   * `goto out_detach` (iommu_detach_group: the group goes back to its core domain). On a
   * SW_MSI platform it then takes the MSI cookie (iommu_get_msi_cookie at the
   * vfio_iommu_has_sw_msi base): derived, not state (src/machines/msiDoorbell.ts).
   * Simplification: one type1 domain `container:K` per context, every group compatible with it.
   */
  vfio_iommu_type1_attach_group(env, s, { ctx, group }) {
    const domain = containerDomain(ctx);
    const a = env.k.iommu_attach_group(env, s, { group, domain });
    if (!a.ok) return a;
    const msi = msiIsolationCheck(env, a.next, group, 'vfio_iommu_type1');
    if (msi.ok) return ok(type1EnforceCoherency(env, msi.next, ctx, group)); // cache coherency (issue 16, Deliver 5)
    // out_detach: iommu_detach_group; the group is back on its core domain, as the attach found it.
    const d = env.k.iommu_detach_group(env, a.next, { group, domain });
    const after = d.ok ? d.next : a.next;
    return JSON.stringify(after) === JSON.stringify(s) ? msi : errAfter(msi.errno, msi.reason, after);
  },

  /**
   * vfio_dma_do_map (VFIO_IOMMU_MAP_DMA): -EINVAL unless the group is on the context's container
   * with its type1 backend set; -EEXIST when the IOVA is mapped (vfio_find_dma); -EINVAL when it
   * is outside the valid IOVA list (vfio_iommu_iova_dma_valid: a reserved region, ioPagetableResv.ts); then
   * vfio_pin_pages_remote pins the user page (pinned for ctx) and iommu_map maps it in `container:K`.
   */
  vfio_dma_do_map(env, s, { ctx, group, iova }) {
    const domain = type1Domain(s, ctx, group);
    if (!domain) return err('EINVAL', 'the group is not on a container with the type1 backend (VFIO_SET_IOMMU)');
    const valid = env.k.vfio_iommu_iova_dma_valid(env, s, { ctx, group, iova }); // reserved regions (issue 16, helper G; ioPagetableResv.ts)
    if (!valid.ok) return valid;
    return pinAndMap(valid.next, group, ctx, domain, iova, 'vfio_pin_pages_remote');
  },

  /**
   * vfio_dma_do_unmap (VFIO_IOMMU_UNMAP_DMA) -> vfio_remove_dma -> vfio_unmap_unpin ->
   * unmap_unpin_fast: iommu_unmap_fast clears the PTE of `container:K`; the thread goes on into
   * vfio_sync_unpin (the unmap is left in progress, phase pte_cleared). No mapping at the IOVA:
   * nothing unmapped, the ioctl returns 0 (size 0).
   */
  vfio_dma_do_unmap(_env, s, { ctx, group, iova }) {
    return clearUserPte(s, group, containerDomain(ctx), iova, ok(s));
  },

  /**
   * vfio_sync_unpin: `iommu_iotlb_sync(domain->domain, iotlb_gather)`, then for each collected
   * region vfio_unpin_pages_remote. One step per call (the device's DMA interleaves between them):
   * the sync, then the unpin; then vfio_dma_do_unmap returns.
   */
  vfio_sync_unpin(env, s, { ctx, group }) {
    const u = pendingUnmapOf(s, group, ctx);
    if (!u || u.domain !== containerDomain(ctx)) return err('EINVAL', 'no VFIO_IOMMU_UNMAP_DMA of this context is in vfio_sync_unpin');
    return userUnmapStep(env, s, group, u, (cur) => env.k.vfio_unpin_pages_remote(env, cur, { ctx, group, phys: u.phys }));
  },

  /** vfio_unpin_pages_remote: put_pfn / unpin_user_page on the region's pages: the page leaves the pinned state (free in the model). */
  vfio_unpin_pages_remote(_env, s, { ctx, group, phys }) {
    return unpinPage(s, group, ctx, phys, 'vfio_unpin_pages_remote');
  },
};
