/** A hash map from three non-negative int32s to a non-negative int, over one Int32Array. */
/** Open addressing, linear probing, load at most 0.7; entries (a, b, c, value + 1). */
export class TripleIndex {
  private keys = new Int32Array(4 << 10);
  private mask = (1 << 10) - 1;
  size = 0;

  private static hash(a: number, b: number, c: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13) ^ b, 0xc2b2ae35);
    h = Math.imul(h ^ (h >>> 16) ^ c, 0x85ebca6b);
    return (h ^ (h >>> 15)) >>> 0;
  }

  /** The value stored for (a, b, c), or -1. */
  get(a: number, b: number, c: number): number {
    const keys = this.keys;
    let slot = TripleIndex.hash(a, b, c) & this.mask;
    for (;;) {
      const at = slot << 2;
      const v = keys[at + 3]!;
      if (v === 0) return -1;
      if (keys[at] === a && keys[at + 1] === b && keys[at + 2] === c) return v - 1;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Stores `v` for (a, b, c), which must not be stored yet. */
  add(a: number, b: number, c: number, v: number): void {
    if ((this.size + 1) * 10 > (this.mask + 1) * 7) this.grow();
    const keys = this.keys;
    let slot = TripleIndex.hash(a, b, c) & this.mask;
    while (keys[(slot << 2) + 3] !== 0) slot = (slot + 1) & this.mask;
    const at = slot << 2;
    keys[at] = a;
    keys[at + 1] = b;
    keys[at + 2] = c;
    keys[at + 3] = v + 1;
    this.size++;
  }

  private grow(): void {
    const old = this.keys;
    this.keys = new Int32Array(old.length * 2);
    this.mask = this.mask * 2 + 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += 4) if (old[at + 3] !== 0) this.add(old[at]!, old[at + 1]!, old[at + 2]!, old[at + 3]! - 1);
  }
}

