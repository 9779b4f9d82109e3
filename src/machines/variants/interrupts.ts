/**
 * Interrupt variants (issue 16, Deliver 4): the isolated-MSI refusal of the user paths reversed,
 * each breaking MSI (MsiIsolation) on the scenarios without interrupt remapping. They run by
 * default only on those scenarios (Variant.scenarios), so no other scenario gains a manifest row.
 */
import { ok } from '../../kernel/errno.ts';
import { ictxOwner, updateDevice } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

const MSI_SCENARIOS = ['msi-no-remapping'];

/**
 * (a) The group-level question always answers "isolated": both user paths hand a device to user
 * space on a platform without interrupt remapping.
 */
export const isolatedMsiNotChecked = defineVariant({
  name: 'isolated-msi-not-checked',
  kind: 'seeded',
  description:
    'iommu_group_has_isolated_msi answers true whatever the platform: VFIO type1 and iommufd give a device to user space without interrupt remapping, and its DMA write to the MSI doorbell can raise any interrupt of the machine.',
  source:
    'seeded: the check VFIO has made since it was merged (v3.6, "vfio: Type1 IOMMU implementation": allow_unsafe_interrupts) and iommufd_device_bind since v6.2; iommu_group_has_isolated_msi is "iommu: Add iommu_group_has_isolated_msi()" (Jason Gunthorpe, v6.3)',
  breaks: ['MSI'],
  showcase: 'msi-no-remapping',
  scenarios: MSI_SCENARIOS,
  overrides: {
    iommu_group_has_isolated_msi(_env, s) {
      return ok(s);
    },
  },
});

/**
 * (b) iommufd_device_bind without its isolated-MSI test (the legacy type1 path keeps its own):
 * the cdev path alone becomes the way around the refusal.
 */
export const iommufdBindSkipsMsiCheck = defineVariant({
  name: 'iommufd-bind-skips-msi-check',
  kind: 'seeded',
  description:
    'iommufd_device_bind claims DMA ownership without testing iommu_group_has_isolated_msi: VFIO type1 still refuses the group with -EPERM, but the same device bound through its VFIO cdev to an iommufd reaches the MSI doorbell unisolated.',
  source:
    'seeded: the test iommufd_device_bind makes before iommu_device_claim_dma_owner ("For historical compat with VFIO the insecure interrupt path is allowed if the module parameter is set", drivers/iommu/iommufd/device.c)',
  breaks: ['MSI'],
  showcase: 'msi-no-remapping',
  scenarios: MSI_SCENARIOS,
  overrides: {
    iommufd_device_bind(env, s, { ctx, dev }) {
      const r = env.k.iommu_device_claim_dma_owner(env, s, { dev, owner: ictxOwner(ctx) });
      return r.ok ? ok(updateDevice(r.next, dev, { iommufd: { ctx, hwpt: null } })) : r;
    },
  },
});

export const INTERRUPT_VARIANTS = [isolatedMsiNotChecked, iommufdBindSkipsMsiCheck];
