/**
 * User mappings in the translation path (issue 15, step 5): the pages a user context pinned and
 * mapped for its device's DMA, through VFIO type1 (VFIO_IOMMU_MAP_DMA into the container's
 * domain `container:K`, drivers/vfio/vfio_iommu_type1.c) or iommufd (IOMMU_IOAS_MAP into the
 * domain of the hwpt the group is attached to, `hwpt:K.H`, drivers/iommu/iommufd/io_pagetable.c).
 *
 * Kept in the group's translation state (GroupTranslation.user), present only when a context of
 * the scenario maps memory for DMA (ContextSpec.mapDma) and may take a DMA actor of the group, so
 * scenarios without user mappings carry nothing extra. Small: one PTE per IOVA page of the user
 * domain (the same IOVA pages as the default domain's, `iovaPages`), each naming its domain, and
 * at most one unmap in progress (type1 holds iommu->lock, iommufd the iova_rwsem/pages mutex, for
 * the whole ioctl).
 *
 * Simplification: a mapping lives in the one domain it was made in while the group is attached
 * to it; the model offers MAP only then. When the group leaves that domain (the container's last
 * group detaches: vfio_iommu_type1_detach_group -> vfio_iommu_unmap_unpin_all; the last device
 * leaves the hwpt: iopt_table_remove_domain -> iopt_unfill_domain -> iopt_area_unfill_domain),
 * the kernel unmaps the IOVA, syncs the IOTLB and only then unpins: releaseLeftUserDomains.
 */
import { userOfDomain, type DomainName } from '../kernel/domains.ts';
import { atcInvalidate } from './ats.ts';
import type { Translation } from './ioPagetable.ts';
import { iotlbInvalidate } from './iotlb.ts';
import type { PhysPage } from './pages.ts';
import type { KernelResult } from '../kernel/errno.ts';
import { mayDiffer, updateGroup, type SystemState } from './state.ts';
import type { GroupTranslation } from './translation.ts';

/** One user PTE: the page it maps and the user domain it is in (`container:K` or `hwpt:K.H`). */
export interface UserPte extends Translation {
  readonly domain: DomainName;
}

/**
 * Where a user unmap is, split at the points where the device's DMA can interleave:
 * `pte_cleared` (iommu_unmap_fast / __iommu_unmap cleared the PTE), `synced` (iommu_iotlb_sync
 * done, the pages not yet unpinned: the kernel order), `unpinned` (unpinned before the sync: only
 * a variant that reverses the order gets there).
 */
export type UserUnmapPhase = 'pte_cleared' | 'synced' | 'unpinned';

/** The unmap ioctl in progress: the context's thread is inside it until the pages are unpinned and the IOTLB synced. */
export interface PendingUserUnmap {
  readonly domain: DomainName;
  readonly iova: number;
  /** The pinned page the cleared PTE mapped (to unpin). */
  readonly phys: number;
  readonly phase: UserUnmapPhase;
}

/** The user domains' page table of one group. */
export interface UserPagetable {
  /** PTE per IOVA page (index = IOVA page), or null. */
  readonly ptes: readonly (UserPte | null)[];
  readonly unmap: PendingUserUnmap | null;
}

/** An empty user page table of `iovaPages` pages. */
export const emptyUserPagetable = (iovaPages: number): UserPagetable => ({ ptes: Array.from({ length: iovaPages }, () => null), unmap: null });

/** The PTEs of `domain` (others read as null): what the IOMMU walks for a RID on that domain. */
export const userPtesOf = (user: UserPagetable, domain: DomainName): readonly (Translation | null)[] => user.ptes.map((p) => (p?.domain === domain ? p : null));

/** The lowest IOVA page with no user PTE and no unmap in progress (the IOVA the user picks), or -1. */
export const lowestFreeUserIova = (user: UserPagetable): number => user.ptes.findIndex((p, iova) => p === null && user.unmap?.iova !== iova);

/** `user` with the PTE of `iova` set (null: cleared). */
export function withUserPte(user: UserPagetable, iova: number, pte: UserPte | null): UserPagetable {
  const ptes = user.ptes.slice();
  ptes[iova] = pte;
  return { ...user, ptes };
}

/** `t` with page `phys` set to `page`. */
export function withPage(t: GroupTranslation, phys: number, page: PhysPage): GroupTranslation {
  const pages = t.pages.slice();
  pages[phys] = page;
  return { ...t, pages };
}

/**
 * The user domain `domain` of group g is gone (the group's domain is another one now): the kernel
 * unmapped every IOVA of it, synced the IOTLB (and the device-TLBs), and only then unpinned the
 * pages (vfio_iommu_unmap_unpin_all -> vfio_remove_dma -> vfio_unmap_unpin; iopt_unfill_domain ->
 * iopt_area_unfill_domain: "unpin must follow unmap"). An unmap in progress in it is finished the same way.
 */
function unfillDomain(t: GroupTranslation, domain: DomainName): GroupTranslation {
  const user = t.user!;
  const ctx = userOfDomain(domain);
  const unpin = new Set<number>();
  const ptes = user.ptes.map((p) => {
    if (p?.domain !== domain) return p;
    unpin.add(p.phys);
    return null;
  });
  if (user.unmap?.domain === domain && user.unmap.phase !== 'unpinned') unpin.add(user.unmap.phys);
  const unmap = user.unmap?.domain === domain ? null : user.unmap;
  const pages = t.pages.map((p, phys) => (unpin.has(phys) && p.state === 'pinned' && p.ctx === ctx ? ({ state: 'free' } as const) : p));
  const ats = t.ats ? atcInvalidate(t.ats, t.ats.enabled, domain, null) : undefined;
  return { ...t, pages, iotlb: iotlbInvalidate(t.iotlb, domain, null), user: { ptes, unmap }, ...(ats ? { ats } : {}) };
}

/**
 * After a call: every group whose user PTEs (or unmap in progress) name a domain the group is no
 * longer attached to has that domain unfilled (unfillDomain). Returns `s` itself when nothing changed.
 */
export function releaseLeftUserDomains(s: SystemState, before?: SystemState): SystemState {
  let out = s;
  s.groups.forEach((grp, g) => {
    // A group whose domain and translation the call left alone left no user domain (the parent
    // state had none left): skipped without reading its translation (exploreFast's caches key a
    // call by what it read).
    const was = before?.groups[g];
    if (was !== undefined && !mayDiffer(was, grp, 'domain') && !mayDiffer(was, grp, 'translation')) return;
    const t = grp.translation;
    const user = t?.user;
    if (!t || !user) return;
    const left = new Set<DomainName>();
    for (const p of user.ptes) if (p && p.domain !== grp.domain) left.add(p.domain);
    if (user.unmap && user.unmap.domain !== grp.domain) left.add(user.unmap.domain);
    if (left.size === 0) return;
    let next = t;
    for (const d of left) next = unfillDomain(next, d);
    out = updateGroup(out, g, { translation: next });
  });
  return out;
}

/** A call's result with releaseLeftUserDomains applied to its next state (or to the state its error path left). */
export function releasingLeftUserDomains(r: KernelResult<SystemState>, before?: SystemState): KernelResult<SystemState> {
  const from = r.ok ? r.next : r.after;
  const to = from ? releaseLeftUserDomains(from, before) : from;
  if (to === from) return r;
  return r.ok ? { ...r, next: to! } : { ...r, after: to };
}
