/** The types of a check's result: the object `iommu-mc check --json` prints, which checkScenario returns. */
import type { checkJson } from '../report/checkReport.ts';
import type { RunIdentity } from '../report/merge.ts';

/**
 * A whole check: `ok` (every row matches its expectation and is complete), `exitCode` (what the
 * CLI would exit with: 0 ok, 1 mismatch, 3 incomplete), the kernel the model is pinned to, the
 * run's identity (tool version, model hash, shard 1/1: what `iommu-mc merge` checks), and one
 * row per scenario x variant.
 */
export type CheckReport = ReturnType<typeof checkJson> & RunIdentity;

/**
 * One scenario under one variant: `status` (`holds`, `violated`, `incomplete`), the expectation
 * and whether it matched, the counts, and the `violations`, each with its counterexample's steps.
 */
export type CheckRow = CheckReport['results'][number];
