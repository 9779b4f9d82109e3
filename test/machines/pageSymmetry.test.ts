/**
 * Physical pages renumbered canonically after every call (src/machines/pageSymmetry.ts, issue 15
 * point 8): the renumbering is idempotent, keeps every invariant's verdict on every state and step
 * the un-renumbered model reaches, and merges states that differ only by page names, so the
 * translation scenarios have as many states or fewer, with the same violated invariants.
 */
import { describe, expect, it } from 'vitest';
import { INVARIANTS } from '../../src/invariants/index.ts';
import { applyEventAsNumbered, successor, type IommuEvent } from '../../src/machines/events.ts';
import { buildModel, type Model } from '../../src/machines/model.ts';
import { canonicalPages, canonicalPagesIn } from '../../src/machines/pageSymmetry.ts';
import type { SystemState } from '../../src/machines/state.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

/** The model of a built-in scenario with `iovaPages` IOVA pages. */
function modelWith(name: string, iovaPages: number): Model {
  return buildModel({ ...findScenario(name)!, iovaPages }, findVariant('current')!);
}

interface Step {
  readonly prev: SystemState;
  readonly event: IommuEvent;
  readonly next: SystemState;
}

/** Every reachable state and step of `m` under `apply`, and the ids of the invariants some state or step breaks. */
function reach(m: Model, apply: (s: SystemState, e: IommuEvent) => SystemState | null) {
  const seen = new Map<string, SystemState>([[JSON.stringify(m.init), m.init]]);
  const steps: Step[] = [];
  const broken = new Set<string>();
  const queue = [m.init];
  while (queue.length > 0) {
    const prev = queue.pop()!;
    for (const inv of INVARIANTS) if (inv.check?.(prev, m.scenario)) broken.add(inv.id);
    for (const event of m.events(prev)) {
      const next = apply(prev, event);
      if (!next) continue;
      steps.push({ prev, event, next });
      for (const inv of INVARIANTS) if (inv.step?.(prev, event, next, m.scenario)) broken.add(inv.id);
      const key = JSON.stringify(next);
      if (!seen.has(key)) {
        seen.set(key, next);
        queue.push(next);
      }
    }
  }
  return { states: [...seen.values()], steps, broken: [...broken].sort() };
}

const asNumbered = (m: Model) => (s: SystemState, e: IommuEvent) => successor(applyEventAsNumbered(m.env, s, e));
const renumbered = (m: Model) => (s: SystemState, e: IommuEvent) => successor(m.apply(s, e));

/** The verdict of every state and step invariant, as a list of booleans (true: broken). */
const stateVerdicts = (m: Model, s: SystemState) => INVARIANTS.map((inv) => inv.check?.(s, m.scenario) != null);
const stepVerdicts = (m: Model, x: Step, next: SystemState) => INVARIANTS.map((inv) => inv.step?.(x.prev, x.event, next, m.scenario) != null);

const SCENARIOS: readonly [string, number][] = [
  ['dma-api-unmap-lazy', 1],
  ['dma-api-unmap-lazy', 2],
  ['ats-invalidation-order', 1],
  ['ats-invalidation-order', 2],
  ['vfio-type1-unmap', 1],
  ['iommufd-ioas-unmap', 2],
  ['dma-api-untrusted-subpage', 2],
];

describe('canonical numbering of physical pages', () => {
  for (const [name, P] of SCENARIOS) {
    describe(`${name} with ${P} IOVA page(s)`, () => {
      const m = modelWith(name, P);
      const before = reach(m, asNumbered(m));

      it('renumbering is idempotent on every state the un-renumbered model reaches', () => {
        for (const s of before.states) {
          const once = canonicalPagesIn(s);
          expect(canonicalPagesIn(once)).toBe(once);
          for (const grp of once.groups) if (grp.translation) expect(canonicalPages(grp.translation)).toBe(grp.translation);
        }
      });

      it('keeps every state invariant verdict and every step invariant verdict', () => {
        for (const s of before.states) expect(stateVerdicts(m, canonicalPagesIn(s))).toEqual(stateVerdicts(m, s));
        for (const x of before.steps) expect(stepVerdicts(m, x, canonicalPagesIn(x.next))).toEqual(stepVerdicts(m, x, x.next));
      });

      it('has as many states or fewer, every one canonical, and the same invariants broken', () => {
        const after = reach(m, renumbered(m));
        expect(after.states.length).toBeLessThanOrEqual(before.states.length);
        for (const s of after.states) expect(canonicalPagesIn(s)).toBe(s);
        expect(after.broken).toEqual(before.broken);
      });
    });
  }

  it('merges the lazy-flush states that differ only in which page number the driver got (2 IOVA pages)', () => {
    const m = modelWith('dma-api-unmap-lazy', 2);
    expect(reach(m, renumbered(m)).states.length).toBeLessThan(reach(m, asNumbered(m)).states.length);
  });

  it('numbers named pages by first occurrence, free pages last, and renames every field that names a page', () => {
    const t = modelWith('dma-api-unmap-lazy', 2).init.groups[0]!.translation!;
    const numbered = {
      ...t,
      pages: [{ state: 'free' }, { state: 'reused' }, { state: 'kernel', dev: 0 }],
      pagetable: { ...t.pagetable, ptes: [{ phys: 2, stale: false }, null] },
      handles: [{ dev: 0, iova: 0, phys: 2, buffer: 2 }],
      iotlb: [{ domain: 'default', iova: 1, phys: 1, stale: true }],
    } as const;
    const c = canonicalPages(numbered);
    expect(c.pages).toEqual([{ state: 'kernel', dev: 0 }, { state: 'reused' }, { state: 'free' }]);
    expect(c.pagetable.ptes).toEqual([{ phys: 0, stale: false }, null]);
    expect(c.handles).toEqual([{ dev: 0, iova: 0, phys: 0, buffer: 0 }]);
    expect(c.iotlb.map((e) => e.phys)).toEqual([1]);
    expect(canonicalPages(c)).toBe(c);
  });

  it('keeps a reused page nothing names any more ahead of the named pages (its number stays put)', () => {
    const t = modelWith('dma-api-unmap-lazy', 1).init.groups[0]!.translation!;
    const numbered = {
      ...t,
      pages: [{ state: 'kernel', dev: 0 }, { state: 'reused' }],
      pagetable: { ...t.pagetable, ptes: [{ phys: 0, stale: false }] },
      handles: [{ dev: 0, iova: 0, phys: 0, buffer: 0 }],
    } as const;
    const c = canonicalPages(numbered);
    expect(c.pages).toEqual([{ state: 'reused' }, { state: 'kernel', dev: 0 }]);
    expect(c.handles).toEqual([{ dev: 0, iova: 0, phys: 1, buffer: 1 }]);
    expect(canonicalPages(c)).toBe(c);
  });
});
