/**
 * A recording view of a state's global part, for the per-block caches of ./blockCache.ts: a kernel
 * call that sets a group's owner reads a field or two of the group and writes one, while the
 * group also holds its translation state (pages, page table, IOTLB, ATC), which every DMA
 * changes. Keyed by the whole global id, such a call misses after every DMA; keyed by the places
 * it read, it hits.
 *
 * A *place* (numbered by GlobalPlaces) is one field of one IOMMU group or VFIO group file, or a
 * whole other part (`containers`, `iommufd_groups`, `warn`). The view notes each place a run
 * reads:
 *
 * - `groups` and `vfio_groups` are frozen arrays (of fixed length in a scenario) of element views,
 *   Proxies whose field reads are places; spreading an element reads every field;
 * - `containers` and `iommufd_groups` are Proxies over the real arrays that note the whole part at
 *   any look (so spreading the state, `{ ...s, devices }`, notes nothing for them); `warn`, a
 *   string, is noted when the state's getter is read (a spread of the state reads it);
 * - patchElement (src/machines/state.ts) on an element view returns a patched element view, built
 *   without reading the other fields (as patchDevice does for device slots, ./recorder.ts).
 *
 * `writes` turns a successor built from the view into a *global patch*: per changed element the
 * fields a patch view set, or every field of a new element; per changed whole part its new value.
 * Applied to any global part that agrees on the places read, the patch gives the successor's
 * global part: a written value depends on the state only through recorded reads, and a field a
 * patch view did not set was copied without being looked at.
 */
import { ELEMENT_PATCH, PATCH_ELEMENT, type SystemState } from '../../machines/state.ts';
import type { GlobalPart } from './codec.ts';

/** One write of a global patch: [part, element index (-1: the whole part), field ('' : the whole element or part), value]. */
export type GlobalWrite = readonly [part: 'groups' | 'vfio_groups' | 'containers' | 'iommufd_groups' | 'warn', index: number, field: string, value: unknown];

/** Numbers the places: a field of a group or VFIO group file, a whole element, or a whole other part. */
export interface PlaceNumbers {
  field(part: 'groups' | 'vfio_groups', i: number, f: string): number;
  element(part: 'groups' | 'vfio_groups', i: number): number;
  whole(part: 'containers' | 'iommufd_groups' | 'warn'): number;
}

/** What an element view stands for: element i of `part`, with the fields of `patch` replaced. */
interface ElementTarget {
  readonly part: 'groups' | 'vfio_groups';
  readonly i: number;
  readonly patch: Readonly<Record<string, unknown>> | null;
  /** The unpatched element view (itself when patch is null). */
  base: object;
}

const TARGET: unique symbol = Symbol('iommu-mc.elementTarget');

export class GlobalRecording {
  /** Places read by the current run. */
  readonly read = new Set<number>();
  private raw: GlobalPart = { groups: [], vfio_groups: [], containers: [], iommufd_groups: [], warn: null };
  private readonly handler: ProxyHandler<ElementTarget>;

  constructor(private readonly places: PlaceNumbers) {
    this.handler = elementHandler(this);
  }

  /** Notes place p. */
  note(p: number): void {
    this.read.add(p);
  }

  /** The raw (interned) element a target stands for. */
  rawOf(t: ElementTarget): Readonly<Record<string, unknown>> {
    return this.raw[t.part][t.i] as unknown as Readonly<Record<string, unknown>>;
  }

  placeOf(t: ElementTarget, f: string): number {
    return this.places.field(t.part, t.i, f);
  }

  wholeElement(t: ElementTarget): number {
    return this.places.element(t.part, t.i);
  }

  /** A patched element view of t's element: t's patch merged with `more`. */
  patched(t: ElementTarget, more: object): object {
    const target: ElementTarget = { part: t.part, i: t.i, patch: { ...t.patch, ...more }, base: t.base };
    return new Proxy(target, this.handler);
  }

  /** The element views, made once: they read the current run's raw part. */
  private readonly views: Record<'groups' | 'vfio_groups', readonly object[]> = { groups: [], vfio_groups: [] };

  private viewsOf(part: 'groups' | 'vfio_groups', length: number): readonly object[] {
    if (this.views[part].length === length) return this.views[part];
    const out: object[] = [];
    for (let i = 0; i < length; i++) {
      const target: ElementTarget = { part, i, patch: null, base: null as unknown as object };
      const v = new Proxy(target, this.handler);
      target.base = v;
      out.push(v);
    }
    return (this.views[part] = Object.freeze(out));
  }

  /** Views of the whole `containers` and `iommufd_groups` parts, made once: they note the part at any look and answer with the current run's array. */
  private readonly wholeViews = {
    containers: this.wholeView('containers'),
    iommufd_groups: this.wholeView('iommufd_groups'),
  };

