/**
 * The shape of a state returned by a variant file's override: a structural check of SystemState
 * (src/machines/state.ts) against the scenario, so that a malformed state is one UsageError line
 * naming the field (`devices[0] is null; expected a device slot {...}`) instead of a TypeError
 * deep in the engine. It checks what the engine relies on: the fields of every part, their types,
 * domain and driver names, and the indices used to look up a context, group or device slot. The
 * values' consistency (counters, membership) is the TypeOK invariant's business, so that a
 * variant that miscounts gets a counterexample, not an error.
 *
 * Cheap by construction: a part identical to the input state's is not looked at (the engine's
 * read-recording views of `s` note every read, and a look at another device slot would spoil the
 * per-slot caching), and every object found well formed is remembered (a WeakSet per scenario),
 * so a state is checked once, and in it only what the override built.
 */
import { viewTargetOf } from '../engine/packed/recorder.ts';
import { isDriverName } from '../kernel/drivers.ts';
import { scenarioGroups, type Scenario } from '../machines/scenario.ts';
import type { SystemState } from '../machines/state.ts';

/** Sizes of the scenario's state: the limits of the indices a state may hold. */
interface Limits {
  groups: number;
  devices: number;
  contexts: number;
}

/** Where in a value something is wrong (".domain", "[2].pasid", or "" for the value itself), and what. */
interface Problem {
  at: string;
  what: string;
}

/** Checks one value: null when it fits, what was expected of it (a string), or a Problem inside it. */
type Check = (v: unknown, l: Limits) => string | Problem | null;

/** The result of check `c` on `v`, as a Problem found at `at`. */
function problemAt(at: string, v: unknown, c: string | Problem | null): Problem | null {
  if (c === null) return null;
  return typeof c === 'string' ? { at, what: `is ${shown(v)}; expected ${c}` } : { at: at + c.at, what: c.what };
}

const isIndex = (v: unknown, below: number): boolean => Number.isInteger(v) && (v as number) >= 0 && (v as number) < below;

const DOMAIN_NAMES = 'a domain name: "default", "blocking", "sva", "sva:MM", "container:CTX", "hwpt:CTX.N" or "private:DEV"';
const domainOk = (v: unknown, l: Limits): boolean => {
  if (v === 'default' || v === 'blocking' || v === 'sva') return true;
  // A process's SVA domain in a scenario with PASID values (src/machines/iopf.ts): sva:0 or sva:1.
  if (typeof v === 'string' && /^sva:[01]$/.test(v)) return true;
  const m = typeof v === 'string' ? /^(container|hwpt|private):(\d+)(?:\.(\d+))?$/.exec(v) : null;
  if (!m || (m[1] === 'hwpt') !== (m[3] !== undefined)) return false;
  return Number(m[2]) < (m[1] === 'private' ? l.devices : l.contexts);
};

const bool: Check = (v) => (typeof v === 'boolean' ? null : 'true or false');
const int: Check = (v) => (Number.isInteger(v) ? null : 'an integer');
const ctx: Check = (v, l) => (isIndex(v, l.contexts) ? null : `a context index (0..${l.contexts - 1})`);
const ctxOrNull: Check = (v, l) => (v === null || isIndex(v, l.contexts) ? null : `null or a context index (0..${l.contexts - 1})`);
const domain: Check = (v, l) => (domainOk(v, l) ? null : DOMAIN_NAMES);
const domainOrNull: Check = (v, l) => (v === null || domainOk(v, l) ? null : `null or ${DOMAIN_NAMES}`);
const owner: Check = (v, l) => {
  const m = typeof v === 'string' ? /^ictx:(\d+)$/.exec(v) : null;
  return v === null || v === 'vfio_group' || (m && Number(m[1]) < l.contexts) ? null : 'null, "vfio_group" or "ictx:CTX"';
};
const driver: Check = (v) => (v === null || (typeof v === 'string' && isDriverName(v)) ? null : 'null or a driver name of the catalogue (DRIVERS)');
const slot: Check = (v, l) => (isIndex(v, l.devices) ? null : `a device slot (0..${l.devices - 1})`);

