import { BLOCKING_DOMAIN, DEFAULT_DOMAIN } from '../kernel/domains.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName, inGroup, userOf } from './facts.ts';
import { scenarioGroups, type ForeignRid, type Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/**
 * The domain the IOMMU translates requester ID `f.rid` with: its owner device's hardware domain
 * when the owner is a device of the scenario (null when absent: the IOMMU has no context entry and
 * faults); the owner's group domain when that group is in the scenario; else the kernel's default
 * domain of a group outside the scenario (no plan touches it).
 */
function translatedWith(s: SystemState, f: ForeignRid): string | null {
  if (f.device !== null) return s.devices[f.device]?.hw ?? null;
  if (f.group !== null) return s.groups[f.group]?.domain ?? null;
  return 'default';
}

const where = (scenario: Scenario, f: ForeignRid): string =>
  f.group !== null ? `group ${scenarioGroups(scenario)[f.group]?.name ?? f.group}` : `group ${f.ownerGroup} (outside the scenario, kernel-held)`;

/**
 * RID: every requester ID a user-controlled device can put on the wire is translated with its own
 * group's domain. A DMA alias (quirk, PCIe-to-PCI bridge) or a requester ID forged below a port
 * without ACS Source Validation that belongs to another IOMMU group is translated with that
 * group's domain instead: the user's device then reaches memory mapped for another owner.
 */
export const requesterIdContained = defineInvariant({
  id: 'RID',
  name: 'RequesterIdContained',
  description:
    "Every requester ID a user-accessible device can emit (its own, its DMA aliases, and IDs it can forge below a port without ACS SV) is translated with its own group's domain.",
  kernelRef:
    'REQ_ACS_FLAGS includes PCI_ACS_SV ("devices cannot spoof their requester ID") and pci_for_each_dma_alias in pci_device_group (drivers/iommu/iommu.c, drivers/pci/search.c); PCIe r6.0 6.12.1.1',
  notJudged: (scenario) => (scenario.topology === null ? 'the scenario names no topology: requester IDs, aliases and ACS SV come from the PCIe tree (add `topology:`)' : null),
  scan: firstReason({
    device(s, a, scenario) {
      const d = s.devices[a]!;
      const u = d.present ? userOf(d) : null;
      if (u === null || !scenario.foreignRids) return null;
      for (const f of scenario.foreignRids) {
        if (f.from !== a) continue;
        const other = translatedWith(s, f);
        // No context entry, or the other group's blocking domain: the request faults.
        if (other === null || other === BLOCKING_DOMAIN) continue;
        // The same user domain (one container or hwpt for both groups); a default domain is the other group's own.
        if (other === d.hw && other !== DEFAULT_DOMAIN) continue;
        const ownerName = f.device !== null ? devName(scenario, f.device) : f.owner;
        return `${devName(scenario, a)} (ctx${u}) can emit requester ID ${f.rid} (${f.how}: ${f.note}), which the IOMMU translates with ${ownerName}'s domain ${other} in ${where(scenario, f)}, not its own ${d.hw}${inGroup(scenario, scenario.devices[a]?.group ?? 0)}`;
      }
      return null;
    },
  }),
});
