/** `iommu-mc check`: explore scenarios under variants, compare with expectations, print traces. */
import { Command, Option } from 'commander';
import pc from 'picocolors';
import { getExitCode, runJob, runJobDecomposed, type CheckResult, type Expectation, type Job } from '../../engine/check.ts';
import { findVariant, VARIANTS, type Variant } from '../../machines/variants/index.ts';
import type { Scenario } from '../../machines/scenario.ts';
import { checkJson, formatCheckTable, formatComponents, formatCoverage, formatNotJudged, formatScenarioHeader, formatSummary } from '../../report/checkReport.ts';
import { traceFiles, selectTraces, renderTrace, type TraceFormat } from '../../report/traces.ts';
import { BUILTIN_SCENARIOS, findScenario, scenarioWithGrouping } from '../../scenarios/builtin.ts';
import { GROUPING_RULES, type GroupingRule } from '../../hardware/index.ts';
import { MANIFEST, manifestEntry, KNOWN_WEAKNESSES } from '../../scenarios/manifest.ts';
import { loadScenarioFile } from '../scenarioInput.ts';
import { EXIT, UsageError } from '../errors.ts';
import { writeFileAtomically, writeFilesAtomically } from '../files.ts';
import { collect, intInRange, oneOf, positiveInt, positiveNumber } from '../options.ts';
import { startProgress } from '../progress.ts';
import { rejudgeVariantFiles, variantFileJobs, variantFileTraces } from '../variantFile.ts';
import type { CommandFactory } from './index.ts';

interface CheckOpts {
  scenario?: string[];
  variant?: string[];
  variantFile?: string[];
  scenarioFile?: string;
  format: 'text' | 'json';
  json?: boolean;
  traceFormat: TraceFormat;
  traces: 'auto' | 'all' | 'none';
  out?: string;
  maxStates?: number;
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
}

const builtinExpectation = (scenario: string, variant: Variant): Expectation => {
  const e = manifestEntry(scenario, variant.name);
  if (e) return { expected: e.expected, invariants: e.invariants, source: 'manifest' };
  return { expected: 'holds', invariants: [], source: 'default' };
};

/** The jobs the options ask for. */
function buildJobs(o: CheckOpts): Job[] {
  const variantNames = VARIANTS.map((v) => v.name);
  const variants = o.variant?.map((n) => findVariant(oneOf('--variant', n, variantNames))!);
  if (o.scenarioFile) {
    if (o.scenario?.length) throw new UsageError('--scenario and --scenario-file cannot be combined');
    const loaded = loadScenarioFile(o.scenarioFile, o.grouping);
    const vs = variants ?? (loaded.scenario.variants ?? ['current']).map((n) => findVariant(n)!);
    return vs.map((variant) => {
      const x = loaded.expect[variant.name];
      const expectation: Expectation = x === undefined || x === 'holds'
        ? { expected: 'holds', invariants: [], source: x === undefined ? 'default' : 'scenario-file' }
        : { expected: 'violated', invariants: x, source: 'scenario-file' };
      return { scenario: loaded.scenario, variant, expectation };
    });
  }
  const names = BUILTIN_SCENARIOS.map((s) => s.name);
  const scenarios: Scenario[] = o.scenario?.length ? o.scenario.map((n) => findScenario(oneOf('--scenario', n, names))!) : [...BUILTIN_SCENARIOS];
  return scenarios.flatMap((builtin) => {
    // Under another grouping rule the manifest's expectation (made under the scenario's own) does not apply.
    const scenario = scenarioWithGrouping(builtin, o.grouping);
    return (variants ?? VARIANTS.filter((v) => !scenario.variants || scenario.variants.includes(v.name))).map((variant) => ({
      scenario,
      variant,
      expectation: scenario === builtin ? builtinExpectation(scenario.name, variant) : { expected: 'holds' as const, invariants: [], source: 'default' as const },
    }));
  });
}

function manifestText(results: readonly CheckResult[]): string {
  const entries = results.map((r) => ({
    scenario: r.scenario,
    variant: r.variant,
    expected: r.result.violations.length ? 'violated' : 'holds',
    invariants: r.result.violations.map((v) => v.invariant),
    distinctStates: r.result.distinctStates,
    transitions: r.result.transitions,
    depth: r.result.depth,
    ...(r.variant === 'current' && KNOWN_WEAKNESSES[r.scenario] && r.result.violations.length ? { knownWeakness: KNOWN_WEAKNESSES[r.scenario] } : {}),
  }));
  return `${JSON.stringify({ kernel: MANIFEST.kernel || 'see src/kernel/version.ts', entries }, null, 2)}\n`;
}

