/**
 * The bit-packed visited set: every code added is found again with its id, before and after
 * the fields are widened for larger ids and after the hash table grows.
 */
import { describe, expect, it } from 'vitest';
import { PackedStore } from '../../src/engine/packed/packedStore.ts';

const code = (...xs: number[]) => Int32Array.from(xs);

describe('PackedStore', () => {
  it.each([
    ['with hash tags in the table', undefined],
    ['when the table drops its hash tags half-way (ids past 2^26)', 10000],
  ])('finds every code it added, across widening and rehashing, %s', (_, tagUntil) => {
    const k = 5;
    const store = new PackedStore(k, 3, 3, tagUntil);
    const packed = new Uint32Array(k);
    const codes: Int32Array[] = [];
    let maxG = 0;
    let maxD = 0;
    for (let i = 0; i < 20000; i++) {
      const c = code(i % 7, (i * 3) % 11, i % 4, (i >> 2) % 5, i >> 4);
      maxG = Math.max(maxG, c[0]!);
      maxD = Math.max(maxD, ...c.subarray(1));
      store.widen(maxG, maxD);
      store.pack(c, packed);
      const r = store.findOrAdd(packed);
      expect(r).toBe(~codes.length);
      codes.push(c);
    }
    const back = new Int32Array(k);
    codes.forEach((c, id) => {
      store.unpack(id, back);
      expect([...back]).toEqual([...c]);
      store.pack(c, packed);
      expect(store.findOrAdd(packed)).toBe(id);
    });
    expect(store.count).toBe(codes.length);
  });

  it('put() rewrites one field of a packed code', () => {
    const store = new PackedStore(3, 15, 15);
    const a = new Uint32Array(3);
    const b = new Uint32Array(3);
    store.pack(code(1, 2, 3), a);
    store.put(a, 2, 9);
    store.pack(code(1, 2, 9), b);
    expect([...a.subarray(0, store.words)]).toEqual([...b.subarray(0, store.words)]);
  });
});
