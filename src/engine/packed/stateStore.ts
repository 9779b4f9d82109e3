/**
 * The visited set: every state's packed code, stored once in one growing typed array indexed by
 * state id (BFS order), and an open-addressing hash table (linear probing, Int32Array of id + 1,
 * load factor at most 1/2) over those codes. No full snapshot is kept.
 */
import { makeKeyArray, type KeyArray, type Width } from './codec.ts';

export class StateStore {
  keys: KeyArray;
  private table: Int32Array;
  private mask: number;
  count = 0;

  constructor(
    readonly k: number,
    readonly width: Width,
    initialCapacity = 1 << 12,
  ) {
    this.keys = makeKeyArray(width, initialCapacity * k);
    this.table = new Int32Array(initialCapacity * 2);
    this.mask = this.table.length - 1;
  }

  private hash(a: KeyArray, at: number): number {
    let h = 0x811c9dc5 | 0;
    for (let i = 0; i < this.k; i++) {
      h = Math.imul(h ^ a[at + i]!, 0x01000193);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private equals(id: number, a: KeyArray, at: number): boolean {
    const base = id * this.k;
    const keys = this.keys;
    for (let i = 0; i < this.k; i++) if (keys[base + i] !== a[at + i]) return false;
    return true;
  }

  /** The id of code a[at .. at+k): an existing id (>= 0), or ~newId (< 0) when just added. */
  findOrAdd(a: KeyArray, at = 0): number {
    let slot = this.hash(a, at) & this.mask;
    const table = this.table;
    for (;;) {
      const v = table[slot]!;
      if (v === 0) break;
      if (this.equals(v - 1, a, at)) return v - 1;
      slot = (slot + 1) & this.mask;
    }
    const id = this.count++;
    if ((id + 1) * this.k > this.keys.length) {
      const bigger = makeKeyArray(this.width, this.keys.length * 2);
      bigger.set(this.keys);
      this.keys = bigger;
    }
    this.keys.set(a.subarray(at, at + this.k), id * this.k);
    table[slot] = id + 1;
    if (this.count * 2 > table.length) this.rehash();
    return ~id;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2);
    const mask = table.length - 1;
    for (let id = 0; id < this.count; id++) {
      let slot = this.hash(this.keys, id * this.k) & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = id + 1;
    }
    this.table = table;
    this.mask = mask;
  }

  /** Bytes held for the stored codes (used part) and the hash table. */
  bytes(): { codes: number; table: number } {
    return { codes: this.count * this.k * this.width, table: this.table.byteLength };
  }
}
