/**
 * Reserved-region variants (issue 16, Deliver 3): the kernel without its IOMMU_RESV_DIRECT
 * refusal, breaking I11 (DirectMappings). It runs by default only on the scenarios with a
 * require_direct device (Variant.scenarios), so no other scenario gains a manifest row.
 */
import { err, ok } from '../../kernel/errno.ts';
import { translationOf } from '../translation.ts';
import { patchDevice } from '../state.ts';
import { defineVariant } from './defineVariant.ts';

/** The built-in scenarios with a require_direct device whose group a user may try to claim. */
export const RESV_SCENARIOS = ['resv-direct-vfio-claim'];

/**
 * __iommu_device_set_domain as before a48ce36e2786: any domain is attached, the blocking domain
 * included, so VFIO and iommufd claim a group with a require_direct member and the device loses
 * the 1:1 mappings its firmware still DMAs to.
 */
export const requireDirectNotRefused = defineVariant({
  name: 'require-direct-not-refused',
  kind: 'historical',
  description:
    '__iommu_device_set_domain without the require_direct check: a device with IOMMU_RESV_DIRECT regions is attached to the blocking domain when a user claims its group, then to the user\'s domain, neither of which holds its 1:1 mappings.',
  source:
    'the core before a48ce36e2786 ("iommu: Prevent RESV_DIRECT devices from blocking domains", Jason Gunthorpe / Lu Baolu, 2023), which moved intel-iommu\'s RMRR check (device_is_rmrr_locked) into the core for every IOMMU driver',
  breaks: ['I11'],
  showcase: 'resv-direct-vfio-claim',
  scenarios: RESV_SCENARIOS,
  overrides: {
    __iommu_device_set_domain(_env, s, { dev, domain }) {
      const devices = s.devices.slice();
      devices[dev] = patchDevice(devices[dev]!, { hw: domain });
      return ok({ ...s, devices });
    },
  },
});

/** The built-in scenarios with a device's reserved region in a user IOVA space (issue 16, helper G). */
export const RESV_IOVA_SCENARIOS = ['resv-iova-user-map'];

/**
 * The user-IOVA side of reserved regions without its checks: VFIO type1 maps an IOVA that
 * vfio_iommu_resv_exclude cut out of the valid list, iommufd maps over an IOVA the IOAS reserved
 * for an attached device and attaches a device whose reserved region the IOAS already maps.
 */
export const reservedIovaNotEnforced = defineVariant({
  name: 'reserved-iova-not-enforced',
  kind: 'seeded',
  description:
    'VFIO type1 and iommufd without their reserved-region checks on user IOVAs: vfio_iommu_iova_dma_valid, iopt_check_iova\'s reserved test and iopt_table_enforce_dev_resv_regions accept everything, so a user maps its memory at a device\'s reserved IOVA (an RMRR, the MSI window) in the domain that serves the device.',
  source:
    'the checks as added by "vfio/type1: check dma map request is within a valid iova range" (Shameer Kolothum, 2019: vfio_iommu_iova_dma_valid, vfio_iommu_resv_exclude) and iommufd\'s io_pagetable.c (iopt_reserve_iova, iopt_check_iova), reversed',
  breaks: ['RESV'],
  showcase: 'resv-iova-user-map',
  scenarios: RESV_IOVA_SCENARIOS,
  overrides: {
    vfio_iommu_iova_dma_valid: (_env, s) => ok(s),
    iopt_check_iova(_env, s, { group, iova }) {
      const user = translationOf(s, group)?.user;
      return user && user.ptes[iova] !== null ? err('EEXIST', `an area of the IOAS already covers IOVA page ${iova}`) : ok(s);
    },
    iopt_table_enforce_dev_resv_regions: (_env, s) => ok(s),
  },
});

export const RESV_VARIANTS = [requireDirectNotRefused, reservedIovaNotEnforced];
