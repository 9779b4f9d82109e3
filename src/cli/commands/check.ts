/** `iommu-mc check`: explore scenarios under variants, compare with expectations, print traces. */
import { availableParallelism } from 'node:os';
import { Command, Option } from 'commander';
import pc from 'picocolors';
import { getExitCode, runJob, runJobDecomposed, type CheckResult, type Job } from '../../engine/check.ts';
import { findVariant, VARIANTS } from '../../machines/variants/index.ts';
import type { Scenario } from '../../machines/scenario.ts';
import { checkJson, formatCheckTable, formatMismatches, formatWarnings, formatComponents, formatCoverage, formatNotJudged, formatScenarioHeader, formatSummary } from '../../report/checkReport.ts';
import { traceFiles, selectTraces, renderTrace, type TraceFormat } from '../../report/traces.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../../scenarios/builtin.ts';
import { builtinJobs, scenarioFileJobs } from '../../scenarios/jobs.ts';
import { GROUPING_RULES, type GroupingRule } from '../../hardware/index.ts';
import { MANIFEST, KNOWN_WEAKNESSES, manifestEntry } from '../../scenarios/manifest.ts';
import { loadScenarioFiles } from '../scenarioInput.ts';
import { EXIT, UsageError } from '../errors.ts';
import { checkOutputFile, writeFileAtomically } from '../files.ts';
import { checkOutDir, outDirSummary, writeOutDir } from '../outDir.ts';
import { intInRange, names, oneOf, positiveInt, positiveNumber } from '../options.ts';
import { startProgress, type ProgressHandle } from '../progress.ts';
import { Interrupted, reportInterrupted, runInterruptibly, withSigint } from '../interrupt.ts';
import { rejudgeVariantFiles, runVariantJob, variantFileJobs, variantFileTraces } from '../variantFile.ts';
import { checkReportHtml } from '../../report/html/checkPage.ts';
import { checkHtmlPath, mermaidBundle } from '../htmlFile.ts';
import type { CommandFactory } from './commandFactory.ts';
import { modelIdentity, shardIndices, withRunIdentity, type RunIdentity, type ShardSpec } from '../../report/merge.ts';
import { junitXml } from '../../report/junit.ts';
import { parseShard } from '../options.ts';
import { toolVersion } from '../version.ts';
import { withRecoverability } from '../../engine/recoverability.ts';

interface CheckOpts {
  scenario?: string[];
  variant?: string[];
  variantFile?: string[];
  scenarioFile?: string[];
  format: 'text' | 'json';
  json?: boolean;
  traceFormat: TraceFormat;
  traces: 'auto' | 'all' | 'none';
  out?: string;
  html?: string;
  maxStates?: number;
  heartbeat?: number;
  maxSeconds?: number;
  maxMemory?: number;
  symmetry?: boolean;
  fingerprints?: boolean;
  workers?: number;
  writeManifest?: string;
  stats?: boolean;
  decompose: boolean;
  grouping?: GroupingRule;
  color: boolean;
  shard?: ShardSpec;
  junit?: string;
  recoverability?: boolean;
}

/** The jobs the options ask for (built as the library's checkScenario builds them: src/scenarios/jobs.ts). */
function buildJobs(o: CheckOpts): Job[] {
  const variantNames = VARIANTS.map((v) => v.name);
  const variants = o.variant?.map((n) => findVariant(oneOf('--variant', n, variantNames))!);
  if (o.scenarioFile?.length) {
    if (o.scenario?.length) throw new UsageError('--scenario and --scenario-file cannot be combined');
    return loadScenarioFiles(o.scenarioFile, o.grouping).flatMap((loaded) => scenarioFileJobs(loaded, variants));
  }
  const names = BUILTIN_SCENARIOS.map((s) => s.name);
  const scenarios: Scenario[] = o.scenario?.length ? o.scenario.map((n) => findScenario(oneOf('--scenario', n, names))!) : [...BUILTIN_SCENARIOS];
  return builtinJobs(scenarios, variants, o.grouping);
}

/**
 * The manifest of a run: each entry's verdict, invariants and counts from the exploration; with
 * --recoverability also whether the pass found a stuck state (`stuck`, REC kept out of the
 * invariants the main job expects); without it, the entry keeps the `stuck` it had.
 */
