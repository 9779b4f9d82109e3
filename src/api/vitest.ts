/**
 * `iommu-mc/vitest`: importing it adds three matchers to vitest's `expect` and their types to
 * vitest's `Assertion`, and exports scenarioSuite, one test per scenario file of a folder.
 *
 * ```ts
 * import { expect, test } from 'vitest';
 * import { checkScenario } from 'iommu-mc';
 * import { scenarioSuite } from 'iommu-mc/vitest';
 *
 * test('my GPU passthrough holds', async () => expect(await checkScenario('scenarios/gpu.yaml')).toHold());
 * scenarioSuite('scenarios/'); // each file checked against its own `expect:`
 * ```
 *
 * vitest is an optional peer dependency: only this entry imports it.
 */
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';
import { checkScenario, type CheckOptions } from './checkScenario.ts';
import { InputError } from './errors.ts';
import { toBreak, toHold, toMatchExpectations, type MatcherOutcome } from './matchers.ts';
import { pathOf } from './scenarios.ts';

/** What the matchers use of vitest's matcher context: whether the assertion is negated (`.not`). */
interface MatcherContext {
  isNot: boolean;
}

/** The matchers, as `expect.extend` takes them (this module has already registered them). */
export const iommuMcMatchers = {
  toHold(this: MatcherContext, received: unknown): MatcherOutcome {
    return toHold(received, this.isNot);
  },
  toBreak(this: MatcherContext, received: unknown, invariant: string): MatcherOutcome {
    return toBreak(received, invariant, this.isNot);
  },
  toMatchExpectations(this: MatcherContext, received: unknown): MatcherOutcome {
    return toMatchExpectations(received, this.isNot);
  },
} satisfies Parameters<typeof expect.extend>[0];

expect.extend(iommuMcMatchers);

/**
 * The matchers' types. Each takes a report (checkScenario's result, or `iommu-mc check --json`
 * output parsed), one of its rows, or a list of rows, and judges every row; a failure message
 * carries the counterexample of each invariant involved.
 */
export interface IommuMcMatchers<R = unknown> {
  /** Every row explored every reachable state and broke no invariant (status `holds`). */
  toHold(): R;
  /** Every row broke `invariant` (an id such as `I1`; others may break too). */
  toBreak(invariant: string): R;
  /** Every row found what it was expected to find (a scenario file's `expect:`, a built-in's manifest) and was complete: the report's `ok`. */
  toMatchExpectations(): R;
}

declare module 'vitest' {
  interface Assertion<T = any> extends IommuMcMatchers<void> {}
}

/** scenarioSuite's options: checkScenario's, plus the test timeout and which files count. */
export interface ScenarioSuiteOptions extends CheckOptions {
  /** Each test's timeout in milliseconds (a safety net: bound runs with maxStates or maxSeconds). @default 60_000 */
  timeout?: number;
  /** Which file names of the folder are scenario files. @default every `.yaml`, `.yml` and `.json` file */
  filter?: (fileName: string) => boolean;
}

const SCENARIO_FILE = /\.(?:ya?ml|json)$/i;

/** The scenario files directly in `dir`, sorted; an InputError when it cannot be read or has none. */
function scenarioFiles(dir: string, filter: (name: string) => boolean): string[] {
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputError(`${dir}: cannot read the scenario folder (${code === 'ENOENT' ? 'no such directory' : code === 'ENOTDIR' ? 'not a directory' : code ?? 'error'})`);
  }
  const files = names.filter((n) => SCENARIO_FILE.test(n) && filter(n)).sort();
  if (files.length === 0) throw new InputError(`${dir}: expected scenario files (.yaml, .yml, .json) in the folder, found none`);
  return files;
}

/**
 * One vitest test per scenario file in `dir` (a path relative to the working directory, or a
 * file: URL such as `new URL('./scenarios/', import.meta.url)`), inside one `describe`: each file
 * is checked under its own `variants:` and must find what its own `expect:` says
 * (toMatchExpectations). Options are checkScenario's (bounds, variants, grouping) plus `timeout`
 * and `filter`. Call it at the top level of a test file.
 */
export function scenarioSuite(dir: string | URL, options: ScenarioSuiteOptions = {}): void {
  const { timeout = 60_000, filter = () => true, ...check } = options;
  const root = resolve(pathOf(dir));
  const files = scenarioFiles(root, filter);
  describe(`scenario files in ${relative(process.cwd(), root) || '.'}`, () => {
    for (const name of files) {
      test(name, async () => {
        expect(await checkScenario(join(root, name), check)).toMatchExpectations();
      }, timeout);
    }
  });
}
