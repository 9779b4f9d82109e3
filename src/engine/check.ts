/**
 * Runs scenario x variant jobs and compares each result with its expectation: the verdict and
 * the exact set of broken invariants. Pure apart from reading the clock inside explore().
 */
import { buildModel, type Model } from '../machines/model.ts';
import type { Scenario } from '../machines/scenario.ts';
import { VARIANTS, type Variant } from '../machines/variants/index.ts';
import { exploreFast, type ExploreFastOptions } from './packed/exploreFast.ts';
import type { ExplorationResult, Status, Violation } from './types.ts';
import { decompose } from '../scenarios/decompose.ts';
import { scenarioGroups } from '../machines/scenario.ts';
import { judgement, type Judgement } from '../invariants/judged.ts';

/** What a job is expected to find. */
export interface Expectation {
  expected: 'holds' | 'violated';
  /** The invariants expected to break (empty when `holds`). */
  invariants: string[];
  /** Where the expectation came from: the manifest, a scenario file, a variant file's `breaks` (over the current kernel's baseline), a decision record, or the default. */
  source: 'manifest' | 'scenario-file' | 'variant-file' | 'decision' | 'default';
  /** `check --recoverability` is expected to find a stuck state (REC); judged only by that pass. */
  stuck?: boolean;
}

export interface Job {
  scenario: Scenario;
  variant: Variant;
  expectation: Expectation;
}

export interface CheckResult {
  scenario: string;
  variant: string;
  model: Model;
  result: ExplorationResult;
  expectation: Expectation;
  /** `holds`, `violated` or `incomplete`, as the JSON names it. */
  status: Status;
  matchesExpectation: boolean;
  /** Exploration reached every reachable state (no bound cut it short). */
  complete: boolean;
  /** Symmetry reduction was applied: the counts are of orbit representatives. */
  symmetry: boolean;
  /**
   * With --fingerprints: at most the probability that two distinct states shared a 64-bit
   * fingerprint, so that some went unexplored; null when states were compared exactly.
   */
  collisionProbability: number | null;
  /** Threads the run ended with (--workers; 1 when it stayed below PARALLEL_FROM states). */
  threads: number;
  /** Invariants found broken that were not expected / expected but not found. */
  unexpected: string[];
  missing: string[];
  /** The invariants this scenario judges, and those it gives no data for, with the reason. */
  judgement: Judgement;
  /**
   * With decomposition: each component (its scenario's name, its groups, what it explored), and
   * the model each violation's states belong to (a component's model: its own slot numbering).
   */
  components?: { name: string; groups: string[]; states: number; transitions: number; status: Status }[];
  violationModels?: Map<Violation, Model>;
  /** With decomposition: the product of the components' state counts (the undecomposed run's, exact when every component holds). */
  productStates?: number;
}

/** The model whose states a violation of `r` is written in. */
export const modelFor = (r: Pick<CheckResult, 'model' | 'violationModels'>, v: Violation): Model => r.violationModels?.get(v) ?? r.model;

/**
 * Compares an exploration result with an expectation. REC (recoverability) is judged only when
 * the opt-in pass ran (`recoverability`): then it is expected where the expectation says `stuck`
 * or lists it; otherwise an expectation's REC is not looked for.
 */
export function judge(result: ExplorationResult, e: Expectation, recoverability = false): Pick<CheckResult, 'status' | 'matchesExpectation' | 'complete' | 'unexpected' | 'missing'> {
  const found = result.violations.map((v) => v.invariant);
  const expected = recoverability ? [...new Set([...e.invariants, ...(e.stuck ? ['REC'] : [])])] : e.invariants.filter((i) => i !== 'REC');
  const unexpected = found.filter((i) => !expected.includes(i));
  const missing = expected.filter((i) => !found.includes(i));
  // A bound that cut exploration short can hide violations: never a pass, never a clean match.
  if (result.bound !== null) {
    return { status: unexpected.length ? 'violated' : 'incomplete', matchesExpectation: false, complete: false, unexpected, missing };
  }
  return { status: result.status, matchesExpectation: unexpected.length === 0 && missing.length === 0, complete: true, unexpected, missing };
}

/** Runs one job. */
export function runJob(job: Job, options: ExploreFastOptions = {}): CheckResult {
  const model = buildModel(job.scenario, job.variant);
  // Symmetry reduction where the scenario declares it, unless the caller says otherwise.
  const result = exploreFast(model, { ...options, symmetry: options.symmetry ?? 'declared' });
  return {
    scenario: job.scenario.name,
    variant: job.variant.name,
    model,
    result,
    symmetry: result.fast.symmetry,
    collisionProbability: result.fast.collisionProbability,
    threads: result.fast.threads,
    expectation: job.expectation,
    judgement: judgement(job.scenario, options.invariants),
    ...judge(result, job.expectation),
  };
}

