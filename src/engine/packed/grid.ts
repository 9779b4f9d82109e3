/**
 * A map from two non-negative int32s (x, y) to a non-negative int: a dense row-major Int32Array
 * while it stays small (ids in a scenario are few and dense, so most lookups are one load from a
 * table that stays in cache), a hash map (./tripleIndex.ts) for pairs beyond that size.
 */
import { TripleIndex } from './tripleIndex.ts';

/** Entries the dense part may hold (4 bytes each). */
const MAX_DENSE = 1 << 22;

export class Grid {
  /** value + 1 at x * capY + y; 0 for none. */
  private cells = new Int32Array(64 * 16);
  private capX = 64;
  private capY = 16;
  private shiftY = 4;
  private overflow: TripleIndex | null = null;

  /** The value stored for (x, y), or -1. */
  get(x: number, y: number): number {
    if (x < this.capX && y < this.capY) return this.cells[(x << this.shiftY) + y]! - 1;
    return this.overflow === null ? -1 : this.overflow.get(x, y, 0);
  }

  /** Stores `v` for (x, y), which must not be stored yet. */
  set(x: number, y: number, v: number): void {
    if (x >= this.capX || y >= this.capY) this.grow(x, y);
    if (x < this.capX && y < this.capY) this.cells[(x << this.shiftY) + y] = v + 1;
    else (this.overflow ??= new TripleIndex()).add(x, y, 0, v);
  }

  /** Makes the dense part cover (x, y) unless that would pass MAX_DENSE. */
  private grow(x: number, y: number): void {
    if (this.overflow !== null) return;
    let capX = this.capX;
    let shiftY = this.shiftY;
    while (capX <= x) capX *= 2;
    while (1 << shiftY <= y) shiftY++;
    if (capX << shiftY > MAX_DENSE) return;
    const capY = 1 << shiftY;
    const cells = new Int32Array(capX * capY);
    for (let i = 0; i < this.capX; i++) cells.set(this.cells.subarray(i * this.capY, (i + 1) * this.capY), i * capY);
    this.cells = cells;
    this.capX = capX;
    this.capY = capY;
    this.shiftY = shiftY;
  }

  /** Bytes held by the dense part. */
  get bytes(): number {
    return this.cells.byteLength;
  }
}
