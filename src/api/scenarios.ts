/**
 * Scenario input for the library: a scenario file read from disk, or its text given directly.
 * The reading and validation are the CLI's (src/cli/scenarioInput.ts), so a file means the same
 * to `iommu-mc check --scenario-file` and to checkScenario, and fails with the same one line.
 */
import { fileURLToPath } from 'node:url';
import type { GroupingRule } from '../hardware/index.ts';
import { loadScenarioFile as readScenarioFile, loadTopologyRef } from '../cli/scenarioInput.ts';
import { parseScenarioFile, ScenarioFileError, type LoadedScenario } from '../scenarios/scenarioFile.ts';
import { GROUPING_RULES } from '../hardware/index.ts';
import { asInputError, InputError } from './errors.ts';

export type { LoadedScenario } from '../scenarios/scenarioFile.ts';

/** How a scenario is read. */
export interface LoadScenarioOptions {
  /**
   * Derive the groups by this rule instead of the file's own `grouping:` (files with a topology):
   * `mainline` (pci_device_group) or `switch-groups` (the pending v3 per-bus rule).
   */
  grouping?: GroupingRule;
}

/** A path given as a string or a file: URL (`new URL('./x.yaml', import.meta.url)`). */
export const pathOf = (file: string | URL): string => (typeof file === 'string' ? file : fileURLToPath(file));

/** Checks a grouping option; throws an InputError naming it. */
export function checkGrouping(grouping: unknown, where: string): GroupingRule | undefined {
  if (grouping === undefined || (GROUPING_RULES as readonly unknown[]).includes(grouping)) return grouping as GroupingRule | undefined;
  throw new InputError(`${where}: expected one of ${GROUPING_RULES.join(', ')}, got ${JSON.stringify(grouping)}`);
}

/**
 * Reads and validates a scenario file (YAML, or JSON for a `.json` name); `topology:` is resolved
 * relative to the file. Throws an InputError (one line: file, field, what was expected).
 */
export function loadScenarioFile(file: string | URL, options: LoadScenarioOptions = {}): LoadedScenario {
  const grouping = checkGrouping(options.grouping, 'options.grouping');
  return asInputError(() => readScenarioFile(pathOf(file), grouping));
}

/** Where parseScenario's text is said to come from. */
export interface ParseScenarioOptions extends LoadScenarioOptions {
  /**
   * The name errors give the text, and the file a relative `topology:` path is resolved against;
   * a name ending in `.json` is parsed as JSON, any other as YAML. @default 'scenario.yaml' (in the working directory)
   */
  file?: string;
}

/** Validates the text of a scenario file given directly (YAML or JSON). Throws an InputError. */
export function parseScenario(text: string, options: ParseScenarioOptions = {}): LoadedScenario {
  const grouping = checkGrouping(options.grouping, 'options.grouping');
  const file = options.file ?? 'scenario.yaml';
  if (typeof text !== 'string') throw new InputError(`${file}: expected the scenario's text (a string), got ${typeof text}`);
  try {
    return asInputError(() => parseScenarioFile(text, file, (ref) => loadTopologyRef(ref, file), grouping));
  } catch (e) {
    if (e instanceof ScenarioFileError) throw new InputError(e.message, { cause: e });
    throw e;
  }
}
