/**
 * One kernel call during exploration, shared by both engines: apply it through the model (the
 * semantic functions), count it in the coverage, and run the step invariants not yet broken.
 */
import type { Invariant } from '../invariants/index.ts';
import type { IommuEvent } from '../machines/events.ts';
import { successor } from '../machines/events.ts';
import type { Model } from '../machines/model.ts';
import type { SystemState } from '../machines/state.ts';
import type { EventCoverage } from './types.ts';

/** Applies `e` in `s`, records enabled/ok/errno in `coverage`; returns the successor or null. */
export function fireCall(model: Model, s: SystemState, e: IommuEvent, coverage: Record<string, EventCoverage>): { next: SystemState | null; cov: EventCoverage } {
  const cov = (coverage[e.type] ??= { enabled: 0, ok: 0, changed: 0, errnos: {} });
  cov.enabled++;
  const r = model.apply(s, e);
  if (r.ok) cov.ok++;
  else cov.errnos[r.errno] = (cov.errnos[r.errno] ?? 0) + 1;
  return { next: successor(r), cov };
}

/** Runs each step invariant that `skip` does not exclude on one call; reports each one broken. */
export function checkStepInvariants(
  stepInvs: readonly Invariant[],
  skip: (id: string) => boolean,
  prev: SystemState,
  e: IommuEvent,
  next: SystemState,
  model: Model,
  report: (inv: Invariant, reason: string) => void,
): void {
  for (const inv of stepInvs) {
    if (skip(inv.id)) continue;
    const reason = inv.step!(prev, e, next, model.scenario);
    if (reason !== null) report(inv, reason);
  }
}
