/**
 * Compares a derived grouping with the groups lspci recorded, as partitions of the
 * devices both know (group numbers are not compared: only who is with whom).
 */
import type { Grouping } from './deriveGroups.ts';
import type { RecordedGroup } from './parseLspci.ts';

/** The verdict and one line per difference. */
export interface GroupingComparison {
  readonly matches: boolean;
  readonly differences: readonly string[];
}

/** Compares derived and recorded groups device by device. */
export function compareGroupings(derived: Grouping, recorded: readonly RecordedGroup[]): GroupingComparison {
  const recordedOf: Record<string, number> = {};
  for (const g of recorded) for (const d of g.devices) recordedOf[d] = g.id;
  const common = Object.keys(recordedOf).filter((d) => derived.groupOf[d] !== undefined).sort();
  const differences: string[] = [];
  const seen = new Set<string>();
  for (const d of common) {
    const derivedMates = common.filter((o) => derived.groupOf[o] === derived.groupOf[d]);
    const recordedMates = common.filter((o) => recordedOf[o] === recordedOf[d]);
    const a = derivedMates.join(',');
    const b = recordedMates.join(',');
    if (a !== b) {
      const key = `${a}|${b}`;
      if (seen.has(key)) continue;
      seen.add(key);
      differences.push(`${d}: derived group ${derived.groupOf[d]} {${a}} but recorded IOMMU group ${recordedOf[d]} {${b}}`);
    }
  }
  return { matches: differences.length === 0, differences };
}
