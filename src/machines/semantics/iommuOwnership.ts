/**
 * DMA ownership: drivers/iommu/iommu.c (kernel pinned in src/kernel/version.ts).
 *
 * owner_cnt counts two populations (kernel-semantics.md 1.2): bound drivers that use the DMA
 * API (owner == NULL), or successful claims of the exclusive owner (owner != NULL).
 */
import { BLOCKING_DOMAIN, DEFAULT_DOMAIN } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import { updateGroup, warnOn } from '../state.ts';
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
  iommu_device_use_default_domain(_env, s) {
    const g = s.group;
    if (!g.default_domain) return err('EPROBE_DEFER', 'group->default_domain is not set up yet');
    if (g.owner_cnt > 0) {
      if (g.owner !== null) return err('EBUSY', `the group is owned by ${g.owner}`);
      if (g.domain !== DEFAULT_DOMAIN) return err('EBUSY', `group->domain is ${g.domain}, not the default domain`);
      if (g.pasid_array.length > 0) return err('EBUSY', 'group->pasid_array is not empty');
    }
    return ok(updateGroup(s, { owner_cnt: g.owner_cnt + 1 }));
  },

  /** iommu_device_unuse_default_domain (iommu.c): WARN_ON(!owner_cnt || !xa_empty(pasid_array)). */
  iommu_device_unuse_default_domain(_env, s) {
    const g = s.group;
    if (g.owner_cnt === 0 || g.pasid_array.length > 0) {
      return ok(warnOn(s, 'iommu_device_unuse_default_domain: WARN_ON(!owner_cnt || pasid_array not empty)'));
    }
    return ok(updateGroup(s, { owner_cnt: g.owner_cnt - 1 }));
  },

  /**
   * __iommu_take_dma_ownership (iommu.c): -EBUSY when the group is on a non-default domain or has
   * PASIDs; allocates the blocking domain and moves the whole group to it; owner_cnt++.
   */
  __iommu_take_dma_ownership(env, s, { owner }) {
    const g = s.group;
    if (g.domain !== null && g.domain !== DEFAULT_DOMAIN) {
      return err('EBUSY', `group->domain is ${g.domain}, not the default domain`);
    }
    if (g.pasid_array.length > 0) return err('EBUSY', 'group->pasid_array is not empty');
    const allocated = updateGroup(s, { blocking_domain: true });
    const r = env.k.__iommu_group_set_domain(env, allocated, { domain: BLOCKING_DOMAIN });
    if (!r.ok) return r;
    return ok(updateGroup(r.next, { owner, owner_cnt: r.next.group.owner_cnt + 1 }));
  },

  /** iommu_group_claim_dma_owner (iommu.c): -EPERM when owner_cnt != 0 (not re-entrant). */
  iommu_group_claim_dma_owner(env, s, { owner }) {
    if (s.group.owner_cnt !== 0) {
      return err('EPERM', `owner_cnt is ${s.group.owner_cnt}${s.group.owner ? ` (owner ${s.group.owner})` : ' (DMA-API drivers bound)'}`);
    }
    return env.k.__iommu_take_dma_ownership(env, s, { owner });
  },

  /**
   * iommu_device_claim_dma_owner (iommu.c): -ENODEV without a group; with owner_cnt != 0 a
   * different owner (or kernel DMA-API users: owner NULL) gets -EPERM and the same owner only
   * increments owner_cnt, without touching the domain.
   */
  iommu_device_claim_dma_owner(env, s, { dev, owner }) {
    if (!s.devices[dev]?.present) return err('ENODEV', 'the device has no IOMMU group');
    const g = s.group;
    if (g.owner_cnt !== 0) {
      if (g.owner !== owner) {
        return err('EPERM', g.owner ? `the group is owned by ${g.owner}` : `owner_cnt is ${g.owner_cnt} (DMA-API drivers bound)`);
      }
      return ok(updateGroup(s, { owner_cnt: g.owner_cnt + 1 }));
    }
    return env.k.__iommu_take_dma_ownership(env, s, { owner });
  },

  /**
   * __iommu_release_dma_ownership (iommu.c): WARN_ON(!owner_cnt || !owner || pasid_array not
   * empty) and return; else owner = NULL, owner_cnt = 0, back to the default domain (must succeed).
   */
  __iommu_release_dma_ownership(env, s) {
    const g = s.group;
    if (g.owner_cnt === 0 || g.owner === null || g.pasid_array.length > 0) {
      return ok(warnOn(s, '__iommu_release_dma_ownership: WARN_ON(!owner_cnt || !owner || pasid_array not empty)'));
    }
    const released = updateGroup(s, { owner: null, owner_cnt: 0 });
    if (!released.group.default_domain) return ok(released);
    const r = env.k.__iommu_group_set_domain(env, released, { domain: DEFAULT_DOMAIN });
    // __iommu_group_set_domain_nofail: the default domain always attaches in the model.
    return r.ok ? r : ok(warnOn(released, `__iommu_release_dma_ownership: set default domain failed: -${r.errno}`));
  },

  /** iommu_group_release_dma_owner (iommu.c): __iommu_release_dma_ownership. */
  iommu_group_release_dma_owner(env, s) {
    return env.k.__iommu_release_dma_ownership(env, s, {});
  },

  /** iommu_device_release_dma_owner (iommu.c): owner_cnt > 1 only decrements; else full release. */
  iommu_device_release_dma_owner(env, s) {
    if (s.group.owner_cnt > 1) return ok(updateGroup(s, { owner_cnt: s.group.owner_cnt - 1 }));
    return env.k.__iommu_release_dma_ownership(env, s, {});
  },
};
