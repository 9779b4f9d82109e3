/**
 * Variant files: a user's own design variant in a TypeScript file, loaded with a dynamic import
 * (bin/iommu-mc.mjs registers the tsx loader, which strips types without checking them),
 * validated with zod, and checked on the built-in scenarios.
 *
 * The file default-exports the variant (`export default defineVariant({...})`), or a function
 * that receives the variant API (src/variantApi.ts) and returns it, or `export const variant`.
 * Every problem is one UsageError line naming the file, the field and what was expected (exit 2):
 * a missing file, a file that does not load (syntax error, failing import, process.exit, a load
 * that does not finish: ./variantImport.ts), an export that throws when read or has the wrong
 * shape, and an override that throws, returns something other than a well-formed KernelResult,
 * is not deterministic (./variantGuard.ts) or does not return (./watchdog.ts).
 *
 * Expectation of a variant file (docs/writing-variants.md): a scenario's violations are judged
 * against what the current kernel already breaks there (its manifest entry: the known weaknesses).
 * Invariants broken beyond that must be listed in `breaks`, or the row is a mismatch; and every
 * invariant in `breaks` must break, beyond the current kernel, on at least one checked scenario,
 * or the variant's first row (its showcase scenario's, when checked) is a mismatch. So an empty
 * `breaks` means "holds everywhere the current kernel holds".
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { judge, modelFor, type CheckResult, type Expectation, type Job, type runJob } from '../engine/check.ts';
import type { ExploreFastOptions } from '../engine/packed/exploreFast.ts';
import type { Scenario } from '../machines/scenario.ts';
import type { KernelFn } from '../machines/semantics/kernel.ts';
import type { ShownTrace } from '../report/traces.ts';
import { BUILTIN_SCENARIOS, findScenario } from '../scenarios/builtin.ts';
import { manifestEntry } from '../scenarios/manifest.ts';
import { loadScenarioFiles } from './scenarioInput.ts';
import { INVARIANT_IDS, KERNEL_FUNCTIONS, VARIANTS, variantApi, type Variant } from '../variantApi.ts';
import { UsageError } from './errors.ts';
import { oneOf } from './options.ts';
import { forbidProcessExit, guard, ProcessExitCalled, running } from './variantGuard.ts';
import { importVariant, withoutLoaderQuery } from './variantImport.ts';
import { CALL_SECONDS, LOAD_SECONDS, MIN_LOAD_SECONDS, runWatched, WatchdogFired } from './watchdog.ts';
import { readTextFile } from './files.ts';

/** A file name the loader accepts. */
export const VARIANT_FILE_EXT = /\.(?:ts|mts|js|mjs)$/i;

/** Variants loaded from files, with the file each came from. */
const loaded = new WeakMap<Variant, string>();
/** The invariants the current kernel breaks on a scenario of a variant-file job (its baseline). */
const baselines = new WeakMap<Scenario, readonly string[]>();

/** The file a variant was loaded from, or undefined for a built-in variant. */
export const variantFileOf = (v: Variant): string | undefined => loaded.get(v);

const pathOf = (p: readonly PropertyKey[]): string =>
  p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(the export)';

const nonEmpty = (what: string) => z.string({ error: `expected ${what} (a string)` }).trim().min(1, `expected ${what}, got an empty string`);

/** Edit distance, for "did you mean" on a misspelt kernel function. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return d[b.length]!;
}

const closest = (name: string): string => {
  const best = [...KERNEL_FUNCTIONS].sort((x, y) => distance(name, x) - distance(name, y))[0]!;
  return distance(name, best) <= Math.max(3, name.length / 4) ? `; did you mean ${best}?` : '';
};

const describeValue = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v);

/** The shape of an exported variant. */
export const variantSchema = z
  .object({
    name: z
      .string({ error: 'expected a kebab-case name (a string)' })
      .regex(/^[a-z0-9]+(?:[.-][a-z0-9]+)*$/, 'expected a kebab-case name: lower-case letters, digits, "-" and ".", e.g. "my-proposal"'),
    description: nonEmpty('one or two sentences on the rule this variant stands for'),
    source: nonEmpty('where the rule comes from: a commit, a thread URL, or "my proposal"'),
    kind: z.enum(['kernel', 'historical', 'proposed', 'seeded'], { error: 'expected one of "proposed", "historical", "seeded", "kernel"' }),
    breaks: z.array(z.enum(INVARIANT_IDS as [string, ...string[]], { error: `expected an invariant id: one of ${INVARIANT_IDS.join(', ')}` }), {
      error: 'expected an array of invariant ids, e.g. ["I1"] (empty when the variant should hold everywhere)',
    }),
    showcase: z.enum(BUILTIN_SCENARIOS.map((s) => s.name) as [string, ...string[]], { error: `expected a built-in scenario: one of ${BUILTIN_SCENARIOS.map((s) => s.name).join(', ')}` }).optional(),
    overrides: z.record(z.string(), z.unknown(), { error: 'expected an object of kernel functions, e.g. { iommu_device_use_default_domain(env, s, a) { ... } }' }).superRefine((o, ctx) => {
      for (const [k, v] of Object.entries(o)) {
        if (!KERNEL_FUNCTIONS.includes(k)) ctx.addIssue({ code: 'custom', path: [k], message: `not a function of the kernel rule table (src/machines/semantics/kernel.ts)${closest(k)}` });
        else if (typeof v !== 'function') ctx.addIssue({ code: 'custom', path: [k], message: `expected a function (env, s, args) => KernelResult, got ${describeValue(v)}` });
      }
    }),
  })
  .strict();

