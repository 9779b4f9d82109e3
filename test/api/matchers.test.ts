import { describe, expect, test } from 'vitest';
import { checkScenario, type CheckReport } from '../../src/api/index.ts';
import '../../src/api/vitest.ts';

/** A safety net for a loaded machine, never a measure: each test takes a few seconds at most. */
const SAFETY = 60_000;

/** The message an assertion fails with (the test fails if it passes). */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected the assertion to fail');
}

const holds = (): Promise<CheckReport> => checkScenario('vfio-vs-dma-api', { variants: ['current'] });
const w1 = (): Promise<CheckReport> => checkScenario('vfio-vs-dma-api', { variants: ['w1-vfio-viability'] });

// Two reports most tests share: vfio-vs-dma-api under current (holds) and under w1-vfio-viability (breaks I1 and more).
const report0 = await holds();
const report1 = await w1();

describe('toHold()', { timeout: SAFETY }, () => {
  test('toHold() passes on vfio-vs-dma-api under current, on the report and on its row', async () => {
    const report = await holds();
    expect(report).toHold();
    expect(report.results[0]).toHold();
    expect(report.results).toHold();
  });

  test('toHold() prints the counterexample trace when the variant breaks an invariant', () => {
    const text = failure(() => expect(report1).toHold());
    expect(text).toMatch(/^expected vfio-vs-dma-api under w1-vfio-viability to hold; it did not:\nvfio-vs-dma-api under w1-vfio-viability: violated WARN, I1, I3, I4, P2P\n/);
    expect(text).toMatch(/ {2}I1 OwnershipExclusivity: broken after \d+ steps/);
    expect(text).toContain('really_probe(01:00.1, driver=e1000e) = 0');
    expect(text).toContain('✗ I1: group owned by');
  });

  test('not.toHold() passes when an invariant breaks, and fails saying the check holds', async () => {
    expect(await w1()).not.toHold();
    const text = failure(() => expect(report0).not.toHold());
    expect(text).toMatch(/^expected vfio-vs-dma-api under current not to hold, but it holds: vfio-vs-dma-api under current holds \(64 states, every reachable state explored\)$/);
  });

  test('toHold() on a run cut short by maxStates says which bound and how to raise it', async () => {
    const report = await checkScenario('vfio-vs-dma-api', { variants: ['current'], maxStates: 10 });
    expect(failure(() => expect(report).toHold())).toMatch(/vfio-vs-dma-api under current: incomplete: max-states cut exploration short after \d+ states \(raise maxStates, maxSeconds or maxMemory\)/);
  });
});

describe('toBreak(invariant)', { timeout: SAFETY }, () => {
  test('toBreak(\'I1\') passes when w1-vfio-viability breaks I1', async () => {
    expect(await w1()).toBreak('I1');
    expect((await w1()).results[0]).toBreak('WARN');
  });

  test('toBreak(\'I1\') fails naming what was found when the scenario holds instead', () => {
    expect(failure(() => expect(report0).toBreak('I1'))).toBe(
      'expected vfio-vs-dma-api under current to break I1; it did not:\nvfio-vs-dma-api under current: holds (64 states, every reachable state explored)',
    );
  });

  test('toBreak(\'I12\') prints the counterexamples of the invariants broken instead', () => {
    const text = failure(() => expect(report1).toBreak('I12'));
    expect(text).toMatch(/^expected vfio-vs-dma-api under w1-vfio-viability to break I12; it did not:\nvfio-vs-dma-api under w1-vfio-viability: violated WARN, I1, I3, I4, P2P, not I12\n/);
    expect(text).toContain('I1 OwnershipExclusivity: broken after');
  });

  test('not.toBreak(\'I1\') prints the counterexample of I1', () => {
    expect(report0).not.toBreak('I1');
    const text = failure(() => expect(report1).not.toBreak('I1'));
    expect(text).toMatch(/^expected I1 to hold, but vfio-vs-dma-api under w1-vfio-viability broke it:\n/);
    expect(text).toContain('I1 OwnershipExclusivity: broken after');
    expect(text).not.toContain('I3 ');
  });

  test('toBreak with an unknown invariant id is a mistake in the test, not a failed check, even under .not', () => {
    expect(() => expect(report0).toBreak('I99')).toThrow(/^toBreak\(invariant\): expected an invariant id \(TypeOK, WARN, I1, .*\), got "I99"$/);
    expect(() => expect(report0).not.toBreak('I99')).toThrow(TypeError);
  });
});

describe('toMatchExpectations()', { timeout: SAFETY }, () => {
  test('toMatchExpectations() passes on a built-in scenario checked under every variant the manifest knows', async () => {
    expect(await checkScenario('probe-failure')).toMatchExpectations();
  });

  test('toMatchExpectations() fails on a row that found more than it expected, with the unexpected counterexamples and the missing invariants', () => {
    const edited = { ...report0, results: [{ ...report1.results[0]!, matchesExpectation: false, expected: 'holds' as const, expectedInvariants: ['I9'], expectationSource: 'scenario-file' as const }] };
    const text = failure(() => expect(edited).toMatchExpectations());
    expect(text).toMatch(/^expected every check to match its expectation; 1 of 1 did not:\nvfio-vs-dma-api under w1-vfio-viability: found violated WARN, I1, I3, I4, P2P; expected holds \(expectation from scenario-file\)\n {2}expected to break but did not: I9\n/);
    expect(text).toContain('I1 OwnershipExclusivity: broken after');
    expect(report0).toMatchExpectations();
  });
});

describe('what the matchers accept', { timeout: SAFETY }, () => {
  test('the matchers judge `check --json` output read back, with the trace written from its steps', () => {
    const parsed = JSON.parse(JSON.stringify(report1)) as unknown;
    expect(parsed).toBreak('I1');
    const text = failure(() => expect(parsed).toHold());
    expect(text).toMatch(/ {2}I1 OwnershipExclusivity: broken after \d+ steps {2}\(scenario vfio-vs-dma-api, variant w1-vfio-viability\)\n {5}1\. driver core/);
    expect(text).toContain('really_probe(dev=1, driver=e1000e) = 0');
  });

  test('a value that is no report, row or list of rows is a TypeError', () => {
    expect(() => expect({ ok: true }).toHold()).toThrow(/^toHold\(\): expected a check report \(checkScenario's result or `iommu-mc check --json` output\), one of its rows or a list of rows, got object$/);
    expect(() => expect(null).toMatchExpectations()).toThrow(TypeError);
  });

  test('a report without rows fails every matcher', () => {
    const empty = { ...report0, results: [] };
    expect(failure(() => expect(empty).toHold())).toMatch(/the report has no rows/);
    expect(failure(() => expect(empty).toBreak('I1'))).toMatch(/the report has no rows/);
  });
});
