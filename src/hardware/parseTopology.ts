/**
 * Loads a topology file: JSON or YAML text → schema validation (zod) → buildTopology().
 * Every failure is one located error: file, path inside it, what was expected, what was found.
 */
import { parseYamlData as parseYaml } from '../util/yamlData.ts';
import type { z } from 'zod';
import { buildTopology } from './buildTopology.ts';
import { topologySpecSchema } from './topologySpec.ts';
import type { Topology } from './types.ts';

/** A located error in a topology file; `message` is the one-line form. */
export interface TopologyError {
  readonly file: string;
  /** Like `switches[0].ports[1].acs.ctrl`, or `(root)`. */
  readonly path: string;
  readonly expected: string;
  readonly got: string;
  readonly message: string;
}

/** The result of loading a topology file. */
export type ParseTopologyResult = { readonly ok: true; readonly topology: Topology } | { readonly ok: false; readonly error: TopologyError };

const fail = (file: string, path: string, expected: string, got: string): ParseTopologyResult => ({
  ok: false,
  error: { file, path, expected, got, message: `${file}: ${path}: expected ${expected}, got ${got}` },
});

/** Formats a zod path as `a[0].b`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  return out === '' ? '(root)' : out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = root;
  for (const k of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[k];
  }
  return cur;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function fromZod(file: string, raw: unknown, issue: z.core.$ZodIssue): ParseTopologyResult {
  if (issue.code === 'invalid_union') {
    // Prefer the branch that got furthest into the value (e.g. an { cap, ctrl } object
    // with one bad bit name) over the union's generic message.
    const deepest = issue.errors
      .flat()
      .filter((e) => e.path.length > 0)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest) return fromZod(file, raw, { ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue);
  }
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    return fail(file, formatPath([...issue.path, key]), 'no such key (check the spelling)', describe(key));
  }
  const got = describe(valueAt(raw, issue.path));
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    const what = issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'an object' : `a ${issue.expected}`;
    return fail(file, formatPath(issue.path), what, got);
  }
  if (issue.code === 'invalid_value') return fail(file, formatPath(issue.path), `one of ${issue.values.map((v) => String(v)).join(', ')}`, got);
  if (issue.code === 'too_small') return fail(file, formatPath(issue.path), 'at least one entry / a non-empty value', got);
  return fail(file, formatPath(issue.path), issue.message, got);
}

/**
 * Parses and validates a topology file. `format` defaults from the file name
 * (.json, .yaml/.yml); anything else is tried as JSON, then YAML.
 */
export function parseTopology(text: string, fileName: string, format?: 'json' | 'yaml'): ParseTopologyResult {
  if (text.trim() === '') return fail(fileName, '(root)', 'a topology document', 'an empty file');
  const fmt = format ?? (/\.json$/i.test(fileName) ? 'json' : /\.ya?ml$/i.test(fileName) ? 'yaml' : undefined);
  let raw: unknown;
  try {
    if (fmt === 'json') raw = JSON.parse(text);
    else if (fmt === 'yaml') raw = parseYaml(text);
    else {
      try {
        raw = JSON.parse(text);
      } catch {
        raw = parseYaml(text);
      }
    }
  } catch (e) {
    const msg = (e instanceof Error ? e.message : String(e)).split('\n')[0]!;
    return fail(fileName, '(root)', fmt === 'yaml' ? 'valid YAML' : 'valid JSON', `a syntax error (${msg})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail(fileName, '(root)', 'an object with name, rootPorts, switches, endpoints...', describe(raw));
  const parsed = topologySpecSchema.safeParse(raw);
  if (!parsed.success) return fromZod(fileName, raw, parsed.error.issues[0]!);
  const built = buildTopology(parsed.data);
  if (!built.ok) return fail(fileName, built.problem.path, built.problem.expected, built.problem.got);
  return { ok: true, topology: built.topology };
}
