/**
 * Symmetry reduction over interchangeable devices: slots whose DeviceSpec is the same apart from
 * the name, where the scenario's p2p pairs are invariant under swapping them. Each state is
 * replaced by a representative of its orbit: within each class the device tuples are sorted by
 * an index-free key (the tuple with its own `private:D` domain written as `private:SELF` and any
 * other device's as `private:OTHER`), then by the slot's footprint in the groups' translation
 * and PASID state (its DMA handles, pages, ATC entries, SVA bond, page requests, work: see
 * src/machines/slotRenaming.ts), ties kept in slot order; the permutation is then applied to the
 * whole state, renaming every `private:D` domain and every slot the translation and PASID state
 * name (re-sorted as the model keeps them, the pages renumbered canonically), so a
 * representative is always a real state of the same orbit. Ties make the representative not
 * always unique (less reduction, never an unsound merge).
 *
 * Which classes: those a scenario declares (`Scenario.symmetry`, checked here to be sound), which
 * the checker uses by default, or all the engine finds (`--symmetry`).
 *
 * User contexts are not permuted (their specs differ in every built-in and scaling scenario).
 */
export { declaredSymmetryClasses, declaredSymmetryProblem, deviceSymmetryClasses } from '../../machines/scenarioSymmetry.ts';
import { canonicalKey } from '../serialize.ts';
import { iopfFootprint, renameSlotsInIopf, renameSlotsInTranslation, slotsInIopf, slotsInTranslation, translationFootprint } from '../../machines/slotRenaming.ts';
import type { GroupState } from '../../machines/state.ts';
import type { Code, StateCodec } from './codec.ts';

const PRIVATE = /^private:(\d+)$/;

/** Deep copy of plain data with every `private:D` string renamed to `private:perm[D]` (same ref when unchanged). */
function renameDeep<T>(v: T, perm: readonly number[]): T {
  if (typeof v === 'string') {
    const m = PRIVATE.exec(v);
    return (m ? `private:${perm[Number(m[1])] ?? Number(m[1])}` : v) as T;
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    let changed = false;
    const out = v.map((x) => {
      const y = renameDeep(x, perm);
      if (y !== x) changed = true;
      return y;
    });
    return (changed ? out : v) as T;
  }
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const y = renameDeep(x, perm);
    if (y !== x) changed = true;
    out[k] = y;
  }
  return (changed ? out : v) as T;
}

/** Rewrites `private:D` strings relative to slot `self`, for the index-free sort key. */
function indexFree(v: unknown, self: number): unknown {
  if (typeof v === 'string') {
    const m = PRIVATE.exec(v);
    return m ? (Number(m[1]) === self ? 'private:SELF' : 'private:OTHER') : v;
  }
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => indexFree(x, self));
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, indexFree(x, self)]));
}

/** The `D`s of the `private:D` strings in plain data `v`, appended to `out`. */
function privateRefs(v: unknown, out: number[]): number[] {
  if (typeof v === 'string') {
    const m = PRIVATE.exec(v);
    if (m) out.push(Number(m[1]));
  } else if (v !== null && typeof v === 'object') {
    for (const x of Object.values(v as object)) privateRefs(x, out);
  }
  return out;
}

/**
 * The id of part `id` renamed by `perm`, from `memo` keyed by the images of the slots it names
 * (`rename` computes it on a miss); `id` itself when it names none.
 */
function renamed(memo: Map<string, number>, id: number, slots: readonly number[], perm: readonly number[], rename: () => number): number {
  if (slots.length === 0) return id;
  const key = `${id}|${slots.map((d) => perm[d] ?? d).join(',')}`;
  let r = memo.get(key);
  if (r === undefined) memo.set(key, (r = rename()));
  return r;
}

/** Sorted, without repeats. */
const uniq = (xs: number[]): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** The slots group `grp`'s translation path and PASID state name (with repeats), appended to `out`. */
function slotsInPaths(grp: GroupState, out: number[]): number[] {
  if (grp.translation) slotsInTranslation(grp.translation, out);
  if (grp.iopf) slotsInIopf(grp.iopf, out);
  return out;
}

/** Group `grp` (its `private:D` domains renamed already) with the slots of its translation and PASID state renamed by `perm`. */
function renamePaths(grp: GroupState, perm: readonly number[]): GroupState {
  if (!grp.translation && !grp.iopf) return grp;
  return { ...grp, ...(grp.translation ? { translation: renameSlotsInTranslation(grp.translation, perm) } : {}), ...(grp.iopf ? { iopf: renameSlotsInIopf(grp.iopf, perm) } : {}) };
}

