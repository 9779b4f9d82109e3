/**
 * The decomposed form of a state invariant: one pass over the device slots, in slot order,
 * carrying a small JSON value (the accumulator). An invariant written this way has its `check`
 * derived from the scan (runScan), so the scan is its one definition; an engine may instead
 * cache each part per component value (the global part, one device), as exploreFast does.
 *
 * Each part should read the global fields and at most the device it is given; an engine that
 * caches the parts records what they read, so reading more is correct, only slower.
 */
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/** A JSON value: what a scan carries from one device to the next. */
export type ScanValue = null | boolean | number | string | readonly ScanValue[];

export interface DeviceScan<A extends ScanValue = ScanValue> {
  /** The accumulator before the first device. */
  start(s: SystemState, scenario: Scenario): A;
  /** The accumulator after device slot `i`. */
  device(acc: A, s: SystemState, i: number, scenario: Scenario): A;
  /** The reason the invariant is broken, or null, from the accumulator after the last slot. */
  end(acc: A, s: SystemState, scenario: Scenario): string | null;
}

/** The accumulating half of a scan, without its verdict: one part of a productScan. */
export type ScanPart = Pick<DeviceScan, 'start' | 'device'>;

/** A scan made of independent parts, each carrying its own value; `end` judges all of them. */
export interface ProductScan extends DeviceScan<readonly ScanValue[]> {
  readonly parts: readonly ScanPart[];
}

/**
 * Parts run side by side over the device slots, each over its own element of the accumulator;
 * `end` sees their values together. The same scan as one that carries them in one value, but an
 * engine may cache each part apart: independent counters take far fewer values each than in
 * combination (./deviceScan.ts's users: TypeOK's counters).
 */
export function productScan(parts: readonly ScanPart[], end: DeviceScan<readonly ScanValue[]>['end']): ProductScan {
  return {
    parts,
    start: (s, scenario) => parts.map((p) => p.start(s, scenario)),
    device(acc, s, i, scenario) {
      let changed = false;
      const next = parts.map((p, k) => {
        const v = p.device(acc[k]!, s, i, scenario);
        if (v !== acc[k]) changed = true;
        return v;
      });
      return changed ? next : acc;
    },
    end,
  };
}

/** Runs a scan over every device slot: the invariant's check. */
export function runScan<A extends ScanValue>(scan: DeviceScan<A>, s: SystemState, scenario: Scenario): string | null {
  let acc = scan.start(s, scenario);
  for (let i = 0; i < s.devices.length; i++) acc = scan.device(acc, s, i, scenario);
  return scan.end(acc, s, scenario);
}

type Part = (s: SystemState, scenario: Scenario) => string | null;

/**
 * The first reason found: `first` (global), then `device` on each slot in order, then `last`
 * (global), as a loop that returns at the first failure would.
 */
export function firstReason(parts: {
  first?: Part;
  device?: (s: SystemState, i: number, scenario: Scenario) => string | null;
  last?: Part;
}): DeviceScan<string | null> {
  return {
    start: (s, scenario) => parts.first?.(s, scenario) ?? null,
    device: (acc, s, i, scenario) => acc ?? parts.device?.(s, i, scenario) ?? null,
    end: (acc, s, scenario) => acc ?? parts.last?.(s, scenario) ?? null,
  };
}

/** A count over the device slots (`counts` each slot), then a global check of the total. */
export function countDevices(parts: {
  counts: (s: SystemState, i: number, scenario: Scenario) => boolean;
  check: (s: SystemState, n: number, scenario: Scenario) => string | null;
}): DeviceScan<number> {
  return {
    start: () => 0,
    device: (n, s, i, scenario) => (parts.counts(s, i, scenario) ? n + 1 : n),
    end: (n, s, scenario) => parts.check(s, n, scenario),
  };
}

/**
 * A count per IOMMU group over the device slots (`counts` each slot, added to its group's
 * total), then a check of each group's total, in group order; the first reason wins.
 */
export function countDevicesPerGroup(parts: {
  counts: (s: SystemState, i: number, scenario: Scenario) => boolean;
  check: (s: SystemState, g: number, n: number, scenario: Scenario) => string | null;
}): DeviceScan<readonly number[]> {
  return {
    start: (s) => s.groups.map(() => 0),
    device(acc, s, i, scenario) {
      if (!parts.counts(s, i, scenario)) return acc;
      const next = acc.slice();
      const g = scenario.devices[i]?.group ?? 0;
      next[g] = (next[g] ?? 0) + 1;
      return next;
    },
    end(acc, s, scenario) {
      for (let g = 0; g < s.groups.length; g++) {
        const r = parts.check(s, g, acc[g] ?? 0, scenario);
        if (r !== null) return r;
      }
      return null;
    },
  };
}
