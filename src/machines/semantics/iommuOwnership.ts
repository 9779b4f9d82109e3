/**
 * DMA ownership: drivers/iommu/iommu.c (kernel pinned in src/kernel/version.ts).
 *
 * owner_cnt counts two populations (kernel-semantics.md 1.2): bound drivers that use the DMA
 * API (owner == NULL), or successful claims of the exclusive owner (owner != NULL).
 * A device-level call acts on the device's own group (dev->iommu_group, fixed by the scenario);
 * a group-level call names its group, as the kernel's `struct iommu_group *` argument does.
 */
import { BLOCKING_DOMAIN, DEFAULT_DOMAIN } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import { groupOf, updateGroup, warnOn } from '../state.ts';
import type { Kernel } from './kernel.ts';

type OwnershipFns = Pick<
  Kernel,
  | 'iommu_device_use_default_domain'
  | 'iommu_device_unuse_default_domain'
  | '__iommu_take_dma_ownership'
  | 'iommu_group_claim_dma_owner'
  | 'iommu_device_claim_dma_owner'
  | '__iommu_release_dma_ownership'
  | 'iommu_group_release_dma_owner'
  | 'iommu_device_release_dma_owner'
>;

export const ownership: OwnershipFns = {
  /**
   * iommu_device_use_default_domain (iommu.c): a driver without driver_managed_dma is binding.
   * -EPROBE_DEFER before default-domain setup; -EBUSY when owner_cnt > 0 and the group is owned,
   * not on its default domain, or has PASID attachments. Does not look at the domain when
   * owner_cnt == 0 (relies on I5).
   */
  iommu_device_use_default_domain(env, s, { dev }) {
    const gi = groupOf(env.scenario, dev);
    const g = s.groups[gi]!;
    if (!g.default_domain) return err('EPROBE_DEFER', 'group->default_domain is not set up yet');
    if (g.owner_cnt > 0) {
      if (g.owner !== null) return err('EBUSY', `the group is owned by ${g.owner}`);
      if (g.domain !== DEFAULT_DOMAIN) return err('EBUSY', `group->domain is ${g.domain}, not the default domain`);
      if (g.pasid_array.length > 0) return err('EBUSY', 'group->pasid_array is not empty');
    }
    return ok(updateGroup(s, gi, { owner_cnt: g.owner_cnt + 1 }));
  },

  /** iommu_device_unuse_default_domain (iommu.c): WARN_ON(!owner_cnt || !xa_empty(pasid_array)). */
  iommu_device_unuse_default_domain(env, s, { dev }) {
    const gi = groupOf(env.scenario, dev);
    const g = s.groups[gi]!;
    if (g.owner_cnt === 0 || g.pasid_array.length > 0) {
      return ok(warnOn(s, 'iommu_device_unuse_default_domain: WARN_ON(!owner_cnt || pasid_array not empty)'));
    }
    return ok(updateGroup(s, gi, { owner_cnt: g.owner_cnt - 1 }));
  },

  /**
   * __iommu_take_dma_ownership (iommu.c): -EBUSY when the group is on a non-default domain or has
   * PASIDs; allocates the blocking domain and moves the whole group to it; owner_cnt++.
   */
  __iommu_take_dma_ownership(env, s, { group, owner }) {
    const g = s.groups[group]!;
    if (g.domain !== null && g.domain !== DEFAULT_DOMAIN) {
      return err('EBUSY', `group->domain is ${g.domain}, not the default domain`);
    }
    if (g.pasid_array.length > 0) return err('EBUSY', 'group->pasid_array is not empty');
    const allocated = updateGroup(s, group, { blocking_domain: true });
    const r = env.k.__iommu_group_set_domain(env, allocated, { group, domain: BLOCKING_DOMAIN });
    if (!r.ok) return r;
    return ok(updateGroup(r.next, group, { owner, owner_cnt: r.next.groups[group]!.owner_cnt + 1 }));
  },

  /** iommu_group_claim_dma_owner (iommu.c): -EPERM when owner_cnt != 0 (not re-entrant). */
  iommu_group_claim_dma_owner(env, s, { group, owner }) {
    const g = s.groups[group]!;
    if (g.owner_cnt !== 0) {
      return err('EPERM', `owner_cnt is ${g.owner_cnt}${g.owner ? ` (owner ${g.owner})` : ' (DMA-API drivers bound)'}`);
    }
    return env.k.__iommu_take_dma_ownership(env, s, { group, owner });
  },

  /**
   * iommu_device_claim_dma_owner (iommu.c): -ENODEV without a group; with owner_cnt != 0 a
   * different owner (or kernel DMA-API users: owner NULL) gets -EPERM and the same owner only
   * increments owner_cnt, without touching the domain.
   */
  iommu_device_claim_dma_owner(env, s, { dev, owner }) {
    if (!s.devices[dev]?.present) return err('ENODEV', 'the device has no IOMMU group');
    const group = groupOf(env.scenario, dev);
    const g = s.groups[group]!;
    if (g.owner_cnt !== 0) {
      if (g.owner !== owner) {
        return err('EPERM', g.owner ? `the group is owned by ${g.owner}` : `owner_cnt is ${g.owner_cnt} (DMA-API drivers bound)`);
      }
      return ok(updateGroup(s, group, { owner_cnt: g.owner_cnt + 1 }));
    }
    return env.k.__iommu_take_dma_ownership(env, s, { group, owner });
  },

  /**
   * __iommu_release_dma_ownership (iommu.c): WARN_ON(!owner_cnt || !owner || pasid_array not
   * empty) and return; else owner = NULL, owner_cnt = 0, back to the default domain (must succeed).
   */
  __iommu_release_dma_ownership(env, s, { group }) {
    const g = s.groups[group]!;
    if (g.owner_cnt === 0 || g.owner === null || g.pasid_array.length > 0) {
      return ok(warnOn(s, '__iommu_release_dma_ownership: WARN_ON(!owner_cnt || !owner || pasid_array not empty)'));
    }
    const released = updateGroup(s, group, { owner: null, owner_cnt: 0 });
    if (!released.groups[group]!.default_domain) return ok(released);
    const r = env.k.__iommu_group_set_domain(env, released, { group, domain: DEFAULT_DOMAIN, mustSucceed: true });
    // __iommu_group_set_domain_nofail: the default domain always attaches in the model.
    return r.ok ? r : ok(warnOn(released, `__iommu_release_dma_ownership: set default domain failed: -${r.errno}`));
  },

  /** iommu_group_release_dma_owner (iommu.c): __iommu_release_dma_ownership. */
  iommu_group_release_dma_owner(env, s, { group }) {
    return env.k.__iommu_release_dma_ownership(env, s, { group });
  },

  /** iommu_device_release_dma_owner (iommu.c): owner_cnt > 1 only decrements; else full release. */
  iommu_device_release_dma_owner(env, s, { dev }) {
    const group = groupOf(env.scenario, dev);
    const g = s.groups[group]!;
    if (g.owner_cnt > 1) return ok(updateGroup(s, group, { owner_cnt: g.owner_cnt - 1 }));
    return env.k.__iommu_release_dma_ownership(env, s, { group });
  },
};