/** The most useful line of a load error: esbuild's "file:line:col: ERROR: ..." when present, else the first. */
function loadErrorText(e: unknown, abs: string, file: string): string {
  if (e instanceof ProcessExitCalled) return `its top level called process.exit(${String(e.code ?? '')}); a variant file may not end the process`;
  if (e instanceof WatchdogFired) return `${e.message} (an endless loop at the top level, or a top-level await that never settles?)`;
  const msg = withoutLoaderQuery(e instanceof Error ? e.message : String(e)).split(pathToFileURL(abs).href).join(file);
  const lines = msg.split('\n').map((l) => l.trim()).filter(Boolean);
  const syntax = lines.find((l) => /\bERROR:/.test(l));
  if (syntax) {
    const m = /:(\d+):(\d+): ERROR: (.*)$/.exec(syntax);
    return m ? `syntax error at line ${m[1]}, column ${Number(m[2]) + 1}: ${m[3]}` : `syntax error: ${syntax.split(abs).join(file)}`;
  }
  return `${e instanceof Error ? e.name : 'Error'}: ${(lines[0] ?? 'unknown error').split(abs).join(file)}`;
}

/** An exception's first line, without the transpiled module's data: URL or the loader's query. */
const errorLine = (e: unknown): string =>
  withoutLoaderQuery(`${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`.split('\n')[0]!).replace(/data:text\/javascript,\S*/g, '(the file)');

/**
 * The variant a module exports, validated. Everything that reads the user's objects (getters,
 * Proxies) runs inside one try: what it throws is one line, `reading the export threw`.
 */
