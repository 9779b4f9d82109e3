import { userOfDomain } from '../kernel/domains.ts';
import type { Scenario } from '../machines/scenario.ts';
import { resvEnforcedIn } from '../machines/semantics/ioPagetableResv.ts';
import { groupOf, type SystemState } from '../machines/state.ts';
import { translationOf } from '../machines/translation.ts';
import { defineInvariant } from './defineInvariant.ts';
import { firstReason } from './deviceScan.ts';
import { devName } from './facts.ts';

/** Why device slot i's reserved IOVA is covered by a user mapping of a domain serving it, or null. */
function reason(s: SystemState, scenario: Scenario, i: number): string | null {
  const iova = scenario.devices[i]?.reservedIova;
  if (iova === undefined || !s.devices[i]?.present) return null;
  const pte = translationOf(s, groupOf(scenario, i))?.user?.ptes[iova] ?? null;
  if (pte === null || !resvEnforcedIn(scenario, s, i, pte.domain)) return null;
  const user = userOfDomain(pte.domain);
  const who = user === null ? 'a user' : (scenario.contexts[user]?.name ?? `context ${user}`);
  return `IOVA page ${iova} is a reserved region of ${devName(scenario, i)} (IOMMU_RESV_DIRECT / RESERVED / MSI) but ${who} mapped its page ${pte.phys} there in ${pte.domain}, which serves the device: its DMA meant for the firmware's region or the MSI window reaches user memory instead`;
}

/**
 * RESV: no user mapping covers a non-relaxable reserved region of a device the user domain serves
 * (the reference's I11 proper, kernel-semantics.md: "for every attached idev, none of its
 * non-relaxable reserved regions is mapped in the IOAS"). Served: type1, every present device of
 * a group on the container (the group's regions); iommufd, a device attached to the hwpt (its own
 * regions). A group-mate of an iommufd-attached device that is not attached itself is not judged:
 * the kernel enforces per attached device (iopt_table_enforce_dev_resv_regions).
 */
export const reservedIovaUnmapped = defineInvariant({
  id: 'RESV',
  name: 'ReservedIovaUnmapped',
  description:
    "No user mapping covers a non-relaxable reserved IOVA (`reservedIova`) of a device its domain serves: a type1 container's groups, an iommufd hwpt's attached devices.",
  kernelRef:
    'vfio_iommu_resv_exclude, vfio_iommu_iova_dma_valid, vfio_iommu_resv_conflict (drivers/vfio/vfio_iommu_type1.c); iopt_table_enforce_dev_resv_regions, iopt_reserve_iova, iopt_check_iova (drivers/iommu/iommufd/io_pagetable.c)',
  scan: firstReason({ device: (s, i, scenario) => reason(s, scenario, i) }),
  notJudged(scenario) {
    if (!scenario.devices.some((d) => d.reservedIova !== undefined)) return 'no device has a reserved region in the user IOVA space (`reservedIova`)';
    if (!scenario.contexts.some((c) => c.mapDma)) return 'no context maps memory for DMA (`mapDma`)';
    return null;
  },
});
