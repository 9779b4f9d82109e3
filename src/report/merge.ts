/**
 * A check split over CI machines: which jobs a shard runs, the identity a shard's `--json`
 * report carries, and merging shard reports back into the one report the unsharded check
 * gives (same shape, rows in the unsharded job order, the same exit-code rule). Pure: the CLI
 * (src/cli/commands/merge.ts) reads the files and turns a MergeRefusal into exit 2.
 */
import { createHash } from 'node:crypto';
import { KERNEL_PIN } from '../kernel/version.ts';
import { table } from './checkReport.ts';

/** Shard K of N (both from 1). */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * The shard a job belongs to: job i (from 0, in the order `check` builds its jobs: scenarios in
 * order, each with its variants in order) goes to shard (i mod N) + 1. Round robin spreads the
 * expensive scenarios, whose variants sit next to each other, over all the shards.
 */
export const shardOf = (jobIndex: number, count: number): number => (jobIndex % count) + 1;

/** The indices of the jobs shard K/N runs, out of `total`, in order. */
export function shardIndices(total: number, shard: ShardSpec): number[] {
  return Array.from({ length: total }, (_, i) => i).filter((i) => shardOf(i, shard.count) === shard.index);
}

/** What a shard's report says about the run it belongs to: merge refuses reports that differ. */
export interface RunIdentity {
  /** The iommu-mc version (package.json). */
  version: string;
  /** A hash of the kernel pin, the jobs (scenario content, variant, expectation) and the options that change results. */
  model: string;
  shard: ShardSpec & { jobs: number[]; totalJobs: number };
}

/** The parts of a check that decide its results; two shards of one run must agree on all of them. */
export interface ModelInput {
  jobs: readonly { scenario: object & { name: string }; variant: { name: string }; expectation: unknown }[];
  /** Options that change verdicts or counts (--max-states, --symmetry, --fingerprints, --decompose, ...). */
  options: Record<string, unknown>;
}

/** The model identity: 16 hex digits of a SHA-256 over the kernel pin, the jobs and the options. */
export function modelIdentity(input: ModelInput): string {
  const scenarios = new Map<string, string>();
  for (const j of input.jobs) if (!scenarios.has(j.scenario.name)) scenarios.set(j.scenario.name, JSON.stringify(j.scenario));
  const text = JSON.stringify({
    kernel: KERNEL_PIN.commit,
    scenarios: [...scenarios.entries()],
    jobs: input.jobs.map((j) => [j.scenario.name, j.variant.name, j.expectation]),
    options: Object.entries(input.options).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)),
  });
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A check `--json` object with the run identity put before its results. */
export function withRunIdentity<T extends { results: unknown[] }>(json: T, id: RunIdentity): Omit<T, 'results'> & RunIdentity & { results: T['results'] } {
  const { results, ...head } = json;
  return { ...head, version: id.version, model: id.model, shard: id.shard, results };
}

/** One row of a check `--json` report, as far as merging and the summaries read it. */
export interface ReportRow {
  scenario: string;
  variant: string;
  status: string;
  expected: string;
  expectedInvariants: string[];
  matchesExpectation: boolean;
  mismatch: boolean;
  complete: boolean;
  bound: string | null;
  distinctStates: number;
  transitions: number;
  depth: number;
  seconds: number;
  violations: { invariant: string; reason: string; steps: { event: string; args: Record<string, unknown>; actor: string; errno: string | null; changes: string }[] }[];
  [field: string]: unknown;
}

/** A check `--json` report with its run identity. */
export interface ShardReport extends RunIdentity {
  ok: boolean;
  exitCode: number;
  kernel: unknown;
  results: ReportRow[];
}

