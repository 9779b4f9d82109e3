/**
 * `iommu-mc simulate`: random executions of a scenario's model with every invariant checked,
 * a violation shrunk to a short trace (src/engine/simulate.ts); `--replay` runs an ITF trace
 * back. Never says "holds": exit 0 means no violation was found, not that none exists.
 */
import { Command, Option } from 'commander';
import { replayCalls, simulate, simulationVerdict, type RecordedCall, type SimulationResult } from '../../engine/simulate.ts';
import type { Violation } from '../../engine/types.ts';
import { ERRNO, type Errno } from '../../kernel/errno.ts';
import { IOMMU_EVENT_TYPES, type IommuEvent } from '../../machines/events.ts';
import { buildModel, type Model } from '../../machines/model.ts';
import type { Scenario } from '../../machines/scenario.ts';
import { VARIANTS, type Variant } from '../../machines/variants/index.ts';
import { stepsJson } from '../../report/checkReport.ts';
import { renderTrace, type TraceFormat } from '../../report/traces.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../../scenarios/builtin.ts';
import { EXIT, UsageError } from '../errors.ts';
import { readTextFile } from '../files.ts';
import { intInRange, oneOf, positiveInt, positiveNumber } from '../options.ts';
import { loadScenarioFile } from '../scenarioInput.ts';
import { loadVariantFile, resolveVariant, runGuarded } from '../variantFile.ts';
import type { CommandFactory } from './commandFactory.ts';
import { parseShard } from '../options.ts';
import type { ShardSpec } from '../../report/merge.ts';

interface SimOpts {
  scenario?: string;
  scenarioFile?: string;
  variant?: string;
  variantFile?: string;
  runs: number;
  depth: number;
  seconds?: number;
  seed?: number;
  json?: boolean;
  traceFormat: TraceFormat;
  replay?: string;
  shard?: ShardSpec;
  color: boolean;
}

const MAX_SEED = 2 ** 31 - 1;

/**
 * Swarm testing over CI machines: shard K of N runs its own seed (the base seed moved by K times a
 * prime) and its own bias, runs of depth ceil(depth * K / N): short runs reach shallow flaws
 * often, long ones deep flaws at all. Shard 1/1 is the plain run.
 */
export function shardRun(seed: number, depth: number, shard: ShardSpec): { seed: number; depth: number } {
  if (shard.count === 1) return { seed, depth };
  return { seed: (seed + (shard.index - 1) * 7919) % MAX_SEED, depth: Math.max(1, Math.ceil((depth * shard.index) / shard.count)) };
}

/** The scenario the options name; `fallback` (a replayed trace's) when they name none. */
function scenarioOf(o: SimOpts, fallback?: string): Scenario {
  if (o.scenarioFile) {
    if (o.scenario) throw new UsageError('--scenario and --scenario-file cannot be combined');
    return loadScenarioFile(o.scenarioFile).scenario;
  }
  const name = o.scenario ?? fallback;
  if (!name) throw new UsageError('--scenario: expected a built-in scenario name or --scenario-file FILE');
  const names = BUILTIN_SCENARIOS.map((s) => s.name);
  return findScenario(oneOf(o.scenario ? '--scenario' : 'the trace\'s scenario (give --scenario or --scenario-file)', name, names))!;
}

/** The variant the options name; `fallback` (a replayed trace's), else current. */
async function variantOf(o: SimOpts, fallback?: string): Promise<Variant> {
  if (o.variantFile) {
    if (o.variant) throw new UsageError('--variant and --variant-file cannot be combined');
    return loadVariantFile(o.variantFile);
  }
  if (!o.variant && fallback && !VARIANTS.some((v) => v.name === fallback)) {
    throw new UsageError(`the trace was recorded under variant "${fallback}", not a built-in one; expected --variant NAME or --variant-file FILE`);
  }
  return resolveVariant(o.variant ?? fallback ?? 'current', '--variant');
}

const violationJson = (v: Violation, model: Model) => ({ invariant: v.invariant, kind: v.kind, reason: v.reason, calls: v.steps.length, steps: stepsJson(v, model) });

/** Per kernel call: enabled, fired, succeeded, errnos; the calls never enabled on one line. */
function formatCoverage(r: SimulationResult): string {
  const never = IOMMU_EVENT_TYPES.filter((t) => !r.coverage[t]);
  const lines = IOMMU_EVENT_TYPES.filter((t) => r.coverage[t]).map((t) => {
    const c = r.coverage[t]!;
    const errnos = Object.entries(c.errnos).map(([e, n]) => `-${e} ${n}`).join(', ');
    return `  ${t.padEnd(32)} enabled ${c.enabled}, fired ${c.fired}, ok ${c.ok}${errnos ? `, ${errnos}` : ''}${c.fired === 0 ? '  (never fired)' : ''}`;
  });
  if (never.length) lines.push(`  never enabled: ${never.join(', ')}`);
  return `Coverage of the random runs (per kernel call):\n${lines.join('\n')}`;
}

