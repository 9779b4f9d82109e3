/**
 * `--workers`: the visited set split over worker threads (src/engine/parallel) gives the
 * single-threaded run's verdicts, counts, coverage and counterexamples (the whole trace, event by
 * event), with and without symmetry reduction and fingerprints, when a max-states bound cuts the
 * run short, and whether the threads start at the first state or part-way through a run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { exploreFast, PARALLEL_FROM, type ExploreFastOptions } from '../../src/engine/packed/exploreFast.ts';
import { PackedStore } from '../../src/engine/packed/packedStore.ts';
import { ShardedVisited } from '../../src/engine/parallel/shardedVisited.ts';
import { buildModel } from '../../src/machines/model.ts';
import { VARIANTS } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { scalingScenario } from '../../bench/scaling.ts';
import { counts } from '../helpers/outcome.ts';

type Result = ReturnType<typeof exploreFast>;
/** Everything a run reports but its timing and memory. */
const outcome = (r: Result) => ({
  ...counts(r),
  violations: r.violations,
  symmetry: r.fast.symmetry,
  events: r.fast.events,
});

const scaling = (n: number, c: 1 | 2 | 3) => buildModel(scalingScenario(n, c), VARIANTS[0]!);
const flawed = VARIANTS[VARIANTS.length - 1]!;

describe('exploreFast with --workers', () => {
  const cases = BUILTIN_SCENARIOS.flatMap((s) => [VARIANTS[0]!, flawed].map((v) => [s.name, v.name, s, v] as const));
  it.each(cases)('%s under %s: two threads from the first state give the single-threaded results, traces included', (_s, _v, scenario, variant) => {
    const model = buildModel(scenario, variant);
    const one = exploreFast(model, { symmetry: 'declared' });
    const two = exploreFast(model, { symmetry: 'declared', workers: 2, parallelFrom: 0 });
    expect(two.fast.threads).toBe(2);
    expect(outcome(two)).toEqual(outcome(one));
  });

  const opts: [string, ExploreFastOptions][] = [
    ['three threads (two shards)', { workers: 3, parallelFrom: 0 }],
    ['threads started part-way, at 5,000 states', { workers: 2, parallelFrom: 5000 }],
    ['with fingerprints', { workers: 2, parallelFrom: 0, fingerprints: true }],
    ['with symmetry reduction', { workers: 2, parallelFrom: 0, symmetry: true }],
  ];
  it.each(opts)('the scaling model, 5 devices and 3 contexts, %s: the single-threaded results', (_name, o) => {
    const model = scaling(5, 3);
    const base = { symmetry: o.symmetry ?? false, fingerprints: o.fingerprints ?? false };
    expect(outcome(exploreFast(model, { ...base, ...o }))).toEqual(outcome(exploreFast(model, base)));
  });

  it.each([1, 100, 4000, 9000])('a max-states bound of %i stops where the single-threaded run stops (same counts, status incomplete)', (maxStates) => {
    const model = scaling(5, 2);
    const one = exploreFast(model, { maxStates });
    const two = exploreFast(model, { maxStates, workers: 2, parallelFrom: 0 });
    expect(outcome(two)).toEqual(outcome(one));
    if (maxStates < 8181) expect(two.status).toBe('incomplete');
  });

  const variant = (name: string) => VARIANTS.find((v) => v.name === name)!;
  it.each([
    ['hot-add-owned-group', 'bug-device-fd-before-claim', 10],
    ['hot-add-owned-group', 'w1-vfio-viability', 10],
  ])('%s under %s: the first counterexamples are the single-threaded ones when the threads start at state %i', (scenario, name, parallelFrom) => {
    const model = buildModel(BUILTIN_SCENARIOS.find((s) => s.name === scenario)!, variant(name));
    const one = exploreFast(model, { symmetry: false });
    const two = exploreFast(model, { symmetry: false, workers: 3, parallelFrom });
    expect(one.violations.length).toBeGreaterThan(0);
    expect(two.fast.threads).toBe(3);
    expect(outcome(two)).toEqual(outcome(one));
  });

  it('the scaling model under w1-vfio-viability, threads started at state 500: the same counterexamples', () => {
    const model = buildModel(scalingScenario(5, 2), variant('w1-vfio-viability'));
    const one = exploreFast(model);
    expect(one.violations.length).toBeGreaterThan(0);
    expect(outcome(exploreFast(model, { workers: 2, parallelFrom: 500 }))).toEqual(outcome(one));
  });

  it('one thread, or a run smaller than PARALLEL_FROM, starts no worker', () => {
    const model = scaling(3, 2);
    expect(exploreFast(model, { workers: 1, parallelFrom: 0 }).fast.threads).toBe(1);
    expect(exploreFast(model, { workers: 2 }).distinctStates).toBeLessThan(PARALLEL_FROM);
    expect(exploreFast(model, { workers: 2 }).fast.threads).toBe(1);
  });

  it.each([0, 1.5, 257])('workers %s is refused', (workers) => {
    expect(() => exploreFast(scaling(2, 1), { workers })).toThrow(/workers must be an integer in 1\.\.256/);
  });
});

