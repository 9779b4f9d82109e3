/**
 * Which invariants a scenario judges: every invariant of the registry, except those whose
 * `notJudged` names a reason the scenario gives them no data (a check that cannot fail there is
 * reported as such, with the reason, never counted as a pass).
 */
import type { Scenario } from '../machines/scenario.ts';
import { INVARIANTS } from './index.ts';

export interface Judgement {
  /** The ids of the invariants judged, in registry order. */
  readonly judged: readonly string[];
  /** The invariants not judged, each with the reason. */
  readonly notJudged: readonly { readonly id: string; readonly why: string }[];
}

/** The judgement of `scenario` over the invariants `ids` (all when omitted). */
export function judgement(scenario: Scenario, ids?: readonly string[] | null): Judgement {
  const judged: string[] = [];
  const notJudged: { id: string; why: string }[] = [];
  for (const inv of INVARIANTS) {
    if (ids && !ids.includes(inv.id)) continue;
    // Recoverability is judged only by its opt-in pass, which moves it to `judged`; said, not skipped.
    const why = inv.kind === 'recoverability' ? 'checked only by the opt-in pass: run check --recoverability' : (inv.notJudged?.(scenario) ?? null);
    if (why === null) judged.push(inv.id);
    else notJudged.push({ id: inv.id, why });
  }
  return { judged, notJudged };
}