async function runSimulate(o: SimOpts): Promise<number> {
  if (o.replay) return runReplay(o.replay, o);
  const model = buildModel(scenarioOf(o), await variantOf(o));
  const shard = o.shard ?? { index: 1, count: 1 };
  const { seed, depth } = shardRun(o.seed ?? Math.floor(Math.random() * MAX_SEED), o.depth, shard);
  const r = runGuarded([model.variant], () => simulate(model, { runs: o.runs, depth, seed, seconds: o.seconds }), o.seconds);
  const exit = r.violation ? EXIT.MISMATCH : EXIT.OK;
  const head = { command: 'simulate', scenario: model.scenario.name, variant: model.variant.name, seed, runs: r.runs, depth: r.depth, shard: { index: shard.index, count: shard.count, baseSeed: o.seed ?? null } };
  if (o.json) {
    const json = {
      ...head,
      verdict: r.violation ? 'violated' : 'no-violation-found',
      violated: r.violated,
      message: simulationVerdict(r),
      interrupted: r.interrupted,
      shrunkFrom: r.shrunkFrom,
      shrunkTo: r.shrunkTo,
      search: r.search,
      violation: r.violation ? violationJson(r.violation, model) : null,
      coverage: r.coverage,
      exitCode: exit,
    };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return exit;
  }
  const color = o.color && !!process.stdout.isTTY;
  const swarm = shard.count > 1 ? ` (shard ${shard.index}/${shard.count}: its own seed and depth)` : '';
  process.stdout.write(`simulate ${model.scenario.name} under ${model.variant.name}: seed ${seed}, up to ${o.runs} runs of depth ${depth}${swarm}\n`);
  if (r.interrupted) process.stdout.write(`--seconds ${o.seconds} ran out after ${r.runs} runs\n`);
  if (r.violation) {
    const v = r.violation;
    const search = r.search!.shortest ? 'none shorter exists' : 'the search for a shorter one ran out of its state budget';
    process.stdout.write(`── ${model.variant.name} breaks ${v.invariant} in ${model.scenario.name} (first found in ${r.shrunkFrom} calls, shrunk to ${r.shrunkTo}, shortest search: ${v.steps.length}; ${search}) ──\n`);
    process.stdout.write(`${renderTrace(v, model, o.traceFormat, color)}\n\n`);
  }
  process.stdout.write(`${formatCoverage(r)}\n\n`);
  process.stdout.write(`${simulationVerdict(r)}${r.violation ? '' : ': not a proof; `iommu-mc check` is the one that can say "holds"'}\n`);
  process.stdout.write(`the same runs again: --seed ${seed} --depth ${depth}\n`);
  return exit;
}

