/**
 * Blocks and calls cached by the places of the global part they read
 * (src/engine/packed/blockCache.ts): on reachable states of models whose calls keep changing the
 * translation state, every block that stayed in its slot gives model.apply's calls, outcomes,
 * successor codes and step invariants (fixed seed; FC_SEED overrides it); exploreFast with the
 * cache on finds explore()'s states, transitions, coverage and counterexamples on every built-in
 * scenario; and a view that stops noting field reads (a mutant) makes it wrong, so those
 * equalities can fail.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { exploreFast } from '../../src/engine/packed/exploreFast.ts';
import { GlobalRecording } from '../../src/engine/packed/globalView.ts';
import type { CallLeaf } from '../../src/engine/packed/memoModel.ts';
import { NO_SLOT } from '../../src/engine/packed/recorder.ts';
import { buildModel, type Model } from '../../src/machines/model.ts';
import { currentVariant } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { dmaScalingScenario } from '../../bench/translation.ts';
import { expectLeafIsApply, walkReachable, type MemoSetup } from '../helpers/memoModel.ts';
import { model as builtin } from '../helpers/model.ts';

const SEED = Number(process.env.FC_SEED ?? 20261204);

/** The calls of a flat block result, resolved in the state m.code (BlockCache.append), as CallLeafs. */
function leaves(m: MemoSetup, flat: Int32Array, slot: number): { u: number; leaf: CallLeaf }[] {
  const out: number[] = [];
  const broken: NonNullable<CallLeaf['broken']>[] = [];
  m.memo.appendProjected(flat, m.code, out, (list) => broken.push(list) - 1);
  const calls: { u: number; leaf: CallLeaf }[] = [];
  let p = 1;
  for (let x = 0; x < out[0]!; x++) {
    const nw = out[p + 3]!;
    const bi = out[p + 4 + nw]!;
    calls.push({ u: out[p]!, leaf: { outcome: out[p + 1]!, succ: out[p + 2] === 1, writes: Int32Array.from(out.slice(p + 4, p + 4 + nw)), broken: bi < 0 ? null : broken[bi]!, slot } });
    p += 5 + nw;
  }
  return calls;
}

function expectProjectedIsApply(model: Model): number {
  let stayed = 0;
  walkReachable(
    model,
    SEED,
    (s, m) => {
      m.memo.blocks.forEach((block, b) => {
        const slot = block.slot ?? NO_SLOT;
        const flat = m.memo.projectedBlock(b, m.code, slot);
        if (!flat) return;
        stayed++;
        const calls = leaves(m, flat, slot);
        expect(calls.map(({ u }) => m.memo.events[u])).toEqual(block.events(s));
        for (const { u, leaf } of calls) expectLeafIsApply(model, m, s, u, leaf);
      });
    },
    true,
  );
  return stayed;
}

describe(`projected blocks equal model.apply on reachable states (seed ${SEED})`, () => {
  it('three DMA actors in one group, two IOVA pages, lazy flush: same calls, outcomes, successor codes and step invariants', () => {
    expect(expectProjectedIsApply(buildModel(dmaScalingScenario({ devices: 3, actors: 3, pages: 2, invalidation: 'lazy' }), currentVariant))).toBeGreaterThan(1000);
  });

  it('an ATS device under a VFIO claim with lazy flush (ats-vfio-claim-lazy)', () => {
    expect(expectProjectedIsApply(builtin('ats-vfio-claim-lazy'))).toBeGreaterThan(500);
  });

  it('user mappings through VFIO type1 (vfio-type1-unmap)', () => {
    expect(expectProjectedIsApply(builtin('vfio-type1-unmap'))).toBeGreaterThan(500);
  });
});

const summary = (r: ReturnType<typeof explore>) => ({
  states: r.distinctStates,
  transitions: r.transitions,
  status: r.status,
  violations: r.violations.map((v) => `${v.invariant}:${v.steps.length}`).sort(),
});

describe('exploreFast with projected blocks equals explore on every built-in scenario (current kernel)', () => {
  it.each(BUILTIN_SCENARIOS.map((s) => [s.name, s] as const))('%s', (_name, scenario) => {
    const model = buildModel(scenario, currentVariant);
    expect(summary(exploreFast(model, { symmetry: false, projectedBlocks: true }))).toEqual(summary(explore(model)));
  });
});

describe('a global view that stops noting field reads (mutant)', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes exploreFast disagree with explore (or fail to replay its own trace) on two DMA actors', () => {
    const model = buildModel(dmaScalingScenario({ devices: 2, actors: 2, pages: 1, invalidation: 'lazy' }), currentVariant);
    const want = summary(explore(model));
    vi.spyOn(GlobalRecording.prototype, 'note').mockImplementation(() => {});
    let got: unknown;
    try {
      got = summary(exploreFast(model, { symmetry: false, projectedBlocks: true }));
    } catch (e) {
      got = String(e);
    }
    expect(got).not.toEqual(want);
  });
});