/** Why reports cannot be merged: the file, the field and what was expected (the CLI prints it as one line, exit 2). */
export class MergeRefusal extends Error {
  override readonly name = 'MergeRefusal';
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isIndex = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;

/** Checks that a parsed file is a shard report of `check --json`; a MergeRefusal names the field otherwise. */
export function asShardReport(file: string, x: unknown): ShardReport {
  const refuse = (field: string, what: string) => new MergeRefusal(file, `${field}: expected ${what}`);
  if (!isObject(x)) throw refuse('(top level)', 'the JSON object of iommu-mc check --json');
  if (x.ok === false && typeof x.error === 'string') throw new MergeRefusal(file, `error: the check failed before it had results (${x.error})`);
  if (typeof x.version !== 'string') throw refuse('version', 'a string (a report of iommu-mc check --json, 0.1.0 or later)');
  if (typeof x.model !== 'string') throw refuse('model', 'a string');
  const s = x.shard;
  if (!isObject(s) || !isIndex(s.count) || s.count < 1 || !isIndex(s.index) || s.index < 1 || s.index > s.count) throw refuse('shard', '{ index: K, count: N } with 1 <= K <= N');
  if (!isIndex(s.totalJobs)) throw refuse('shard.totalJobs', 'a whole number');
  const expected = shardIndices(s.totalJobs, { index: s.index, count: s.count });
  if (!Array.isArray(s.jobs) || s.jobs.length !== expected.length || s.jobs.some((j, i) => j !== expected[i])) {
    throw refuse('shard.jobs', `the indices of shard ${s.index}/${s.count} of ${s.totalJobs} jobs (i mod ${s.count} = ${s.index - 1})`);
  }
  if (!Array.isArray(x.results) || x.results.length !== expected.length) throw refuse('results', `${expected.length} rows, one per job of the shard`);
  x.results.forEach((r, i) => {
    if (!isObject(r) || typeof r.scenario !== 'string' || typeof r.variant !== 'string' || typeof r.mismatch !== 'boolean' || typeof r.complete !== 'boolean') {
      throw refuse(`results[${i}]`, 'a check row with scenario, variant, mismatch and complete');
    }
  });
  return x as unknown as ShardReport;
}

/** The exit code of merged rows: the rule of src/engine/check.ts getExitCode (1 on any mismatch, else 3 when a row is incomplete, else 0). */
export function mergedExitCode(rows: readonly Pick<ReportRow, 'mismatch' | 'complete'>[]): 0 | 1 | 3 {
  if (rows.some((r) => r.mismatch)) return 1;
  if (rows.some((r) => !r.complete)) return 3;
  return 0;
}

/**
 * Merges the reports of every shard of one run into the report the unsharded run gives: rows in
 * job order, `shard` 1/1 over all jobs, `ok` and `exitCode` recomputed. Refuses (MergeRefusal,
 * naming the file) reports of another version than `toolVersion`, another model or shard count,
 * a shard twice, or a missing shard.
 */
export function mergeReports(inputs: readonly { file: string; report: ShardReport }[], toolVersion: string): ShardReport {
  if (inputs.length === 0) throw new MergeRefusal('merge', 'expected at least one report file');
  const first = inputs[0]!;
  const seen = new Map<number, string>();
  for (const { file, report } of inputs) {
    if (report.version !== toolVersion) throw new MergeRefusal(file, `version: expected ${toolVersion} (this iommu-mc), got ${report.version}`);
    if (report.model !== first.report.model) throw new MergeRefusal(file, `model: expected ${first.report.model} as in ${first.file}, got ${report.model} (another kernel pin, job list, manifest or options)`);
    if (report.shard.count !== first.report.shard.count || report.shard.totalJobs !== first.report.shard.totalJobs) {
      throw new MergeRefusal(file, `shard: expected a shard of ${first.report.shard.count} (over ${first.report.shard.totalJobs} jobs) as in ${first.file}, got ${report.shard.index}/${report.shard.count} (over ${report.shard.totalJobs})`);
    }
    const twice = seen.get(report.shard.index);
    if (twice !== undefined) throw new MergeRefusal(file, `shard: ${report.shard.index}/${report.shard.count} is also in ${twice}; expected each shard once`);
    seen.set(report.shard.index, file);
  }
  const { count, totalJobs } = first.report.shard;
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((k) => !seen.has(k));
  if (missing.length) throw new MergeRefusal(inputs[inputs.length - 1]!.file, `shard: expected all ${count} shards; missing ${missing.map((k) => `${k}/${count}`).join(', ')}`);
  const rows: ReportRow[] = new Array(totalJobs);
  for (const { report } of inputs) report.shard.jobs.forEach((j, i) => (rows[j] = report.results[i]!));
  const exitCode = mergedExitCode(rows);
  const { results: _rows, shard: _shard, ...head } = first.report;
  return { ...head, ok: exitCode === 0, exitCode, shard: { index: 1, count: 1, jobs: rows.map((_, i) => i), totalJobs }, results: rows };
}

/** A violation's JSON steps as numbered text lines: the call, its arguments, who made it, the errno, what changed. */
export function stepsText(steps: ReportRow['violations'][number]['steps']): string {
  if (steps.length === 0) return '  (the initial state already breaks it)';
  return steps
    .map((s, i) => {
      const args = Object.entries(s.args).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(', ');
      return `  ${i + 1}. ${s.event}(${args}) by ${s.actor}${s.errno ? ` → ${s.errno}` : ''}${s.changes ? `\n       ${s.changes.split('\n').join('\n       ')}` : ''}`;
    })
    .join('\n');
}

const found = (r: ReportRow): string => (r.violations.length ? `violated ${r.violations.map((v) => v.invariant).join(',')}` : r.status === 'incomplete' ? 'incomplete' : 'holds');
const expectedText = (r: ReportRow): string => (r.expected === 'holds' ? 'holds' : `violated ${r.expectedInvariants.join(',')}`);

/** What a row found against what it expected, in one line: `found violated I2, expected holds`. */
export function rowOutcome(r: ReportRow): string {
  const cut = r.complete ? '' : ` (a bound cut the run short: ${r.bound})`;
  return `found ${found(r)}${cut}, expected ${expectedText(r)}`;
}

/** The text summary of a merged report: the table, each mismatch with its unexpected traces, the summary line. */
export function formatMergedReport(report: ShardReport, files: number): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  const rows = report.results;
  const mark = (r: ReportRow) => (r.mismatch ? '✗ ' : r.complete ? '✓ ' : '');
  const tableText = table(
    rows.map((r) => [r.scenario, r.variant, `${mark(r)}${r.complete ? found(r) : `incomplete (${r.bound})`}`, expectedText(r), fmt(r.distinctStates), fmt(r.transitions), String(r.depth), `${r.seconds.toFixed(2)}s`]),
    ['scenario', 'variant', 'found', 'expected', 'states', 'transitions', 'depth', 'time'],
  );
  const out = [tableText];
  const mismatches = rows.filter((r) => r.mismatch);
  for (const r of mismatches) {
    const expected = new Set(r.expectedInvariants);
    // The shortest unexpected trace (their first steps are mostly the same), naming the others, as check prints them.
    const unexpected = r.violations.filter((v) => !expected.has(v.invariant));
    const v = unexpected.length ? unexpected.reduce((a, b) => (b.steps.length < a.steps.length ? b : a)) : null;
    const others = unexpected.filter((x) => x !== v).map((x) => x.invariant);
    const trace = v ? `\n── ${r.variant} breaks ${v.invariant} in ${r.scenario} (UNEXPECTED${others.length ? `; also breaks ${others.join(', ')}: merge --json or --junit has each` : ''}): ${v.reason} ──\n${stepsText(v.steps)}` : '';
    out.push(`${r.scenario} × ${r.variant}: ${rowOutcome(r)}${trace}`);
  }
  const ok = rows.filter((r) => r.matchesExpectation);
  const holds = ok.filter((r) => r.status === 'holds').length;
  const incomplete = rows.filter((r) => !r.complete && !r.mismatch).length;
  const states = rows.reduce((a, r) => a + r.distinctStates, 0);
  const secs = rows.reduce((a, r) => a + r.seconds, 0);
  out.push(
    `${rows.length} check${rows.length === 1 ? '' : 's'}: ${ok.length} as expected (${holds} hold, ${ok.length - holds} violated as expected); ${mismatches.length} mismatch${mismatches.length === 1 ? '' : 'es'}; ${incomplete} incomplete. ${fmt(states)} states explored in ${secs.toFixed(2)} s of shard time, merged from ${files} shard report${files === 1 ? '' : 's'} (model ${report.model}, iommu-mc ${report.version}).`,
  );
  return out.join('\n\n');
}
