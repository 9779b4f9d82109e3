import { BLOCKING_DOMAIN, userOfDomain } from '../kernel/domains.ts';
import type { Scenario } from '../machines/scenario.ts';
import { hasDirectMappings, requireDirect } from '../machines/semantics/iommuResv.ts';
import type { SystemState } from '../machines/state.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';

/** What the firmware-requested DMA of a device meets on a domain without its 1:1 mappings. */
function consequence(scenario: Scenario, domain: string): string {
  const user = userOfDomain(domain);
  if (user !== null) return `lands in IOVAs of ${scenario.contexts[user]?.name ?? `context ${user}`}'s domain: memory the user controls, or a fault`;
  if (domain === BLOCKING_DOMAIN) return 'faults (the blocking domain translates nothing)';
  return 'is translated by a domain without those 1:1 mappings: it faults or reaches whatever that domain maps there';
}

/**
 * Why device slot i, which needs its direct mappings, is on a domain without them, or null. A
 * device in reset is left out: it issues no DMA while a reset method runs, and
 * pci_dev_reset_iommu_prepare parks it on the blocking domain on purpose (I20).
 */
function reason(s: SystemState, scenario: Scenario, i: number): string | null {
  const d = s.devices[i]!;
  if (!d.present || !requireDirect(scenario, i) || d.blocked === true || (d.resetting ?? 0) > 0) return null;
  if (hasDirectMappings(d.hw)) return null;
  return `${devName(scenario, i)} has IOMMU_RESV_DIRECT regions (require_direct) but its requester ID is on ${d.hw ?? 'no domain'}, which lacks their 1:1 mappings: the DMA the firmware set them up for (RMRR, IORT RMR) ${consequence(scenario, d.hw ?? '')}`;
}

/**
 * I11: a present device that needs its direct mappings (IOMMU_RESV_DIRECT: require_direct) has
 * its requester ID on a domain that holds them -- the group's default domain, the only one
 * iommu_create_device_direct_mappings fills (src/machines/semantics/iommuResv.ts). The device, or
 * firmware on its behalf (an RMRR for USB legacy emulation, a BMC side band, graphics), keeps
 * DMAing to those addresses; on any other domain that DMA faults or, on a user domain, lands in
 * memory the user controls. DIRECT_RELAXABLE regions are not judged: the kernel lets such a
 * device leave them (device_rmrr_is_relaxable). A device in reset is not judged (no DMA).
 */
export const i11DirectMappings = defineInvariant({
  id: 'I11',
  name: 'DirectMappings',
  description:
    'A present device with IOMMU_RESV_DIRECT regions (require_direct), not in reset, has its requester ID on a domain holding their 1:1 mappings (the default domain): never the blocking, a user or a private domain.',
  kernelRef:
    '__iommu_device_set_domain, iommu_create_device_direct_mappings, iommu_setup_default_domain (drivers/iommu/iommu.c; a48ce36e2786 "iommu: Prevent RESV_DIRECT devices from blocking domains")',
  scan: firstReason({ device: (s, i, scenario) => reason(s, scenario, i) }),
  notJudged(scenario) {
    if (scenario.devices.some((d) => d.requireDirect)) return null;
    if (scenario.devices.some((d) => d.directRelaxable)) return 'only IOMMU_RESV_DIRECT_RELAXABLE regions (`directRelaxable`): the kernel lets such a device leave its direct mappings';
    return 'no device has IOMMU_RESV_DIRECT regions (`requireDirect: true`)';
  },
});