function exportedVariant(mod: Record<string, unknown>, file: string): z.infer<typeof variantSchema> {
  try {
    // A CommonJS-compiled file's namespace has `default` = module.exports = { default?, variant? }.
    const cjs = mod.default !== null && typeof mod.default === 'object' && (mod.default as { __esModule?: unknown }).__esModule === true;
    const ns = cjs ? (mod.default as Record<string, unknown>) : mod;
    let exported = ns.default !== undefined ? ns.default : ns.variant;
    const field = ns.default !== undefined ? 'export default' : 'export const variant';
    if (exported === undefined) {
      throw new UsageError(`${file}: no variant exported; expected \`export default defineVariant({ ... })\`, \`export default (api) => api.defineVariant({ ... })\` or \`export const variant = ...\``);
    }
    if (typeof exported === 'function') {
      const restore = forbidProcessExit();
      try {
        exported = (exported as (api: typeof variantApi) => unknown)(variantApi);
      } catch (e) {
        throw new UsageError(`${file}: ${field}: the function threw ${errorLine(e)}; expected it to return a variant`);
      } finally {
        restore();
      }
    }
    if (exported === null || typeof exported !== 'object' || Array.isArray(exported)) {
      throw new UsageError(`${file}: ${field}: expected a variant object (defineVariant({ name, description, source, kind, breaks, overrides })), got ${describeValue(exported)}`);
    }
    const unknown = Object.keys(exported).filter((k) => !(k in variantSchema.shape));
    if (unknown.length) {
      throw new UsageError(`${file}: ${unknown[0]}: unknown field; expected only ${Object.keys(variantSchema.shape).join(', ')}`);
    }
    const r = variantSchema.safeParse(exported);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      const where = issue.path.length ? pathOf(issue.path) : field;
      throw new UsageError(`${file}: ${where}: ${issue.message}`);
    }
    return r.data;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: reading the export threw: ${errorLine(e)}`);
  }
}

/**
 * Loads, validates and guards the variant a file exports. Throws a one-line UsageError. Loading
 * may take `seconds` at most (./watchdog.ts).
 */
export async function loadVariantFile(file: string, seconds = LOAD_SECONDS): Promise<Variant> {
  const abs = resolve(file);
  // A regular file of at most 16 MiB, as every other input (a FIFO, a device or a directory is
  // refused by name); the import then reads it again.
  readTextFile(file);
  if (!VARIANT_FILE_EXT.test(file)) throw new UsageError(`${file}: expected a TypeScript variant file ending in .ts (or .mts, .js, .mjs)`);
  let mod: Record<string, unknown>;
  try {
    mod = await importVariant(abs, seconds);
  } catch (e) {
    throw new UsageError(`${file}: cannot load the file: ${loadErrorText(e, abs, file)}`);
  }
  const v = exportedVariant(mod, file);
  if (VARIANTS.some((b) => b.name === v.name)) throw new UsageError(`${file}: name: "${v.name}" is a built-in variant; expected a name of your own`);
  const overrides = Object.fromEntries(Object.entries(v.overrides).map(([k, fn]) => [k, guard(file, k, fn as KernelFn<unknown>)])) as Variant['overrides'];
  const variant: Variant = { ...v, breaks: [...new Set(v.breaks)], overrides };
  loaded.set(variant, file);
  return variant;
}

/** Loads several variant files; two files may not use the same name. */
export async function loadVariantFiles(files: readonly string[], seconds = LOAD_SECONDS): Promise<Variant[]> {
  const out: Variant[] = [];
  for (const f of files) {
    const v = await loadVariantFile(f, seconds);
    const dup = out.find((x) => x.name === v.name);
    if (dup) throw new UsageError(`${f}: name: "${v.name}" is also the name of the variant in ${variantFileOf(dup)}; expected distinct names`);
    out.push(v);
  }
  return out;
}

const placeholder: Expectation = { expected: 'holds', invariants: [], source: 'variant-file' };

/**
 * The jobs of `check --variant-file`: each file's variant on every built-in scenario (or the
 * `--scenario` ones, or the `--scenario-file` ones). Expectations are set by rejudgeVariantFiles
 * once every run is done.
 */
export async function variantFileJobs(files: readonly string[], o: { scenario?: string[]; scenarioFile?: readonly string[]; maxSeconds?: number }): Promise<Job[]> {
  let scenarios: Scenario[];
  if (o.scenarioFile?.length) {
    if (o.scenario?.length) throw new UsageError('--scenario and --scenario-file cannot be combined');
    scenarios = loadScenarioFiles(o.scenarioFile).map((f) => {
      const cur = f.expect.current;
      baselines.set(f.scenario, cur === undefined || cur === 'holds' ? [] : cur);
      return f.scenario;
    });
  } else {
    const names = BUILTIN_SCENARIOS.map((s) => s.name);
    scenarios = o.scenario?.length ? o.scenario.map((n) => findScenario(oneOf('--scenario', n, names))!) : [...BUILTIN_SCENARIOS];
    for (const s of scenarios) baselines.set(s, manifestEntry(s.name, 'current')?.invariants ?? []);
  }
  // --max-seconds bounds the load too, though never below what a slow machine needs to compile a file.
  const variants = await loadVariantFiles(files, Math.min(LOAD_SECONDS, Math.max(MIN_LOAD_SECONDS, o.maxSeconds ?? LOAD_SECONDS)));
  return variants.flatMap((variant) => scenarios.map((scenario) => ({ scenario, variant, expectation: placeholder })));
}

/**
 * Runs `fn` (a synchronous exploration, comparison or simulation) so that the code of any of
 * `variants` that came from a file runs guarded: process.exit refused, and an override call that
 * does not return within 10 s (or `maxSeconds`, when smaller) ends it with one line naming the
 * override (./watchdog.ts). Built-in variants run as they are.
 */
export function runGuarded<T>(variants: readonly Variant[], fn: () => T, maxSeconds?: number): T {
  const files = [...new Set(variants.map((v) => loaded.get(v)).filter((f): f is string => f !== undefined))];
  if (files.length === 0) return fn();
  const file = files.join(' or ');
  const seconds = Math.min(CALL_SECONDS, maxSeconds ?? Number.POSITIVE_INFINITY);
  const restore = forbidProcessExit();
  let failure: unknown;
  try {
    return runWatched(fn, seconds);
  } catch (e) {
    failure = e;
  } finally {
    restore();
  }
  const [outer, inner] = [running[0], running.at(-1)];
  running.length = 0;
  if (failure instanceof WatchdogFired) {
    const from = outer !== undefined && outer !== inner ? ` (called from overrides.${outer})` : '';
    throw new UsageError(`${file}: overrides.${inner ?? '?'}${from} did not return within ${seconds} s; an override must be a quick, pure function`);
  }
  if (failure instanceof Error && failure.message.startsWith('exploreFast: could not replay')) {
    throw new UsageError(
      `${file}: the overrides are not deterministic: replaying a counterexample's calls gave other results than exploring did (a counter, Math.random() or the clock in an override?); overrides must be pure functions of (env, s, args)`,
    );
  }
  throw failure;
}