function manifestText(results: readonly CheckResult[], recoverability: boolean): string {
  const entries = results.map((r) => {
    const found = r.result.violations.map((v) => v.invariant);
    const invariants = found.filter((i) => i !== 'REC');
    const stuck = recoverability ? found.includes('REC') : !!manifestEntry(r.scenario, r.variant)?.stuck;
    return {
      scenario: r.scenario,
      variant: r.variant,
      expected: invariants.length ? 'violated' : 'holds',
      invariants,
      distinctStates: r.result.distinctStates,
      transitions: r.result.transitions,
      depth: r.result.depth,
      ...(r.variant === 'current' && KNOWN_WEAKNESSES[r.scenario] && invariants.length ? { knownWeakness: KNOWN_WEAKNESSES[r.scenario] } : {}),
      ...(stuck ? { stuck: true } : {}),
    };
  });
  return `${JSON.stringify({ kernel: MANIFEST.kernel || 'see src/kernel/version.ts', entries }, null, 2)}\n`;
}

async function runCheck(o: CheckOpts): Promise<number> {
  if (o.json) o.format = 'json';
  if (o.html) checkHtmlPath(o.html);
  if (o.symmetry && o.writeManifest) throw new UsageError('--symmetry and --write-manifest cannot be combined: the manifest records the full state space');
  if (o.fingerprints && o.writeManifest) throw new UsageError('--fingerprints and --write-manifest cannot be combined: the manifest records counts from exact state comparison');
  const cores = availableParallelism();
  if (o.workers !== undefined && o.workers > cores) {
    // More threads than cores only adds start-up, memory and contention (256 on 2 cores ran 8x past its bound).
    process.stderr.write(`iommu-mc: warning: --workers ${o.workers} is more than the ${cores} cores here; using ${cores}\n`);
    o.workers = cores;
  }
  if (o.shard && o.writeManifest) throw new UsageError('--shard and --write-manifest cannot be combined: the manifest records every job');
  const all = o.variantFile?.length ? [...(o.variant?.length ? buildJobs(o) : []), ...(await variantFileJobs(o.variantFile, o))] : buildJobs(o);
  const run = runIdentity(all, o);
  const jobs = run.shard.jobs.map((i) => all[i]!);
  // Before exploring: a long run's results must not be lost to an output path that cannot be written.
  if (o.out) checkOutDir(o.out);
  if (o.writeManifest) checkOutputFile(o.writeManifest);
  if (o.junit) checkOutputFile(o.junit);
  const progress = startProgress(jobs.length, o.format === 'text', { maxStates: o.maxStates ?? 2_000_000, heartbeat: o.heartbeat });
  const results = await exploreJobs(jobs, o, progress);
  if (results === null) return EXIT.INTERRUPTED;
  return report(results, o, run);
}

/** What --json records for `iommu-mc merge`: the version, the model identity, and the jobs of --shard K/N (job i goes to shard (i mod N) + 1; all by default). */
function runIdentity(all: Job[], o: CheckOpts): RunIdentity {
  const shard = o.shard ?? { index: 1, count: 1 };
  const options = { maxStates: o.maxStates ?? 2_000_000, symmetry: o.writeManifest ? false : (o.symmetry ?? 'declared'), fingerprints: o.fingerprints ?? false, decompose: o.decompose && !o.writeManifest };
  return { version: toolVersion(), model: modelIdentity({ jobs: all, options }), shard: { ...shard, jobs: shardIndices(all.length, shard), totalJobs: all.length } };
}

