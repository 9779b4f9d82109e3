/**
 * A table from fixed-length tuples of small non-negative integers to ids, without a width limit
 * on the integers (the global part of a state is such a tuple: one id per IOMMU group, per VFIO
 * group, then the containers, iommufd groups and WARN). A 32-bit hash picks a bucket in a Map;
 * the bucket lists the ids whose tuples hash there, compared element by element against the
 * caller's list of tuples. Grows with the run: no value count ends it.
 */
export class TupleTable {
  private readonly buckets = new Map<number, number | number[]>();

  private static hash(t: Int32Array): number {
    let h = 0x811c9dc5 | 0;
    for (let k = 0; k < t.length; k++) {
      h = Math.imul(h ^ t[k]!, 0x01000193);
      h ^= h >>> 15;
    }
    return h;
  }

  /** The id of tuple `t` (compared against `tuples[id]`), or -1. */
  find(t: Int32Array, tuples: readonly Int32Array[]): number {
    const b = this.buckets.get(TupleTable.hash(t));
    if (b === undefined) return -1;
    if (typeof b === 'number') return equal(tuples[b]!, t) ? b : -1;
    for (const id of b) if (equal(tuples[id]!, t)) return id;
    return -1;
  }

  /** Records that tuple `t` has id `id` (the caller has checked it is new). */
  add(t: Int32Array, id: number): void {
    const h = TupleTable.hash(t);
    const b = this.buckets.get(h);
    if (b === undefined) this.buckets.set(h, id);
    else if (typeof b === 'number') this.buckets.set(h, [b, id]);
    else b.push(id);
  }
}

function equal(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}
