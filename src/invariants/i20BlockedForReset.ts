import { BLOCKING_DOMAIN } from '../kernel/domains.ts';
import { dmaAliasSiblings } from '../machines/reset.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';

/** The kernel stages the IOMMU for this device's resets: pci_ats_supported (an ATS capability, not untrusted). */
const staged = (scenario: Scenario, i: number): boolean => scenario.devices[i]?.ats === true && scenario.devices[i]?.untrusted !== true;

/** Why device slot i, in reset or blocked for one, has a requester ID off the blocking domain, or null. */
function reason(s: SystemState, scenario: Scenario, i: number): string | null {
  const d = s.devices[i]!;
  const inReset = (d.resetting ?? 0) > 0 && staged(scenario, i);
  if (!d.present || (!inReset && d.blocked !== true)) return null;
  const what = `${devName(scenario, i)} is ${inReset ? `in reset (${d.resetting} reset method${d.resetting === 1 ? '' : 's'} running)` : 'blocked for a reset'}`;
  if (d.hw !== BLOCKING_DOMAIN) return `${what} but its requester ID is on ${d.hw ?? 'no domain'}, not the blocking domain: its ATS and DMA reach the domain during the reset`;
  for (const j of dmaAliasSiblings(scenario, i)) {
    const sib = s.devices[j];
    if (sib?.present && sib.hw !== BLOCKING_DOMAIN) {
      return `${what} but ${devName(scenario, j)}, which shares its requester ID (DMA alias), is on ${sib.hw ?? 'no domain'}: the shared context entry left the blocking domain`;
    }
  }
  return null;
}

/**
 * I20: while a device is in reset (a reset method of the PCI core runs) or blocked for one, every
 * requester ID it emits -- its own and its DMA-alias siblings' -- is on the blocking domain
 * (its PASIDs are parked with it: see src/machines/semantics/pciReset.ts).
 */
export const i20BlockedForReset = defineInvariant({
  id: 'I20',
  name: 'BlockedForReset',
  description:
    'While a device is in reset or blocked for one, every requester ID it owns (its own and its DMA-alias siblings\') is on the blocking domain.',
  kernelRef:
    'pci_dev_reset_iommu_prepare / pci_dev_reset_iommu_done, __iommu_group_set_domain_internal (drivers/iommu/iommu.c; b296ca1fb43a, 0d5fd7a9323c, 5474e6e17a26, 15dd29ca6206)',
  scan: firstReason({ device: (s, i, scenario) => reason(s, scenario, i) }),
  notJudged(scenario) {
    // VFIO hot reset (issue 16, Deliver 2): a bus reset puts every function of a hotReset device's bus in reset.
    const resets = (d: Scenario['devices'][number]) => d.resettable === true || d.hotReset === true;
    if (!scenario.devices.some(resets)) return 'no device of the scenario is resettable';
    if (!scenario.devices.some((d, i) => resets(d) && staged(scenario, i))) return 'no resettable device has ATS: the kernel stages the IOMMU only for pci_ats_supported devices';
    return null;
  },
});
