/**
 * Counterexamples of a report's rows as text. A row made in this process by checkScenario keeps
 * (out of sight: JSON.stringify does not see it) what the CLI's text trace needs, and gets that
 * trace; a row that has lost it (a copy, or `iommu-mc check --json` output read back) gets a
 * shorter trace written from the row's own `steps`.
 */
import { modelFor, type CheckResult } from '../engine/check.ts';
import type { Violation } from '../engine/types.ts';
import { findInvariant } from '../invariants/index.ts';
import type { Model } from '../machines/model.ts';
import { renderTrace } from '../report/traces.ts';
import type { CheckRow } from './report.ts';

const kept = new WeakMap<object, { violation: Violation; model: Model }[]>();

/** Keeps each result's counterexamples beside its row (rows[i] is results[i]'s). */
export function keepTraces(rows: readonly CheckRow[], results: readonly CheckResult[]): void {
  rows.forEach((row, i) => {
    const r = results[i];
    if (r) kept.set(row, r.result.violations.map((violation) => ({ violation, model: modelFor(r, violation) })));
  });
}

type RowViolation = CheckRow['violations'][number];

/** The text of a row's violation from its JSON steps (no state summaries, no inner kernel calls). */
function textFromSteps(row: Pick<CheckRow, 'scenario' | 'variant'>, v: RowViolation): string {
  const n = v.steps.length;
  const name = findInvariant(v.invariant)?.name;
  const lines = [`${v.invariant}${name ? ` ${name}` : ''}: broken after ${n} step${n === 1 ? '' : 's'}  (scenario ${row.scenario}, variant ${row.variant})`];
  v.steps.forEach((s, i) => {
    const args = Object.entries(s.args ?? {}).map(([k, x]) => `${k}=${x}`).join(', ');
    lines.push(`  ${String(i + 1).padStart(2)}. ${String(s.actor).padEnd(16)} ${s.event}(${args}) = ${s.errno ?? '0'}`);
    if (s.changes) lines.push(`        changed: ${s.changes}`);
  });
  lines.push(`  ✗ ${v.invariant}: ${v.reason}`);
  return lines.join('\n');
}

/**
 * The counterexample of `invariant` in a row, as the text `iommu-mc check` prints (a numbered
 * list of kernel calls, what each returned and changed, then the broken invariant); null when
 * the row does not break `invariant`.
 */
export function counterexampleText(row: CheckRow, invariant: string): string | null {
  const own = kept.get(row)?.find((k) => k.violation.invariant === invariant);
  if (own) return renderTrace(own.violation, own.model, 'text');
  const v = row.violations.find((x) => x.invariant === invariant);
  return v ? textFromSteps(row, v) : null;
}
