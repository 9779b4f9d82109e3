import { describe, expect, it } from 'vitest';
import { getExitCode, judge, runJob } from '../../src/engine/check.ts';
import type { ExplorationResult } from '../../src/engine/types.ts';
import { findVariant } from '../../src/machines/variants/index.ts';
import { findScenario } from '../../src/scenarios/builtin.ts';

const result = (over: Partial<ExplorationResult>): ExplorationResult => ({
  status: 'holds', bound: null, distinctStates: 1, transitions: 0, depth: 0, seconds: 0, violations: [], coverage: {}, ...over,
});

describe('judge and getExitCode', () => {
  it('a finished run that holds matches "holds" and exits 0', () => {
    const j = judge(result({}), { expected: 'holds', invariants: [], source: 'default' });
    expect(j).toMatchObject({ status: 'holds', matchesExpectation: true, complete: true });
    expect(getExitCode([{ ...j, unexpected: [] }])).toBe(0);
  });

  it('a bound that cut exploration short is incomplete (exit 3), never a pass', () => {
    const j = judge(result({ bound: 'max-states' }), { expected: 'holds', invariants: [], source: 'default' });
    expect(j).toMatchObject({ status: 'incomplete', matchesExpectation: false, complete: false });
    expect(getExitCode([j])).toBe(3);
  });

  it('an expected violation that did not appear is a mismatch (exit 1)', () => {
    const j = judge(result({}), { expected: 'violated', invariants: ['I1'], source: 'manifest' });
    expect(j.missing).toEqual(['I1']);
    expect(getExitCode([j])).toBe(1);
  });

  it('a mismatch outranks an incomplete run', () => {
    const bad = judge(result({}), { expected: 'violated', invariants: ['I1'], source: 'manifest' });
    const cut = judge(result({ bound: 'max-seconds' }), { expected: 'holds', invariants: [], source: 'default' });
    expect(getExitCode([cut, bad])).toBe(1);
  });

  it('--max-states on a real scenario yields incomplete with statistics', () => {
    const r = runJob(
      { scenario: findScenario('vfio-vs-dma-api')!, variant: findVariant('current')!, expectation: { expected: 'holds', invariants: [], source: 'default' } },
      { maxStates: 5 },
    );
    expect(r.status).toBe('incomplete');
    expect(r.result.bound).toBe('max-states');
    expect(r.result.distinctStates).toBeGreaterThanOrEqual(5);
  });
});