/** One check job, its variant's file code guarded (runGuarded). */
export function runVariantJob(run: typeof runJob, job: Job, options: ExploreFastOptions): CheckResult {
  return runGuarded([job.variant], () => run(job, options), options.maxSeconds);
}

/** Invariants of `r` broken beyond what the current kernel breaks on the same scenario. */
const beyondBaseline = (r: CheckResult): string[] => {
  const base = baselines.get(r.model.scenario) ?? [];
  return r.result.violations.map((v) => v.invariant).filter((i) => !base.includes(i));
};

/**
 * Sets the expectation of every variant-file result (see the top of this file) and judges it
 * again, in place. Results of built-in variants are left alone.
 */
export function rejudgeVariantFiles(results: CheckResult[]): void {
  const byVariant = new Map<Variant, CheckResult[]>();
  for (const r of results) {
    if (!loaded.has(r.model.variant)) continue;
    byVariant.set(r.model.variant, [...(byVariant.get(r.model.variant) ?? []), r]);
  }
  const set = (r: CheckResult, invariants: string[]) => {
    r.expectation = { expected: invariants.length ? 'violated' : 'holds', invariants, source: 'variant-file' };
    Object.assign(r, judge(r.result, r.expectation));
  };
  for (const [variant, rs] of byVariant) {
    for (const r of rs) {
      const allowed = new Set([...(baselines.get(r.model.scenario) ?? []), ...variant.breaks]);
      set(r, r.result.violations.map((v) => v.invariant).filter((i) => allowed.has(i)));
    }
    if (rs.some((r) => !r.complete)) continue; // a bound hides violations: exit 3, no verdict on `breaks`
    const shown = new Set(rs.flatMap(beyondBaseline));
    const missing = variant.breaks.filter((i) => !shown.has(i));
    if (!missing.length) continue;
    const row = rs.find((r) => r.scenario === variant.showcase) ?? rs[0]!;
    set(row, [...new Set([...row.expectation.invariants, ...missing])]);
  }
}

/**
 * The counterexamples `check --traces auto` shows for variant files (src/report/traces.ts looks
 * variants up by name, so it does not know these): per invariant in `breaks`, the shortest
 * trace among the scenarios where it breaks beyond the current kernel, the showcase preferred.
 */
export function variantFileTraces(results: readonly CheckResult[]): ShownTrace[] {
  const best = new Map<string, { r: CheckResult; v: CheckResult['result']['violations'][number] }>();
  for (const r of results) {
    const variant = r.model.variant;
    const file = loaded.get(variant);
    if (!file) continue;
    const beyond = beyondBaseline(r);
    for (const v of r.result.violations) {
      if (!variant.breaks.includes(v.invariant) || !beyond.includes(v.invariant) || r.unexpected.includes(v.invariant)) continue;
      const key = `${variant.name}\u0000${v.invariant}`;
      const cur = best.get(key);
      const score = (x: { r: CheckResult; v: typeof v }) => [x.r.scenario === variant.showcase ? 0 : 1, x.v.steps.length] as const;
      const [s1, l1] = score({ r, v });
      const better = !cur || s1 < score(cur)[0] || (s1 === score(cur)[0] && l1 < score(cur)[1]);
      if (better) best.set(key, { r, v });
    }
  }
  return [...best.values()].map(({ r, v }) => ({
    heading: `── ${r.variant} breaks ${v.invariant} in ${r.scenario} (expected; variant file ${loaded.get(r.model.variant)}) ──`,
    violation: v,
    model: modelFor(r, v),
  }));
}

/** A variant by name, or loaded from a file when the name ends in .ts (for `diff`). */
export async function resolveVariant(nameOrFile: string, what: string): Promise<Variant> {
  if (VARIANT_FILE_EXT.test(nameOrFile)) return loadVariantFile(nameOrFile);
  const names = VARIANTS.map((v) => v.name);
  return VARIANTS.find((v) => v.name === oneOf(what, nameOrFile, names))!;
}
