/**
 * Projections of the global part of a state onto the *places* a function read, for the caches
 * of ./scanCache.ts: the state invariants' device steps read a field or two of their group (its
 * domain, its owner), while the global part also holds counters (owner_cnt, the VFIO group's
 * counters, the iommufd groups' device counts) that take many values in a large group; keyed by
 * the whole global id the steps keep missing, keyed by the places they read they hit.
 *
 * A place is a field of one element of `groups`, `vfio_groups` or `containers` (one per IOMMU
 * group or context, fixed in length), the length of one of those, or a whole other part
 * (`iommufd_groups`, `warn`). `recordGlobal` gives a view of a global part that notes every place
 * a run reads (a field read, an `in` test or a key listing all count as reading it); a value
 * inside a place is handed out as it is, since the place is read whole.
 *
 * What the view cannot see: comparing global objects by identity, which the invariants do not do.
 */
import { canonicalKey } from '../serialize.ts';
import type { GlobalPart } from './codec.ts';

type Key = string | symbol;

/** Top-level arrays of the global part with one element per IOMMU group or context, fixed in length. */
const FIXED = new Set<Key>(['groups', 'vfio_groups', 'containers']);

/** The places one run read, as dot-separated keys ('groups.0.owner', 'groups.length', 'warn'; '' for all). */
export type Places = Set<string>;

const note = (places: Places, place: string, x: unknown) => (places.add(place), x);

/** The view of one element of a FIXED array: each field read is a place. */
class ElementView implements ProxyHandler<object> {
  constructor(
    private readonly v: object,
    private readonly prefix: string,
    private readonly places: Places,
  ) {}
  get(_t: object, k: Key): unknown {
    const x = Reflect.get(this.v, k);
    return typeof x === 'function' ? x : note(this.places, `${this.prefix}.${String(k)}`, x);
  }
  has(_t: object, k: Key): boolean {
    return note(this.places, `${this.prefix}.${String(k)}`, Reflect.has(this.v, k)) as boolean;
  }
  ownKeys(): Key[] {
    return note(this.places, this.prefix, Reflect.ownKeys(this.v)) as Key[];
  }
  getOwnPropertyDescriptor(_t: object, k: Key): PropertyDescriptor | undefined {
    this.places.add(this.prefix);
    const d = Reflect.getOwnPropertyDescriptor(this.v, k);
    return d && (k === 'length' && Array.isArray(this.v) ? { ...d, configurable: false, writable: true } : { ...d, configurable: true });
  }
  getPrototypeOf(): object | null {
    return Reflect.getPrototypeOf(this.v);
  }
  set(): boolean {
    return false;
  }
  defineProperty(): boolean {
    return false;
  }
  deleteProperty(): boolean {
    return false;
  }
}

/** The view of a FIXED array: its length is a place, its elements are ElementViews. */
class ArrayView extends ElementView {
  private readonly elements: (object | undefined)[] = [];
  constructor(
    private readonly a: readonly unknown[],
    private readonly name: string,
    private readonly noted: Places,
  ) {
    super(a, name, noted);
  }
  override get(t: object, k: Key): unknown {
    const x = Reflect.get(this.a, k);
    if (x === null || typeof x !== 'object') return super.get(t, k);
    const i = Number(k);
    return (this.elements[i] ??= new Proxy({}, new ElementView(x, `${this.name}.${i}`, this.noted)));
  }
}

/** A view of global part `part` that notes every place read into the returned set. */
export function recordGlobal(part: GlobalPart): { view: GlobalPart; places: Places } {
  const places: Places = new Set();
  const views: Record<string, unknown> = {};
  const root: ProxyHandler<object> = {
    get(_t, k) {
      const x = Reflect.get(part, k);
      if (FIXED.has(k) && Array.isArray(x)) return (views[k as string] ??= new Proxy([], new ArrayView(x, k as string, places)));
      return note(places, String(k), x);
    },
    has: (_t, k) => note(places, String(k), Reflect.has(part, k)) as boolean,
    ownKeys: () => note(places, '', Reflect.ownKeys(part)) as Key[],
    getOwnPropertyDescriptor: (_t, k) => {
      places.add('');
      const d = Reflect.getOwnPropertyDescriptor(part, k);
      return d && { ...d, configurable: true };
    },
  };
  return { view: new Proxy({}, root) as GlobalPart, places };
}

/** The value at place `path` in `part`, as a string (primitives tagged by type, objects canonical). */
function valueAt(part: GlobalPart, path: readonly string[]): string {
  let o: unknown = part;
  for (const k of path) o = o === null || o === undefined ? undefined : (o as Record<string, unknown>)[k];
  return o !== null && typeof o === 'object' ? canonicalKey(o) : `${typeof o}:${String(o)}`;
}

/**
 * The projection of global parts onto the places some recorded run depended on (the union of
 * their `placeOf`), and an id per distinct projection. Two global parts with the same projected
 * id agree on every place any recorded run read, so a run recorded on one takes the same path,
 * and has the same result, on the other. The union only grows; when it does, the ids change
 * (`version`), and what a caller keyed by them must be dropped.
 */
export class GlobalProjection {
  private readonly places: (readonly string[])[] = [];
  private readonly known = new Set<string>();
  private readonly ids = new Map<string, number>();
  private byGlobal: number[] = [];
  version = 0;

  constructor(private readonly globalOf: (g: number) => GlobalPart) {}

  /** The projected id of global part `g`. */
  idOf(g: number): number {
    if (this.places.length === 0) return 0;
    let id = this.byGlobal[g];
    if (id === undefined) {
      const part = this.globalOf(g);
      const key = this.places.map((p) => valueAt(part, p)).join('\u0000');
      id = this.ids.get(key);
      if (id === undefined) this.ids.set(key, (id = this.ids.size));
      this.byGlobal[g] = id;
    }
    return id;
  }

  /** Adds the places a run read; true when the union grew (the ids changed). */
  learn(places: Places): boolean {
    let grew = false;
    for (const k of places) {
      if (this.known.has(k)) continue;
      this.known.add(k);
      this.places.push(k === '' ? [] : k.split('.'));
      grew = true;
    }
    if (grew) {
      this.version++;
      this.byGlobal = [];
      this.ids.clear();
    }
    return grew;
  }
}
