/** Choosing which counterexamples to show, and rendering them in the three formats. */
import { modelFor, type CheckResult } from '../engine/check.ts';
import { knownWeaknessKind } from '../scenarios/manifest.ts';
import type { Violation } from '../engine/types.ts';
import type { Model } from '../machines/model.ts';
import { VARIANTS } from '../machines/variants/index.ts';
import { formatTraceText } from './formatTrace.ts';
import { toItf } from './itf.ts';
import { toMermaid } from './mermaid.ts';

export type TraceFormat = 'text' | 'itf' | 'mermaid';

export interface ShownTrace {
  heading: string;
  violation: Violation;
  model: Model;
}

/** Renders one counterexample. */
export function renderTrace(v: Violation, model: Model, format: TraceFormat, color = false): string {
  if (format === 'itf') return JSON.stringify(toItf(v, model), null, 2);
  if (format === 'mermaid') return toMermaid(v, model);
  return formatTraceText(v, model, color);
}

/**
 * The traces worth printing: with `all`, every one; otherwise every unexpected violation, the
 * shortest trace of each flawed variant's expected invariant, and the current kernel's known
 * weaknesses.
 */
export function selectTraces(results: readonly CheckResult[], all: boolean): ShownTrace[] {
  const out: ShownTrace[] = [];
  const head = (r: CheckResult, v: Violation, why: string) => `── ${r.variant} breaks ${v.invariant} in ${r.scenario} (${why}) ──`;
  if (all) {
    for (const r of results) for (const v of r.result.violations) out.push({ heading: head(r, v, r.matchesExpectation ? 'expected' : 'UNEXPECTED'), violation: v, model: modelFor(r, v) });
    return out;
  }
  // One trace per check with unexpected violations (the shortest; their first steps are mostly the
  // same), naming the others: --traces all prints each.
  for (const r of results) {
    const unexpected = r.result.violations.filter((v) => r.unexpected.includes(v.invariant));
    if (unexpected.length === 0) continue;
    const v = unexpected.reduce((a, b) => (b.steps.length < a.steps.length ? b : a));
    const others = unexpected.filter((x) => x !== v).map((x) => x.invariant);
    const also = others.length ? `; also breaks ${others.join(', ')}: --traces all prints each` : '';
    out.push({ heading: head(r, v, `UNEXPECTED${also}`), violation: v, model: modelFor(r, v) });
  }
  const best = new Map<string, { r: CheckResult; v: Violation }>();
  for (const r of results) {
    const variant = r.model.variant;
    // A variant file's rows are judged against its own `breaks` (src/cli/variantFile.ts variantFileTraces).
    if (!VARIANTS.includes(variant)) continue;
    for (const v of r.result.violations) {
      if (r.unexpected.includes(v.invariant)) continue;
      const key = variant.kind === 'kernel' ? `${r.variant}:${r.scenario}` : r.variant;
      if (variant.kind !== 'kernel' && !variant.breaks.includes(v.invariant)) continue;
      const cur = best.get(key);
      const showcase = variant.showcase;
      const better = !cur || (showcase ? (r.scenario === showcase && cur.r.scenario !== showcase) || (r.scenario === showcase) === (cur.r.scenario === showcase) && v.steps.length < cur.v.steps.length : v.steps.length < cur.v.steps.length);
      if (better) best.set(key, { r, v });
    }
  }
  for (const { r, v } of best.values()) {
    const why = r.model.variant.kind !== 'kernel' ? 'expected' : knownWeaknessKind(r.scenario) === 'accepted' ? 'accepted trade-off of today\'s kernel' : 'known weakness of today\'s kernel';
    out.push({ heading: head(r, v, why), violation: v, model: modelFor(r, v) });
  }
  return out;
}

const EXT: Record<TraceFormat, string> = { text: 'txt', itf: 'itf.json', mermaid: 'mmd' };

/** One file per violation of every result: `scenario/variant/INVARIANT.ext`. */
export function traceFiles(results: readonly CheckResult[], format: TraceFormat): { name: string; text: string }[] {
  return results.flatMap((r) =>
    r.result.violations.map((v) => ({
      name: `${r.scenario}/${r.variant}/${v.invariant}.${EXT[format]}`,
      text: `${renderTrace(v, modelFor(r, v), format)}\n`,
    })),
  );
}