async function runCheck(o: CheckOpts): Promise<number> {
  if (o.json) o.format = 'json';
  if (o.symmetry && o.writeManifest) throw new UsageError('--symmetry and --write-manifest cannot be combined: the manifest records the full state space');
  if (o.fingerprints && o.writeManifest) throw new UsageError('--fingerprints and --write-manifest cannot be combined: the manifest records counts from exact state comparison');
  const jobs = o.variantFile?.length ? [...(o.variant?.length ? buildJobs(o) : []), ...(await variantFileJobs(o.variantFile, o))] : buildJobs(o);
  const progress = startProgress(jobs.length, o.format === 'text');
  const results: CheckResult[] = [];
  for (const job of jobs) {
    progress.job(`${job.scenario.name} × ${job.variant.name}`);
    const run = o.decompose && !o.writeManifest ? runJobDecomposed : runJob;
    results.push(
      run(job, {
        maxStates: o.maxStates ?? 2_000_000,
        maxSeconds: o.maxSeconds,
        maxMemory: o.maxMemory === undefined ? undefined : o.maxMemory * 2 ** 20,
        // Declared symmetry by default; the manifest records the full state space.
        symmetry: o.writeManifest ? false : (o.symmetry ?? 'declared'),
        fingerprints: o.fingerprints ?? false,
        workers: o.workers ?? 1,
        memoryBytes: () => process.memoryUsage.rss(),
        onProgress: (p) => progress.states(p),
      }),
    );
  }
  progress.stop();
  rejudgeVariantFiles(results);
  const exit = getExitCode(results);
  if (o.writeManifest) {
    if (results.some((r) => !r.complete)) throw new UsageError('--write-manifest: a bound cut a run short; refusing to record incomplete counts');
    writeFileAtomically(o.writeManifest, manifestText(results));
  }
  if (o.out) writeFilesAtomically(o.out, traceFiles(results, o.traceFormat));
  if (o.format === 'json') {
    process.stdout.write(`${JSON.stringify(checkJson(results, exit), null, 2)}\n`);
    return exit;
  }
  const color = o.color && !!process.stdout.isTTY;
  if (o.scenarioFile && results[0]) process.stdout.write(`${formatScenarioHeader(results[0].model.scenario)}\n\n`);
  process.stdout.write(`${formatCheckTable(results, color)}\n\n`);
  const shown = o.traces === 'none' ? [] : [...selectTraces(results, o.traces === 'all'), ...(o.traces === 'auto' ? variantFileTraces(results) : [])];
  for (const t of shown) process.stdout.write(`${t.heading}\n${renderTrace(t.violation, t.model, o.traceFormat, color)}\n\n`);
  if (o.stats) process.stdout.write(`Coverage (all checks of this run)\n${formatCoverage(results)}\n\n`);
  const components = formatComponents(results);
  if (components) process.stdout.write(`${components}\n\n`);
  const notJudged = formatNotJudged(results);
  if (notJudged) process.stdout.write(`${notJudged}\n\n`);
  process.stdout.write(`${formatSummary(results, color)}\n`);
  if (o.out) process.stdout.write(`Traces written to ${o.out}\n`);
  if (exit === EXIT.INCOMPLETE) process.stdout.write(`${color ? pc.yellow('incomplete') : 'incomplete'}: a bound cut exploration short; raise --max-states/--max-seconds/--max-memory.\n`);
  return exit;
}

export const checkCommand: CommandFactory = (setExit) =>
  new Command('check')
    .description('Explore every reachable interleaving of the scenarios under each variant and check every invariant in every state')
    .option('-s, --scenario <name>', 'a built-in scenario (repeatable; default: all)', collect)
    .option('-v, --variant <name>', 'a design variant (repeatable; default: all the scenario lists)', collect)
    .option('--variant-file <file>', 'a variant of your own: a TypeScript file exporting defineVariant({...}) (repeatable; docs/writing-variants.md)', collect)
    .option('--scenario-file <file>', 'a scenario of your own, in JSON or YAML')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--json', 'same as --format json: one JSON object on stdout')
    .addOption(new Option('--trace-format <format>', 'counterexample format').choices(['text', 'itf', 'mermaid']).default('text'))
    .addOption(new Option('--traces <which>', 'which counterexamples to print: auto (mismatches, one per flawed variant, known weaknesses), all, none').choices(['auto', 'all', 'none']).default('auto'))
    .option('--out <dir>', 'write every counterexample to this directory, one file each')
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
    .option('--no-color', 'no colours')
    .addHelpText('after', `\nExit codes: 0 every result matches its expectation; 1 a mismatch; 2 bad usage or input; 3 incomplete.\nScenarios: ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')}\nVariants: ${VARIANTS.map((v) => v.name).join(', ')}`)
    .action(async (o: CheckOpts) => setExit(await runCheck(o)));
