/**
 * Reserved regions in user IOVA spaces (issue 16, Deliver 3, helper G): a user mapping may not
 * cover a non-relaxable reserved region (IOMMU_RESV_DIRECT / RESERVED / MSI) of a device the
 * user domain serves. Read (docs/kernel-notes.md, "Reserved regions in user IOVA spaces"):
 *
 * - VFIO type1 (drivers/vfio/vfio_iommu_type1.c): vfio_iommu_type1_attach_group gets the group's
 *   regions (iommu_get_group_resv_regions: every member), fails the attach with -EINVAL when an
 *   existing vfio_dma covers one (vfio_iommu_resv_conflict) and cuts them out of the container's
 *   iova_list (vfio_iommu_resv_exclude); vfio_dma_do_map refuses an IOVA outside that list with
 *   -EINVAL (vfio_iommu_iova_dma_valid), after its -EEXIST (vfio_find_dma) test.
 * - iommufd (drivers/iommu/iommufd/io_pagetable.c): iommufd_hw_pagetable_attach calls
 *   iopt_table_enforce_dev_resv_regions for the attaching device (its own regions, not the
 *   group's), before the group's hardware attach: iopt_reserve_iova, -EADDRINUSE when an area
 *   already covers the range. IOMMU_IOAS_MAP at a fixed IOVA: iopt_check_iova, -EINVAL when a
 *   reserved range intersects, then -EEXIST when an area does.
 * DIRECT_RELAXABLE regions are skipped by both (not modelled here: `directRelaxable` has no IOVA).
 *
 * The model: `reservedIova` on a device names one IOVA page of the user IOVA space
 * (GroupTranslation.user.ptes index). No state: which reserved ranges a domain enforces follows
 * from who is attached (resvEnforcedIn), the one rule the map checks, the attach check and the
 * invariant (src/invariants/reservedIovaUnmapped.ts) share.
 * Simplifications: user page tables are per group (src/machines/userMappings.ts), so type1's
 * attach-time conflict (a mapping made through another group of the container) cannot arise and
 * is not modelled; an iommufd replace moves to a domain with no mappings of the group yet, so its
 * re-enforcement (iommufd_device_do_replace) cannot fail either; the type1 order -EEXIST before
 * -EINVAL is reversed (a reserved IOVA is never mapped while the check is on).
 */
import { containerDomain, hwptDomain, type DomainName } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import type { Scenario } from '../scenario.ts';
import { groupOf, type SystemState } from '../state.ts';
import { translationOf } from '../translation.ts';
import type { UserPagetable } from '../userMappings.ts';
import type { Kernel } from './kernel.ts';
import { ioasDomain } from './userDma.ts';

/**
 * Whether user domain `domain` enforces device slot `dev`'s reserved IOVA: type1 (`container:K`)
 * when the device's group is on it (the group's regions, every present member); iommufd
 * (`hwpt:K.H`) when the device itself is attached to that hwpt (idev, iopt_table_enforce_dev_resv_regions).
 */
export function resvEnforcedIn(scenario: Scenario, s: SystemState, dev: number, domain: DomainName): boolean {
  const d = s.devices[dev];
  if (!d?.present || scenario.devices[dev]?.reservedIova === undefined) return false;
  if (domain.startsWith('container:')) return s.groups[groupOf(scenario, dev)]?.domain === domain;
  return d.iommufd !== null && d.iommufd.hwpt !== null && hwptDomain(d.iommufd.ctx, d.iommufd.hwpt) === domain;
}

/** The device slot of group g whose reserved IOVA `iova` domain `domain` enforces, or -1. */
export function resvHolder(scenario: Scenario, s: SystemState, group: number, domain: DomainName, iova: number): number {
  return scenario.devices.findIndex((spec, dev) => spec.reservedIova === iova && groupOf(scenario, dev) === group && resvEnforcedIn(scenario, s, dev, domain));
}