interface ItfInput {
  scenario?: string;
  variant?: string;
  invariant?: string;
  calls: RecordedCall[];
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** One recorded call from an ITF state's `mbt::actionTaken` and `mbt::nondetPicks`. */
function recordedCall(file: string, st: unknown, i: number): RecordedCall {
  const at = `${file}: states[${i}]`;
  if (!isObject(st)) throw new UsageError(`${at}: expected an object`);
  const type = st['mbt::actionTaken'];
  if (typeof type !== 'string' || !(IOMMU_EVENT_TYPES as string[]).includes(type)) throw new UsageError(`${at}.mbt::actionTaken: expected a kernel call name, got ${JSON.stringify(type)}`);
  const picks = st['mbt::nondetPicks'];
  if (!isObject(picks)) throw new UsageError(`${at}.mbt::nondetPicks: expected an object of the call's arguments`);
  const event: Record<string, unknown> = { type };
  let errno: Errno | null = null;
  for (const [k, v] of Object.entries(picks)) {
    if (k === 'errno') {
      const name = typeof v === 'string' ? v.replace(/^-/, '') : '';
      if (!(name in ERRNO)) throw new UsageError(`${at}.mbt::nondetPicks.errno: expected an errno like "-EBUSY", got ${JSON.stringify(v)}`);
      errno = name as Errno;
    } else if (k === 'driver' ? typeof v === 'string' : Number.isSafeInteger(v)) {
      event[k] = v;
    } else {
      throw new UsageError(`${at}.mbt::nondetPicks.${k}: expected ${k === 'driver' ? 'a driver name' : 'a whole number'}, got ${JSON.stringify(v)}`);
    }
  }
  return { event: event as unknown as IommuEvent, errno };
}

/** Reads an ITF trace as `check --trace-format itf` writes it; bad input is one UsageError line. */
function readItf(file: string): ItfInput {
  let data: unknown;
  try {
    data = JSON.parse(readTextFile(file));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: expected an ITF trace in JSON (check --trace-format itf --out DIR writes one), got ${(e as Error).message}`);
  }
  if (!isObject(data) || !Array.isArray(data.states) || data.states.length === 0) throw new UsageError(`${file}: states: expected a non-empty array of ITF states`);
  const meta = isObject(data['#meta']) ? data['#meta'] : {};
  const source = typeof meta.source === 'string' ? /scenario (\S+), variant (\S+)/.exec(meta.source) : null;
  const invariant = typeof meta.description === 'string' ? /^Counterexample to (\S+):/.exec(meta.description)?.[1] : undefined;
  const calls = data.states.slice(1).map((st, i) => recordedCall(file, st, i + 1));
  return { scenario: source?.[1], variant: source?.[2], invariant, calls };
}

/** `--replay FILE`: exit 1 when the trace still breaks an invariant, 0 when not, 2 when it does not apply. */
async function runReplay(file: string, o: SimOpts): Promise<number> {
  const t = readItf(file);
  const model = buildModel(scenarioOf(o, t.scenario), await variantOf(o, t.variant));
  const r = runGuarded([model.variant], () => replayCalls(model, t.calls, t.invariant));
  const where = `${model.scenario.name} under ${model.variant.name}`;
  if (!r.applies) throw new UsageError(`${file}: states[${r.step}]: ${r.event.type} is not a call enabled at step ${r.step} on ${where}; the trace does not apply`);
  const v = r.violation;
  const same = v && (!t.invariant || v.invariant === t.invariant);
  const message = !v
    ? `no longer breaks ${t.invariant ?? 'any invariant'}: the ${t.calls.length} calls ran on ${where} and every invariant held`
    : `${same ? 'still breaks' : 'breaks'} ${v.invariant}${same ? '' : ` (the trace recorded ${t.invariant})`} after ${v.steps.length} calls on ${where}`;
  const exit = v ? EXIT.MISMATCH : EXIT.OK;
  if (o.json) {
    const json = { command: 'simulate --replay', file, scenario: model.scenario.name, variant: model.variant.name, recorded: t.invariant ?? null, stillBreaks: !!same, message, diverged: r.diverged, violation: v ? violationJson(v, model) : null, exitCode: exit };
    process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
    return exit;
  }
  for (const d of r.diverged) process.stdout.write(`call ${d.step} diverges from the recording: ${d.what}\n`);
  if (v) process.stdout.write(`── ${model.variant.name} breaks ${v.invariant} in ${model.scenario.name} (replayed from ${file}) ──\n${renderTrace(v, model, o.traceFormat, o.color && !!process.stdout.isTTY)}\n\n`);
  process.stdout.write(`${message}\n`);
  return exit;
}

export const simulateCommand: CommandFactory = (setExit) =>
  new Command('simulate')
    .description('Random executions of a scenario with every invariant checked, for models too large to explore exhaustively; a violation is shrunk to a short trace. Never says "holds"')
    .option('-s, --scenario <name>', 'a built-in scenario')
    .option('--scenario-file <file>', 'a scenario of your own, in JSON or YAML')
    .option('-v, --variant <name>', 'a design variant (default: current)')
    .option('--variant-file <file>', 'a variant of your own: a TypeScript file exporting defineVariant({...})')
    .option('--runs <n>', 'random runs (default 1000)', positiveInt('--runs'), 1000)
    .option('--depth <n>', 'calls per run at most (default 50)', positiveInt('--depth'), 50)
    .option('--seconds <s>', 'stop generating runs after this many seconds (the run count then depends on speed)', positiveNumber('--seconds'))
    .option('--seed <n>', `the random seed, 0..${MAX_SEED} (default: a fresh one, always printed): the same seed gives the same runs and the same trace`, intInRange('--seed', 0, MAX_SEED))
    .option('--shard <K/N>', 'swarm over CI machines: shard K of N runs its own seed (the --seed given moved by K) and runs of depth ceil(depth * K / N)', parseShard)
    .option('--json', 'one JSON object on stdout')
    .addOption(new Option('--trace-format <format>', 'counterexample format').choices(['text', 'itf', 'mermaid']).default('text'))
    .option('--replay <file>', 'run an ITF trace (check --trace-format itf --out DIR writes them) back on the model, by default its own scenario and variant, and say whether it still breaks')
    .option('--no-color', 'no colours')
    .addHelpText('after', `\nExit codes: 0 no violation found (NOT a proof: only check can say "holds"); 1 a violation found (or, with --replay, the trace still breaks); 2 bad usage or input (or a replayed trace that does not apply).\nScenarios: ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')}\nVariants: ${VARIANTS.map((v) => v.name).join(', ')}`)
    .action(async (o: SimOpts) => setExit(await runSimulate(o)));