export class DeviceSymmetry {
  private readonly sortKeyIds = new Map<string, number>();
  private readonly perm: number[];
  private readonly order: number[] = [];
  private readonly sk: number[] = [];
  private readonly fk: number[] = [];
  /**
   * Renaming memos. The renamed value of a tuple (global part) depends on the permutation only
   * at the slots it names (`private:D` domains; the group's device list): per id, those slots
   * (once computed), and (id, their images) -> the renamed value's id.
   */
  private readonly tupleSlots: (number[] | undefined)[] = [];
  private readonly globalSlots: (number[] | undefined)[] = [];
  private readonly renamedTuples = new Map<string, number>();
  private readonly renamedGlobals = new Map<string, number>();
  private readonly moved: Int32Array;
  /** Scratch for twins(): 1 at the slots some part of the state names. */
  private readonly named: Uint8Array;
  /**
   * Footprint key ids per global id (see footprint()): one per slot, 0 for a slot the translation
   * and PASID state do not name; `noFootprints` is shared by every global part that names no
   * slot of a class there. `footprinted`: some global part met so far did.
   */
  private readonly footprints: (Int32Array | undefined)[] = [];
  private readonly footprintIds = new Map<string, number>([['', 0]]);
  private readonly noFootprints: Int32Array;
  private footprinted = false;

  constructor(
    readonly classes: readonly (readonly number[])[],
    private readonly codec: StateCodec,
  ) {
    this.perm = Array.from({ length: codec.n }, (_, i) => i);
    this.moved = new Int32Array(codec.n);
    this.named = new Uint8Array(codec.n);
    this.noFootprints = new Int32Array(codec.n);
    this.classOfSlot = new Int32Array(codec.n).fill(-1);
    this.positionOfSlot = new Int32Array(codec.n).fill(-1);
    classes.forEach((cls, c) =>
      cls.forEach((d, p) => {
        this.classOfSlot[d] = c;
        this.positionOfSlot[d] = p;
      }),
    );
  }

  /** Per slot: its class (index into `classes`) and its position in it, or -1. */
  private readonly classOfSlot: Int32Array;
  private readonly positionOfSlot: Int32Array;

  /** Sort key id + 1 per (tuple id * n + slot); 0: not computed yet. */
  private sortKeyCache = new Int32Array(1024);

  private sortKey(tupleId: number, slot: number): number {
    const memoKey = tupleId * this.codec.n + slot;
    if (memoKey < this.sortKeyCache.length) {
      const hit = this.sortKeyCache[memoKey]!;
      if (hit > 0) return hit - 1;
    } else {
      let size = this.sortKeyCache.length * 2;
      while (size <= memoKey) size *= 2;
      const grown = new Int32Array(size);
      grown.set(this.sortKeyCache);
      this.sortKeyCache = grown;
    }
    const key = canonicalKey(indexFree(this.codec.devices.values[tupleId], slot));
    let id = this.sortKeyIds.get(key);
    if (id === undefined) this.sortKeyIds.set(key, (id = this.sortKeyIds.size));
    this.sortKeyCache[memoKey] = id + 1;
    return id;
  }

  /**
   * The footprint key id of `slot` in global part `g`: what the groups' translation path and
   * PASID state hold for it, written without slot or page numbers (translationFootprint,
   * iopfFootprint), so that it is the same for two slots a permutation maps onto each other.
   * 0 when they do not name the slot. Compared after the tuple's sort key.
   */
  private footprint(g: number, slot: number): number {
    return (this.footprints[g] ??= this.footprintsOf(g))[slot]!;
  }

  private footprintsOf(g: number): Int32Array {
    const part = this.codec.globalOf(g);
    const slots = uniq(part.groups.flatMap((grp) => slotsInPaths(grp, []))).filter((d) => this.classOfSlot[d]! >= 0);
    if (slots.length === 0) return this.noFootprints;
    this.footprinted = true;
    const out = new Int32Array(this.codec.n);
    for (const d of slots) {
      const key = canonicalKey(part.groups.map((grp) => [grp.translation ? translationFootprint(grp.translation, d) : null, grp.iopf ? iopfFootprint(grp.iopf, d) : null]));
      let id = this.footprintIds.get(key);
      if (id === undefined) this.footprintIds.set(key, (id = this.footprintIds.size));
      out[d] = id;
    }
    return out;
  }

