/**
 * The scenario x variant jobs of a check and what each is expected to find: shared by
 * `iommu-mc check` (src/cli/commands/check.ts) and the library's checkScenario (src/api).
 * A built-in scenario is judged against the manifest; a scenario file against its own `expect:`.
 */
import type { Expectation, Job } from '../engine/check.ts';
import type { GroupingRule } from '../hardware/index.ts';
import type { Scenario } from '../machines/scenario.ts';
import { findVariant, VARIANTS, type Variant } from '../machines/variants/index.ts';
import { manifestEntry } from './manifest.ts';
import { scenarioWithGrouping } from './builtin.ts';
import type { LoadedScenario } from './scenarioFile.ts';

const DEFAULT_EXPECTATION: Expectation = { expected: 'holds', invariants: [], source: 'default' };

/** What a built-in scenario is expected to find under a built-in variant: its manifest entry, else "holds". */
export function builtinExpectation(scenario: string, variant: Variant): Expectation {
  const e = VARIANTS.includes(variant) ? manifestEntry(scenario, variant.name) : undefined;
  if (e) return { expected: e.expected, invariants: e.invariants, source: 'manifest', ...(e.stuck ? { stuck: true } : {}) };
  return { ...DEFAULT_EXPECTATION, invariants: [] };
}

/**
 * The jobs of built-in scenarios: each under `variants` (default: every variant the scenario
 * lists, all when it lists none). Under another grouping rule than a scenario's own, its groups
 * are derived again and the manifest's expectation (made under its own rule) becomes "holds".
 */
export function builtinJobs(scenarios: readonly Scenario[], variants?: readonly Variant[], grouping?: GroupingRule): Job[] {
  return scenarios.flatMap((builtin) => {
    const scenario = scenarioWithGrouping(builtin, grouping);
    // A variant that names its scenarios (Variant.scenarios) runs by default only on those.
    const vs = variants ?? VARIANTS.filter((v) => (!scenario.variants || scenario.variants.includes(v.name)) && (!v.scenarios || v.scenarios.includes(builtin.name)));
    return vs.map((variant) => ({
      scenario,
      variant,
      expectation: scenario === builtin ? builtinExpectation(scenario.name, variant) : { ...DEFAULT_EXPECTATION, invariants: [] },
    }));
  });
}

/**
 * The jobs of a scenario file: under `variants` (default: the file's `variants:`), each expected
 * to find what the file's `expect:` says for that variant ("holds" when it says nothing).
 */
export function scenarioFileJobs(loaded: LoadedScenario, variants?: readonly Variant[]): Job[] {
  const vs = variants ?? (loaded.scenario.variants ?? ['current']).map((n) => findVariant(n)!);
  return vs.map((variant) => {
    const x = VARIANTS.includes(variant) ? loaded.expect[variant.name] : undefined;
    const expectation: Expectation = x === undefined || x === 'holds'
      ? { expected: 'holds', invariants: [], source: x === undefined ? 'default' : 'scenario-file' }
      : { expected: 'violated', invariants: x, source: 'scenario-file' };
    return { scenario: loaded.scenario, variant, expectation };
  });
}
