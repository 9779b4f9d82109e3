/**
 * Reading a scenario file and the topology it names (the file system side of
 * src/scenarios/scenarioFile.ts): `topology:` is a built-in topology name, or a path relative to
 * the scenario file: a topology file (.json, .yaml, .yml) or, for any other name, the text of
 * `lspci -vvv` (with or without -nn).
 */
import { dirname, extname, resolve } from 'node:path';
import { getBuiltinTopology, parseLspci, parseTopology, type GroupingRule, type Topology } from '../hardware/index.ts';
import { parseScenarioFile, ScenarioFileError, type LoadedScenario } from '../scenarios/scenarioFile.ts';
import { UsageError } from './errors.ts';
import { readTextFile } from './files.ts';

/** The topology `ref` names, relative to the scenario file `from`; throws with a one-line message. */
export function loadTopologyRef(ref: string, from: string): Topology {
  const builtin = getBuiltinTopology(ref);
  if (builtin) return builtin;
  const path = resolve(dirname(from), ref);
  let text: string;
  try {
    text = readTextFile(path);
  } catch (e) {
    throw new Error(`expected a built-in topology name or a readable file, got ${(e as Error).message}`);
  }
  if (['.json', '.yaml', '.yml'].includes(extname(path).toLowerCase())) {
    const r = parseTopology(text, path);
    if (!r.ok) throw new Error(r.error.message);
    return r.topology;
  }
  const r = parseLspci(text, path);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.topology;
}

/** Reads and validates a scenario file; any problem is a one-line UsageError (exit 2). */
export function loadScenarioFile(file: string, grouping?: GroupingRule): LoadedScenario {
  try {
    return parseScenarioFile(readTextFile(file), file, (ref) => loadTopologyRef(ref, file), grouping);
  } catch (e) {
    if (e instanceof ScenarioFileError) throw new UsageError(e.message);
    throw e;
  }
}

/**
 * Reads several scenario files (`--scenario-file` repeated), in order. Two files naming the same
 * scenario are bad input: their rows and `--out` traces could not be told apart.
 */
export function loadScenarioFiles(files: readonly string[], grouping?: GroupingRule): LoadedScenario[] {
  const loaded = files.map((file) => ({ file, scenario: loadScenarioFile(file, grouping) }));
  for (const [i, { file, scenario }] of loaded.entries()) {
    const first = loaded.findIndex((x) => x.scenario.scenario.name === scenario.scenario.name);
    if (first !== i) throw new UsageError(`${file}: name: "${scenario.scenario.name}" is also the name of the scenario in ${loaded[first]!.file}; expected a distinct name per scenario file`);
  }
  return loaded.map((x) => x.scenario);
}
