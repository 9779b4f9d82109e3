/**
 * The whole-machine case: every VM-able group of a real lspci dump with two contexts
 * (test/fixtures/scenarios/asus-whole-machine.yaml), checked by decomposition and whole, in this
 * process: the components, the states each explored, and the undecomposed state count it avoided.
 */
import { join } from 'node:path';
import { runJob, runJobDecomposed } from '../src/engine/check.ts';
import { currentVariant } from '../src/machines/variants/index.ts';
import { loadScenarioFile } from '../src/cli/scenarioInput.ts';

export const MACHINE_FIXTURE = join(import.meta.dirname, '../test/fixtures/scenarios/asus-whole-machine.yaml');

export interface MachineCase {
  scenario: string;
  components: { groups: string[]; states: number }[];
  decomposed: { states: number; seconds: number; status: string };
  whole: { states: number; seconds: number; status: string; complete: boolean };
  productStates: number;
  speedup: number | null;
}

/** Runs the whole-machine case; the whole run is cut at `budget` seconds (then its row says incomplete). */
export function runMachineCase(budget: number): MachineCase {
  const { scenario } = loadScenarioFile(MACHINE_FIXTURE);
  const job = { scenario, variant: currentVariant, expectation: { expected: 'holds' as const, invariants: [], source: 'default' as const } };
  const t0 = performance.now();
  const d = runJobDecomposed(job, { symmetry: false });
  const t1 = performance.now();
  const w = runJob(job, { symmetry: false, maxSeconds: budget });
  const t2 = performance.now();
  const [ds, ws] = [(t1 - t0) / 1000, (t2 - t1) / 1000];
  return {
    scenario: scenario.name,
    components: (d.components ?? []).map((c) => ({ groups: c.groups, states: c.states })),
    decomposed: { states: d.result.distinctStates, seconds: ds, status: d.status },
    whole: { states: w.result.distinctStates, seconds: ws, status: w.status, complete: w.complete },
    productStates: d.productStates ?? d.result.distinctStates,
    speedup: w.complete ? ws / ds : null,
  };
}

/** The case as a few lines for the text report. */
export function formatMachineCase(m: MachineCase): string {
  const fmt = (n: number) => n.toLocaleString('en-US');
  return [
    `whole-machine plan ${m.scenario} (current kernel): ${m.components.length} components ${m.components.map((c) => `{group ${c.groups.join(',')}}: ${fmt(c.states)}`).join('; ')}`,
    `  decomposed: ${fmt(m.decomposed.states)} states in ${m.decomposed.seconds.toFixed(2)} s (${m.decomposed.status}); the product, the undecomposed state count avoided: ${fmt(m.productStates)}`,
    `  whole:      ${fmt(m.whole.states)} states in ${m.whole.seconds.toFixed(2)} s (${m.whole.complete ? m.whole.status : 'cut at the budget'})${m.speedup ? `; decomposition ${m.speedup.toFixed(0)}x faster` : ''}`,
  ].join('\n');
}