/** True when a component's initial state already breaks an invariant (the whole would not be expanded at all). */
const brokenAtInit = (r: CheckResult): boolean => r.result.violations.some((v) => v.steps.length === 0);

/**
 * Runs one job by decomposition (src/scenarios/decompose.ts): each independent component of
 * IOMMU groups explored apart, the verdicts composed. The counts are the components' sums; the
 * product of their state counts is the undecomposed state space, reported, not explored.
 */
export function runJobDecomposed(job: Job, options: ExploreFastOptions = {}): CheckResult {
  // Only rules known to be group-local split: a built-in variant that does not cross groups. A
  // variant file's code is not known to be, so its runs explore the whole scenario.
  if (job.variant.crossesGroups || !VARIANTS.includes(job.variant)) return runJob(job, options);
  const parts = decompose(job.scenario);
  if (parts.length <= 1) return runJob(job, options);
  const runs = parts.map((scenario) => runJob({ ...job, scenario }, options));
  if (runs.some(brokenAtInit)) return runJob(job, options);
  const model = buildModel(job.scenario, job.variant);
  const violationModels = new Map<Violation, Model>();
  for (const r of runs) for (const v of r.result.violations) violationModels.set(v, r.model);
  const bound = runs.find((r) => r.result.bound !== null)?.result.bound ?? null;
  // One counterexample per invariant, as the whole exploration gives: the shortest over the components.
  const violations: Violation[] = [];
  for (const v of runs.flatMap((r) => r.result.violations)) {
    const at = violations.findIndex((x) => x.invariant === v.invariant);
    if (at < 0) violations.push(v);
    else if (v.steps.length < violations[at]!.steps.length) violations[at] = v;
  }
  const result: ExplorationResult & { fast?: unknown } = {
    ...runs[0]!.result,
    status: violations.length ? 'violated' : bound ? 'incomplete' : 'holds',
    bound,
    distinctStates: runs.reduce((a, r) => a + r.result.distinctStates, 0),
    transitions: runs.reduce((a, r) => a + r.result.transitions, 0),
    depth: Math.max(...runs.map((r) => r.result.depth)),
    seconds: runs.reduce((a, r) => a + r.result.seconds, 0),
    violations,
    coverage: mergeCoverage(runs.map((r) => r.result.coverage)),
  };
  return {
    scenario: job.scenario.name,
    variant: job.variant.name,
    model,
    result,
    symmetry: runs.some((r) => r.symmetry),
    collisionProbability: runs.some((r) => r.collisionProbability !== null) ? runs.reduce((a, r) => a + (r.collisionProbability ?? 0), 0) : null,
    threads: Math.max(...runs.map((r) => r.threads)),
    expectation: job.expectation,
    judgement: judgement(job.scenario, options.invariants),
    components: runs.map((r) => ({ name: r.scenario, groups: scenarioGroups(r.model.scenario).map((g) => g.name), states: r.result.distinctStates, transitions: r.result.transitions, status: r.status })),
    violationModels,
    productStates: runs.reduce((a, r) => a * r.result.distinctStates, 1),
    ...judge(result, job.expectation),
  };
}

/** Coverage of several runs added up per kernel call. */
function mergeCoverage(all: readonly ExplorationResult['coverage'][]): ExplorationResult['coverage'] {
  const out: ExplorationResult['coverage'] = {};
  for (const cov of all) {
    for (const [ev, c] of Object.entries(cov)) {
      const a = (out[ev] ??= { enabled: 0, ok: 0, changed: 0, errnos: {} });
      a.enabled += c.enabled;
      a.ok += c.ok;
      a.changed += c.changed;
      for (const [e, n] of Object.entries(c.errnos)) a.errnos[e as keyof typeof a.errnos] = (a.errnos[e as keyof typeof a.errnos] ?? 0) + (n ?? 0);
    }
  }
  return out;
}

/** The exit code of a whole check: 1 on any mismatch, else 3 when a bound cut a run short, else 0. */
/** A result that does not match its expectation: an unexpected violation (real even in a run cut short), or a complete run that differs. */
export const isMismatch = (r: Pick<CheckResult, 'matchesExpectation' | 'unexpected' | 'complete'>): boolean => r.unexpected.length > 0 || (r.complete && !r.matchesExpectation);

export function getExitCode(results: readonly Pick<CheckResult, 'status' | 'matchesExpectation' | 'unexpected' | 'complete'>[]): 0 | 1 | 3 {
  if (results.some(isMismatch)) return 1;
  if (results.some((r) => !r.complete)) return 3;
  return 0;
}
