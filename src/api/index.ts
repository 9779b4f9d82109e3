/**
 * The library: `import { checkScenario, loadScenarioFile } from 'iommu-mc'` (docs/library.md).
 * checkScenario returns the object `iommu-mc check --json` prints; the variant-writing API
 * (`iommu-mc/variant-api`, docs/writing-variants.md) is re-exported, so that a variant of your
 * own can be defined and checked from one import. The vitest matchers are `iommu-mc/vitest`.
 */
export { checkScenario, type CheckOptions, type ScenarioInput } from './checkScenario.ts';
export { loadScenarioFile, parseScenario, type LoadedScenario, type LoadScenarioOptions, type ParseScenarioOptions } from './scenarios.ts';
export type { CheckReport, CheckRow } from './report.ts';
export { counterexampleText } from './traces.ts';
export { InputError } from './errors.ts';
export { BUILTIN_SCENARIOS } from '../scenarios/builtin.ts';
export { GROUPING_RULES, type GroupingRule } from '../hardware/index.ts';
export { KERNEL_PIN } from '../kernel/version.ts';
export * from '../variantApi.ts';
