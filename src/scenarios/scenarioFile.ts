/**
 * A user's own scenario in JSON or YAML, validated with zod. Errors name the file, the field
 * path inside it and what was expected, on one line.
 */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DRIVER_NAMES } from '../kernel/drivers.ts';
import type { Scenario } from '../machines/scenario.ts';
import { declaredSymmetryProblem } from '../machines/scenarioSymmetry.ts';
import { VARIANTS } from '../machines/variants/index.ts';
import { INVARIANTS } from '../invariants/index.ts';
import { allPairs } from './builtin.ts';

const driver = z.enum(DRIVER_NAMES as [string, ...string[]]);
const variantName = z.enum(VARIANTS.map((v) => v.name) as [string, ...string[]]);

const deviceSchema = z.strictObject({
  name: z.string().min(1),
  drivers: z.array(driver).min(1),
  present: z.boolean().default(true),
  pasid: z.boolean().default(false),
  pasidAcsPath: z.boolean().default(false),
  requireDirect: z.boolean().default(false),
});

const contextSchema = z.strictObject({
  name: z.string().min(1),
  paths: z.array(z.enum(['vfio-group', 'iommufd'])).min(1),
  hwpts: z.number().int().min(1).max(4).default(1),
});

const expectSchema = z.union([z.literal('holds'), z.array(z.enum(INVARIANTS.map((i) => i.id) as [string, ...string[]])).min(1)], {
  error: `expected "holds" or a list of invariant ids (${INVARIANTS.map((i) => i.id).join(', ')})`,
});

export const scenarioFileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'a kebab-case name'),
  description: z.string().default(''),
  devices: z.array(deviceSchema).min(1).max(12),
  contexts: z.array(contextSchema).max(3).default([]),
  hotplug: z.boolean().default(false),
  p2p: z.union([z.enum(['all', 'none']), z.array(z.tuple([z.number().int().min(0), z.number().int().min(0)]))]).default('all'),
  /** Classes of device names declared interchangeable (checked; reduced by default). */
  symmetry: z.array(z.array(z.string().min(1)).min(2, 'a class needs at least two device names')).optional(),
  variants: z.array(variantName).min(1).default(['current']),
  expect: z.partialRecord(variantName, expectSchema).default({}),
});

export type ScenarioFile = z.infer<typeof scenarioFileSchema>;

/** A loaded scenario plus the expectations the file states per variant. */
export interface LoadedScenario {
  scenario: Scenario;
  expect: Partial<Record<string, 'holds' | string[]>>;
}

/** A located, one-line validation error. */
export class ScenarioFileError extends Error {}

const pathOf = (p: readonly PropertyKey[]): string =>
  p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), '') || '(top level)';

/** Parses and validates a scenario file's text; throws ScenarioFileError with file, field and expectation. */
export function parseScenarioFile(text: string, file: string): LoadedScenario {
  if (text.trim() === '') throw new ScenarioFileError(`${file}: the file is empty; expected a scenario (JSON or YAML)`);
  let data: unknown;
  try {
    data = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new ScenarioFileError(`${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = scenarioFileSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    throw new ScenarioFileError(`${file}: ${pathOf(issue.path)}: ${issue.message}`);
  }
  const f = r.data;
  const n = f.devices.length;
  for (const [i, pair] of (Array.isArray(f.p2p) ? f.p2p : []).entries()) {
    if (pair[0] >= n || pair[1] >= n) throw new ScenarioFileError(`${file}: p2p[${i}]: expected device indices below ${n}, got [${pair.join(', ')}]`);
  }
  for (const v of Object.keys(f.expect)) {
    if (!f.variants.includes(v)) throw new ScenarioFileError(`${file}: expect.${v}: expected a variant listed in "variants" (${f.variants.join(', ')})`);
  }
  const p2p = f.p2p === 'all' ? allPairs(n) : f.p2p === 'none' ? [] : f.p2p.map(([a, b]) => [a, b] as [number, number]);
  const scenario: Scenario = {
    name: f.name,
    description: f.description,
    devices: f.devices.map((d) => ({ ...d, drivers: d.drivers as Scenario['devices'][number]['drivers'] })),
    contexts: f.contexts,
    hotplug: f.hotplug,
    p2p,
    topology: null,
    variants: f.variants,
    ...(f.symmetry ? { symmetry: f.symmetry } : {}),
  };
  const sym = declaredSymmetryProblem(scenario);
  if (sym) throw new ScenarioFileError(`${file}: symmetry[${sym.index}]: ${sym.message}; expected names of interchangeable devices`);
  return { scenario, expect: f.expect };
}
