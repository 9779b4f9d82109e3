/**
 * The visited set with 64-bit fingerprints (--fingerprints): it finds every state it added (across
 * widening and table growth), the engine gives the same results with it as with exact comparison
 * on the built-in scenarios, and the reported collision bound is n(n-1)/2 / 2^64. A collision is
 * what the bound is about: two codes with one fingerprint make the second look visited.
 */
import { describe, expect, it } from 'vitest';
import { collisionProbability, FingerprintStore } from '../../src/engine/packed/fingerprintStore.ts';
import { exploreFast } from '../../src/engine/packed/exploreFast.ts';
import { buildModel } from '../../src/machines/model.ts';
import { VARIANTS } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { scalingScenario } from '../../bench/scaling.ts';
import { addAndFindAgain, ROUND_TRIP_K } from '../helpers/packedStore.ts';

const code = (...xs: number[]) => Int32Array.from(xs);

describe('FingerprintStore', () => {
  it('adds each new code under the next id and answers 0 for a stored one, across widening and table growth', () => {
    addAndFindAgain(new FingerprintStore(ROUND_TRIP_K, 3, 3), () => 0);
  });

  it('takes a second code with the same fingerprint for visited: the collision the reported bound is about', () => {
    // Both halves 0: the one fingerprint stored as (0, 1), since (0, 0) marks an empty entry.
    class OneFingerprint extends FingerprintStore {
      override hash(): number {
        return 0;
      }
    }
    const store = new OneFingerprint(3, 15, 15);
    const a = new Uint32Array(3);
    store.pack(code(1, 2, 3), a);
    expect(store.findOrAdd(a)).toBe(~0);
    expect(store.findOrAdd(a)).toBe(0);
    store.pack(code(4, 5, 6), a);
    expect(store.findOrAdd(a)).toBe(0);
    expect(store.count).toBe(1);
  });

  it('bounds the collision probability by n(n-1)/2 / 2^64', () => {
    expect(collisionProbability(1)).toBe(0);
    expect(collisionProbability(2 ** 32 + 1)).toBeCloseTo(0.5, 6);
    expect(collisionProbability(15_006_457)).toBeCloseTo(6.1e-6, 7);
  });
});

const summary = (r: ReturnType<typeof exploreFast>) => ({
  status: r.status,
  distinctStates: r.distinctStates,
  transitions: r.transitions,
  depth: r.depth,
  coverage: r.coverage,
  violations: r.violations.map((v) => [v.invariant, v.reason, v.steps.length]),
});

describe('exploreFast with fingerprints', () => {
  const cases = BUILTIN_SCENARIOS.flatMap((s) => [VARIANTS[0]!, VARIANTS[VARIANTS.length - 1]!].map((v) => [s.name, v.name, s, v] as const));
  it.each(cases)('%s under %s: the results of exact comparison, with the collision bound reported', (_s, _v, scenario, variant) => {
    const model = buildModel(scenario, variant);
    const exact = exploreFast(model, { symmetry: 'declared' });
    const fp = exploreFast(model, { symmetry: 'declared', fingerprints: true });
    expect(summary(fp)).toEqual(summary(exact));
    expect(exact.fast.collisionProbability).toBeNull();
    expect(fp.fast.collisionProbability).toBe(collisionProbability(fp.distinctStates));
  });

  it('the scaling model with 5 devices and 2 contexts: the same states and transitions', () => {
    const model = buildModel(scalingScenario(5, 2), VARIANTS[0]!);
    expect(summary(exploreFast(model, { fingerprints: true }))).toEqual(summary(exploreFast(model)));
  });
});
