/** The visited sets' shared round trip (test/engine/packedStore.test.ts, fingerprintStore.test.ts). */
import { expect } from 'vitest';
import type { PackedStore } from '../../src/engine/packed/packedStore.ts';

/** Codes of the round trip: 5 components. */
export const ROUND_TRIP_K = 5;

/**
 * Adds 20,000 distinct codes to `store` (made with k = ROUND_TRIP_K and maxima 3), widening its
 * fields as the ids grow: each must be added under the next id. Then each is unpacked again and
 * looked up again, where findOrAdd must answer `found(id)`.
 */
export function addAndFindAgain(store: PackedStore, found: (id: number) => number): void {
  const k = ROUND_TRIP_K;
  const packed = new Uint32Array(k);
  const codes: Int32Array[] = [];
  let maxG = 0;
  let maxD = 0;
  for (let i = 0; i < 20000; i++) {
    const c = Int32Array.from([i % 7, (i * 3) % 11, i % 4, (i >> 2) % 5, i >> 4]);
    maxG = Math.max(maxG, c[0]!);
    maxD = Math.max(maxD, ...c.subarray(1));
    store.widen(maxG, maxD);
    store.pack(c, packed);
    expect(store.findOrAdd(packed)).toBe(~codes.length);
    codes.push(c);
  }
  const back = new Int32Array(k);
  codes.forEach((c, id) => {
    store.unpack(id, back);
    expect([...back]).toEqual([...c]);
    store.pack(c, packed);
    expect(store.findOrAdd(packed)).toBe(found(id));
  });
  expect(store.count).toBe(codes.length);
}
