/**
 * The decision registry: every record is well formed, and every rule gives the verdict the
 * record expects on every scenario, as the checker finds it now (the same evaluation `iommu-mc
 * docs` prints).
 */
import { describe, expect, it } from 'vitest';
import { DECISIONS, evaluateDecision } from '../../src/decisions/index.ts';
import { stubExposure } from '../../src/decisions/witnesses.ts';
import { findInvariant } from '../../src/invariants/index.ts';
import { buildModel } from '../../src/machines/model.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

describe('the decision registry', () => {
  it('has at least seven records with distinct four-digit ids and kebab-case slugs, in order', () => {
    expect(DECISIONS.length).toBeGreaterThanOrEqual(7);
    expect(DECISIONS.map((d) => d.id)).toEqual(DECISIONS.map((_, i) => String(i + 1).padStart(4, '0')));
    for (const d of DECISIONS) expect(d.slug).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(new Set(DECISIONS.map((d) => d.slug)).size).toBe(DECISIONS.length);
  });

  it.each(DECISIONS.map((d) => [d.id, d] as const))('%s names built-in scenarios, variants and invariants, and cites a seed thread', (_id, d) => {
    for (const s of d.scenarios) expect(findScenario(s), s).toBeDefined();
    for (const r of [d.chosen, ...d.alternatives]) {
      expect(findVariant(r.variant), r.variant).toBeDefined();
      expect(Object.keys(r.expect).sort()).toEqual([...d.scenarios].sort());
      expect(r.witness !== undefined).toBe(d.witness !== undefined);
    }
    expect(new Set(d.alternatives.map((r) => r.variant)).size).toBe(d.alternatives.length);
    expect(d.alternatives.length).toBeGreaterThan(0);
    for (const i of d.invariants) expect(findInvariant(i), i).toBeDefined();
    // Sources: a seed thread, or (a rule read in the kernel source, such as 0009) commits only.
    expect(d.threads.length + d.commits.length).toBeGreaterThan(0);
    for (const t of d.threads) expect(t.seed).toMatch(/^\d{3}_[0-9a-f]+\.txt$/);
  });

  it.each(DECISIONS.map((d) => [`${d.id}-${d.slug}`, d] as const))('%s: every rule gives the expected verdict on every scenario', (_name, d) => {
    const e = evaluateDecision(d);
    expect(e.mismatches).toEqual([]);
    for (const r of [e.chosen, ...e.alternatives]) for (const j of r.jobs) expect(j.result.complete).toBe(true);
  });

  it('the chosen rule is the current kernel; where it has no known weakness, each alternative differs from it somewhere', () => {
    for (const d of DECISIONS) {
      expect(d.chosen.variant).toBe('current');
      if (d.scenarios.some((s) => d.chosen.expect[s] !== 'holds')) continue;
      for (const a of d.alternatives) {
        const differs = d.scenarios.some((s) => JSON.stringify(a.expect[s]) !== JSON.stringify(d.chosen.expect[s])) || a.witness !== d.chosen.witness;
        expect(differs, `${d.id}: ${a.variant}`).toBe(true);
      }
    }
  });

  it('a wrong expectation is reported as a mismatch, not hidden', () => {
    const d = DECISIONS.find((x) => x.id === '0005')!;
    const wrong = { ...d, alternatives: [{ ...d.alternatives[0]!, expect: { ...d.alternatives[0]!.expect, 'sva-peer-hot-add': 'holds' as const } }] };
    expect(evaluateDecision(wrong).mismatches).toEqual([
      '0005-pasid-needs-acs-on-the-path: w4-sva-device-count on sva-peer-hot-add: expected holds, the checker found violated (I12)',
    ]);
    const d4 = DECISIONS.find((x) => x.id === '0004')!;
    const noWitness = evaluateDecision({ ...d4, chosen: { ...d4.chosen, witness: false } });
    expect(noWitness.mismatches).toEqual(['0004-pci-stub-and-pcieport-are-driver-managed: current: W12 expected unreachable, the checker found it reachable']);
  });

  it('the W12 witness is the user holding 01:00.0 beside the stubbed 01:00.1', () => {
    const model = buildModel(findScenario('pci-stub-neighbour')!, findVariant('current')!);
    const d = evaluateDecision(DECISIONS.find((x) => x.id === '0004')!);
    const t = d.chosen.witness!.trace!;
    expect(t.reason).toBe('qemu-legacy holds 01:00.0, which reaches 01:00.1 (pci-stub) by P2P');
    expect(t.steps.at(-1)!.event.type).toBe('vfio_group_ioctl_get_device_fd');
    expect(stubExposure.find(model.init, model.scenario)).toBeNull();
  });
});
