/**
 * The places of a state's global part (./globalView.ts) as numbers, the id of each place's value
 * in a global id (from the codec's intern tables, no serializing), and the global patches a
 * recorded run writes, interned and applied to global ids (memoized).
 *
 * Place numbers: a field of an IOMMU group or VFIO group file (by the codec's field order), a
 * whole element of those, and the whole `containers`, `iommufd_groups` and `warn` parts.
 */
import { canonicalKey } from '../serialize.ts';
import type { StateCodec } from './codec.ts';
import type { GlobalWrite, PlaceNumbers } from './globalView.ts';
import { Grid } from './grid.ts';
import { IdTable } from './idTable.ts';
import type { InternTable } from './internTable.ts';

/** Kinds of place; a place is kind + element index + field index, packed into one number. */
const GROUP_FIELD = 0;
const VFIO_FIELD = 1;
const GROUP = 2;
const VFIO = 3;
const CONTAINERS = 4;
const IOMMUFD_GROUPS = 5;
const WARN = 6;

export class GlobalPlaces implements PlaceNumbers {
  private readonly G: number;
  /** Per place: [kind, element, field]. */
  private readonly kinds: number[] = [];
  private readonly elems: number[] = [];
  private readonly fieldNos: number[] = [];
  private readonly byKey = new Map<string, number>();
  private readonly patches = new IdTable<string, readonly GlobalWrite[]>((w) => Object.freeze(w));
  /** (global id, patch id) -> patched global id. */
  private readonly applied = new Grid();

  constructor(private readonly codec: StateCodec) {
    this.G = codec.nGroups;
    this.scratch = new Int32Array(2 * this.G + 3);
  }

  private place(kind: number, i: number, f: number): number {
    const key = `${kind}.${i}.${f}`;
    let p = this.byKey.get(key);
    if (p === undefined) {
      p = this.kinds.length;
      this.kinds.push(kind);
      this.elems.push(i);
      this.fieldNos.push(f);
      this.byKey.set(key, p);
    }
    return p;
  }

  field(part: 'groups' | 'vfio_groups', i: number, f: string): number {
    const table = part === 'groups' ? this.codec.groups : this.codec.vfios;
    const at = table.fields.indexOf(f);
    // A field the codec's tuples do not have (another shape): the whole element.
    if (at < 0) return this.element(part, i);
    return this.place(part === 'groups' ? GROUP_FIELD : VFIO_FIELD, i, at);
  }

  element(part: 'groups' | 'vfio_groups', i: number): number {
    return this.place(part === 'groups' ? GROUP : VFIO, i, 0);
  }

  whole(part: 'containers' | 'iommufd_groups' | 'warn'): number {
    return this.place(part === 'containers' ? CONTAINERS : part === 'iommufd_groups' ? IOMMUFD_GROUPS : WARN, 0, 0);
  }

  /** The id of place p's value in global id g (equal ids: equal values). */
  valueOf(p: number, g: number): number {
    const t = this.codec.globalParts[g]!;
    const G = this.G;
    const i = this.elems[p]!;
    switch (this.kinds[p]) {
      case GROUP_FIELD: {
        const F = this.codec.groups.fields.length;
        return this.codec.groups.fieldVals[t[i]! * F + this.fieldNos[p]!]!;
      }
      case VFIO_FIELD: {
        const F = this.codec.vfios.fields.length;
        return this.codec.vfios.fieldVals[t[G + i]! * F + this.fieldNos[p]!]!;
      }
      case GROUP:
        return t[i]!;
      case VFIO:
        return t[G + i]!;
      case CONTAINERS:
        return t[2 * G]!;
      case IOMMUFD_GROUPS:
        return t[2 * G + 1]!;
      default:
        return t[2 * G + 2]!;
    }
  }

  /** The id of a global patch. */
  patchId(w: readonly GlobalWrite[]): number {
    return this.patches.idOf(canonicalKey(w), w);
  }

  /**
   * Per patch, its writes as tuple operations (made at the patch's first use): per element, the
   * tuple position and the id of its field patch (an element id then maps to the patched one,
   * memoized) or of its new whole value; per whole part, the position and the id of its value.
   */
  private readonly ops: (Int32Array | undefined)[] = [];
  /** Per part (groups, VFIO group files): field patches by id, and (element id, patch id) -> patched element id. */
  private readonly fieldPatches = [new IdTable<string, Record<string, unknown>>(), new IdTable<string, Record<string, unknown>>()];
  private readonly patched = [new Grid(), new Grid()];
  private readonly scratch: Int32Array;

  /** Global id g with patch p applied. */
  apply(g: number, p: number): number {
    const hit = this.applied.get(g, p);
    if (hit >= 0) return hit;
    const ops = (this.ops[p] ??= this.opsOf(this.patches.values[p]!));
    const t = this.scratch;
    t.set(this.codec.globalParts[g]!);
    // ops: triples (position, kind, id): kind 0 sets the id, 1 and 2 patch the group or VFIO group file there.
    for (let x = 0; x < ops.length; x += 3) {
      const at = ops[x]!;
      const kind = ops[x + 1]!;
      t[at] = kind === 0 ? ops[x + 2]! : this.patchElement(kind - 1, t[at]!, ops[x + 2]!);
    }
    const id = this.codec.globalIdOfTuple(t);
    this.applied.set(g, p, id);
    return id;
  }

  /** Element `e` of part `k` (0 groups, 1 VFIO group files) with field patch `fp` applied. */
  private patchElement(k: number, e: number, fp: number): number {
    const hit = this.patched[k]!.get(e, fp);
    if (hit >= 0) return hit;
    const table = k === 0 ? this.codec.groups : this.codec.vfios;
    const id = (table as InternTable<object>).id({ ...table.values[e], ...this.fieldPatches[k]!.values[fp] }, e);
    this.patched[k]!.set(e, fp, id);
    return id;
  }

  private opsOf(writes: readonly GlobalWrite[]): Int32Array {
    const G = this.G;
    const fields = new Map<number, Record<string, unknown>>();
    const out: number[] = [];
    for (const [name, i, f, v] of writes) {
      if (name === 'groups' || name === 'vfio_groups') {
        const at = name === 'groups' ? i : G + i;
        if (f === '') {
          const table = name === 'groups' ? this.codec.groups : this.codec.vfios;
          out.push(at, 0, (table as InternTable<object>).id(v as object));
          fields.delete(at);
        } else fields.set(at, { ...fields.get(at), [f]: v });
      } else out.push(name === 'containers' ? 2 * G : name === 'iommufd_groups' ? 2 * G + 1 : 2 * G + 2, 0, this.codec.partId(name, v));
    }
    for (const [at, patch] of fields) {
      const k = at < G ? 0 : 1;
      out.push(at, 1 + k, this.fieldPatches[k]!.idOf(canonicalKey(patch), patch));
    }
    return Int32Array.from(out);
  }
}