/** An array whose every element passes `each`. */
const arrayOf = (each: Check, what: string): Check => (v, l) => {
  if (!Array.isArray(v)) return `an array of ${what}`;
  for (let i = 0; i < v.length; i++) {
    const p = problemAt(`[${i}]`, v[i], each(v[i], l));
    if (p) return p;
  }
  return null;
};

/**
 * A plain object with exactly the fields of `shape`, each passing its check. Of an engine's
 * device view (a slot of the input with a patch applied) only the patch is looked at: the other
 * fields are the input's, and reading them would be recorded as reads of the call.
 */
function record(shape: Record<string, Check>, what: string, optional: readonly string[] = []): Check {
  const expected = `${what} { ${Object.keys(shape).join(', ')} }`;
  return (v, l) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return expected;
    const view = viewTargetOf(v);
    const o = (view ? view.patch : v) as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!Object.hasOwn(shape, k)) return { at: '', what: `has an unknown field "${k}"; expected ${expected}` };
    for (const [k, check] of Object.entries(shape)) {
      if (!Object.hasOwn(o, k)) {
        if (view || optional.includes(k)) continue;
        return { at: '', what: `has no field "${k}"; expected ${expected}` };
      }
      const p = problemAt(`.${k}`, o[k], check(o[k], l));
      if (p) return p;
    }
    return null;
  };
}

const orNull = (c: Check): Check => (v, l) => {
  const r = v === null ? null : c(v, l);
  return typeof r === 'string' ? `null or ${r}` : r;
};

const page: Check = (v, l) => {
  const p = v as { state?: unknown; dev?: unknown; ctx?: unknown } | null;
  const owned = p?.state === 'kernel' || p?.state === 'kmalloc' || p?.state === 'bounce';
  // A user page pinned for DMA (src/machines/userMappings.ts): { state: 'pinned', ctx }.
  const pinned = p?.state === 'pinned' && isIndex(p.ctx, l.contexts) && Object.keys(p).length === 2;
  const fits = p !== null && typeof p === 'object' && (p.state === 'free' || p.state === 'reused' ? Object.keys(p).length === 1 : pinned || (owned && Number.isInteger(p.dev)));
  return fits ? null : 'a page { state: "free" | "reused" }, { state: "kernel" | "kmalloc" | "bounce", dev } or { state: "pinned", ctx }';
};
const translationEntry = record({ phys: int, stale: bool }, 'a translation');
/** GroupState.translation (src/machines/translation.ts), present only in scenarios with a DMA actor. */
const TRANSLATION = orNull(
  record(
    {
      pages: arrayOf(page, 'pages'),
      pagetable: record(
        {
          type: (v) => (v === 'DMA' || v === 'DMA-FQ' ? null : '"DMA" or "DMA-FQ"'),
          ptes: arrayOf(orNull(translationEntry), 'PTEs'),
          unmap: orNull(record({ dev: slot, iova: int, phase: (v) => (v === 'pte_cleared' || v === 'iotlb_done' ? null : '"pte_cleared" or "iotlb_done"') }, 'a pending unmap')),
          fq: arrayOf(int, 'IOVA pages'),
        },
        'an IO page table',
      ),
      iotlb: arrayOf(record({ domain, iova: int, phys: int, stale: bool }, 'an IOTLB entry'), 'IOTLB entries'),
      handles: arrayOf(record({ dev: slot, iova: int, phys: int, buffer: int }, 'a DMA handle'), 'DMA handles'),
      // src/machines/ats.ts, present only when a DMA actor of the group has `ats: true`.
      ats: record(
        {
          enabled: arrayOf(slot, 'device slots'),
          atc: arrayOf(record({ dev: slot, iova: int, domain, phys: int, stale: bool }, 'an ATC entry'), 'ATC entries'),
          tbPorts: arrayOf((v) => (typeof v === 'string' ? null : 'a port bdf (a string)'), 'port bdfs'),
        },
        'an ATS state',
      ),
      // src/machines/userMappings.ts, present only when a context with `mapDma` may take a DMA actor of the group.
      user: record(
        {
          ptes: arrayOf(orNull(record({ phys: int, stale: bool, domain }, 'a user PTE')), 'user PTEs'),
          unmap: orNull(
            record(
              { domain, iova: int, phys: int, phase: (v) => (v === 'pte_cleared' || v === 'synced' || v === 'unpinned' ? null : '"pte_cleared", "synced" or "unpinned"') },
              'a user unmap in progress',
            ),
          ),
        },
        'a user page table',
      ),
    },
    'a translation state',
    ['ats', 'user'],
  ),
);

