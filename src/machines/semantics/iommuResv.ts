/**
 * Reserved regions (issue 16, Deliver 3): the IOMMU_RESV_DIRECT rule of drivers/iommu/iommu.c
 * (kernel pinned in src/kernel/version.ts; re-read in docs/kernel-notes.md, "Reserved regions").
 *
 * What the kernel does:
 * - iommu_create_device_direct_mappings(domain, dev) asks the IOMMU driver for the device's
 *   reserved regions (iommu_get_resv_regions -> ops->get_resv_regions: intel RMRRs, AMD IVMDs,
 *   ARM IORT RMRs). Any IOMMU_RESV_DIRECT region sets dev->iommu->require_direct; DIRECT and
 *   DIRECT_RELAXABLE regions are mapped 1:1 -- only when `domain` is a DMA-API domain
 *   (iommu_is_dma_domain; an identity domain maps everything anyway). It is called only with the
 *   group's default domain: in iommu_setup_default_domain and in __iommu_probe_device.
 * - __iommu_device_set_domain refuses, for a require_direct device, a domain of type BLOCKED or
 *   the group's blocking_domain: dev_warn("Firmware has requested this device have a 1:1 IOMMU
 *   mapping ...") and -EINVAL (a48ce36e2786, "iommu: Prevent RESV_DIRECT devices from blocking
 *   domains"). Taking DMA ownership (VFIO, iommufd) starts with the blocking domain, so no user
 *   can own a group with such a member, and no user domain ever replaces its default domain.
 * - Nothing else refuses: a kernel driver's private domain (iommu_attach_device / _group, an
 *   UNMANAGED paging domain) passes the check and gets no direct mappings; a require_direct device
 *   hot-added into a group already on a user domain joins it (__iommu_probe_device attaches it to
 *   group->domain through this same check); pci_dev_reset_iommu_prepare parks the device on the
 *   blocking domain with __iommu_attach_device, bypassing it (the device is in reset).
 *
 * The model keeps no state for direct mappings: which domains have them follows from the domain
 * (hasDirectMappings). Simplification: the blocking domain is the model's only BLOCKED domain.
 */
import { BLOCKING_DOMAIN, DEFAULT_DOMAIN, type DomainName } from '../../kernel/domains.ts';
import { err, ok } from '../../kernel/errno.ts';
import type { Scenario } from '../scenario.ts';
import { patchDevice } from '../state.ts';
import type { Kernel } from './kernel.ts';

/** dev->iommu->require_direct: the device has an IOMMU_RESV_DIRECT region (set by iommu_create_device_direct_mappings). */
export const requireDirect = (scenario: Scenario, dev: number): boolean => scenario.devices[dev]?.requireDirect === true;

/**
 * Whether `domain` holds the 1:1 mappings of its devices' DIRECT and DIRECT_RELAXABLE regions:
 * only the group's default domain does (iommu_create_device_direct_mappings is called with
 * group->default_domain alone). Blocking, user (container:K, hwpt:K.H), private and SVA domains
 * do not.
 */
export const hasDirectMappings = (domain: DomainName | null): boolean => domain === DEFAULT_DOMAIN;

type ResvFns = Pick<Kernel, '__iommu_device_set_domain'>;

export const iommuResv: ResvFns = {
  /**
   * __iommu_device_set_domain (iommu.c): one member's RID to `domain`. A require_direct device
   * and the blocking domain -> dev_warn, -EINVAL (the caller reverts the group). Otherwise the
   * driver's attach_dev (__iommu_attach_device), which the model's callers treat as succeeding;
   * here it sets the device's hardware domain only (the group-level callers do the ATS half and
   * update group->domain). Simplification: the attach_deferred shortcut is not modelled.
   */
  __iommu_device_set_domain(env, s, { dev, domain }) {
    if (domain === BLOCKING_DOMAIN && requireDirect(env.scenario, dev)) {
      return err('EINVAL', `${env.scenario.devices[dev]?.name} has IOMMU_RESV_DIRECT regions (require_direct): "Firmware has requested this device have a 1:1 IOMMU mapping"`);
    }
    const d = s.devices[dev];
    if (!d) return err('ENODEV', 'no such device slot');
    const devices = s.devices.slice();
    devices[dev] = patchDevice(d, { hw: domain });
    return ok({ ...s, devices });
  },
};
