/**
 * The files of the user's project that test/api/packedPackage.test.ts installs the packed package
 * into. Kept as text here, not as .ts files of this repository, which its own tsc and vitest would
 * pick up (and where `iommu-mc` would resolve to this repository, not to the installed package).
 */

export const PACKAGE_JSON = `${JSON.stringify({ name: 'my-iommu-checks', private: true, type: 'module' }, null, 2)}\n`;

/** A plain ESM script: the main entry and the variant API, no vitest in the project. */
export const PLAIN_SCRIPT = `import { checkScenario, counterexampleText, InputError } from 'iommu-mc';
import { currentKernel, defineVariant } from 'iommu-mc/variant-api';

const report = await checkScenario('vfio-vs-dma-api', { variants: ['current', 'w1-vfio-viability'] });
const trace = counterexampleText(report.results[1], 'I1');
let error = null;
try {
  await checkScenario('no-such-scenario');
} catch (e) {
  error = e instanceof InputError ? e.message : String(e);
}
let vitest = 'absent';
try {
  await import('vitest');
  vitest = 'present';
} catch {}
console.log(JSON.stringify({ report, trace, error, vitest, defineVariant: typeof defineVariant, kernelFunctions: Object.keys(currentKernel).length }));
`;

/** The tsconfig of a strict TypeScript project on Node's ESM resolution, nothing special. */
export const TSCONFIG = `${JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', target: 'es2022', noEmit: true }, include: ['*.ts'] }, null, 2)}\n`;

/** A user's vitest file: the matchers on reports and rows, and scenarioSuite on a folder. */
export const VITEST_FILE = `import { describe, expect, test } from 'vitest';
import { checkScenario, loadScenarioFile, type CheckReport, type CheckRow } from 'iommu-mc';
import { scenarioSuite } from 'iommu-mc/vitest';

describe('my scenarios', () => {
  test('vfio-vs-dma-api holds under the current kernel', async () => {
    const report: CheckReport = await checkScenario('vfio-vs-dma-api', { variants: ['current'] });
    expect(report).toHold();
    const row: CheckRow = report.results[0]!;
    expect(row).not.toBreak('I1');
  });

  test('pre-5.19 VFIO breaks I1, and the failure of toHold() prints the trace', async () => {
    const report = await checkScenario(loadScenarioFile(new URL('./scenarios/vm-takes-both.yaml', import.meta.url)), { variants: ['w1-vfio-viability'] });
    expect(report).toBreak('I1');
    expect(() => expect(report).toHold()).toThrow(/really_probe\\(01:00\\.1, driver=e1000e\\) = 0/);
    // @ts-expect-error an invariant id is a string
    expect(() => expect(report).toBreak(1)).toThrow(TypeError);
  });
});

scenarioSuite(new URL('./scenarios/', import.meta.url));
`;
