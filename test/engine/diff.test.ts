/**
 * Differential checking: current against every flawed variant gives a trace that tells them
 * apart (and it replays), a variant against itself gives none.
 */
import { describe, expect, it } from 'vitest';
import { diffModels, replayOn, type ScenarioDiff } from '../../src/engine/diff.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';
import { successor } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import { VARIANTS, currentVariant, findVariant } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { builtinJobs } from '../../src/scenarios/jobs.ts';
import { model } from '../helpers/model.ts';

const FLAWED = VARIANTS.filter((v) => v.kind !== 'kernel');
/** The built-in scenarios a variant is checked on by default (builtinJobs: all, or its `scenarios`). */
const scenariosOf = (name: string) => builtinJobs(BUILTIN_SCENARIOS).filter((j) => j.variant.name === name).map((j) => j.scenario);
const diffAll = (name: string): ScenarioDiff[] => scenariosOf(name).map((s) => diffModels(buildModel(s, currentVariant), buildModel(s, findVariant(name)!)));

describe('diff: a variant against itself', () => {
  it.each(VARIANTS.map((v) => [v.name]))('%s vs itself: no difference on any scenario it is checked on', (name) => {
    const v = findVariant(name)!;
    for (const s of scenariosOf(name)) {
      const d = diffModels(buildModel(s, v), buildModel(s, v));
      expect(d.identical, s.name).toBe(true);
      expect(d.complete).toBe(true);
      expect(d.divergence).toBeNull();
      expect(d.a.onlyStates + d.b.onlyStates).toBe(0);
      expect(d.a.witness).toBeNull();
      expect(d.commonStates).toBe(d.a.states);
    }
  });
});

describe('diff: current against each flawed variant', () => {
  it('lists every non-kernel variant', () => {
    expect(FLAWED.map((v) => v.name)).toContain('w7-claim-detach-to-null');
    expect(FLAWED.length).toBeGreaterThanOrEqual(7);
  });

  describe.each(FLAWED.map((v) => [v.name]))('%s', (name) => {
    const diffs = diffAll(name);

    it('differs on at least one scenario, with a distinguishing trace that replays', () => {
      const differing = diffs.filter((d) => !d.identical);
      expect(differing.length).toBeGreaterThan(0);
      const withTrace = differing.filter((d) => d.divergence);
      // A variant of a rule the kernel applies at boot (iommu_setup_default_domain,
      // pci_std_enable_acs) differs from the initial state on: no common call sequence diverges.
      if (differing.every((d) => !d.sameStart)) return;
      expect(withTrace.length).toBeGreaterThan(0);
      for (const d of withTrace) {
        const a = model(d.scenario);
        const b = model(d.scenario, name);
        const dv = d.divergence!;
        // The common prefix replays identically on both models ...
        let sa = a.init;
        let sb = b.init;
        for (const st of dv.prefix) {
          sa = successor(a.apply(sa, st.event))!;
          sb = successor(b.apply(sb, st.event))!;
          expect(canonicalKey(sa)).toBe(canonicalKey(st.state));
          expect(canonicalKey(sb)).toBe(canonicalKey(st.state));
        }
        expect(canonicalKey(sa)).toBe(canonicalKey(dv.from));
        // ... and the diverging call tells them apart.
        const ra = a.apply(sa, dv.event);
        const rb = b.apply(sb, dv.event);
        const ka = successor(ra) && canonicalKey(successor(ra));
        const kb = successor(rb) && canonicalKey(successor(rb));
        expect(ra.ok !== rb.ok || ka !== kb, `${d.scenario}: the diverging call behaves alike`).toBe(true);
        expect(dv.kind).toBe(ra.ok !== rb.ok ? 'ok-vs-error' : 'different-state');
      }
    });

    it('the breaking invariants of the variant show up as invariants current keeps', () => {
      const v = findVariant(name)!;
      const onlyB = new Set(diffs.flatMap((d) => d.b.onlyInvariants));
      for (const inv of v.breaks) expect(onlyB.has(inv), `${name} should break ${inv} where current keeps it`).toBe(true);
    });

    it('each way: the witness reaches a state the other side never reaches', () => {
      for (const d of diffs) {
        for (const [side, mine, other] of [
          [d.a, model(d.scenario), model(d.scenario, name)],
          [d.b, model(d.scenario, name), model(d.scenario)],
        ] as const) {
          // No common start (a boot-time rule differs): no witness to replay on the other side.
          if (side.onlyStates === 0 || !d.sameStart) {
            expect(side.witness).toBeNull();
            continue;
          }
          const w = side.witness!;
          expect(w.steps.length).toBeGreaterThan(0);
          const last = w.steps[w.steps.length - 1]!.state;
          // BFS shortest: no state of the other side has this key; the replay on the other side does not end there.
          const replay = replayOn(other, w.steps.map((s) => s.event));
          expect(replay.length).toBeGreaterThan(0);
          expect(canonicalKey(replay[replay.length - 1]!.state)).not.toBe(canonicalKey(last));
          expect(canonicalKey(mine.init)).toBe(canonicalKey(other.init));
        }
      }
    });
  });
});

describe('diff: details', () => {
  it('w7 on vfio-vs-dma-api: the claim moves the group to NULL instead of blocking', () => {
    const d = diffModels(model('vfio-vs-dma-api'), model('vfio-vs-dma-api', 'w7-claim-detach-to-null'));
    expect(d.b.onlyInvariants).toEqual(expect.arrayContaining(['I6', 'I9']));
    expect(d.a.onlyInvariants).toEqual([]);
    const dv = d.divergence!;
    expect(dv.kind).toBe('different-state');
    expect(dv.a.state?.groups[0]!.domain).toBe('blocking');
    expect(dv.b.state?.groups[0]!.domain).toBeNull();
    expect(d.b.examples.length).toBeGreaterThan(0);
    expect(d.b.examples.length).toBeLessThanOrEqual(3);
  });

  it('is symmetric: swapping the variants swaps the sides', () => {
    const s = 'sva-peer-hot-add';
    const ab = diffModels(model(s), model(s, 'w4-sva-device-count'));
    const ba = diffModels(model(s, 'w4-sva-device-count'), model(s));
    expect(ab.a.onlyStates).toBe(ba.b.onlyStates);
    expect(ab.b.onlyStates).toBe(ba.a.onlyStates);
    expect(ab.b.onlyInvariants).toEqual(ba.a.onlyInvariants);
    expect(ab.divergence?.event).toEqual(ba.divergence?.event);
    expect(ab.divergence?.prefix.length).toBe(ba.divergence?.prefix.length);
  });

  it('a bound makes the diff incomplete', () => {
    const d = diffModels(model('vfio-vs-dma-api'), model('vfio-vs-dma-api'), { maxStates: 3 });
    expect(d.complete).toBe(false);
  });
});
