/** What one step changed in the state, in kernel field names: `group.owner_cnt 0 -> 1`. */
import { namesGroups, scenarioGroups, type Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';
import { translationChanges } from './translationDiff.ts';

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
  /** A change of the translation path (pages, page table, IOTLB, ATC, DMA handles), one entry each. */
  translation?: true;
}

/** The scenario's name for context `c` (`ctx2` when it has none). */
export const contextName = (scenario: Scenario, c: number): string => scenario.contexts[c]?.name ?? `ctx${c}`;

/**
 * A field's value as a reader wants it: contexts by the names the scenario gave them (the state
 * keeps their indices), `ictx:0 (vm)` for an iommufd owner, `vm, hwpt 1` for a cdev binding.
 */
function shown(key: string, v: unknown, scenario: Scenario): unknown {
  if (v === null) return v;
  if ((key === 'opened_by' || key === 'group_fd') && typeof v === 'number') return contextName(scenario, v);
  if (key === 'owner' && typeof v === 'string' && v.startsWith('ictx:')) return `${v} (${contextName(scenario, Number(v.slice(5)))})`;
  if (key === 'iommufd' && typeof v === 'object') {
    const b = v as { ctx: number; hwpt: number | null };
    return `${contextName(scenario, b.ctx)}, hwpt ${b.hwpt ?? 'NULL'}`;
  }
  return typeof v === 'object' ? JSON.stringify(v) : v;
}

/**
 * The context indices in a reason (`ctx0`, `ictx:0`) written with the scenario's names:
 * `vm`, `ictx:0 (vm)`.
 */
export function nameContexts(text: string, scenario: Scenario): string {
  return text
    .replace(/\bictx:(\d+)(?! \()/g, (m, c) => `${m} (${contextName(scenario, Number(c))})`)
    .replace(/\bctx(\d+)\b/g, (m, c) => (scenario.contexts[Number(c)] ? contextName(scenario, Number(c)) : m));
}

/** A device field that holds translations by IOVA (a cache such as the ATC): diffed entry by entry, as the group's translation state. */
const isCacheList = (v: unknown): boolean => Array.isArray(v) && v.some((e) => typeof e === 'object' && e !== null && 'iova' in e);

/**
 * Flattens the state to `group.owner_cnt`, `igroup(vmm).hwpt`, `01:00.0.hw`, ...; nested values
 * print as compact JSON. The group's translation state and the device fields named in
 * `cacheFields` are left out: translationChanges diffs them entry by entry.
 */
function flatten(s: SystemState, scenario: Scenario, cacheFields: ReadonlySet<string> = new Set()): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const many = namesGroups(scenario);
  const groupName = (g: number) => scenarioGroups(scenario)[g]?.name ?? String(g);
  const ctxName = (c: number) => contextName(scenario, c);
  const leaf = (k: string, v: unknown) => shown(k, v, scenario);
  s.groups.forEach((g, gi) => {
    const at = many ? `(${groupName(gi)})` : '';
    for (const [k, v] of Object.entries(g)) if (!ENTRY_PARTS.has(k)) out.set(`group${at}.${k}`, leaf(k, v));
    for (const [k, v] of Object.entries(s.vfio_groups[gi] ?? {})) out.set(`vfio_group${at}.${k}`, leaf(k, v));
  });
  s.containers.forEach((c, ci) => {
    for (const [k, v] of Object.entries(c)) out.set(`container(${ctxName(ci)}).${k}`, leaf(k, v));
  });
  for (const ig of s.iommufd_groups) {
    const name = `igroup(${ctxName(ig.ctx)}${many ? `, ${groupName(ig.group)}` : ''})`;
    out.set(`${name}.hwpt`, ig.hwpt);
    out.set(`${name}.devices`, ig.devices);
  }
  s.devices.forEach((d, i) => {
    for (const [k, v] of Object.entries(d)) if (!cacheFields.has(k)) out.set(`${scenario.devices[i]?.name ?? i}.${k}`, leaf(k, v));
  });
  out.set('warn', s.warn);
  return out;
}

/** Group fields diffed entry by entry (translationChanges), not printed whole: the translation path and the PASID/PRI state. */
const ENTRY_PARTS = new Set(['translation', 'iopf']);

/**
 * The translation path's changes from `a` to `b`: each group's translation state (pages, page
 * table, IOTLB, DMA handles, ...), its PASID/PRI state (SVA bonds, page requests) and each
 * device's cache fields, one entry per changed entry.
 */
function translationDiff(a: SystemState, b: SystemState, scenario: Scenario, cacheFields: ReadonlySet<string>): FieldChange[] {
  const many = namesGroups(scenario);
  const groups = b.groups.flatMap((g, gi) => {
    const prefix = many ? `group(${scenarioGroups(scenario)[gi]?.name ?? gi}).` : '';
    return [...translationChanges(a.groups[gi]?.translation, g.translation, scenario, prefix), ...translationChanges(a.groups[gi]?.iopf, g.iopf, scenario, `${prefix}iopf.`)];
  });
  const devices = b.devices.flatMap((d, i) => {
    const name = scenario.devices[i]?.name ?? String(i);
    const before = a.devices[i] as unknown as Record<string, unknown> | undefined;
    const after = d as unknown as Record<string, unknown>;
    return [...cacheFields].flatMap((k) => translationChanges({ [k]: before?.[k] ?? [] }, { [k]: after[k] ?? [] }, scenario, `${name}.`));
  });
  return [...groups, ...devices].map((c) => ({ ...c, translation: true as const }));
}

/** The fields whose value differs between `a` and `b`; the translation path's changes come last, one entry each. */
export function diffStates(a: SystemState, b: SystemState, scenario: Scenario): FieldChange[] {
  const cacheFields = new Set([...a.devices, ...b.devices].flatMap((d) => Object.entries(d).flatMap(([k, v]) => (isCacheList(v) ? [k] : []))));
  const fa = flatten(a, scenario, cacheFields);
  const fb = flatten(b, scenario, cacheFields);
  const keys = [...new Set([...fa.keys(), ...fb.keys()])];
  const fields = keys.flatMap((path) => {
    const from = fa.get(path);
    const to = fb.get(path);
    return JSON.stringify(from) === JSON.stringify(to) ? [] : [{ path, from, to }];
  });
  return [...fields, ...translationDiff(a, b, scenario, cacheFields)];
}

/** `null` prints as NULL, as in the kernel. */
export const showValue = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'string' ? v : JSON.stringify(v));

/** One change: `group.owner_cnt 0→1`, `iotlb[default, iova 0] NULL→page 0`. */
export const formatChange = (x: FieldChange): string => `${x.path} ${showValue(x.from)}→${showValue(x.to)}`;

/** One line: `group.owner_cnt 0→1, 01:00.0.hw default→blocking`. */
export const formatChanges = (c: FieldChange[]): string => c.map(formatChange).join(', ');
