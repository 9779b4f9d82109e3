/**
 * A check that cannot fail is a defect: for every invariant, a flawed variant breaks it on a
 * built-in scenario, the checker returns the counterexample, and replaying the trace's events
 * from the initial state reaches the bad state (or the bad step) again.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../src/engine/explore.ts';
import { canonicalKey } from '../../src/engine/serialize.ts';
import { INVARIANTS } from '../../src/invariants/index.ts';
import { successor } from '../../src/machines/events.ts';
import { statesOfItf, toItf } from '../../src/report/itf.ts';
import { buildModel, type Model } from '../../src/machines/model.ts';
import { findVariant, type Variant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { model } from '../helpers/model.ts';
import { unbindWithoutDrain } from '../helpers/pasidVariants.ts';
import { acsWithoutTranslationBlocking, atcBeforeIotlb, atsForUntrusted, defaultDomainIgnoresUntrusted, mapWithoutBounce } from '../helpers/translationVariants.ts';

/** Where each invariant breaks: [scenario, variant] (a built-in name, or a test variant of test/helpers). */
const BREAKERS: Record<string, [string, string | Variant]> = {
  TypeOK: ['probe-failure', 'bug-unuse-underflow'],
  WARN: ['private-domain-hot-add', 'current'],
  I1: ['pci-stub-neighbour', 'w1-vfio-viability'],
  I2: ['probe-failure', 'w8-probe-error-leak'],
  I3: ['iommufd-two-contexts', 'bug-device-claim-no-count'],
  I4: ['private-domain-hot-add', 'w3-attach-device-count-pre-5.19'],
  I5: ['vfio-vs-dma-api', 'bug-release-keeps-blocking'],
  I6: ['vfio-vs-dma-api', 'w7-claim-detach-to-null'],
  I7: ['private-domain-hot-add', 'v5.19-hot-add-default-domain'],
  I8: ['iommufd-two-contexts', 'bug-claim-ignores-owner'],
  I9: ['vfio-vs-dma-api', 'w7-claim-detach-to-null'],
  I10: ['iommufd-two-contexts', 'bug-iommufd-any-hwpt'],
  I11: ['resv-direct-vfio-claim', 'require-direct-not-refused'], // reserved regions (issue 16)
  I12: ['sva-peer-hot-add', 'w4-sva-device-count'],
  I14: ['vfio-vs-dma-api', 'bug-release-keeps-blocking'],
  I15: ['hot-add-owned-group', 'bug-hot-add-ignores-owner'],
  I17: ['private-domain-hot-add', 'current'],
  I19: ['vfio-vs-dma-api', 'bug-device-fd-before-claim'],
  I20: ['pci-reset-staged', 'reset-done-ignores-depth'],
  UNMAP: ['dma-api-unmap-lazy', 'current'],
  STALE: ['dma-api-unmap-lazy', 'current'],
  'STALE-UNTRUSTED': ['dma-api-untrusted-lazy', defaultDomainIgnoresUntrusted],
  SUBPAGE: ['dma-api-untrusted-subpage', mapWithoutBounce],
  'ATS-TRUST': ['ats-untrusted', atsForUntrusted],
  'INV-ORDER': ['ats-invalidation-order', atcBeforeIotlb],
  'PASID-REUSE': ['sva-pasid-reuse', unbindWithoutDrain],
  VDEVICE: ['iommufd-vdevice', 'vdevice-published-before-init'], // vDEVICEs (issue 16)
  FAULTQ: ['iommufd-fault-replace', 'fault-auto-response-new-hwpt'], // fault queues across a replace (issue 16)
  MSI: ['msi-no-remapping', 'isolated-msi-not-checked'], // interrupts (issue 16)
  BAR: ['vfio-bar-mmap', 'reset-without-zap'], // BAR access (issue 16)
  SNOOP: ['coherency-no-snoop', 'enforce-cc-attach-skips-snoop-check'], // cache coherency (issue 16)
  RESV: ['resv-iova-user-map', 'reserved-iova-not-enforced'], // reserved regions in user IOVA spaces (issue 16, helper G)
  'RESET-OWNED': ['vfio-hot-reset-bus', 'hot-reset-without-ownership-proof'], // VFIO hot reset (issue 16, helper H)
  P2P: ['vfio-vs-dma-api', 'w1-vfio-viability'],
  RID: ['forged-rid-mainline', 'current'],
};