/** GroupState.iopf (src/machines/iopf.ts), present only in scenarios with PASID values. */
const IOPF = record(
  {
    bonds: arrayOf(record({ dev: slot, mm: int }, 'an SVA bond'), 'SVA bonds'),
    pri: arrayOf(slot, 'device slots'),
    prq: arrayOf(record({ dev: slot, pasid: int, stale: bool }, 'a page request'), 'page requests'),
    exited: arrayOf(int, 'processes'),
    // PASID-tagged DMA (src/machines/svaWork.ts): the work in flight per device, present only while some is.
    work: arrayOf(record({ dev: slot, pasid: int, mm: int }, 'work in flight'), 'work in flight'),
  },
  'a PASID state',
  ['work'],
);

const GROUP = record(
  {
    owner,
    owner_cnt: int,
    domain: domainOrNull,
    default_domain: bool,
    blocking_domain: bool,
    pasid_array: arrayOf(record({ pasid: int, domain }, 'a PASID entry'), '{ pasid, domain }'),
    singleton_lockdown: bool,
    devices: arrayOf(slot, 'device slots'),
    translation: TRANSLATION,
    iopf: IOPF,
    // Staged resets (src/machines/reset.ts): present only in scenarios with a resettable device.
    recovery_cnt: int,
    // Cache coherency (src/machines/coherency.ts): the type1 vfio_domain's flag, present only in scenarios with a noSnoop device.
    enforce_cache_coherency: bool,
  },
  'an IOMMU group',
  ['translation', 'iopf', 'recovery_cnt', 'enforce_cache_coherency'],
);
const DEVICE = record(
  {
    present: bool,
    driver,
    hw: domainOrNull,
    group_fd: ctxOrNull,
    iommufd: orNull(record({ ctx, hwpt: orNull(int) }, 'an iommufd binding')),
    private_domain: bool,
    sva: bool,
    // Staged resets (src/machines/reset.ts): present only in scenarios with a resettable device.
    blocked: bool,
    reset_depth: int,
    resetting: int,
    // vDEVICEs (src/machines/semantics/iommufdViommu.ts): present only in scenarios with a viommu context.
    vdevice: (v) => (v === 'none' || v === 'initialized' || v === 'stored' || v === 'live' ? null : '"none", "initialized", "stored" or "live"'),
    // Fault queues (src/machines/semantics/iommufdFault.ts): present only in scenarios with a faultHwpts context.
    iopf_pending: (v, l) => (v === null || (typeof v === 'string' && /^hwpt:\d+\.\d+$/.test(v) && domainOk(v, l)) ? null : 'null or a hwpt domain "hwpt:CTX.N"'),
    // BAR access (src/machines/barAccess.ts): present only in scenarios with a barMmap device.
    command_memory: bool,
    bar_ptes: bool,
    memory_lock: bool,
    dma_buf: (v) => (v === 'none' || v === 'mapped' || v === 'revoked' ? null : '"none", "mapped" or "revoked"'),
    // Cache coherency (src/machines/coherency.ts): present only in scenarios with a noSnoop device.
    no_snoop_stale: bool,
    // VFIO hot reset (src/machines/hotReset.ts): present only in scenarios with a hotReset device.
    hot_reset: ctxOrNull,
  },
  'a device slot',
  ['blocked', 'reset_depth', 'resetting', 'vdevice', 'iopf_pending', 'command_memory', 'bar_ptes', 'memory_lock', 'dma_buf', 'no_snoop_stale', 'hot_reset'],
);
const VFIO_GROUP = record({ opened_by: ctxOrNull, container: bool, drivers: int, cdev_device_open_cnt: int, container_users: int, fd_closed: bool }, 'a VFIO group');
// Hwpt lifetimes (src/machines/semantics/iommufdHwpt.ts): present only on contexts with hwptLifetime.
// Cache coherency (src/machines/coherency.ts): enforce_cache_coherency present only on iommufd contexts of scenarios with a noSnoop device.
const CONTAINER = record(
  { iommu_set: bool, hwpt_allocated: arrayOf(bool, 'booleans, one per hwpt'), iommufd_open: bool, enforce_cache_coherency: arrayOf(orNull(bool), 'true, false or null, one per hwpt') },
  'a container',
  ['hwpt_allocated', 'iommufd_open', 'enforce_cache_coherency'],
);
const IOMMUFD_GROUP = record({ ctx: int, group: int, hwpt: int, devices: int }, 'an iommufd group');

