/**
 * What the VFIO type1 and iommufd user-mapping rules share (issue 15, step 5): which user domain
 * a context's MAP/UNMAP reaches in a group, pinning and mapping a page, clearing a PTE, the
 * IOTLB sync of a user unmap, and unpinning. Plain helpers, not rules: the rules are in
 * vfioType1.ts and iommufdIoas.ts, named after the kernel functions.
 */
import { containerDomain, hwptDomain, userOfDomain, type DomainName } from '../../kernel/domains.ts';
import { err, ok, type KernelResult } from '../../kernel/errno.ts';
import { lowestFreePage } from '../pages.ts';
import { iommufdGroupOf, warnOn, type SystemState } from '../state.ts';
import { allocatePage, translationOf, withTranslation } from '../translation.ts';
import { lowestFreeUserIova, withPage, withUserPte, type PendingUserUnmap, type UserPagetable } from '../userMappings.ts';
import type { Env } from './kernel.ts';

/** Context ctx's VFIO type1 domain of group g: the group is on ctx's container, which has its backend (VFIO_SET_IOMMU). */
export function type1Domain(s: SystemState, ctx: number, group: number): DomainName | null {
  const v = s.vfio_groups[group];
  const d = containerDomain(ctx);
  return v?.container === true && v.opened_by === ctx && s.containers[ctx]?.iommu_set === true && s.groups[group]?.domain === d ? d : null;
}

/** Context ctx's iommufd domain of group g: the hwpt the group's devices are attached to (igroup->hwpt). */
export function ioasDomain(s: SystemState, ctx: number, group: number): DomainName | null {
  const ig = iommufdGroupOf(s, ctx, group);
  const d = ig ? hwptDomain(ctx, ig.hwpt) : null;
  return d !== null && s.groups[group]?.domain === d ? d : null;
}

/** The user page table of group g, or null (no user mappings in this scenario). */
export const userOf = (s: SystemState, group: number): UserPagetable | null => translationOf(s, group)?.user ?? null;

/** The unmap of context ctx in progress in group g, or null. */
export function pendingUnmapOf(s: SystemState, group: number, ctx: number): PendingUserUnmap | null {
  const u = userOf(s, group)?.unmap ?? null;
  return u && userOfDomain(u.domain) === ctx ? u : null;
}

/** The lowest IOVA page the user may map in group g (no PTE, no unmap in progress), or -1. */
export const freeUserIova = (s: SystemState, group: number): number => {
  const user = userOf(s, group);
  return user ? lowestFreeUserIova(user) : -1;
};

/**
 * Pins a page of context ctx (the lowest free page of the group's pool) and maps it at `iova` in
 * `domain`: pin first, then iommu_map (both kernels). -EEXIST when the IOVA is mapped.
 */
export function pinAndMap(s: SystemState, group: number, ctx: number, domain: DomainName, iova: number, pinner: string): KernelResult<SystemState> {
  const t = translationOf(s, group);
  if (!t?.user) return err('ENODEV', 'the group has no user mappings in this scenario (no mapping context may take a DMA actor)');
  if (iova < 0 || iova >= t.user.ptes.length) return err('EINVAL', `IOVA page ${iova} is outside the IOVA space`);
  if (t.user.ptes[iova] !== null || t.user.unmap?.iova === iova) return err('EEXIST', `IOVA page ${iova} is already mapped`);
  const phys = lowestFreePage(t.pages);
  if (phys < 0) return err('ENOMEM', `${pinner}: no page left to pin in the group's pool`);
  const pinned = allocatePage(t, phys, { state: 'pinned', ctx });
  return ok(withTranslation(s, group, { ...pinned, user: withUserPte(pinned.user!, iova, { phys, stale: false, domain }) }));
}

/** Clears the user PTE of `iova` in `domain` (iommu_unmap_fast / __iommu_unmap): the unmap is in progress, phase pte_cleared. */
export function clearUserPte(s: SystemState, group: number, domain: DomainName, iova: number, notMapped: KernelResult<SystemState>): KernelResult<SystemState> {
  const t = translationOf(s, group);
  const pte = t?.user?.ptes[iova] ?? null;
  if (!t?.user || pte === null || pte.domain !== domain) return notMapped;
  if (t.user.unmap) return err('EBUSY', 'another unmap of the domain is in progress');
  const user = { ...withUserPte(t.user, iova, null), unmap: { domain, iova, phys: pte.phys, phase: 'pte_cleared' as const } };
  return ok(withTranslation(s, group, { ...t, user }));
}

/** `s` with group g's user unmap in progress set to `unmap` (null: the ioctl returned). */
export function withUserUnmap(s: SystemState, group: number, unmap: PendingUserUnmap | null): SystemState {
  const t = translationOf(s, group)!;
  return withTranslation(s, group, { ...t, user: { ...t.user!, unmap } });
}

/**
 * iommu_iotlb_sync on the user domain for the unmapped IOVA: the driver's ->iotlb_sync
 * invalidates the IOTLB, then the device-TLBs of the domain's ATS devices, and waits
 * (env.k.iommu_iotlb_sync, env.k.iommu_flush_dev_iotlb).
 */
export function syncUserUnmap(env: Env, s: SystemState, group: number, u: PendingUserUnmap): KernelResult<SystemState> {
  const r = env.k.iommu_iotlb_sync(env, s, { group, domain: u.domain, iova: u.iova });
  return r.ok ? env.k.iommu_flush_dev_iotlb(env, r.next, { group, domain: u.domain, iova: u.iova }) : r;
}

/** Unpins page `phys` of context ctx (unpin_user_pages): back to the allocator. A page not pinned for ctx is a WARN. */
export function unpinPage(s: SystemState, group: number, ctx: number, phys: number, who: string): KernelResult<SystemState> {
  const t = translationOf(s, group);
  const p = t?.pages[phys];
  if (!t || p?.state !== 'pinned' || p.ctx !== ctx) return ok(warnOn(s, `${who}: page ${phys} is not pinned for context ${ctx}`));
  return ok(withTranslation(s, group, withPage(t, phys, { state: 'free' })));
}

/**
 * One step of the unmap thread after the PTE was cleared, in the kernel's order: from
 * pte_cleared, the IOTLB sync (phase synced); from synced, the unpin, and the ioctl returns. From
 * unpinned (only a variant that unpins first gets there), the sync, and the ioctl returns.
 */
export function userUnmapStep(env: Env, s: SystemState, group: number, u: PendingUserUnmap, unpin: (s: SystemState) => KernelResult<SystemState>): KernelResult<SystemState> {
  if (u.phase === 'synced') {
    const r = unpin(s);
    return r.ok ? ok(withUserUnmap(r.next, group, null)) : r;
  }
  const r = syncUserUnmap(env, s, group, u);
  if (!r.ok) return r;
  return ok(withUserUnmap(r.next, group, u.phase === 'pte_cleared' ? { ...u, phase: 'synced' } : null));
}
