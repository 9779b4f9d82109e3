/**
 * What one step changed in a group's translation state (GroupTranslation: pages, page table,
 * IOTLB, DMA handles, and whatever part comes next, such as a device's ATC), one line per entry:
 *
 *   pages[0] free→kernel (03:00.0)
 *   pagetable.ptes[0] NULL→page 0
 *   iotlb[default, iova 0] page 0→page 0, stale
 *   handles[03:00.0, iova 0] page 0→NULL
 *
 * Written over the parts generically, never field by field, so a new part shows without a change
 * here: a list whose entries all carry an `iova` is a set keyed by its entries' identity fields
 * (device, domain, PASID, IOVA: a cache or a list of handles), an entry added or dropped shows as
 * NULL on one side; any other list is positional (a page by its number, a PTE by its IOVA page);
 * an object holding lists or objects is walked into; anything else is one value, written short.
 */
import type { Scenario } from '../machines/scenario.ts';

/** One changed entry: its path below the group, and its value before and after as text (null: absent). */
export interface TranslationChange {
  path: string;
  from: string | null;
  to: string | null;
}

/** Fields whose numbers are device slots (`dev`, a list of devices such as the ATS enables): written by the devices' names. */
const DEVICE_FIELDS = new Set(['dev', 'devs', 'devices', 'enabled']);

/** The fields that say which entry of a keyed list an object is, in the order they are written. */
const IDENTITY_KEYS = ['dev', 'domain', 'pasid', 'iova'] as const;

type Plain = Record<string, unknown>;
const isObject = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => a === b || JSON.stringify(a) === JSON.stringify(b);

/** One identity or value field in words: `03:00.0`, `PASID 1`, `iova 0`, `page 2`. */
function fieldText(k: string, v: unknown, scenario: Scenario): string | null {
  if (k === 'dev' && typeof v === 'number') return scenario.devices[v]?.name ?? `dev ${v}`;
  if (k === 'pasid') return v === null ? 'no PASID' : `PASID ${String(v)}`;
  if (k === 'iova') return `iova ${String(v)}`;
  if (k === 'phys') return `page ${String(v)}`;
  if (k === 'buffer') return `buffer page ${String(v)}`;
  if (k === 'stale') return v === true ? 'stale' : null;
  if (k === 'domain' || k === 'state' || k === 'phase') return String(v);
  return `${k} ${valueText(v, scenario)}`;
}

/**
 * A value in a few words: a page `kernel (03:00.0)`, a translation `page 0, stale`, a handle
 * `page 1, buffer page 0` (bounced), a pending unmap `03:00.0, iova 0, pte_cleared`, a list `[0, 1]`.
 */
export function valueText(v: unknown, scenario: Scenario): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return `[${v.map((x) => valueText(x, scenario)).join(', ')}]`;
  if (!isObject(v)) return String(v);
  // A handle's buffer is worth a word only when it is not the mapped page (a bounce slot).
  const fields = Object.entries(v).filter(([k, x]) => !(k === 'buffer' && x === v.phys));
  const words = fields.filter(([k]) => k !== 'state').flatMap(([k, x]) => fieldText(k, x, scenario) ?? []);
  if ('state' in v) return words.length ? `${String(v.state)} (${words.join(', ')})` : String(v.state);
  return words.join(', ');
}

/** A list whose entries all carry an IOVA: a cache or a list of handles, diffed as a set. */
const isKeyedList = (xs: readonly unknown[]): boolean => xs.length > 0 && xs.every((x) => isObject(x) && 'iova' in x);

/** An entry's identity in words (`default, iova 0`) and the rest of it, its value (`page 0, stale`; `present` when it has no other field). */
function splitEntry(e: Plain, scenario: Scenario): { key: string; value: string } {
  const key = IDENTITY_KEYS.filter((k) => k in e).map((k) => fieldText(k, e[k], scenario)!);
  const rest = Object.fromEntries(Object.entries(e).filter(([k]) => !(IDENTITY_KEYS as readonly string[]).includes(k)));
  return { key: key.join(', '), value: Object.keys(rest).length ? valueText(rest, scenario) : 'present' };
}

/** The entries added, dropped or changed between two keyed lists, in the order of the later list. */
function keyedChanges(path: string, a: readonly Plain[], b: readonly Plain[], scenario: Scenario): TranslationChange[] {
  const before = new Map(a.map((e) => [splitEntry(e, scenario).key, splitEntry(e, scenario).value] as const));
  const after = new Map(b.map((e) => [splitEntry(e, scenario).key, splitEntry(e, scenario).value] as const));
  const keys = [...new Set([...after.keys(), ...before.keys()])];
  return keys.flatMap((k) => {
    const from = before.get(k) ?? null;
    const to = after.get(k) ?? null;
    return from === to ? [] : [{ path: `${path}[${k}]`, from, to }];
  });
}

/** Something to walk into rather than print whole: an object with a list or an object inside. */
const isContainer = (v: unknown): v is Plain => isObject(v) && Object.values(v).some((x) => Array.isArray(x) || isObject(x));

/** The changes between `a` and `b` at `path` (either side may be absent). */
function partChanges(path: string, a: unknown, b: unknown, scenario: Scenario): TranslationChange[] {
  if (same(a, b)) return [];
  const la = Array.isArray(a) ? a : null;
  const lb = Array.isArray(b) ? b : null;
  if ((la || a == null) && (lb || b == null) && (la || lb)) {
    const xa = la ?? [];
    const xb = lb ?? [];
    const all = [...xa, ...xb];
    if (all.length && all.every((x) => !isObject(x) && !Array.isArray(x) && x !== null)) {
      const devices = DEVICE_FIELDS.has(path.slice(path.lastIndexOf('.') + 1)) && all.every((x) => typeof x === 'number');
      const text = (xs: readonly unknown[]) => (devices ? `[${xs.map((d) => scenario.devices[d as number]?.name ?? `dev ${String(d)}`).join(', ')}]` : valueText(xs, scenario));
      return [{ path, from: text(xa), to: text(xb) }];
    }
    if (isKeyedList(all)) return keyedChanges(path, xa as Plain[], xb as Plain[], scenario);
    return Array.from({ length: Math.max(xa.length, xb.length) }, (_, i) => partChanges(`${path}[${i}]`, xa[i], xb[i], scenario)).flat();
  }
  if (isContainer(a) || isContainer(b)) {
    const oa = isObject(a) ? a : {};
    const ob = isObject(b) ? b : {};
    const keys = [...new Set([...Object.keys(oa), ...Object.keys(ob)])];
    return keys.flatMap((k) => partChanges(path ? `${path}.${k}` : k, oa[k], ob[k], scenario));
  }
  return [{ path, from: a == null ? null : valueText(a, scenario), to: b == null ? null : valueText(b, scenario) }];
}

/**
 * What changed from translation state `a` to `b` of one group (either may be null: no
 * translation state), one entry per changed page, PTE, cache entry or handle; `prefix` goes
 * before each path (`group(2).` when the scenario names its groups).
 */
export function translationChanges(a: unknown, b: unknown, scenario: Scenario, prefix = ''): TranslationChange[] {
  return partChanges('', a ?? {}, b ?? {}, scenario).map((c) => ({ ...c, path: `${prefix}${c.path}` }));
}
