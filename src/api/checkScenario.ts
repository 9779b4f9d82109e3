/**
 * checkScenario: the library's `iommu-mc check`. A built-in scenario, a scenario file or a loaded
 * scenario, under the variants asked for and within the bounds asked for; the result is the object
 * `iommu-mc check --json` prints, so a program and a shell script read one schema.
 */
import { existsSync } from 'node:fs';
import { getExitCode, runJob, runJobDecomposed, type Job } from '../engine/check.ts';
import type { GroupingRule } from '../hardware/index.ts';
import { findVariant, VARIANTS, type Variant } from '../machines/variants/index.ts';
import { checkJson } from '../report/checkReport.ts';
import { modelIdentity, shardIndices, withRunIdentity } from '../report/merge.ts';
import { toolVersion } from '../cli/version.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../scenarios/builtin.ts';
import { builtinJobs, scenarioFileJobs } from '../scenarios/jobs.ts';
import type { LoadedScenario } from '../scenarios/scenarioFile.ts';
import { InputError } from './errors.ts';
import type { CheckReport } from './report.ts';
import { checkGrouping, loadScenarioFile, pathOf } from './scenarios.ts';
import { keepTraces } from './traces.ts';

/**
 * What to check: a built-in scenario's name (`iommu-mc list`), the path of a scenario file (a
 * string or a file: URL; a string that names a built-in scenario is that scenario), or a scenario
 * already read by loadScenarioFile or parseScenario.
 */
export type ScenarioInput = string | URL | LoadedScenario;

/** How to check; everything optional, with the CLI's defaults. */
export interface CheckOptions {
  /**
   * The variants: built-in names (`iommu-mc list`) or variants of your own (`defineVariant`).
   * Default: a scenario file's `variants:` (`current` when it has none); every built-in variant
   * for a built-in scenario.
   */
  variants?: readonly (string | Variant)[];
  /** Stop a run after this many distinct states (its row is then `incomplete`). @default 2_000_000 */
  maxStates?: number;
  /** Stop a run after this many seconds (its row is then `incomplete`). @default no limit */
  maxSeconds?: number;
  /** Stop a run once the process uses this many MiB (its row is then `incomplete`). @default no limit */
  maxMemory?: number;
  /**
   * Derive the groups by this rule instead of the scenario's own (`check --grouping`). For a
   * scenario already loaded, give it to loadScenarioFile instead.
   */
  grouping?: GroupingRule;
  /**
   * Symmetry reduction: `'declared'` reduces the classes of interchangeable devices the scenario
   * declares, `true` every class found (`check --symmetry`), `false` none (`--no-symmetry`).
   * Verdicts are the same; the counts are then of orbit representatives. @default 'declared'
   */
  symmetry?: boolean | 'declared';
  /** Explore independent IOMMU groups apart and compose the verdicts (`--no-decompose` is false). @default true */
  decompose?: boolean;
  /** Keep 64-bit fingerprints of states instead of the states (`check --fingerprints`). @default false */
  fingerprints?: boolean;
}

const isLoaded = (x: unknown): x is LoadedScenario =>
  typeof x === 'object' && x !== null && !(x instanceof URL) && 'scenario' in x && 'expect' in x;

/** A positive number option (an integer where `integer`), or an InputError naming it. */
function positive(name: string, v: unknown, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v === 'number' && v > 0 && Number.isFinite(v) && (!integer || Number.isInteger(v))) return v;
  throw new InputError(`options.${name}: expected a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(v) ?? String(v)}`);
}

/** The variants the options name, or undefined for the scenario's own list. */
function variantsOf(list: CheckOptions['variants']): Variant[] | undefined {
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length === 0) throw new InputError('options.variants: expected a non-empty list of variant names or variants');
  return list.map((x: unknown, i) => {
    if (typeof x === 'string') {
      const v = findVariant(x);
      if (!v) throw new InputError(`options.variants[${i}]: expected a variant name (${VARIANTS.map((w) => w.name).join(', ')}), got "${x}"`);
      return v;
    }
    const ok = typeof x === 'object' && x !== null && typeof (x as Variant).name === 'string' && typeof (x as Variant).overrides === 'object';
    if (!ok) throw new InputError(`options.variants[${i}]: expected a variant name or a variant (defineVariant({...})), got ${typeof x}`);
    return x as Variant;
  });
}

/** The jobs of one input. */
function jobsOf(input: ScenarioInput, variants: Variant[] | undefined, grouping: GroupingRule | undefined): Job[] {
  if (isLoaded(input)) {
    if (grouping) throw new InputError('options.grouping: a loaded scenario keeps the rule it was loaded with; expected grouping given to loadScenarioFile or parseScenario');
    return scenarioFileJobs(input, variants);
  }
  if (typeof input === 'string') {
    const builtin = findScenario(input);
    if (builtin) return builtinJobs([builtin], variants, grouping);
    if (!existsSync(input)) {
      throw new InputError(`${input}: expected a built-in scenario (${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')}) or a scenario file; no such file`);
    }
  } else if (!(input instanceof URL)) {
    throw new InputError(`scenario: expected a built-in scenario name, a scenario file's path or loadScenarioFile()'s result, got ${input === null ? 'null' : typeof input}`);
  }
  return scenarioFileJobs(loadScenarioFile(pathOf(input), grouping ? { grouping } : {}), variants);
}

/**
 * Checks one scenario (or several) as `iommu-mc check` does and returns the object
 * `iommu-mc check --json` prints: `ok`, `exitCode`, `kernel`, and one row per scenario x variant
 * with its status, expectation, counts and counterexamples. A scenario file's rows are expected to
 * find what its `expect:` says, a built-in scenario's what the manifest says. Bad input rejects
 * with an InputError (one line: file or option, field, what was expected).
 */
export async function checkScenario(input: ScenarioInput | readonly ScenarioInput[], options: CheckOptions = {}): Promise<CheckReport> {
  const variants = variantsOf(options.variants);
  const grouping = checkGrouping(options.grouping, 'options.grouping');
  const maxStates = positive('maxStates', options.maxStates, true) ?? 2_000_000;
  const maxSeconds = positive('maxSeconds', options.maxSeconds, false);
  const maxMemory = positive('maxMemory', options.maxMemory, false);
  const inputs: readonly ScenarioInput[] = Array.isArray(input) ? input : [input as ScenarioInput];
  if (inputs.length === 0) throw new InputError('scenario: expected at least one scenario, got an empty list');
  const jobs = inputs.flatMap((x) => jobsOf(x, variants, grouping));
  const run = options.decompose === false ? runJob : runJobDecomposed;
  const results = jobs.map((job) =>
    run(job, {
      maxStates,
      maxSeconds,
      maxMemory: maxMemory === undefined ? undefined : maxMemory * 2 ** 20,
      memoryBytes: () => process.memoryUsage.rss(),
      symmetry: options.symmetry ?? 'declared',
      fingerprints: options.fingerprints ?? false,
      workers: 1,
    }),
  );
  // The same run identity as `check --json` (one shard of one: iommu-mc merge accepts it).
  const whole = { index: 1, count: 1 };
  const identity = {
    version: toolVersion(),
    model: modelIdentity({ jobs, options: { maxStates, symmetry: options.symmetry ?? 'declared', fingerprints: options.fingerprints ?? false, decompose: options.decompose !== false } }),
    shard: { ...whole, jobs: shardIndices(jobs.length, whole), totalJobs: jobs.length },
  };
  const report = withRunIdentity(checkJson(results, getExitCode(results)), identity);
  keepTraces(report.results, results);
  return report;
}