/** A value as a message shows it. */
export function shown(v: unknown): string {
  if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

const TOP = ['groups', 'devices', 'vfio_groups', 'containers', 'iommufd_groups', 'warn'];
/** The lists of a state: name, the check of an entry, and the limit that is its length (null: any). */
const LISTS: readonly [string, Check, keyof Limits | null][] = [
  ['groups', GROUP, 'groups'],
  ['devices', DEVICE, 'devices'],
  ['vfio_groups', VFIO_GROUP, 'groups'],
  ['containers', CONTAINER, 'contexts'],
  ['iommufd_groups', IOMMUFD_GROUP, null],
];

/** Per scenario: its limits, and the objects already found well formed. */
const known = new WeakMap<Scenario, { l: Limits; seen: WeakSet<object> }>();

/**
 * What is wrong with `next`, a state an override returned for input `s` on `scenario`: a phrase
 * "a state whose devices[0] is null; expected ...", or null when it is well formed.
 */
export function stateProblem(next: unknown, s: SystemState, scenario: Scenario): string | null {
  if (next === s) return null;
  if (next === null || typeof next !== 'object' || Array.isArray(next)) return `${shown(next)} instead of a state`;
  let k = known.get(scenario);
  if (!k) known.set(scenario, (k = { l: { groups: scenarioGroups(scenario).length, devices: scenario.devices.length, contexts: scenario.contexts.length }, seen: new WeakSet() }));
  const { l, seen } = k;
  if (seen.has(next)) return null;
  const x = next as Record<string, unknown>;
  for (const k of Object.keys(x)) if (!TOP.includes(k)) return `a state with an unknown field "${k}"; expected only ${TOP.join(', ')}`;
  for (const [name, check, size] of LISTS) {
    const p = listProblem(x[name], check, size === null ? null : l[size], name === 'devices' ? s.devices : null, l, seen);
    if (p) return `a state whose ${name}${p.at} ${p.what}`;
  }
  if (x.warn !== null && typeof x.warn !== 'string') return `a state whose warn is ${shown(x.warn)}; expected null or a string`;
  seen.add(next);
  return null;
}

/** What is wrong with one list of a state, or null; entries identical to `input`'s are not looked at. */
function listProblem(v: unknown, check: Check, length: number | null, input: readonly unknown[] | null, l: Limits, seen: WeakSet<object>): Problem | null {
  if (input !== null && v === input) return null;
  const expected = length === null ? 'an array' : `an array of ${length}`;
  if (!Array.isArray(v)) return { at: '', what: `is ${shown(v)}; expected ${expected}` };
  if (seen.has(v)) return null;
  if (length !== null && v.length !== length) return { at: '', what: `has ${v.length} entries; expected ${expected}` };
  for (let i = 0; i < v.length; i++) {
    const e: unknown = v[i];
    const isObject = e !== null && typeof e === 'object';
    if ((input !== null && e === input[i]) || (isObject && seen.has(e))) continue;
    const p = problemAt(`[${i}]`, e, check(e, l));
    if (p) return p;
    if (isObject) seen.add(e);
  }
  seen.add(v);
  return null;
}
