/**
 * The visited set with 64-bit fingerprints (`--fingerprints`), as TLC keeps its states: the hash
 * table holds, per state, two independent 32-bit hashes of its packed code instead of its id,
 * and a lookup compares those, never the stored code. A lookup then touches one table entry
 * instead of an entry and a code chunk, and the table grows without reading the codes; the codes
 * stay stored by id for the BFS queue and for traces.
 *
 * The price is soundness up to a probability: two distinct codes with the same fingerprint would
 * make the second look visited, and its successors would go unexplored. For n distinct states
 * with independent uniform 64-bit fingerprints, the chance that any two share one is at most
 * n(n-1)/2 / 2^64 (collisionProbability), which the checker reports with every result.
 */
import { PackedStore } from './packedStore.ts';

const MAX_LOAD = 0.7;
/** The second hash's seed (the first is PackedStore.hash's default). */
const SEED2 = 0x7f4a7c15;

/** At most the probability that two of `n` states share a 64-bit fingerprint: n(n-1)/2 / 2^64. */
export const collisionProbability = (n: number): number => (n * (n - 1)) / 2 / 2 ** 64;

/** Stores fingerprint (h1, h2) in the first empty entry of its probe sequence. */
function place(table: Int32Array, mask: number, h1: number, h2: number): void {
  let slot = h1 & mask;
  while ((table[slot << 1]! | table[(slot << 1) + 1]!) !== 0) slot = (slot + 1) & mask;
  table[slot << 1] = h1;
  table[(slot << 1) + 1] = h2;
}

export class FingerprintStore extends PackedStore {
  constructor(k: number, maxGlobal: number, maxDevice: number) {
    super(k, maxGlobal, maxDevice, undefined, 2);
    this.tableMask = (this.table.length >>> 1) - 1;
  }

  /**
   * The second half of the fingerprint of a[at .. at + words) whose first half is `h1`. (0, 0)
   * marks an empty entry, so that one fingerprint is stored as (0, 1): two of the 2^64 values
   * merge, which changes the collision bound by a factor of 1 + 2^-63.
   */
  private hash2(a: Uint32Array, at: number, h1: number): number {
    const h2 = this.hash(a, at, SEED2) | 0;
    return h1 === 0 && h2 === 0 ? 1 : h2;
  }

  override touch(hashes: Uint32Array, count: number): number {
    const table = this.table;
    const mask = this.tableMask;
    let x = 0;
    for (let i = 0; i < count; i++) x ^= table[(hashes[i]! & mask) << 1]!;
    return x;
  }

  /** Returns ~newId when added, 0 when a state with the same fingerprint is stored. */
  override findOrAddAt(a: Uint32Array, at: number, h: number): number {
    const table = this.table;
    const mask = this.tableMask;
    const h1 = h | 0;
    const h2 = this.hash2(a, at, h1);
    let slot = h & mask;
    for (;;) {
      const e = slot << 1;
      if (table[e + 1] === h2 && table[e] === h1) return 0;
      if ((table[e]! | table[e + 1]!) === 0) break;
      slot = (slot + 1) & mask;
    }
    const id = this.append(a, at);
    table[slot << 1] = h1;
    table[(slot << 1) + 1] = h2;
    if (this.count > (mask + 1) * MAX_LOAD) this.rehash((mask + 1) * 2);
    return ~id;
  }

  /** Doubles the table from the fingerprints alone (no code is read). */
  protected override rehash(size: number): void {
    const old = this.table;
    const table = new Int32Array(size * 2);
    for (let e = 0; e < old.length; e += 2) if ((old[e]! | old[e + 1]!) !== 0) place(table, size - 1, old[e]!, old[e + 1]!);
    this.table = table;
    this.tableMask = size - 1;
  }

  /** After widen() repacked the codes, fingerprints them again in the new layout. */
  protected override reindex(): void {
    const table = new Int32Array(this.table.length);
    for (let id = 0; id < this.count; id++) {
      const [chunk, at] = this.codeAt(id);
      const h1 = this.hash(chunk, at) | 0;
      place(table, this.tableMask, h1, this.hash2(chunk, at, h1));
    }
    this.table = table;
  }
}