/** Where the breaking scenario is itself a known weakness of current: a scenario that holds instead. */
const HOLDS_UNDER_CURRENT: Record<string, string> = {
  WARN: 'hot-add-owned-group',
  I17: 'hot-add-owned-group',
  UNMAP: 'dma-api-unmap-strict',
  STALE: 'dma-api-unmap-strict',
  RID: 'switch-split-switch-groups',
};

/**
 * UNMAP judges the hardware model's side enumeration, which the built-ins replaced by DMA in the
 * interleavings (STALE): it is checked on the built-in with its DMA actors taken out.
 */
const SIDE_ENUMERATION = new Set(['UNMAP']);

/** The model of `scenario` under `variant`, without DMA actors for the invariants judged on the side enumeration. */
function modelFor(id: string, scenario: string, variant: string | Variant): Model {
  const s = findScenario(scenario)!;
  const v = typeof variant === 'string' ? findVariant(variant)! : variant;
  if (!SIDE_ENUMERATION.has(id)) return buildModel(s, v);
  return buildModel({ ...s, devices: s.devices.map(({ dma: _dma, ...d }) => d) }, v);
}

/** The state and step invariants: REC (recoverability) breaks in test/engine/recoverability.test.ts. */
const SAFETY = INVARIANTS.filter((i) => i.kind !== 'recoverability');

describe('every invariant can fail', () => {
  it('every registered invariant has a breaking variant listed here', () => {
    expect(Object.keys(BREAKERS).sort()).toEqual(SAFETY.map((i) => i.id).sort());
  });

  describe.each(SAFETY.map((i) => [i.id, i] as const))('%s', (id, inv) => {
    const [scenario, variant] = BREAKERS[id]!;

    it(`${typeof variant === 'string' ? variant : variant.name} breaks ${inv.name} on ${scenario} and the trace replays to the bad state`, () => {
      const m = modelFor(id, scenario, variant);
      const r = explore(m);
      const v = r.violations.find((x) => x.invariant === id);
      expect(v, `no counterexample for ${id}`).toBeDefined();
      const states = [m.init];
      for (const step of v!.steps) {
        const next = successor(m.apply(states[states.length - 1]!, step.event));
        expect(next, `${step.event.type} has no successor on replay`).not.toBeNull();
        expect(canonicalKey(next)).toBe(canonicalKey(step.state));
        states.push(next!);
      }
      const last = states[states.length - 1]!;
      if (v!.kind === 'state') {
        expect(inv.check!(last, m.scenario)).toBe(v!.reason);
        // Shortest: no earlier state on the trace breaks it.
        for (const s of states.slice(0, -1)) expect(inv.check!(s, m.scenario)).toBeNull();
      } else {
        const prev = states[states.length - 2]!;
        expect(inv.step!(prev, v!.steps[v!.steps.length - 1]!.event, last, m.scenario)).toBe(v!.reason);
      }
    });

    it(`holds under the current kernel wherever the current kernel has no known weakness`, () => {
      const m = modelFor(id, HOLDS_UNDER_CURRENT[id] ?? scenario, 'current');
      expect(explore(m).violations.map((x) => x.invariant)).not.toContain(id);
    });
  });

  it('ITF traces round-trip to the same states', () => {
    const m = model('vfio-vs-dma-api', 'w7-claim-detach-to-null');
    const v = explore(m).violations[0]!;
    const itf = JSON.parse(JSON.stringify(toItf(v, m)));
    const back = statesOfItf(itf);
    expect(back.map(canonicalKey)).toEqual([v.init, ...v.steps.map((s) => s.state)].map(canonicalKey));
    expect(itf.states[1]['mbt::actionTaken']).toBe(v.steps[0]!.event.type);
  });
});
