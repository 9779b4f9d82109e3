/**
 * Hwpt-lifetime variants (issue 16, Deliver 1): IOMMU_DESTROY without the object's refcount, and
 * the iommufd's release without the bound devices' file references. Run
 * by default only on the hwpt-lifetime scenarios (Variant.scenarios), so no other scenario gains
 * a manifest row.
 */
import { ok } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import { hwptAllocated, iommufdDestroyAllObjects, withHwptAllocated } from '../semantics/iommufdHwpt.ts';
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

/**
 * vfio_df_ioctl_bind_iommufd without the file reference (iommufd_ctx_from_fd / iommufd_ctx_get):
 * closing the iommufd runs iommufd_fops_release at once although VFIO cdevs are still bound, and
 * it frees every hwpt, including those devices are attached to.
 */
export const iommufdReleaseIgnoresDeviceRefs = defineVariant({
  name: 'iommufd-release-ignores-device-refs',
  kind: 'seeded',
  description:
    'Closing the iommufd runs iommufd_fops_release while VFIO cdevs are still bound (the bind took no reference on the iommufd file): every hwpt is destroyed and its iommu_domain freed while group->domain and the IOMMU still point at it.',
  source:
    'seeded: the iommufd file reference of a bound VFIO cdev (vfio_df_ioctl_bind_iommufd -> iommufd_ctx_from_fd, dropped by iommufd_ctx_put in vfio_df_unbind_iommufd, drivers/vfio/device_cdev.c) dropped',
  breaks: ['I17'],
  showcase: 'iommufd-hwpt-destroy',
  scenarios: HWPT_LIFETIME_SCENARIOS,
  overrides: {
    iommufd_fops_release(env, s, a) {
      const r = currentKernel.iommufd_fops_release(env, s, a);
      return r.ok ? ok(iommufdDestroyAllObjects(r.next, a.ctx)) : r;
    },
  },
});

export const HWPT_LIFETIME_VARIANTS = [iommufdDestroyIgnoresUsers, iommufdReleaseIgnoresDeviceRefs];
