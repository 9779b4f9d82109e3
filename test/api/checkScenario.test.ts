import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkScenario, counterexampleText, currentKernel, defineVariant, groupOf, InputError, loadScenarioFile, ok, parseScenario, updateGroup } from '../../src/api/index.ts';
import { cli } from '../helpers/cli.ts';

/** A safety net for a loaded machine, never a measure: each test takes a few seconds at most. */
const SAFETY = 60_000;

const FIXTURES = join(import.meta.dirname, 'fixtures/scenarios');
const VM_TAKES_BOTH = join(FIXTURES, 'vm-takes-both.yaml');

/** A report without its wall-clock figures, which differ from run to run. */
const withoutSeconds = (x: unknown): unknown =>
  JSON.parse(JSON.stringify(x, (k, v) => (k === 'seconds' ? undefined : v)));

describe('checkScenario', { timeout: SAFETY }, () => {
  test('checkScenario on vfio-vs-dma-api under current holds, judged against the manifest', async () => {
    const report = await checkScenario('vfio-vs-dma-api', { variants: ['current'] });
    expect(report.ok).toBe(true);
    expect(report.exitCode).toBe(0);
    expect(report.results).toHaveLength(1);
    expect(report.results[0]).toMatchObject({ scenario: 'vfio-vs-dma-api', variant: 'current', status: 'holds', expectationSource: 'manifest', complete: true, violations: [] });
  });

  test('checkScenario returns the object `iommu-mc check --json` prints for the same check', async () => {
    const report = await checkScenario('vfio-vs-dma-api', { variants: ['current', 'w1-vfio-viability'] });
    const run = cli(['check', '--scenario', 'vfio-vs-dma-api', '--variant', 'current', '--variant', 'w1-vfio-viability', '--json']);
    expect(run.code).toBe(0);
    expect(withoutSeconds(report)).toEqual(withoutSeconds(JSON.parse(run.stdout)));
  });

  test('a built-in scenario without variants is checked under every variant, as the CLI does', async () => {
    const report = await checkScenario('sva-acs-switch');
    expect(report.results.length).toBeGreaterThan(10);
    expect(report.ok).toBe(true);
  });

  test('a scenario file is checked under its own variants and judged by its own expect:', async () => {
    const report = await checkScenario(VM_TAKES_BOTH);
    expect(report.ok).toBe(true);
    expect(report.results.map((r) => [r.variant, r.status, r.expectationSource])).toEqual([
      ['current', 'holds', 'scenario-file'],
      ['w1-vfio-viability', 'violated', 'scenario-file'],
    ]);
  });

  test('a file: URL, loadScenarioFile and parseScenario give the same check as the path', async () => {
    const text = readFileSync(VM_TAKES_BOTH, 'utf8');
    const byPath = withoutSeconds(await checkScenario(VM_TAKES_BOTH));
    expect(withoutSeconds(await checkScenario(pathToFileURL(VM_TAKES_BOTH)))).toEqual(byPath);
    expect(withoutSeconds(await checkScenario(loadScenarioFile(VM_TAKES_BOTH)))).toEqual(byPath);
    expect(withoutSeconds(await checkScenario(parseScenario(text, { file: VM_TAKES_BOTH })))).toEqual(byPath);
  });

  test('several scenarios at once give one report with every row', async () => {
    const report = await checkScenario(['vfio-vs-dma-api', VM_TAKES_BOTH], { variants: ['current'] });
    expect(report.results.map((r) => r.scenario)).toEqual(['vfio-vs-dma-api', 'vm-takes-both']);
  });

  test('w1-vfio-viability breaks I1 on vfio-vs-dma-api, and counterexampleText gives the text trace the CLI prints', async () => {
    const row = (await checkScenario('vfio-vs-dma-api', { variants: ['w1-vfio-viability'] })).results[0]!;
    expect(row.status).toBe('violated');
    const text = counterexampleText(row, 'I1')!;
    expect(text).toMatch(/^I1 OwnershipExclusivity: broken after \d+ steps? {2}\(scenario vfio-vs-dma-api, variant w1-vfio-viability\)/);
    expect(text).toContain('really_probe(');
    expect(text).toContain('✗ I1: ');
    expect(counterexampleText(row, 'I12')).toBeNull();
  });

  test('a row read back from JSON still gives its counterexample, written from its steps', async () => {
    const row = (await checkScenario('vfio-vs-dma-api', { variants: ['w1-vfio-viability'] })).results[0]!;
    const copy = JSON.parse(JSON.stringify(row)) as typeof row;
    const text = counterexampleText(copy, 'I1')!;
    expect(text).toMatch(/^I1 OwnershipExclusivity: broken after \d+ steps? {2}\(scenario vfio-vs-dma-api, variant w1-vfio-viability\)/);
    expect(text).toContain('really_probe(dev=');
  });

  test('a variant of your own, from defineVariant, is checked and expected to hold', async () => {
    // docs/writing-variants.md's example: a DMA-API driver may bind in an owned group.
    const mine = defineVariant({
      name: 'use-default-domain-when-owned',
      description: 'iommu_device_use_default_domain counts the user instead of refusing it while the group is owned',
      source: 'docs/writing-variants.md',
      kind: 'proposed',
      breaks: ['I1'],
      overrides: {
        iommu_device_use_default_domain(env, s, a) {
          const gi = groupOf(env.scenario, a.dev);
          const g = s.groups[gi]!;
          if (g.default_domain && g.owner !== null) return ok(updateGroup(s, gi, { owner_cnt: g.owner_cnt + 1 }));
          return currentKernel.iommu_device_use_default_domain(env, s, a);
        },
      },
    });
    const row = (await checkScenario('pci-stub-neighbour', { variants: [mine] })).results[0]!;
    expect(row).toMatchObject({ variant: 'use-default-domain-when-owned', expected: 'holds', matchesExpectation: false });
    expect(row.violations.map((v) => v.invariant)).toEqual(expect.arrayContaining(['I1', 'I3', 'I4']));
  });

  test('maxStates cuts a run short: the row is incomplete and the report is not ok (exit code 3)', async () => {
    const report = await checkScenario('vfio-vs-dma-api', { variants: ['current'], maxStates: 10 });
    expect(report).toMatchObject({ ok: false, exitCode: 3 });
    expect(report.results[0]).toMatchObject({ status: 'incomplete', bound: 'max-states', complete: false });
  });

  test('grouping switch-groups derives switch-split-mainline\'s groups again and expects it to hold', async () => {
    const row = (await checkScenario('switch-split-mainline', { variants: ['current'], grouping: 'switch-groups' })).results[0]!;
    expect(row).toMatchObject({ status: 'holds', expectationSource: 'default' });
    expect(row.groups.rule).toBe('switch-groups');
  });
});

