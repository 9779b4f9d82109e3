/** `iommu-mc diff A B`: differential checking of two variants (built-in names or variant files). */
import { Command, Option } from 'commander';
import { GROUPING_RULES, type GroupingRule } from '../../hardware/index.ts';
import { diffModels, type ScenarioDiff } from '../../engine/diff.ts';
import { buildModel } from '../../machines/model.ts';
import type { Scenario } from '../../machines/scenario.ts';
import { VARIANTS } from '../../machines/variants/index.ts';
import { diffJson, formatDiffSummary, formatScenarioDiff, type DiffModels } from '../../report/diffReport.ts';
import { BUILTIN_SCENARIOS, findScenario, scenarioWithGrouping } from '../../scenarios/builtin.ts';
import { loadScenarioFile } from '../scenarioInput.ts';
import { EXIT, UsageError } from '../errors.ts';
import { names, oneOf, positiveInt, positiveNumber } from '../options.ts';
import { startProgress } from '../progress.ts';
import { Interrupted, reportInterrupted, runInterruptibly, withSigint } from '../interrupt.ts';
import { resolveVariant, runGuarded } from '../variantFile.ts';
import { diffReportHtml } from '../../report/html/diffPage.ts';
import { writeFileAtomically } from '../files.ts';
import { checkHtmlPath, mermaidBundle } from '../htmlFile.ts';
import type { CommandFactory } from './commandFactory.ts';

interface DiffOpts {
  grouping?: GroupingRule;
  groupingB?: GroupingRule;
  scenario?: string[];
  scenarioFile?: string;
  json?: boolean;
  html?: string;
  maxStates?: number;
  heartbeat?: number;
  maxSeconds?: number;
  maxMemory?: number;
  examples?: number;
  color: boolean;
}

/** The scenarios to compare on, with their groups derived by `grouping` where given. */
function scenariosOf(o: DiffOpts, grouping: GroupingRule | undefined): Scenario[] {
  if (o.scenarioFile) {
    if (o.scenario?.length) throw new UsageError('--scenario and --scenario-file cannot be combined');
    return [loadScenarioFile(o.scenarioFile, grouping).scenario];
  }
  const names = BUILTIN_SCENARIOS.map((s) => s.name);
  const builtins = o.scenario?.length ? o.scenario.map((n) => findScenario(oneOf('--scenario', n, names))!) : [...BUILTIN_SCENARIOS];
  return builtins.map((s) => scenarioWithGrouping(s, grouping));
}

async function runDiff(nameA: string, nameB: string, o: DiffOpts): Promise<number> {
  if (o.html) checkHtmlPath(o.html);
  const scenarios = scenariosOf(o, o.grouping);
  // Side B on its own grouping rule: the same machine and plan, grouped another way.
  const scenariosB = o.groupingB ? scenariosOf(o, o.groupingB) : scenarios;
  const a = await resolveVariant(nameA, 'VARIANT_A');
  const b = await resolveVariant(nameB, 'VARIANT_B');
  const progress = startProgress(scenarios.length, !o.json, { maxStates: o.maxStates ?? 2_000_000, heartbeat: o.heartbeat });
  const pairs: { diff: ScenarioDiff; models: DiffModels }[] = [];
  try {
    await withSigint(async (interrupted) => {
      for (const [i, s] of scenarios.entries()) {
        if (interrupted()) throw new Interrupted('interrupted');
        progress.job(s.name);
        const models = { a: buildModel(s, a), b: buildModel(scenariosB[i]!, b) };
        const options = {
          maxStates: o.maxStates ?? 2_000_000,
          maxSeconds: o.maxSeconds,
          maxMemory: o.maxMemory === undefined ? undefined : o.maxMemory * 2 ** 20,
          memoryBytes: () => process.memoryUsage.rss(),
          examples: o.examples ?? 3,
          onProgress: (_phase: string, states: number, seconds: number) => progress.states({ states, transitions: 0, queue: 0, depth: 0, seconds }),
        };
        pairs.push({ diff: runInterruptibly(() => runGuarded([a, b], () => diffModels(models.a, models.b, options), o.maxSeconds)), models });
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    progress.stop();
    reportInterrupted(`interrupted while comparing on ${progress.where().label} (${pairs.length} of ${scenarios.length} scenarios compared); no report was written`);
    return EXIT.INTERRUPTED;
  }
  progress.stop();
  const exit = pairs.every((p) => p.diff.complete) ? EXIT.OK : EXIT.INCOMPLETE;
  if (o.html) writeFileAtomically(o.html, diffReportHtml(pairs, exit, { mermaidJs: mermaidBundle() }));
  if (o.json) {
    process.stdout.write(`${JSON.stringify(diffJson(pairs, exit), null, 2)}\n`);
    return exit;
  }
  const color = o.color && !!process.stdout.isTTY;
  for (const p of pairs) process.stdout.write(`${formatScenarioDiff(p.diff, p.models, color)}\n\n`);
  process.stdout.write(`${formatDiffSummary(pairs.map((p) => p.diff), a.name, b.name)}\n`);
  return exit;
}

export const diffCommand: CommandFactory = (setExit) =>
  new Command('diff')
    .description('Compare two variants scenario by scenario: invariants one breaks and the other keeps, reachable states one has and the other lacks, and the shortest trace that tells them apart')
    .argument('<variant-a>', 'a variant name, or a variant file (FILE.ts, see docs/writing-variants.md)')
    .argument('<variant-b>', 'a variant name, or a variant file (FILE.ts)')
    .option('-s, --scenario <name>', 'a built-in scenario (repeatable; default: all)', names('--scenario', 'a scenario name'))
    .option('--scenario-file <file>', 'a scenario of your own, in JSON or YAML')
    .option('--json', 'one JSON object on stdout')
    .option('--html <file>', 'also write the comparison as one self-contained HTML page (docs/html-report.md)')
    .addOption(new Option('--grouping <rule>', 'derive the groups of scenarios with a topology by this rule: mainline or switch-groups').choices([...GROUPING_RULES]))
    .addOption(new Option('--grouping-b <rule>', 'derive side B\'s groups by this rule (compare two grouping rules on one machine: diff current current --grouping mainline --grouping-b switch-groups)').choices([...GROUPING_RULES]))
    .option('--examples <n>', 'example states to show per side', positiveInt('--examples'))
    .option('--max-states <n>', 'stop each exploration after this many distinct states (exit 3; default 2,000,000)', positiveInt('--max-states'))
    .option('--max-seconds <s>', 'stop the comparison of a scenario after this many seconds (exit 3)', positiveNumber('--max-seconds'))
    .option('--max-memory <mb>', 'stop once the process uses this many MiB (resident; exit 3)', positiveNumber('--max-memory'))
    .option('--heartbeat <s>', 'when stderr is not a terminal (a CI log), a progress line this often, in seconds (default 15)', positiveNumber('--heartbeat'))
    .option('--no-color', 'no colours')
    .addHelpText(
      'after',
      `\nDifferences are the answer, not an error: exit 0 when the comparison ran (whatever it found), 2 on bad usage or input, 3 when a bound cut exploration short.\nVariants: ${VARIANTS.map((v) => v.name).join(', ')}\nScenarios: ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')}`,
    )
    .action(async (a: string, b: string, o: DiffOpts) => setExit(await runDiff(a, b, o)));