  /** Slot a sorts after slot b in the state coded by `code`: by tuple sort key, then footprint. */
  private after(code: Code, a: number, b: number): boolean {
    const ka = this.sortKey(code[1 + a]!, a);
    const kb = this.sortKey(code[1 + b]!, b);
    return ka > kb || (ka === kb && this.footprint(code[0]!, a) > this.footprint(code[0]!, b));
  }

  /** The class (index into `classes`) of a slot, or -1. */
  classOf(slot: number): number {
    return this.classOfSlot[slot]!;
  }

  /**
   * Slot `slot` can trade places with a class-mate in the state coded by `code` without the
   * state's global part or the slot's own tuple noticing: the tuple names no slot (`private:D`)
   * and the global part does not depend on the permutation at `slot`. Then for a class-mate j
   * with the same property, the transposition (slot j) maps the global part onto itself.
   */
  movable(code: Code, slot: number): boolean {
    const t = code[1 + slot]!;
    if ((this.tupleSlots[t] ??= uniq(privateRefs(this.codec.devices.values[t], []))).length > 0) return false;
    const g = code[0]!;
    return !(this.globalSlots[g] ??= this.globalSlotsOf(g)).includes(slot);
  }

  /** Patch `p` names no slot (`private:D`): the same patch under any permutation. */
  slotFreePatch(p: number): boolean {
    let free = this.slotFreePatches[p];
    if (free === undefined) this.slotFreePatches[p] = free = privateRefs(this.codec.patchOf(p), []).length === 0;
    return free;
  }
  private readonly slotFreePatches: boolean[] = [];

  /**
   * The code `code`, made from a canonical one by the writes (component, id) in
   * writes[0 .. nw), is canonical as it is: every written slot is still in (sort key, footprint)
   * order with its neighbours in its class (the other pairs were in order before; after a write
   * to the global part, which may change any footprint, every pair is checked). Then canonicalize
   * would leave it as it is (its insertion sort keeps ties in slot order).
   */
  inOrder(code: Code, writes: Int32Array, nw: number): boolean {
    for (let w = 0; w < nw; w += 2) {
      if (writes[w] !== 0) continue;
      // A new global part may change any slot's footprint: once some global part gave a class
      // slot one (this one's footprints computed first), every class is checked whole.
      const g = code[0]!;
      this.footprints[g] ??= this.footprintsOf(g);
      if (this.footprinted) return this.classesInOrder(code);
    }
    for (let w = 0; w < nw; w += 2) {
      const slot = writes[w]! - 1;
      if (slot < 0) continue;
      const p = this.positionOfSlot[slot]!;
      if (p < 0) continue;
      const cls = this.classes[this.classOf(slot)]!;
      if (p > 0 && this.after(code, cls[p - 1]!, slot)) return false;
      if (p + 1 < cls.length && this.after(code, slot, cls[p + 1]!)) return false;
    }
    return true;
  }

  /** Every class of the state coded by `code` is in (sort key, footprint) order. */
  private classesInOrder(code: Code): boolean {
    for (const cls of this.classes) for (let p = 1; p < cls.length; p++) if (this.after(code, cls[p - 1]!, cls[p]!)) return false;
    return true;
  }

  /** The permutation swapping slots i and j (a fresh array). */
  transposition(i: number, j: number): number[] {
    const perm = Array.from({ length: this.codec.n }, (_, x) => x);
    perm[i] = j;
    perm[j] = i;
    return perm;
  }

  /** The id of device tuple `t` with every `private:D` renamed to `private:perm[D]`. */
  renamedTuple(t: number, perm: readonly number[]): number {
    const slots = (this.tupleSlots[t] ??= uniq(privateRefs(this.codec.devices.values[t], [])));
    return renamed(this.renamedTuples, t, slots, perm, () => this.codec.deviceId(renameDeep(this.codec.devices.values[t]!, perm)));
  }

  /**
   * The id of global part `g` renamed by `perm`: `private:D` domains, each group's device list
   * (kept sorted), and the slots its translation path and PASID state name (renamePaths).
   */
  renamedGlobal(g: number, perm: readonly number[]): number {
    const slots = (this.globalSlots[g] ??= this.globalSlotsOf(g));
    return renamed(this.renamedGlobals, g, slots, perm, () => {
      const part = this.codec.globalOf(g);
      return this.codec.globalId({
        groups: part.groups.map((grp) => renamePaths({ ...renameDeep(grp, perm), devices: grp.devices.map((i) => perm[i]!).sort((a, b) => a - b) }, perm)),
        vfio_groups: renameDeep(part.vfio_groups, perm),
        containers: part.containers,
        iommufd_groups: part.iommufd_groups,
        warn: part.warn,
      });
    });
  }

