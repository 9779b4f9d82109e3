/**
 * Hwpt-lifetime variants (issue 16, Deliver 1): IOMMU_DESTROY without the object's refcount. Run
 * by default only on the hwpt-lifetime scenarios (Variant.scenarios), so no other scenario gains
 * a manifest row.
 */
import { ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import { hwptAllocated, withHwptAllocated } from '../semantics/iommufdHwpt.ts';
import { defineVariant } from './defineVariant.ts';

const HWPT_LIFETIME_SCENARIOS = ['iommufd-hwpt-destroy'];

/**
 * iommufd_object_remove without `refcount_dec_if_one(&obj->users)`: IOMMU_DESTROY erases and
 * destroys an attached hwpt, freeing the iommu_domain the group and the IOMMU still use.
 */
export const iommufdDestroyIgnoresUsers = defineVariant({
  name: 'iommufd-destroy-ignores-users',
  kind: 'seeded',
  description:
    'IOMMU_DESTROY (iommufd_object_remove) frees a hwpt without checking obj->users: an hwpt that devices are attached to is destroyed and its iommu_domain freed while group->domain and the IOMMU still point at it.',
  source: 'seeded: the -EBUSY of iommufd_object_remove (drivers/iommu/iommufd/main.c, "if (!refcount_dec_if_one(&obj->users))") dropped',
  breaks: ['I17'],
  showcase: 'iommufd-hwpt-destroy',
  scenarios: HWPT_LIFETIME_SCENARIOS,
  overrides: {
    iommufd_destroy(env, s, a) {
      if (!hwptAllocated(s, a.ctx, a.hwpt)) return currentKernel.iommufd_destroy(env, s, a);
      return ok(withHwptAllocated(s, a.ctx, a.hwpt, false));
    },
  },
});

export const HWPT_LIFETIME_VARIANTS = [iommufdDestroyIgnoresUsers];