/** Runs the jobs in order; null after Ctrl-C (the progress display stopped and where it was printed). */
async function exploreJobs(jobs: Job[], o: CheckOpts, progress: ProgressHandle): Promise<CheckResult[] | null> {
  const results: CheckResult[] = [];
  try {
    await withSigint(async (interrupted) => {
      for (const job of jobs) {
        if (interrupted()) throw new Interrupted('interrupted');
        progress.job(`${job.scenario.name} × ${job.variant.name}`);
        results.push(runInterruptibly(() => runOne(job, o, progress)));
        // Let a SIGINT that came between two runs be seen.
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    progress.stop();
    const { label, finished, last } = progress.where();
    const at = last ? ` after ${last.states.toLocaleString('en-US')} states of ${label}` : label ? ` at the start of ${label}` : '';
    reportInterrupted(`interrupted${at} (${finished} of ${jobs.length} checks finished); no report and no files were written`);
    return null;
  }
  progress.stop();
  return results;
}

/** One job, under the options the command line gave. */
function runOne(job: Job, o: CheckOpts, progress: ProgressHandle): CheckResult {
  const explore = o.decompose && !o.writeManifest ? runJobDecomposed : runJob;
  // --recoverability: the opt-in pass after the exploration (under the same watchdog for a variant file's code).
  const run: typeof runJob = o.recoverability ? (j, opts) => withRecoverability(explore(j, opts), { maxStates: opts?.maxStates, decompose: o.decompose && !o.writeManifest }) : explore;
  return runVariantJob(run, job, {
    maxStates: o.maxStates ?? 2_000_000,
    maxSeconds: o.maxSeconds,
    maxMemory: o.maxMemory === undefined ? undefined : o.maxMemory * 2 ** 20,
    // Declared symmetry by default; the manifest records the full state space.
    symmetry: o.writeManifest ? false : (o.symmetry ?? 'declared'),
    fingerprints: o.fingerprints ?? false,
    workers: o.workers ?? 1,
    memoryBytes: () => process.memoryUsage.rss(),
    onProgress: (p) => progress.states(p),
  });
}

/** Judges the results against the expectations, writes the files asked for, prints the report; the exit code. */
function report(results: CheckResult[], o: CheckOpts, run: RunIdentity): number {
  rejudgeVariantFiles(results);
  const exit = getExitCode(results);
  const json = o.format === 'json' || o.junit ? withRunIdentity(checkJson(results, exit), run) : null;
  if (o.html) writeFileAtomically(o.html, checkReportHtml(results, exit, { mermaidJs: mermaidBundle() }));
  if (o.junit) writeFileAtomically(o.junit, junitXml(json!.results, 'iommu-mc check'));
  if (o.format === 'json') {
    // Written first: stdout must stay one JSON object, and a write error prints its own ({ok: false, ...}).
    writeOutputs(results, o);
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return exit;
  }
  const color = o.color && !!process.stdout.isTTY;
  if (o.scenarioFile?.length) for (const s of new Map(results.map((r) => [r.scenario, r.model.scenario])).values()) process.stdout.write(`${formatScenarioHeader(s)}\n\n`);
  process.stdout.write(`${formatCheckTable(results, color)}\n\n`);
  const shown = o.traces === 'none' ? [] : [...selectTraces(results, o.traces === 'all'), ...(o.traces === 'auto' ? variantFileTraces(results) : [])];
  for (const t of shown) process.stdout.write(`${t.heading}\n${renderTrace(t.violation, t.model, o.traceFormat, color)}\n\n`);
  if (o.stats) process.stdout.write(`Coverage (all checks of this run)\n${formatCoverage(results)}\n\n`);
  const components = formatComponents(results);
  if (components) process.stdout.write(`${components}\n\n`);
  const notJudged = formatNotJudged(results);
  if (notJudged) process.stdout.write(`${notJudged}\n\n`);
  const warnings = formatWarnings(results);
  if (warnings) process.stdout.write(`${warnings}\n\n`);
  const mismatches = formatMismatches(results, shown.length > 0);
  if (mismatches) process.stdout.write(`${mismatches}\n\n`);
  process.stdout.write(`${formatSummary(results, color, process.resourceUsage().maxRSS * 1024)}\n`);
  if (o.html) process.stdout.write(`HTML report written to ${o.html}\n`);
  if (o.junit) process.stdout.write(`JUnit XML written to ${o.junit}\n`);
  if (o.shard) process.stdout.write(`shard ${o.shard.index}/${o.shard.count}: ${results.length} of ${run.shard.totalJobs} checks (job i runs in shard (i mod ${o.shard.count}) + 1); merge the shards' --json reports with iommu-mc merge\n`);
  if (results.some((r) => !r.complete)) process.stdout.write(`${color ? pc.yellow('incomplete') : 'incomplete'}: a bound cut exploration short; raise --max-states/--max-seconds/--max-memory.\n`);
  writeOutputs(results, o);
  return exit;
}

/** --out and --write-manifest, after the text report: a failure to write (exit 2) comes after the results, not instead of them. */
function writeOutputs(results: CheckResult[], o: CheckOpts): void {
  if (o.out) {
    const line = outDirSummary(o.out, writeOutDir(o.out, traceFiles(results, o.traceFormat)));
    if (o.format === 'text') process.stdout.write(`${line}\n`);
  }
  if (o.writeManifest) {
    if (results.some((r) => !r.complete)) throw new UsageError('--write-manifest: a bound cut a run short; refusing to record incomplete counts');
    writeFileAtomically(o.writeManifest, manifestText(results, !!o.recoverability));
  }
}

export const checkCommand: CommandFactory = (setExit) =>
  new Command('check')
    .description('Explore every reachable interleaving of the scenarios under each variant and check every invariant in every state')
    .option('-s, --scenario <name>', 'a built-in scenario (repeatable; default: all)', names('--scenario', 'a scenario name'))
    .option('-v, --variant <name>', 'a design variant (repeatable; default: all the scenario lists)', names('--variant', 'a variant name'))
    .option('--variant-file <file>', 'a variant of your own: a TypeScript file exporting defineVariant({...}) (repeatable; docs/writing-variants.md)', names('--variant-file', 'a file name'))
    .option('--scenario-file <file>', 'a scenario of your own, in JSON or YAML (repeatable: each file\'s checks, in order)', names('--scenario-file', 'a file name', false))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json: one JSON object on stdout')
    .addOption(new Option('--trace-format <format>', 'counterexample format').choices(['text', 'itf', 'mermaid']).default('text'))
    .addOption(new Option('--traces <which>', 'which counterexamples to print: auto (mismatches, one per flawed variant, known weaknesses), all, none').choices(['auto', 'all', 'none']).default('auto'))
    .option('--out <dir>', 'write every counterexample to this directory, one file each')
    .option('--html <file>', 'also write the results as one self-contained HTML page: filterable table, every counterexample with call chains, state changes, DMA routes and diagrams (docs/html-report.md)')
    .option('--max-states <n>', 'stop after this many distinct states (status incomplete, exit 3)', positiveInt('--max-states'))
    .option('--max-seconds <s>', 'stop a run after this many seconds (status incomplete, exit 3)', positiveNumber('--max-seconds'))
    .option('--max-memory <mb>', 'stop a run once the process uses this many MiB (status incomplete, exit 3)', positiveNumber('--max-memory'))
    .option('--symmetry', 'reduce every class of interchangeable device slots the engine finds (same drivers, presence and PCI facts), not only those the scenario declares: same verdicts, fewer states; counts are of orbit representatives')
    .option('--no-symmetry', 'explore the full state space, even where the scenario declares interchangeable devices (the default reduces those)')
    .option('--fingerprints', 'keep 64-bit fingerprints of the states instead of comparing them exactly, as TLC does: faster lookups, more memory per state; a collision could hide states, and the report gives the probability of one')
    .option('--workers <n>', 'threads per run: 1 (the default) explores in one; N > 1 splits the visited set over N - 1 worker threads while one expands states. Same verdicts, counts and counterexamples; pays off on large runs', intInRange('--workers', 1, 256))
    .option('--stats', 'print coverage per kernel call: enabled, succeeded, changed the state, errnos')
    .addOption(new Option('--grouping <rule>', 'derive the groups of every scenario with a topology by this rule instead of its own: mainline (pci_device_group) or switch-groups (the pending v3 per-bus rule); the manifest\'s expectations apply only under a scenario\'s own rule').choices([...GROUPING_RULES]))
    .option('--no-decompose', 'explore the IOMMU groups of a scenario together even where they are independent (by default groups that share no legacy container, peer-to-peer route or requester ID are explored apart and their verdicts composed)')
    .option('--write-manifest <file>', 'write the expected results of this run to FILE (src/scenarios/manifest.json)')
    .option('--heartbeat <s>', 'when stderr is not a terminal (a CI log), a progress line this often, in seconds (default 15)', positiveNumber('--heartbeat'))
    .option('--shard <K/N>', 'run only shard K of N: job i (in the order above: scenarios, then their variants) when i mod N = K - 1; merge the --json reports with iommu-mc merge (docs/ci.md)', parseShard)
    .option('--junit <file>', 'also write the results as JUnit XML: one test case per scenario x variant, a failure per mismatch (with its trace) or incomplete run (docs/ci.md)')
    .option('--recoverability', 'after each exploration, also check that every reachable state can return to rest (all files closed, default domains, owner_cnt = bound DMA-API drivers); a stuck state is a violation of REC with its trace (docs/engine.md)')
    .option('--no-color', 'no colours')
    .addHelpText('after', `\nExit codes: 0 every result matches its expectation; 1 a mismatch; 2 bad usage or input; 3 incomplete; 4 internal error; 130 interrupted (Ctrl-C).\nScenarios: ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')}\nVariants: ${VARIANTS.map((v) => v.name).join(', ')}`)
    .action(async (o: CheckOpts) => setExit(await runCheck(o)));
