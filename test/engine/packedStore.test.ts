/**
 * The bit-packed visited set: every code added is found again with its id, before and after
 * the fields are widened for larger ids and after the hash table grows.
 */
import { describe, expect, it } from 'vitest';
import { PackedStore } from '../../src/engine/packed/packedStore.ts';
import { addAndFindAgain, ROUND_TRIP_K } from '../helpers/packedStore.ts';

const code = (...xs: number[]) => Int32Array.from(xs);

describe('PackedStore', () => {
  it.each([
    ['with hash tags in the table', undefined],
    ['when the table drops its hash tags half-way (ids past 2^26)', 10000],
  ])('finds every code it added, across widening and rehashing, %s', (_, tagUntil) => {
    addAndFindAgain(new PackedStore(ROUND_TRIP_K, 3, 3, tagUntil), (id) => id);
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
