/**
 * Golden results (tlaplus/Examples style): every built-in scenario under every variant gives the
 * verdict, broken invariants and state-space size recorded in src/scenarios/manifest.json.
 * Regenerate with `node bin/iommu-mc.mjs check --write-manifest src/scenarios/manifest.json` and
 * review the diff.
 */
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/engine/check.ts';
import { VARIANTS } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { KNOWN_WEAKNESSES, MANIFEST, manifestEntry } from '../../src/scenarios/manifest.ts';
import { builtinJobs } from '../../src/scenarios/jobs.ts';

// Every built-in scenario under the variants it is checked against by default (all, unless the
// scenario lists its variants or a variant names its scenarios: the staged-reset ones).
const jobs = builtinJobs(BUILTIN_SCENARIOS).map(({ scenario, variant }) => ({ scenario, variant }));

describe('the manifest of built-in results', () => {
  it('has exactly one entry per built-in scenario and variant', () => {
    expect(MANIFEST.entries.map((e) => `${e.scenario}/${e.variant}`).sort()).toEqual(jobs.map((j) => `${j.scenario.name}/${j.variant.name}`).sort());
  });

  it.each(jobs.map((j) => [j.scenario.name, j.variant.name, j] as const))('%s under %s matches the manifest', (_s, _v, j) => {
    const e = manifestEntry(j.scenario.name, j.variant.name)!;
    // The manifest records the full state space (no symmetry reduction).
    const r = runJob({ ...j, expectation: { expected: e.expected, invariants: e.invariants, source: 'manifest' } }, { symmetry: false });
    expect(r.complete).toBe(true);
    expect({ found: r.result.violations.map((v) => v.invariant), states: r.result.distinctStates, transitions: r.result.transitions, depth: r.result.depth }).toEqual({
      found: e.invariants,
      states: e.distinctStates,
      transitions: e.transitions,
      depth: e.depth,
    });
    expect(r.matchesExpectation).toBe(true);
  });

  it('each flawed variant breaks each invariant it claims to break on some built-in scenario', () => {
    for (const v of VARIANTS.filter((x) => x.kind !== 'kernel')) {
      const broken = new Set(MANIFEST.entries.filter((e) => e.variant === v.name).flatMap((e) => e.invariants));
      for (const inv of v.breaks) expect(broken.has(inv), `${v.name} never breaks ${inv}`).toBe(true);
    }
  });

  it('the current kernel holds on every built-in scenario except the documented known weaknesses', () => {
    const violated = MANIFEST.entries.filter((e) => e.variant === 'current' && e.expected === 'violated').map((e) => e.scenario);
    expect(violated.sort()).toEqual(Object.keys(KNOWN_WEAKNESSES).sort());
    for (const e of MANIFEST.entries.filter((x) => x.variant === 'current' && x.expected === 'violated')) expect(e.knownWeakness).toBeTruthy();
  });
});
