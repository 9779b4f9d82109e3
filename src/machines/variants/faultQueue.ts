/**
 * Fault-queue variants (issue 16, Deliver 1): the hwpt replace of fb21b1568ada that answered the
 * wrong fault queue. Run by default only on the fault-queue scenario (Variant.scenarios), so no
 * other scenario gains a manifest row.
 */
import { replaceAutoRespondsNewHwpt } from '../semantics/iommufdFault.ts';
import { defineVariant } from './defineVariant.ts';

const FAULT_QUEUE_SCENARIOS = ['iommufd-fault-replace'];

/**
 * iommufd_hwpt_replace_device (device.c) as fb21b1568ada left it: iommufd_auto_response_faults(hwpt,
 * old_handle) scans the new hwpt's fault queue for the old attach handle, finds nothing, and the
 * old hwpt's queue keeps the group's page requests after the handle is freed.
 */
export const faultAutoResponseNewHwpt = defineVariant({
  name: 'fault-auto-response-new-hwpt',
  kind: 'historical',
  description:
    'An hwpt replace auto-responds the page requests of the new hwpt\'s fault queue instead of the old one\'s: the requests the old hwpt still holds for the group stay pending after the group left it, their attach handle freed.',
  source:
    'drivers/iommu/iommufd/device.c iommufd_hwpt_replace_device from fb21b1568ada ("iommufd: Make attach_handle generic than fault specific") until 40e08f99aaab (linux-7.1.y; jgg/iommufd for-rc ba5c0f28a26e; "iommufd: Fix wrong hwpt passed to iommufd_auto_response_faults on replace", Peiyang He, July 2026)',
  breaks: ['FAULTQ'],
  showcase: 'iommufd-fault-replace',
  scenarios: FAULT_QUEUE_SCENARIOS,
  overrides: { iommufd_hwpt_replace_device: replaceAutoRespondsNewHwpt },
});

export const FAULT_QUEUE_VARIANTS = [faultAutoResponseNewHwpt];