  private wholeView(part: 'containers' | 'iommufd_groups'): unknown {
    const raw = () => this.raw[part] as unknown as object;
    const note = () => this.read.add(this.places.whole(part));
    // An array target, so Array.isArray holds; its own `length` is reported non-configurable, as the target's is.
    return new Proxy([], {
      get: (_t, k) => (note(), Reflect.get(raw(), k)),
      has: (_t, k) => (note(), Reflect.has(raw(), k)),
      ownKeys: () => (note(), Reflect.ownKeys(raw())),
      getOwnPropertyDescriptor: (_t, k) => {
        note();
        const d = Reflect.getOwnPropertyDescriptor(raw(), k);
        return d && (k === 'length' ? { ...d, configurable: false, writable: true } : { ...d, configurable: true });
      },
      set: () => false,
      defineProperty: () => false,
      deleteProperty: () => false,
    });
  }

  /** Starts a run on global part `g`; returns the state with `devices` and this view of the global part. */
  begin(g: GlobalPart, devices: readonly SystemState['devices'][number][]): SystemState {
    this.read.clear();
    this.raw = g;
    const read = this.read;
    const warnPlace = this.places.whole('warn');
    return Object.freeze({
      groups: this.viewsOf('groups', g.groups.length),
      devices,
      vfio_groups: this.viewsOf('vfio_groups', g.vfio_groups.length),
      containers: this.wholeViews.containers,
      iommufd_groups: this.wholeViews.iommufd_groups,
      get warn() {
        read.add(warnPlace);
        return g.warn;
      },
    }) as unknown as SystemState;
  }

  /**
   * The global patch from the view `s` (from begin) to `next`, a successor built from it; null
   * when the global part is unchanged. May note places (an element view moved to another index).
   */
  writes(s: SystemState, next: SystemState): GlobalWrite[] | null {
    const out: GlobalWrite[] = [];
    for (const part of ['groups', 'vfio_groups'] as const) {
      if (next[part] === s[part]) continue;
      const mine = s[part] as readonly object[];
      const theirs = next[part] as readonly object[];
      if (theirs.length !== mine.length) throw new Error(`exploreFast: a successor has ${theirs.length} ${part}, the scenario ${mine.length}`);
      for (let i = 0; i < mine.length; i++) {
        const el = theirs[i]!;
        if (el === mine[i]) continue;
        const t = (el as { [TARGET]?: ElementTarget })[TARGET];
        if (t !== undefined && t.part === part && t.i === i && t.patch !== null) {
          for (const f in t.patch) out.push([part, i, f, t.patch[f]]);
        } else if (t !== undefined) {
          // An element view moved to another index: its value, whole.
          this.read.add(this.wholeElement(t));
          out.push([part, i, '', { ...this.rawOf(t), ...t.patch }]);
        } else out.push([part, i, '', el]);
      }
    }
    if (next.containers !== this.wholeViews.containers) out.push(['containers', -1, '', next.containers]);
    if (next.iommufd_groups !== this.wholeViews.iommufd_groups) out.push(['iommufd_groups', -1, '', next.iommufd_groups]);
    if (next.warn !== this.raw.warn) out.push(['warn', -1, '', next.warn]);
    return out.length === 0 ? null : out;
  }
}

/** The traps of the element views (see the module comment). */
function elementHandler(rec: GlobalRecording): ProxyHandler<ElementTarget> {
  const value = (t: ElementTarget, k: string): unknown => {
    if (t.patch !== null && Object.hasOwn(t.patch, k)) return t.patch[k];
    rec.note(rec.placeOf(t, k));
    return rec.rawOf(t)[k];
  };
  const keys = (t: ElementTarget): string[] => {
    rec.note(rec.wholeElement(t));
    const out = Object.keys(rec.rawOf(t));
    for (const k in t.patch) if (!out.includes(k)) out.push(k);
    return out;
  };
  return {
    get: (t, k) => {
      // Every element of a part has the same keys in every state (PlaceNumbers.field checks), so
      // a name that is not a field (toJSON, hasOwnProperty) reveals nothing: not a place.
      if (typeof k === 'string') return Object.hasOwn(rec.rawOf(t), k) || (t.patch !== null && Object.hasOwn(t.patch, k)) ? value(t, k) : (Object.prototype as unknown as Record<string, unknown>)[k];
      if (k === PATCH_ELEMENT) return (more: object) => rec.patched(t, more);
      if (k === ELEMENT_PATCH) return t.patch === null ? undefined : { base: t.base, patch: t.patch };
      if (k === TARGET) return t;
      return (Object.prototype as unknown as Record<symbol, unknown>)[k];
    },
    has: (t, k) => (typeof k === 'string' && (Object.hasOwn(rec.rawOf(t), k) || (t.patch !== null && Object.hasOwn(t.patch, k)))) || k in Object.prototype,
    ownKeys: (t) => keys(t),
    getOwnPropertyDescriptor: (t, k) => {
      if (typeof k !== 'string' || !(Object.hasOwn(rec.rawOf(t), k) || (t.patch !== null && Object.hasOwn(t.patch, k)))) return undefined;
      return { value: value(t, k), writable: false, enumerable: true, configurable: true };
    },
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
    setPrototypeOf: () => false,
  };
}
