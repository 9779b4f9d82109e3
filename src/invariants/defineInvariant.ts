/**
 * An invariant: a named pure predicate over a model state (or over one step) that returns the
 * reason it is broken, or null. One invariant per file; the ordered registry is ./index.ts.
 */
import type { IommuEvent } from '../machines/events.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { runScan, type DeviceScan } from './deviceScan.ts';

export interface Invariant {
  /** Short id: I1..I19 from kernel-semantics.md section 5, TypeOK, WARN. */
  readonly id: string;
  /** CamelCase name. */
  readonly name: string;
  /** One line: what must hold. */
  readonly description: string;
  /** The kernel code (function, file) or document section the invariant comes from. */
  readonly kernelRef: string;
  /** A state predicate: the reason it is broken in `s`, or null. */
  readonly check?: (s: SystemState, scenario: Scenario) => string | null;
  /**
   * The state predicate as a scan over the device slots (./deviceScan.ts): when given, `check`
   * is derived from it, and engines may cache its parts per component.
   */
  readonly scan?: DeviceScan;
  /** A step predicate over one kernel call: the reason it is broken, or null. */
  readonly step?: (prev: SystemState, event: IommuEvent, next: SystemState, scenario: Scenario) => string | null;
  /**
   * Why the scenario gives this invariant nothing to judge (no topology for a route, no
   * invalidation mode, no PASID-capable device, ...), or null when it is judged. A check that
   * can never fail on a scenario is reported "not judged" with this reason, never a silent pass.
   */
  readonly notJudged?: (scenario: Scenario) => string | null;
  /**
   * `recoverability`: a property of the whole reachable graph, with no `check` or `step`; a
   * separate opt-in pass judges it (src/engine/recoverability.ts, `check --recoverability`), and
   * the state and step machinery skips it. Omitted for state and step invariants.
   */
  readonly kind?: 'recoverability';
}

/** Declares an invariant; a `scan` gives it its `check`. */
export function defineInvariant(inv: Invariant): Invariant {
  if (inv.scan && inv.check) throw new Error(`invariant ${inv.id} has both a check and a scan`);
  if (inv.kind === 'recoverability') {
    if (inv.check || inv.scan || inv.step) throw new Error(`invariant ${inv.id} is a recoverability invariant with a check, scan or step`);
    return inv;
  }
  if (!inv.check && !inv.scan && !inv.step) throw new Error(`invariant ${inv.id} has neither check, scan nor step`);
  const scan = inv.scan;
  return scan ? { ...inv, check: (s, scenario) => runScan(scan, s, scenario) } : inv;
}