describe('checkScenario on bad input rejects with one InputError line', { timeout: SAFETY }, () => {
  const rejects = async (p: Promise<unknown>, message: RegExp) => {
    const e = await p.then(() => null, (x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as Error).message).toMatch(message);
    expect((e as Error).message).not.toContain('\n');
  };

  test('an unknown name that is no file either', () =>
    rejects(checkScenario('vfio-vs-dma'), /^vfio-vs-dma: expected a built-in scenario \(vfio-vs-dma-api, .*\) or a scenario file; no such file$/));

  test('an unknown variant name', () =>
    rejects(checkScenario('vfio-vs-dma-api', { variants: ['curent'] }), /^options\.variants\[0\]: expected a variant name \(current, /));

  test('a bound that is not a positive integer', () =>
    rejects(checkScenario('vfio-vs-dma-api', { maxStates: 1.5 }), /^options\.maxStates: expected a positive integer, got 1\.5$/));

  test('an unknown grouping rule', () =>
    rejects(checkScenario('vfio-vs-dma-api', { grouping: 'acs' as never }), /^options\.grouping: expected one of mainline, switch-groups, got "acs"$/));

  test('a grouping rule for a scenario already loaded', () =>
    rejects(checkScenario(loadScenarioFile(VM_TAKES_BOTH), { grouping: 'switch-groups' }), /^options\.grouping: a loaded scenario keeps the rule it was loaded with/));

  test('a scenario file with a wrong field names the file and the field', () => {
    const bad = 'name: x\ndevices:\n  - { name: a, drivers: [nvidia] }\n';
    expect(() => parseScenario(bad, { file: 'mine.yaml' })).toThrow(InputError);
    expect(() => parseScenario(bad, { file: 'mine.yaml' })).toThrow(/^mine\.yaml: devices\[0\]\.drivers\[0\]: /);
  });

  test('a scenario file that does not exist', () => {
    expect(() => loadScenarioFile(join(FIXTURES, 'missing.yaml'))).toThrow(/missing\.yaml: cannot read the file \(no such file\)$/);
  });
});
