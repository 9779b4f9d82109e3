/**
 * Recoverability: every reachable state can return to rest (files closed, default domains,
 * owner_cnt = bound DMA-API drivers). Small built-in scenarios, in-process.
 */
import { describe, expect, it } from 'vitest';
import { checkRecoverability, isRest, recoverabilityViolation } from '../../src/engine/recoverability.ts';
import { eventKey } from '../../src/machines/events.ts';
import { buildModel } from '../../src/machines/model.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';
import { INVARIANTS } from '../../src/invariants/index.ts';
import { run } from '../helpers/cli.ts';

const model = (scenario: string, variant: string) => buildModel(findScenario(scenario)!, findVariant(variant)!);

describe('recoverability', { timeout: 300_000 }, () => {
  it.each(['vfio-vs-dma-api', 'probe-failure', 'hot-add-owned-group'])('the current kernel returns to rest from every state of %s', (scenario) => {
    const m = model(scenario, 'current');
    const r = checkRecoverability(m);
    expect(r.verdict).toBe('holds');
    expect(r.stuckStates).toBe(0);
    expect(r.restStates).toBeGreaterThan(0);
    expect(isRest(m.init, m.scenario)).toBe(true);
    expect(recoverabilityViolation(m, r)).toBeNull();
  });

  it('w8-probe-error-leak on probe-failure is stuck right after the failed probe, with owner_cnt leaked', () => {
    const m = model('probe-failure', 'w8-probe-error-leak');
    const r = checkRecoverability(m);
    expect(r.verdict).toBe('stuck');
    const first = r.stuck[0]!;
    const last = first.steps.at(-1)!;
    expect(last.event.type).toBe('really_probe');
    expect(last.errno).toBe('ENXIO');
    expect(first.reason).toContain('owner_cnt is 1 but 0 DMA-API driver(s) are bound');
    const v = recoverabilityViolation(m, r)!;
    expect(v).toMatchObject({ invariant: 'REC', kind: 'recoverability' });
    expect(v.steps.map((s) => eventKey(s.event))).toEqual(first.steps.map((s) => eventKey(s.event)));
  });

  it('bug-unuse-underflow is stuck too: a state that breaks TypeOK is not expanded and counts as stuck', () => {
    const r = checkRecoverability(model('probe-failure', 'bug-unuse-underflow'));
    expect(r.verdict).toBe('stuck');
    expect(r.stuck[0]!.reason).toMatch(/owner_cnt/);
  });

  it('a bound that cuts the search short gives incomplete, never holds', () => {
    const r = checkRecoverability(model('vfio-vs-dma-api', 'current'), { maxStates: 10 });
    expect(r.verdict).toBe('incomplete');
    expect(r.bound).toBe('max-states');
    expect(r.stuck).toEqual([]);
  });

  it('REC is in the registry as a recoverability invariant with no check or step', () => {
    const rec = INVARIANTS.find((i) => i.id === 'REC')!;
    expect(rec).toMatchObject({ name: 'ReturnsToRest', kind: 'recoverability' });
    expect(rec.check).toBeUndefined();
    expect(rec.step).toBeUndefined();
  });

  it('the whole built-in suite under --recoverability matches the manifest: current stuck only on the kernel finding sva-shared-group-unbind, the leaking variants stuck where it records them', async () => {
    const r = await run(['check', '--recoverability', '--json']);
    const j = JSON.parse(r.stdout);
    expect(j.results.filter((x: { mismatch: boolean }) => x.mismatch)).toEqual([]);
    expect(r.code).toBe(0);
    const stuck = j.results.filter((x: { violations: { invariant: string }[] }) => x.violations.some((v) => v.invariant === 'REC'));
    // The one finding where today's kernel leaks: owner_cnt stays above zero after the WARN in
    // iommu_device_unuse_default_domain (docs/kernel-notes.md section 21), so the group never returns to rest.
    expect(stuck.filter((x: { variant: string }) => x.variant === 'current').map((x: { scenario: string }) => x.scenario)).toEqual(['sva-shared-group-unbind']);
    expect(stuck.map((x: { variant: string }) => x.variant)).toContain('w8-probe-error-leak');
    // Without the pass, REC is neither judged nor expected: the main job is unchanged.
    const plain = JSON.parse((await run(['check', '--scenario', 'probe-failure', '--variant', 'w8-probe-error-leak', '--json'])).stdout);
    expect(plain.results[0]).toMatchObject({ matchesExpectation: true });
    expect(plain.results[0].judged).not.toContain('REC');
  });

  it('check --recoverability --json carries the REC violation of a leaking variant, and list --json its kind', async () => {
    const out = await run(['check', '-s', 'probe-failure', '-v', 'current', '-v', 'w8-probe-error-leak', '--recoverability', '--json']);
    // The manifest records w8 as stuck: as expected, exit 0.
    expect(out.code).toBe(0);
    const rows = JSON.parse(out.stdout).results as { variant: string; judged: string[]; matchesExpectation: boolean; violations: { invariant: string; kind: string; steps: unknown[] }[] }[];
    const current = rows.find((r) => r.variant === 'current')!;
    expect(current.matchesExpectation).toBe(true);
    expect(current.judged).toContain('REC');
    const leak = rows.find((r) => r.variant === 'w8-probe-error-leak')!;
    expect(leak.matchesExpectation).toBe(true);
    expect(leak.violations.find((v) => v.invariant === 'REC')).toMatchObject({ kind: 'recoverability', steps: [expect.anything()] });

    const plain = await run(['check', '-s', 'probe-failure', '-v', 'w8-probe-error-leak', '--json']);
    expect(plain.code).toBe(0);
    expect(JSON.parse(plain.stdout).results[0].judged).not.toContain('REC');

    const list = JSON.parse((await run(['list', '--json'])).stdout) as { invariants: { id: string; kind: string }[] };
    expect(list.invariants.find((i) => i.id === 'REC')?.kind).toBe('recoverability');
  });
});
