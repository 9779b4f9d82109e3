/**
 * Runs scenario x variant jobs and compares each result with its expectation: the verdict and
 * the exact set of broken invariants. Pure apart from reading the clock inside explore().
 */
import { buildModel, type Model } from '../machines/model.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { Variant } from '../machines/variants/index.ts';
import { exploreFast, type ExploreFastOptions } from './packed/exploreFast.ts';
import type { ExplorationResult, Status } from './types.ts';
import { judgement, type Judgement } from '../invariants/judged.ts';

/** What a job is expected to find. */
export interface Expectation {
  expected: 'holds' | 'violated';
  /** The invariants expected to break (empty when `holds`). */
  invariants: string[];
  /** Where the expectation came from: the manifest, a scenario file, a variant file's `breaks` (over the current kernel's baseline), a decision record, or the default. */
  source: 'manifest' | 'scenario-file' | 'variant-file' | 'decision' | 'default';
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
}

/** Compares an exploration result with an expectation. */
export function judge(result: ExplorationResult, e: Expectation): Pick<CheckResult, 'status' | 'matchesExpectation' | 'complete' | 'unexpected' | 'missing'> {
  const found = result.violations.map((v) => v.invariant);
  const unexpected = found.filter((i) => !e.invariants.includes(i));
  const missing = e.invariants.filter((i) => !found.includes(i));
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

/** The exit code of a whole check: 1 on any mismatch, else 3 when a bound cut a run short, else 0. */
export function getExitCode(results: readonly Pick<CheckResult, 'status' | 'matchesExpectation' | 'unexpected' | 'complete'>[]): 0 | 1 | 3 {
  if (results.some((r) => r.unexpected.length > 0 || (r.complete && !r.matchesExpectation))) return 1;
  if (results.some((r) => !r.complete)) return 3;
  return 0;
}
