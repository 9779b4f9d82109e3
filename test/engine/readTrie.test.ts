/**
 * The read-keyed cache: a result is found for every state that agrees with the recorded run on
 * what it read, and not for a state that differs there; a function that reads differently on
 * the same values (not pure) is refused.
 */
import { describe, expect, it } from 'vitest';
import { ReadTrie } from '../../src/engine/packed/readTrie.ts';
const code = (...xs: number[]) => Int32Array.from(xs);

describe('ReadTrie', () => {
  it('returns the cached value for every code that agrees on the components read', () => {
    const t = new ReadTrie<string>();
    t.set(0, [0, 5, 2, 7], 'a'); // read global = 5, then slot 1 (component 2) = 7
    expect(t.get(0, code(5, 0, 7, 0))).toBe('a');
    expect(t.get(0, code(5, 9, 7, 9))).toBe('a');
    expect(t.get(0, code(5, 0, 8, 0))).toBeUndefined();
    expect(t.get(1, code(5, 0, 7, 0))).toBeUndefined();
  });

  it('refuses a run that reads another component where an earlier run read one', () => {
    const t = new ReadTrie<string>();
    t.set(0, [0, 5, 2, 7], 'a');
    expect(() => t.set(0, [0, 5, 3, 7], 'b')).toThrow(/not pure/);
  });

  it('stores nothing beyond its node budget', () => {
    const t = new ReadTrie<string>(2);
    t.set(0, [0, 1, 1, 1], 'a');
    expect(t.get(0, code(1, 1, 0, 0))).toBeUndefined();
  });
});
