/**
 * Every built-in scenario can be written as a scenario file: written out with scenarioToFile,
 * read back through parseScenarioFile (topology by built-in name), it gives the same verdicts,
 * broken invariants, state and transition counts, and judged invariants under every variant.
 */
import { describe, expect, it } from 'vitest';
import { runJob } from '../../src/engine/check.ts';
import { getBuiltinTopology } from '../../src/hardware/index.ts';
import { VARIANTS } from '../../src/machines/variants/index.ts';
import { BUILTIN_SCENARIOS } from '../../src/scenarios/builtin.ts';
import { parseScenarioFile } from '../../src/scenarios/scenarioFile.ts';
import { scenarioToFile } from '../../src/scenarios/toFile.ts';

const load = (ref: string) => {
  const t = getBuiltinTopology(ref);
  if (!t) throw new Error(`no builtin ${ref}`);
  return t;
};

const outcome = (r: ReturnType<typeof runJob>) => ({
  status: r.status,
  broken: r.result.violations.map((v) => v.invariant),
  reasons: r.result.violations.map((v) => v.reason),
  states: r.result.distinctStates,
  transitions: r.result.transitions,
  depth: r.result.depth,
  judgement: r.judgement,
});

const expectation = { expected: 'holds' as const, invariants: [], source: 'default' as const };

describe('every built-in scenario written as a scenario file', () => {
  it.each(BUILTIN_SCENARIOS.map((s) => [s.name, s] as const))('%s reads back with the same verdicts, counts and judged invariants', (_name, builtin) => {
    const text = JSON.stringify(scenarioToFile(builtin));
    const { scenario } = parseScenarioFile(text, `${builtin.name}.json`, load);
    expect(scenario.devices.map((d) => d.group ?? 0)).toEqual(builtin.devices.map((d) => d.group ?? 0));
    for (const variant of VARIANTS) {
      const a = runJob({ scenario: builtin, variant, expectation }, { symmetry: false });
      const b = runJob({ scenario, variant, expectation }, { symmetry: false });
      expect({ variant: variant.name, ...outcome(b) }).toEqual({ variant: variant.name, ...outcome(a) });
    }
  });
});