describe('ShardedVisited', () => {
  const open: ShardedVisited[] = [];
  afterAll(() => open.forEach((v) => v.close()));

  it('answers new, then seen, in request order across shards, and keeps its answers through a widening', () => {
    const v = new ShardedVisited(2, new PackedStore(3, 15, 15).layout, false);
    open.push(v);
    const answers: boolean[] = [];
    const each = (isNew: boolean) => (answers.push(isNew), true);
    const code = (x: number) => Uint32Array.of(x | (x << 4) | (x << 8));
    for (const x of [1, 2, 3, 2, 1, 4]) v.request(code(x), 0, 1, 0, 0, each);
    v.drain(each);
    expect(answers).toEqual([true, true, true, false, false, true]);
    const wide = new PackedStore(3, 15, 15);
    wide.widen(1 << 20, 1 << 20);
    v.widen(wide.layout);
    answers.length = 0;
    // After widen() the shards hold their codes in the wider layout (PackedStore.widen repacks):
    // (1,1,1) .. (4,4,4), requested above in the narrow layout, are found again in the wide one.
    const packed = (i: number) => {
      const a = new Uint32Array(wide.words);
      wide.pack(Int32Array.of(i, i, i), a);
      return a;
    };
    for (let i = 0; i < 3000; i++) v.request(packed(i), 0, wide.words, 0, 0, each);
    for (let i = 0; i < 3000; i++) v.request(packed(i), 0, wide.words, 0, 0, each);
    v.drain(each);
    expect(answers.slice(0, 3000).map((a, i) => a !== (i >= 1 && i <= 4)).every(Boolean)).toBe(true);
    expect(answers.slice(3000).some((a) => a)).toBe(false);
    v.close();
    expect(v.stored()).toBe(3000);
  });

  it('a worker that cannot load its module reports why, and the constructor throws that, not a timeout', () => {
    const layout = new PackedStore(3, 15, 15).layout;
    expect(() => new ShardedVisited(1, layout, false, 16, './no-such-shard.ts')).toThrow(/visited-set worker 0 failed: .*no-such-shard/s);
  });

  it('rings of 16 entries wrap around and fill up: the explorer takes answers to make room, still in request order', () => {
    const store = new PackedStore(2, 1023, 1023);
    const v = new ShardedVisited(3, store.layout, false, 16);
    open.push(v);
    const answers: number[] = [];
    const parents: number[] = [];
    const each = (isNew: boolean, _c: Uint32Array, _at: number, parent: number) => (answers.push(isNew ? 1 : 0), parents.push(parent), true);
    const code = new Uint32Array(store.words);
    // 0..999, then 0..999 again: 2,000 requests through 3 rings of 16.
    for (let i = 0; i < 2000; i++) {
      store.pack(Int32Array.of(i % 1000, (i * 7) % 1000), code);
      v.request(code, 0, store.words, i, 0, each);
    }
    v.drain(each);
    expect(parents).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(answers).toEqual(Array.from({ length: 2000 }, (_, i) => (i < 1000 ? 1 : 0)));
    v.close();
    expect(v.stored()).toBe(1000);
  });
});
