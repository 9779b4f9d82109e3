/**
 * A PASID attachment in an IOMMU group with several devices (docs/kernel-notes.md section 21):
 * the proposed fix of the pinned kernel's finding on sva-shared-group-unbind, where a group-mate's
 * DMA-API driver unbinds while group->pasid_array is not empty and
 * iommu_device_unuse_default_domain WARNs and skips owner_cnt--. It runs by default only on that
 * scenario (Variant.scenarios).
 */
import { err } from '../../kernel/errno.ts';
import { currentKernel } from '../semantics/index.ts';
import { groupOf, presentDevices } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

export const PASID_SHARED_GROUP_SCENARIOS = ['sva-shared-group-unbind'];

/**
 * Proposed: iommu_attach_device_pasid (iommu.c) refuses a group with more than one device, as
 * Lu Baolu's "[PATCH v2 1/3] iommu: Make single-device group for PASID explicit" (Aug 2023) did
 * with `list_count_nodes(&group->devices) != 1` -> -EINVAL. Not in the pinned kernel.
 */
export const pasidAttachSingletonGroup = defineVariant({
  name: 'pasid-attach-singleton-group',
  kind: 'proposed',
  description:
    'iommu_attach_device_pasid returns -EINVAL when the group holds more than one device (list_count_nodes(&group->devices) != 1), so no PASID attachment (SVA bind, idxd\'s system PASID, iommufd PASID attach) exists while a group-mate may bind or unbind a DMA-API driver.',
  source: 'Lu Baolu, "[PATCH v2 1/3] iommu: Make single-device group for PASID explicit", Aug 2023 (not merged: absent from the pinned iommu.c, whose b3f6fcd8404f instead skips group members with max_pasids == 0)',
  breaks: [],
  showcase: 'sva-shared-group-unbind',
  scenarios: PASID_SHARED_GROUP_SCENARIOS,
  overrides: {
    iommu_attach_device_pasid(env, s, a) {
      const n = presentDevices(s, groupOf(env.scenario, a.dev)).length;
      if (n !== 1) return err('EINVAL', `list_count_nodes(&group->devices) is ${n}: PASID needs a single-device group`);
      return currentKernel.iommu_attach_device_pasid(env, s, a);
    },
  },
});

export const PASID_SHARED_GROUP_VARIANTS = [pasidAttachSingletonGroup];
