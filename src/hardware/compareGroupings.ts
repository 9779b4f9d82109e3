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

/** Group mates (sorted, restricted to `common`) of every device of `common` under a bdf → group map. */
function matesOf(groupOf: Readonly<Record<string, number>>, common: readonly string[]): Map<string, string> {
  const byGroup = new Map<number, string[]>();
  for (const d of common) byGroup.set(groupOf[d]!, [...(byGroup.get(groupOf[d]!) ?? []), d]);
  return new Map(common.map((d) => [d, byGroup.get(groupOf[d]!)!.join(',')]));
}

/** The devices (known to both) whose derived group mates differ from their recorded ones. */
export function mismatchedDevices(derived: Grouping, recorded: readonly RecordedGroup[]): string[] {
  const recordedOf: Record<string, number> = {};
  for (const g of recorded) for (const d of g.devices) recordedOf[d] = g.id;
  const common = Object.keys(recordedOf).filter((d) => derived.groupOf[d] !== undefined).sort();
  const a = matesOf(derived.groupOf, common);
  const b = matesOf(recordedOf, common);
  return common.filter((d) => a.get(d) !== b.get(d));
}

/**
 * Derived group id → the recorded group id with the same devices (both restricted to the
 * devices both know), for the groups that agree. Numbers differ because the kernel numbers
 * groups in its own probe order and counts devices the dump leaves out.
 */
export function recordedIdsOfGroups(derived: Grouping, recorded: readonly RecordedGroup[]): Record<number, number> {
  const known = (d: string) => derived.groupOf[d] !== undefined;
  const key = (ds: readonly string[]) => ds.filter(known).sort().join(',');
  const recordedByKey = new Map(recorded.map((g) => [key(g.devices), g.id]));
  const recordedDevices = new Set(recorded.flatMap((g) => g.devices));
  const out: Record<number, number> = {};
  for (const g of derived.groups) {
    const k = g.devices.filter((d) => recordedDevices.has(d)).sort().join(',');
    const id = k === '' ? undefined : recordedByKey.get(k);
    if (id !== undefined) out[g.id] = id;
  }
  return out;
}
