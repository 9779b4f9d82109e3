/**
 * Intern tables for the parts of a state: each distinct value (equal under the one canonical
 * serializer, canonicalKey) gets a small id. An object of the expected shape is keyed by the ids
 * of its field values (primitives directly, object fields by canonicalKey), which is equal
 * exactly when canonicalKey is, without serializing the whole object; any other shape falls back
 * to canonicalKey. The field value ids of each interned object are kept (`fieldVals`), so a
 * cache can key on one field of a device (StateCodec.valueAt).
 */
import { canonicalKey } from '../serialize.ts';

function deepFreeze<T>(v: T): T {
  if (v !== null && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
}

export class InternTable<T extends object> {
  private readonly byRef = new WeakMap<object, number>();
  private readonly byKey = new Map<string, number>();
  readonly values: T[] = [];
  /** Per field: primitive value -> id, and canonicalKey of an object value -> id (one id space each). */
  private readonly prims: Map<unknown, number>[];
  private readonly objs: Map<string, number>[];
  /** Per field: frozen object values by identity (a frozen value cannot change, so its key cannot). */
  private readonly objRefs: WeakMap<object, number>[];
  /** fieldVals[id * F + f]: the id of field f's value in the object with id `id`. */
  fieldVals = new Int32Array(256);

  constructor(
    /** The expected fields (the shape's keys), sorted. */
    readonly fields: readonly string[],
    private readonly onNew: () => void = () => {},
    /** Refuse objects of another shape (a read-recording view relies on every value having these fields). */
    private readonly strict = false,
    /**
     * Makes the object kept for a new value from it and its id (a copy with non-enumerable
     * helpers attached: values met elsewhere, such as a model's initial state, are not changed).
     */
    private readonly keep: ((v: T, id: number) => T) | null = null,
  ) {
    this.prims = fields.map(() => new Map());
    this.objs = fields.map(() => new Map());
    this.objRefs = fields.map(() => new WeakMap());
  }

  /** The id of value v of field f. */
  private valueId(f: number, v: unknown): number {
    const isObj = v !== null && typeof v === 'object';
    // An object value met before (a global patch carries the same object to many states) is found by identity.
    const known = isObj ? this.objRefs[f]!.get(v) : undefined;
    if (known !== undefined) return known;
    const map: Map<unknown, number> = isObj ? this.objs[f]! : this.prims[f]!;
    const key = isObj ? canonicalKey(v) : v;
    let id = map.get(key);
    if (id === undefined) map.set(key, (id = this.prims[f]!.size + this.objs[f]!.size));
    if (isObj && Object.isFrozen(v)) this.objRefs[f]!.set(v, id);
    return id;
  }

  private otherShape(v: T): string {
    if (this.strict) throw new Error(`exploreFast: a value has fields {${Object.keys(v).sort().join(',')}}, expected {${this.fields.join(',')}}`);
    return `c${canonicalKey(v)}`;
  }

  /** The key of v; `like` (an id) names an interned value whose identical fields need no lookup. */
  private keyOf(v: T, like: number): string {
    const rec = v as unknown as Record<string, unknown>;
    const old = like >= 0 ? (this.values[like] as unknown as Record<string, unknown>) : null;
    const F = this.fields.length;
    if (Object.keys(rec).length !== F) return this.otherShape(v);
    let key = '';
    for (let f = 0; f < F; f++) {
      const name = this.fields[f]!;
      if (!Object.hasOwn(rec, name)) return this.otherShape(v);
      const x = rec[name];
      key += `${old !== null && old[name] === x ? this.fieldVals[like * F + f] : this.valueId(f, x)},`;
    }
    return key;
  }

  /** The id of v; `like`, when given, is the id of a value v probably shares most fields with (it was copied from it). */
  id(v: T, like = -1): number {
    const hit = this.byRef.get(v);
    if (hit !== undefined) return hit;
    const key = this.keyOf(v, like);
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.values.length;
      const kept = this.keep ? this.keep(v, id) : v;
      this.values.push(deepFreeze(kept));
      deepFreeze(v);
      this.byKey.set(key, id);
      this.byRef.set(v, id);
      this.byRef.set(kept, id);
      this.addFieldVals(v, id);
      this.onNew();
    }
    return id;
  }

  private addFieldVals(v: T, id: number): void {
    const F = this.fields.length;
    if ((id + 1) * F > this.fieldVals.length) {
      const bigger = new Int32Array(this.fieldVals.length * 2 + F);
      bigger.set(this.fieldVals);
      this.fieldVals = bigger;
    }
    for (let f = 0; f < F; f++) this.fieldVals[id * F + f] = this.valueId(f, (v as unknown as Record<string, unknown>)[this.fields[f]!]);
  }
}