  /**
   * The slots at which the permutation decides how global part `g` is renamed: those its
   * `private:D` domains name, those its translation path and PASID state name (slotsInPaths),
   * and the group's devices unless they are a union of whole classes (a permutation within the
   * classes maps that set onto itself, and the list is kept sorted).
   */
  private globalSlotsOf(g: number): number[] {
    const part = this.codec.globalOf(g);
    const lists = part.groups.map((grp) => new Set(grp.devices));
    const closedIn = (members: Set<number>) => this.classes.every((cls) => cls.every((d) => members.has(d)) || cls.every((d) => !members.has(d)));
    const named = part.groups.flatMap((grp, k) => (closedIn(lists[k]!) ? [] : [...grp.devices]));
    for (const grp of part.groups) slotsInPaths(grp, named);
    return uniq(privateRefs([part.groups, part.vfio_groups], named));
  }

  /**
   * Marks in `skip` the slots of the (canonical) state `code` whose events need not be expanded:
   * slot j is marked when an earlier slot i of its class holds the same device tuple and the
   * transposition (i j) maps the state onto itself: neither tuple names a slot (`private:D`), no
   * other tuple names i or j, and the global part does not depend on the permutation at i or j.
   * Then every successor by an event of slot j is the image under (i j) of one by the same event
   * of slot i, in the same orbit: expanding slot i alone reaches every orbit (the representative
   * reached may differ where canonicalize has ties; that is the reduction's usual leeway, never
   * an unsound merge). Returns how many slots were marked.
   */
  twins(code: Code, skip: Uint8Array): number {
    const n = this.codec.n;
    skip.fill(0);
    const named = this.named;
    named.fill(0);
    for (let i = 0; i < n; i++) {
      const t = code[1 + i]!;
      for (const d of (this.tupleSlots[t] ??= uniq(privateRefs(this.codec.devices.values[t], [])))) named[d] = 1;
    }
    const g = code[0]!;
    for (const d of (this.globalSlots[g] ??= this.globalSlotsOf(g))) named[d] = 1;
    let marked = 0;
    for (const cls of this.classes) {
      let first = -1;
      for (const slot of cls) {
        const t = code[1 + slot]!;
        if (named[slot] === 1 || this.tupleSlots[t]!.length > 0) continue;
        if (first >= 0 && code[1 + first] === t) {
          skip[slot] = 1;
          marked++;
        } else first = slot;
      }
    }
    return marked;
  }

  /**
   * Replaces `code` with its orbit representative's code: the devices sorted within each class,
   * the state renamed by that permutation (each renamed part computed once, then memoized).
   */
  canonicalize(code: Code): void {
    const perm = this.perm;
    let identity = true;
    for (const cls of this.classes) {
      const m = cls.length;
      const order = this.order;
      const sk = this.sk;
      const fk = this.fk;
      for (let j = 0; j < m; j++) {
        const slot = cls[j]!;
        order[j] = j;
        sk[j] = this.sortKey(code[1 + slot]!, slot);
        fk[j] = this.footprint(code[0]!, slot);
      }
      order.length = m;
      // Insertion sort by (sort key, footprint, slot): m is small.
      for (let j = 1; j < m; j++) {
        const x = order[j]!;
        let p = j - 1;
        while (p >= 0 && (sk[order[p]!]! > sk[x]! || (sk[order[p]!] === sk[x] && fk[order[p]!]! > fk[x]!))) {
          order[p + 1] = order[p]!;
          p--;
        }
        order[p + 1] = x;
      }
      for (let j = 0; j < m; j++) {
        // The device now at cls[order[j]] moves to cls[j].
        perm[cls[order[j]!]!] = cls[j]!;
        if (order[j] !== j) identity = false;
      }
    }
    if (identity) return;
    const n = this.codec.n;
    const moved = this.moved;
    for (let i = 0; i < n; i++) moved[perm[i]!] = this.renamedTuple(code[1 + i]!, perm);
    code[0] = this.renamedGlobal(code[0]!, perm);
    for (let i = 0; i < n; i++) code[1 + i] = moved[i]!;
    for (let i = 0; i < n; i++) perm[i] = i;
  }
}