/** The reserved IOVA pages of group g's devices in the scenario (sorted, once each): the IOVAs a user may try besides a plain one. */
export const groupReservedIovas = (scenario: Scenario, group: number): number[] =>
  [...new Set(scenario.devices.flatMap((d, dev) => (d.reservedIova !== undefined && groupOf(scenario, dev) === group ? [d.reservedIova] : [])))].sort((a, b) => a - b);

/**
 * The IOVA pages a user maps at in group g: the lowest free page that is no device's reserved
 * IOVA (all free pages are interchangeable), then each free reserved IOVA (where the kernel's
 * checks matter). With no reserved IOVA: the lowest free page, as before.
 */
export function userMapIovas(user: UserPagetable, reserved: readonly number[]): number[] {
  const free = (iova: number): boolean => user.ptes[iova] === null && user.unmap?.iova !== iova;
  const plain = user.ptes.findIndex((_, iova) => free(iova) && !reserved.includes(iova));
  return [...(plain >= 0 ? [plain] : []), ...reserved.filter((iova) => iova < user.ptes.length && free(iova))];
}

type ResvFns = Pick<Kernel, 'vfio_iommu_iova_dma_valid' | 'iopt_check_iova' | 'iopt_table_enforce_dev_resv_regions'>;

export const ioPagetableResv: ResvFns = {
  /**
   * vfio_iommu_iova_dma_valid (vfio_iommu_type1.c): the IOVA lies in iommu->iova_list, from which
   * vfio_iommu_resv_exclude cut every non-relaxable reserved region of the container's groups;
   * vfio_dma_do_map returns -EINVAL otherwise.
   */
  vfio_iommu_iova_dma_valid(env, s, { ctx, group, iova }) {
    const dev = resvHolder(env.scenario, s, group, containerDomain(ctx), iova);
    if (dev < 0) return ok(s);
    return err('EINVAL', `IOVA page ${iova} is a reserved region of ${env.scenario.devices[dev]!.name}: vfio_iommu_resv_exclude cut it out of the container's valid IOVA list`);
  },

  /**
   * iopt_check_iova (io_pagetable.c), for IOMMU_IOAS_MAP at a fixed IOVA: -EINVAL when a reserved
   * range of the IOAS intersects (an attached device's region, iopt_reserved_iter_first), -EEXIST
   * when an area covers it (iopt_area_iter_first).
   */
  iopt_check_iova(env, s, { ctx, group, iova }) {
    const domain = ioasDomain(s, ctx, group);
    const dev = domain === null ? -1 : resvHolder(env.scenario, s, group, domain, iova);
    if (dev >= 0) return err('EINVAL', `IOVA page ${iova} is reserved in the IOAS for ${env.scenario.devices[dev]!.name} (iopt_reserve_iova at its attach)`);
    const user = translationOf(s, group)?.user;
    if (user && (user.ptes[iova] !== null || user.unmap?.iova === iova)) return err('EEXIST', `an area of the IOAS already covers IOVA page ${iova}`);
    return ok(s);
  },

  /**
   * iopt_table_enforce_dev_resv_regions (io_pagetable.c), from iommufd_hw_pagetable_attach before
   * the group's hardware attach: each non-relaxable region of the attaching device goes into the
   * IOAS's reserved tree with iopt_reserve_iova, which returns -EADDRINUSE when an area already
   * covers it (the attach fails, nothing changes).
   */
  iopt_table_enforce_dev_resv_regions(env, s, { ctx, dev, hwpt }) {
    const iova = env.scenario.devices[dev]?.reservedIova;
    if (iova === undefined) return ok(s);
    const pte = translationOf(s, groupOf(env.scenario, dev))?.user?.ptes[iova] ?? null;
    if (pte === null || pte.domain !== hwptDomain(ctx, hwpt)) return ok(s);
    return err('EADDRINUSE', `iopt_reserve_iova: an area of the IOAS already covers IOVA page ${iova}, a reserved region of ${env.scenario.devices[dev]!.name}`);
  },
};
