/**
 * The IOTLB: translations the IOMMU cached from page walks, tagged by domain (the DID of
 * intel-iommu, the ASID/VMID of arm-smmu-v3, the domain ID of amd-iommu) and IOVA page.
 *
 * Simplification: one IOMMU; the entries of a group's domains live with the group
 * (GroupTranslation.iotlb), which is exact while the only domain with mappings is the group's own
 * default domain (no other group's requests are translated with it).
 */
import type { DomainName } from '../kernel/domains.ts';
import type { Translation } from './ioPagetable.ts';

/** One IOTLB entry: (domain, IOVA page) -> the cached translation. */
export interface IotlbEntry extends Translation {
  readonly domain: DomainName;
  readonly iova: number;
}

/** The entry for (domain, iova), or undefined (a miss: the IOMMU walks the page table). */
export const iotlbLookup = (iotlb: readonly IotlbEntry[], domain: DomainName, iova: number): IotlbEntry | undefined =>
  iotlb.find((e) => e.domain === domain && e.iova === iova);

/** The IOTLB after a walk filled (domain, iova) with `t`; kept sorted by (domain, iova). */
export function iotlbFill(iotlb: readonly IotlbEntry[], domain: DomainName, iova: number, t: Translation): readonly IotlbEntry[] {
  const rest = iotlb.filter((e) => e.domain !== domain || e.iova !== iova);
  return [...rest, { domain, iova, phys: t.phys, stale: t.stale }].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : a.iova - b.iova));
}

/** The IOTLB after invalidating `domain`'s entries for `iova` (null: the whole domain, flush_iotlb_all). */
export function iotlbInvalidate(iotlb: readonly IotlbEntry[], domain: DomainName, iova: number | null): readonly IotlbEntry[] {
  const keep = iotlb.filter((e) => e.domain !== domain || (iova !== null && e.iova !== iova));
  return keep.length === iotlb.length ? iotlb : keep;
}
